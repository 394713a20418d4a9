import {
  commandNames,
  connectionItem,
  ddb,
  docItems,
  docWithLog,
  endedSession,
  givenConnections,
  givenDocument,
  givenSender,
  givenSession,
  mgmt,
  pushed,
  pushedTo,
  sent,
  SESSION_ID,
  textFrom,
  appendRefused,
  transactItems,
  useMockedDynamo,
  yDoc,
  logItem,
  stateItem,
} from '../fixtures.js';
import { QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { newConnectionId, send } from './events.js';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/**
 * `me` (joined as carla, in `format`) with Ann (text), Bob (Yjs), a lurker who never joined, and a
 * document at version 3 whose text is "a = 2".
 */
function givenEditingRoom(me: string, format: 'text' | 'yjs' = 'text') {
  givenSession();
  givenSender(me);
  givenConnections([
    connectionItem('ann-1', { joined: true, userId: 'ann', format: 'text', role: 'interviewer' }),
    connectionItem('bob-1', { joined: true, userId: 'bob', format: 'yjs' }),
    connectionItem('lurker-1'),
    connectionItem(me, { joined: true, userId: 'carla', format }),
  ]);
  const doc = docWithLog(['a = 1', 'a = 2'], 2);
  givenDocument(doc.items);
  return doc;
}

/** A Yjs client's edit on top of the stored document: appends `suffix`. */
function clientEdit(doc: { items: Record<string, unknown>[]; updates: Uint8Array[] }, suffix: string): Uint8Array {
  const client = new Y.Doc();
  Y.applyUpdate(client, doc.items.at(-1)!.state as Uint8Array);
  for (const u of doc.updates) Y.applyUpdate(client, u);
  const before = Y.encodeStateVector(client);
  client.getText('code').insert(client.getText('code').length, suffix);
  return Y.encodeStateAsUpdate(client, before);
}

describe('code-change', () => {
  useMockedDynamo();

  it('appends a minimal edit as version+1, acks the author and sends each other joined client its format', async () => {
    const me = newConnectionId('author');
    const doc = givenEditingRoom(me);
    await send(me, { action: 'code-change', code: 'a = 2\nprint(a)' });

    // Sender lookup, connections, the document (a cold container), the append.
    expect(commandNames()).toEqual(['GetCommand', 'QueryCommand', 'QueryCommand', 'TransactWriteCommand']);
    const [meta, log] = transactItems();
    expect(meta?.Update?.ExpressionAttributeValues).toMatchObject({ ':expected': 3, ':next': 4 });
    expect(log?.Put?.Item).toMatchObject({ SK: 'DOC#000000000004#U', userId: 'carla' });
    const stored = log!.Put!.Item!.update as Uint8Array;
    expect(textFrom(doc.items.at(-1)!.state as Uint8Array, ...doc.updates, stored)).toBe('a = 2\nprint(a)');

    expect(pushedTo(me)).toEqual([{ type: 'code-ack', version: 4, code: 'a = 2\nprint(a)' }]);
    expect(pushedTo('ann-1')).toEqual([{ type: 'code-update', code: 'a = 2\nprint(a)', version: 4, userId: 'carla', timestamp: expect.any(String) }]);
    expect(pushedTo('bob-1')).toEqual([{ type: 'yjs-update', update: b64(stored), version: 4, userId: 'carla' }]);
    expect(pushedTo('lurker-1')).toEqual([]);
  });

  it('acks an unchanged text with the current version and writes or tells nothing', async () => {
    const me = newConnectionId('same');
    givenEditingRoom(me);
    await send(me, { action: 'code-change', code: 'a = 2' });
    expect(sent(TransactWriteCommand)).toEqual([]);
    expect(pushed()).toEqual([{ connectionId: me, message: { type: 'code-ack', version: 3, code: 'a = 2' } }]);
  });

  it('accepts a matching baseVersion', async () => {
    const me = newConnectionId('based');
    givenEditingRoom(me);
    await send(me, { action: 'code-change', code: 'a = 3', baseVersion: 3 });
    expect(pushedTo(me)).toEqual([{ type: 'code-ack', version: 4, code: 'a = 3' }]);
  });

  it('merges an edit made on an older version with what others wrote since, and acks the merged text', async () => {
    const me = newConnectionId('older');
    givenSession();
    givenSender(me);
    givenConnections([connectionItem(me, { joined: true, userId: 'carla', format: 'text' })]);
    // Version 2 is "def f():\n"; version 3 is someone else's edit: a comment line at the top.
    const other = yDoc('def f():\n');
    const state = Y.encodeStateAsUpdate(other);
    const before = Y.encodeStateVector(other);
    other.getText('code').insert(0, '# note\n');
    givenDocument([logItem(3, Y.encodeStateAsUpdate(other, before)), stateItem(state, 2)]);
    await send(me, { action: 'code-change', code: 'def f():\n    return 1\n', baseVersion: 2 });
    expect(pushedTo(me)).toEqual([{ type: 'code-ack', version: 4, code: '# note\ndef f():\n    return 1\n' }]);
  });

  it('answers VERSION_CONFLICT {currentVersion, code} for a version the server never held, and writes nothing', async () => {
    const me = newConnectionId('stale');
    givenEditingRoom(me);
    await send(me, { action: 'code-change', code: 'mine', baseVersion: 9 });
    expect(pushed()).toEqual([
      {
        connectionId: me,
        message: { type: 'error', code: 'VERSION_CONFLICT', message: expect.any(String), details: { currentVersion: 3, code: 'a = 2' }, action: 'code-change' },
      },
    ]);
    expect(sent(TransactWriteCommand)).toEqual([]);
  });

  it('answers NOT_JOINED before join-session and writes nothing', async () => {
    const me = newConnectionId('early');
    givenSession();
    givenSender(me);
    givenConnections([connectionItem(me), connectionItem('ann-1', { joined: true, userId: 'ann' })]);
    givenDocument(docItems('a'));
    await send(me, { action: 'code-change', code: 'b' });
    await send(me, { action: 'yjs-update', update: b64(Y.encodeStateAsUpdate(yDoc('zzz'))) });
    expect(pushed().map((p) => [p.connectionId, p.message.code, p.message.action])).toEqual([
      [me, 'NOT_JOINED', 'code-change'],
      [me, 'NOT_JOINED', 'yjs-update'],
    ]);
    expect(sent(TransactWriteCommand)).toEqual([]);
  });

  it('refuses code over 100 KiB with PAYLOAD_TOO_LARGE and writes nothing', async () => {
    const me = newConnectionId('huge');
    givenEditingRoom(me);
    await send(me, { action: 'code-change', code: 'x'.repeat(100 * 1024 + 1) });
    expect(pushedTo(me)).toEqual([expect.objectContaining({ type: 'error', code: 'PAYLOAD_TOO_LARGE', action: 'code-change' })]);
    expect(sent(TransactWriteCommand)).toEqual([]);
  });

  it('answers SESSION_EXPIRED when the append finds the session ended, telling nobody else', async () => {
    const me = newConnectionId('ended');
    givenEditingRoom(me);
    ddb.on(TransactWriteCommand).rejects(appendRefused(endedSession())); // what the failed condition saw
    await send(me, { action: 'code-change', code: 'too late' });
    expect(pushed()).toEqual([{ connectionId: me, message: expect.objectContaining({ type: 'error', code: 'SESSION_EXPIRED' }) }]);
    expect(sent(TransactWriteCommand)).toHaveLength(1);
  });

  describe('rate limit: 50 edits per second per connection', () => {
    afterEach(() => vi.useRealTimers());

    it('refuses the 51st edit of a burst with RATE_LIMIT_EXCEEDED, without reading or writing', async () => {
      vi.useFakeTimers({ toFake: ['Date'] }); // the whole burst happens within one instant
      const me = newConnectionId('burst');
      givenEditingRoom(me);
      for (let i = 1; i <= 51; i++) await send(me, { action: 'code-change', code: `a = ${i + 100}` });

      expect(sent(TransactWriteCommand)).toHaveLength(50);
      // 50 connection reads, one read of the document (a cold container) and the compaction's catch-up
      // read when version 34 made 32 versions since the stored state (version 2).
      const reads = sent(QueryCommand).map((q) => q.ExpressionAttributeValues?.[':c'] ?? q.ExpressionAttributeValues?.[':lo']);
      expect(reads.filter((r) => r === 'C#')).toHaveLength(50);
      expect(reads.filter((r) => r !== 'C#')).toEqual(['DOC#', 'DOC#000000000035#']);
      const answers = pushedTo(me);
      expect(answers.slice(0, 50).every((m) => m.type === 'code-ack')).toBe(true);
      expect(answers[50]).toEqual({
        type: 'error',
        code: 'RATE_LIMIT_EXCEEDED',
        message: expect.any(String),
        details: { retryAfterSeconds: expect.any(Number) },
        action: 'code-change',
      });
      expect(answers[50].details.retryAfterSeconds).toBeGreaterThan(0);
      expect(answers[50].details.retryAfterSeconds).toBeLessThanOrEqual(0.02);
      expect(pushedTo('ann-1')).toHaveLength(50);

      vi.setSystemTime(Date.now() + 1000); // a second later the bucket is full again
      await send(me, { action: 'code-change', code: 'a = 0' });
      expect(pushedTo(me).at(-1)).toEqual({ type: 'code-ack', version: 54, code: 'a = 0' });
    });
  });
});

describe('yjs-update', () => {
  useMockedDynamo();

  it('costs 1 DynamoDB call in steady state (the append) and one post per other joined client', async () => {
    const me = newConnectionId('yjs');
    const doc = givenEditingRoom(me, 'yjs');
    const first = clientEdit(doc, '\n# first');
    await send(me, { action: 'yjs-update', update: b64(first) });
    // First frame of a cold container: sender lookup, connEpoch, connections, the document, the append.
    expect(commandNames()).toEqual(['GetCommand', 'GetCommand', 'QueryCommand', 'QueryCommand', 'TransactWriteCommand']);
    expect(sent(QueryCommand)[0]).toMatchObject({
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :c)',
      ExpressionAttributeValues: { ':pk': `S#${SESSION_ID}`, ':c': 'C#' },
      ConsistentRead: true,
    });

    ddb.resetHistory();
    mgmt.resetHistory();
    const update = clientEdit({ ...doc, updates: [...doc.updates, first] }, '\n# second'); // the same client types on
    await send(me, { action: 'yjs-update', update: b64(update) });

    // The container's copy of the connections, proven current by the append's own condition.
    expect(commandNames()).toEqual(['TransactWriteCommand']);
    expect(transactItems()[0]!.Update!.ConditionExpression).toContain('attribute_not_exists(connEpoch)');
    const stored = transactItems()[1]!.Put!.Item!.update as Uint8Array;
    expect(Buffer.from(stored).equals(Buffer.from(update))).toBe(true); // stored as sent

    expect(pushed().map((p) => p.connectionId).sort()).toEqual(['ann-1', 'bob-1']); // 2 posts, none to the author
    // The container's copy took the first edit: the second is version 5, and text clients see both.
    expect(pushedTo('bob-1')).toEqual([{ type: 'yjs-update', update: b64(update), version: 5, userId: 'carla' }]);
    expect(pushedTo('ann-1')).toEqual([expect.objectContaining({ type: 'code-update', code: 'a = 2\n# first\n# second', version: 5 })]);
  });

  it('refuses an update that is not a Yjs update with INVALID_MESSAGE and stores nothing', async () => {
    const me = newConnectionId('garbage');
    givenEditingRoom(me, 'yjs');
    await send(me, { action: 'yjs-update', update: b64(new Uint8Array([255, 255, 255, 255, 1, 2, 3])) });
    expect(pushed()).toEqual([
      { connectionId: me, message: expect.objectContaining({ type: 'error', code: 'INVALID_MESSAGE', action: 'yjs-update', details: [expect.objectContaining({ field: 'update' })] }) },
    ]);
    expect(sent(TransactWriteCommand)).toEqual([]);
  });

  it('refuses an update that would make the text exceed 100 KiB with PAYLOAD_TOO_LARGE', async () => {
    const me = newConnectionId('grow');
    givenEditingRoom(me, 'yjs');
    const nearlyFull = { items: docItems('x'.repeat(100 * 1024 - 10)), updates: [] };
    givenDocument(nearlyFull.items);
    await send(me, { action: 'yjs-update', update: b64(clientEdit(nearlyFull, 'y'.repeat(11))) });
    expect(pushedTo(me)).toEqual([expect.objectContaining({ type: 'error', code: 'PAYLOAD_TOO_LARGE' })]);
    expect(sent(TransactWriteCommand)).toEqual([]);
  });

  it('merges an edit made against an older state (Yjs clients need no baseVersion)', async () => {
    const me = newConnectionId('offline');
    const doc = givenEditingRoom(me, 'yjs');
    const offline = new Y.Doc();
    Y.applyUpdate(offline, doc.items.at(-1)!.state as Uint8Array); // saw "a = 1", not the edit to "a = 2"
    const before = Y.encodeStateVector(offline);
    offline.getText('code').insert(0, '# ');
    await send(me, { action: 'yjs-update', update: b64(Y.encodeStateAsUpdate(offline, before)) });
    expect(pushedTo('ann-1')).toEqual([expect.objectContaining({ type: 'code-update', code: '# a = 2', version: 4 })]);
    expect(sent(TransactWriteCommand)).toHaveLength(1);
  });
});
