import {
  commandNames,
  connectionItem,
  ddb,
  docItems,
  endedSession,
  givenConnections,
  givenDocument,
  givenRunners,
  givenSender,
  givenSession,
  launchRequests,
  mgmt,
  pushed,
  pushedTo,
  runnerItem,
  sent,
  SESSION_ID,
  transactItems,
  useMockedDynamo,
  writes,
} from '../fixtures.js';
import { DeleteConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { DeleteCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { newConnectionId, send } from './events.js';

/**
 * `me` joined as carla, Ann joined, a lurker connected but not joined; a document someone wrote in (an
 * untouched one would get the new language's starter code on a language change: test/unit/http/questions.test.ts).
 */
function givenRoom(me: string, joined = true): void {
  givenSession();
  givenDocument(docItems('print("written")\n'));
  givenSender(me);
  givenConnections([
    connectionItem('ann-1', { joined: true, userId: 'ann', username: 'Ann', role: 'interviewer' }),
    connectionItem('lurker-1'),
    connectionItem(me, joined ? { joined: true, userId: 'carla', username: 'Carla' } : {}),
  ]);
}

// A y-protocols awareness update: one client (id 200), clock 3, state "{}".
const AWARENESS = Buffer.from([1, 200, 1, 3, 2, 123, 125]).toString('base64');

describe('awareness-update and cursor-update', () => {
  useMockedDynamo();
  afterEach(() => vi.useRealTimers());

  it('relays awareness to the other joined users with the sender userId, storing nothing', async () => {
    const me = newConnectionId('aw');
    givenRoom(me);
    await send(me, { action: 'awareness-update', update: AWARENESS });
    expect(pushed()).toEqual([{ connectionId: 'ann-1', message: { type: 'awareness-update', update: AWARENESS, userId: 'carla' } }]);
    expect(commandNames()).toEqual(['GetCommand', 'QueryCommand']);
    expect(sent(QueryCommand)[0]?.ExpressionAttributeValues).toEqual({ ':pk': `S#${SESSION_ID}`, ':c': 'C#' });
  });

  it('relays a cursor with its selection', async () => {
    const me = newConnectionId('cur');
    givenRoom(me);
    const selection = { startLineNumber: 1, startColumn: 2, endLineNumber: 3, endColumn: 4 };
    await send(me, { action: 'cursor-update', position: { lineNumber: 3, column: 4 }, selection });
    expect(pushed()).toEqual([
      { connectionId: 'ann-1', message: { type: 'cursor-update', position: { lineNumber: 3, column: 4 }, selection, userId: 'carla' } },
    ]);
    expect(writes()).toEqual([]);
  });

  it('answers NOT_JOINED before join-session and relays nothing', async () => {
    const me = newConnectionId('early');
    givenRoom(me, false);
    await send(me, { action: 'cursor-update', position: { lineNumber: 1, column: 1 } });
    await send(me, { action: 'awareness-update', update: AWARENESS });
    expect(pushed().map((p) => [p.connectionId, p.message.code, p.message.action])).toEqual([
      [me, 'NOT_JOINED', 'cursor-update'],
      [me, 'NOT_JOINED', 'awareness-update'],
    ]);
  });

  it('relays 10 cursor moves in one instant and refuses the 11th with RATE_LIMIT_EXCEEDED', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const me = newConnectionId('fidget');
    givenRoom(me);
    for (let i = 1; i <= 11; i++) await send(me, { action: 'cursor-update', position: { lineNumber: i, column: 1 } });
    expect(pushedTo('ann-1').map((m) => m.position.lineNumber)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(pushedTo(me)).toEqual([expect.objectContaining({ type: 'error', code: 'RATE_LIMIT_EXCEEDED', action: 'cursor-update' })]);
    expect(sent(QueryCommand)).toHaveLength(10); // the refused one read nothing
  });
});

describe('language-change', () => {
  useMockedDynamo();
  afterEach(() => vi.useRealTimers());

  it('stores the language with a history entry, tells everyone including the sender, and launches a runner', async () => {
    const me = newConnectionId('lang');
    givenRoom(me);
    await send(me, { action: 'language-change', language: 'go' });

    const [meta, history] = transactItems();
    expect(meta?.Update).toMatchObject({
      Key: { PK: `S#${SESSION_ID}`, SK: 'META' },
      ConditionExpression: expect.stringContaining('#status = :active'),
      ExpressionAttributeValues: expect.objectContaining({ ':language': 'go' }),
    });
    expect(history?.Put?.Item).toMatchObject({ type: 'language-changed', userId: 'carla', detail: { from: 'python', to: 'go' } });

    const update = { type: 'language-update', language: 'go', userId: 'carla' };
    expect(pushed()).toEqual([
      { connectionId: 'ann-1', message: update },
      { connectionId: me, message: update },
    ]);
    // No live go runner: the launch lease is taken and one runner requested from the launcher.
    expect(sent(PutCommand).map((p) => p.Item?.PK)).toEqual(['LEASE#go']);
    expect(launchRequests()).toEqual([{ language: 'go', count: 1 }]);
  });

  it('launches nothing when a runner of the language is alive', async () => {
    const me = newConnectionId('warm');
    givenRoom(me);
    givenRunners([runnerItem('r-1', { PK: 'RUNNERS#go', language: 'go' })]);
    await send(me, { action: 'language-change', language: 'go' });
    expect(pushedTo(me)).toEqual([{ type: 'language-update', language: 'go', userId: 'carla' }]);
    expect(sent(PutCommand)).toEqual([]);
    expect(launchRequests()).toEqual([]);
  });

  it('refuses an unsupported language with UNSUPPORTED_LANGUAGE, changing nothing', async () => {
    const me = newConnectionId('cobol');
    givenRoom(me);
    await send(me, { action: 'language-change', language: 'cobol' });
    expect(pushed()).toEqual([{ connectionId: me, message: expect.objectContaining({ type: 'error', code: 'UNSUPPORTED_LANGUAGE', action: 'language-change' }) }]);
    expect(writes()).toEqual([]);
  });

  it('allows one change per 5 seconds per connection', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const me = newConnectionId('flip');
    givenRoom(me);
    await send(me, { action: 'language-change', language: 'go' });
    await send(me, { action: 'language-change', language: 'rust' });
    expect(pushedTo(me).map((m) => m.code ?? m.language)).toEqual(['go', 'RATE_LIMIT_EXCEEDED']);
    expect(pushedTo(me)[1].details.retryAfterSeconds).toBeCloseTo(5, 1);
    expect(sent(TransactWriteCommand)).toHaveLength(1);
    vi.setSystemTime(Date.now() + 5_000);
    await send(me, { action: 'language-change', language: 'rust' });
    expect(pushedTo(me).at(-1)).toEqual({ type: 'language-update', language: 'rust', userId: 'carla' });
  });

  it('answers SESSION_EXPIRED on an ended session and NOT_JOINED before join', async () => {
    const ended = newConnectionId('ended');
    givenRoom(ended);
    givenSession(endedSession());
    await send(ended, { action: 'language-change', language: 'go' });
    const early = newConnectionId('early');
    givenRoom(early, false);
    await send(early, { action: 'language-change', language: 'go' });
    expect(pushed().map((p) => [p.connectionId, p.message.code])).toEqual([
      [ended, 'SESSION_EXPIRED'],
      [early, 'NOT_JOINED'],
    ]);
    expect(writes()).toEqual([]);
  });
});

describe('leave-session', () => {
  useMockedDynamo();

  it('removes the connection, tells the others user-left and closes the socket', async () => {
    const me = newConnectionId('bye');
    givenSender(me);
    ddb.on(DeleteCommand, { Key: { PK: `S#${SESSION_ID}`, SK: `C#${me}` } }).resolves({
      Attributes: connectionItem(me, { joined: true, userId: 'carla', username: 'Carla' }),
    });
    givenConnections([connectionItem('ann-1', { joined: true, userId: 'ann' }), connectionItem('lurker-1')]);
    await send(me, { action: 'leave-session' });

    expect(sent(DeleteCommand).map((d) => d.Key)).toEqual([
      { PK: `CONN#${me}`, SK: 'CONN' },
      { PK: `S#${SESSION_ID}`, SK: `C#${me}` },
    ]);
    expect(pushed()).toEqual([{ connectionId: 'ann-1', message: { type: 'user-left', userId: 'carla', userCount: 1 } }]);
    expect(mgmt.commandCalls(DeleteConnectionCommand).map((c) => c.args[0].input)).toEqual([{ ConnectionId: me }]);
    expect(sent(PutCommand).map((p) => p.Item?.type)).toEqual(['user-left']);
  });
});
