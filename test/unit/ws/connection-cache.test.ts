/**
 * The container's copy of a session's connections (#aws/store/connection-cache.ts), through the real
 * handlers and an in-memory table that evaluates the store's conditions: a Yjs edit costs one DynamoDB
 * call in steady state, yet a connection that joins between two edits gets the second one, a gone
 * connection stops getting relays, and a join that races an edit either holds the edit in its state or
 * gets its relay.
 */
import { commandNames, connectionItem, ddb, docItems, lookupItem, logItem, mgmt, pushedTo, sent, SESSION_ID, sessionItem, useMockedDynamo } from '../fixtures.js';
import { GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { LIMITS } from '#contract/limits.js';
import * as Y from 'yjs';
import { MemoryTable } from '../memory-table.js';
import { newConnectionId, send } from './events.js';

useMockedDynamo();
let table: MemoryTable;
let ann: string;
let bob: string;
/** Ann's Yjs client: each `edit` is the update of one insertion, as her editor would send it. */
let annDoc: Y.Doc;

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

function edit(text: string): string {
  const before = Y.encodeStateVector(annDoc);
  annDoc.getText('code').insert(annDoc.getText('code').length, text);
  return b64(Y.encodeStateAsUpdate(annDoc, before));
}

/** A connection of the session that has not joined yet (its $connect ran). */
function connected(name: string): string {
  const id = newConnectionId(name);
  table.set(lookupItem(id));
  table.set(connectionItem(id));
  return id;
}

function joinedConnection(name: string): string {
  const id = newConnectionId(name);
  table.set(lookupItem(id));
  table.set(connectionItem(id, { joined: true, userId: name, format: 'yjs' }));
  return id;
}

const relays = (id: string) => pushedTo(id).filter((m) => m.type === 'yjs-update').map((m) => m.update as string);
const meta = () => table.get(`S#${SESSION_ID}`, 'META')!;

beforeEach(() => {
  table = new MemoryTable();
  table.set(sessionItem());
  for (const item of docItems('a = 1')) table.set(item);
  ann = joinedConnection('ann');
  bob = joinedConnection('bob');
  annDoc = new Y.Doc();
  Y.applyUpdate(annDoc, table.get(`S#${SESSION_ID}`, 'DOC#000000000001#S000')!.state as Uint8Array);
});

describe('a Yjs edit with the container copy of the connections', () => {
  it('costs one DynamoDB call (the append, guarded by connEpoch) once the copy is read', async () => {
    await send(ann, { action: 'yjs-update', update: edit('\n# 1') });
    for (const n of [2, 3, 4]) {
      ddb.resetHistory();
      const update = edit(`\n# ${n}`);
      await send(ann, { action: 'yjs-update', update });
      expect(commandNames()).toEqual(['TransactWriteCommand']);
      expect(relays(bob).at(-1)).toBe(update);
    }
    expect(meta().version).toBe(5);
  });

  it('a burst of edits on a cold container reads the connections once', async () => {
    const updates = [edit('\n# 1'), edit('\n# 2'), edit('\n# 3')];
    await Promise.all(updates.map((update) => send(ann, { action: 'yjs-update', update })));
    const listReads = sent(QueryCommand).filter((q) => q.ExpressionAttributeValues?.[':c'] === 'C#');
    expect(listReads).toHaveLength(1);
    expect(relays(bob).sort()).toEqual([...updates].sort());
  });

  it('a connection that joins between two edits gets the second edit', async () => {
    const first = edit('\n# before');
    await send(ann, { action: 'yjs-update', update: first });
    const carol = connected('carol');
    await send(carol, { action: 'join-session', format: 'yjs', username: 'carol' });
    expect(pushedTo(carol)[0]).toMatchObject({ type: 'session-joined', version: 2 });
    expect(meta().connEpoch).toBe(1);

    const second = edit('\n# after');
    ddb.resetHistory();
    await send(ann, { action: 'yjs-update', update: second });
    expect(relays(carol)).toEqual([second]);
    expect(relays(bob)).toEqual([first, second]);
    // The guarded append failed on the epoch and went again unguarded; the relay read the list after it.
    expect(commandNames()).toEqual(['TransactWriteCommand', 'TransactWriteCommand', 'GetCommand', 'QueryCommand']);
    expect(meta().version).toBe(3);

    // And the copy is current again: the next edit is one call.
    ddb.resetHistory();
    const third = edit('\n# third');
    await send(ann, { action: 'yjs-update', update: third });
    expect(commandNames()).toEqual(['TransactWriteCommand']);
    expect(relays(carol)).toEqual([second, third]);
  });

  it('a sender that joined after the copy was read is found by reading the connections again', async () => {
    await send(ann, { action: 'yjs-update', update: edit('\n# 1') });
    const carol = connected('carol');
    await send(carol, { action: 'join-session', format: 'yjs', username: 'carol' });
    const carolDoc = new Y.Doc();
    Y.applyUpdate(carolDoc, Buffer.from(pushedTo(carol)[0].yjsState as string, 'base64'));
    const before = Y.encodeStateVector(carolDoc);
    carolDoc.getText('code').insert(0, '# carol\n');
    const update = b64(Y.encodeStateAsUpdate(carolDoc, before));
    await send(carol, { action: 'yjs-update', update });
    expect(pushedTo(carol).filter((m) => m.type === 'error')).toEqual([]);
    expect(relays(ann)).toEqual([update]);
    expect(relays(bob)).toContain(update);
  });

  it('stops relaying to a connection whose post answered 410, without moving the epoch', async () => {
    await send(ann, { action: 'yjs-update', update: edit('\n# 1') });
    // Bob's socket is gone; his $disconnect has not run yet (the copy still lists him).
    mgmt.on(PostToConnectionCommand, { ConnectionId: bob }).rejects(new GoneException({ message: 'gone', $metadata: {} }));
    await send(ann, { action: 'yjs-update', update: edit('\n# 2') });
    expect(table.get(`S#${SESSION_ID}`, `C#${bob}`)).toBeUndefined();

    mgmt.resetHistory();
    ddb.resetHistory();
    await send(ann, { action: 'yjs-update', update: edit('\n# 3') });
    expect(mgmt.commandCalls(PostToConnectionCommand).map((c) => c.args[0].input.ConnectionId)).toEqual([]);
    expect(commandNames()).toEqual(['TransactWriteCommand']);
    expect(meta().connEpoch).toBeUndefined();
  });
});

describe('a join racing an edit', () => {
  it('reads the document again when an edit committed between its read and its join, so it holds that edit', async () => {
    const carol = connected('carol');
    // Another container appends version 2 just before Carol's join is counted.
    const other = new Y.Doc();
    Y.applyUpdate(other, table.get(`S#${SESSION_ID}`, 'DOC#000000000001#S000')!.state as Uint8Array);
    const sv = Y.encodeStateVector(other);
    other.getText('code').insert(0, '# raced\n');
    const raced = Y.encodeStateAsUpdate(other, sv);
    let racing = true;
    ddb.on(UpdateCommand).callsFake((input: { UpdateExpression?: string }) => {
      if (racing && input.UpdateExpression === 'ADD connEpoch :one') {
        racing = false;
        table.set(logItem(2, raced));
        table.set({ ...meta(), version: 2 });
      }
      return (table as unknown as { update(i: unknown): unknown }).update(input);
    });
    await send(carol, { action: 'join-session', format: 'yjs', username: 'carol' });
    const joined = pushedTo(carol)[0];
    expect(joined).toMatchObject({ type: 'session-joined', version: 2 });
    const carolDoc = new Y.Doc();
    Y.applyUpdate(carolDoc, Buffer.from(joined.yjsState as string, 'base64'));
    expect(carolDoc.getText('code').toString()).toBe('# raced\na = 1');
    expect(meta().connEpoch).toBe(1);
  });

  it('a join that loses that race on every try waits before each catch-up read and ends in BUSY, not counted', async () => {
    const carol = connected('carol');
    const bumps: number[] = [];
    const reads: number[] = [];
    let clock = 0;
    const waits: number[] = [];
    const realSetTimeout = globalThis.setTimeout;
    // Every wait the join makes is recorded and then runs at once: the test sees the order, not the time.
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      waits.push(++clock);
      return realSetTimeout(fn, 0);
    }) as typeof setTimeout);
    ddb.on(UpdateCommand).callsFake((input: { UpdateExpression?: string }) => {
      if (input.UpdateExpression === 'ADD connEpoch :one') {
        bumps.push(++clock);
        throw Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
      }
      return (table as unknown as { update(i: unknown): unknown }).update(input);
    });
    const query = ddb.commandCalls(QueryCommand).length;
    ddb.on(QueryCommand).callsFake((input: unknown) => {
      reads.push(++clock);
      return (table as unknown as { query(i: unknown): unknown }).query(input);
    });
    await send(carol, { action: 'join-session', format: 'yjs', username: 'carol' });
    vi.restoreAllMocks();
    expect(pushedTo(carol)).toEqual([expect.objectContaining({ type: 'error', code: 'BUSY' })]);
    expect(bumps).toHaveLength(LIMITS.document.writeAttempts);
    expect(meta().connEpoch).toBeUndefined();
    // Between two tries: a wait, then the catch-up read, then the next try.
    for (let k = 1; k < bumps.length; k++) {
      const wait = waits.find((w) => w > bumps[k - 1]! && w < bumps[k]!);
      const read = reads.find((r) => r > bumps[k - 1]! && r < bumps[k]!);
      expect(wait, `a wait between try ${k} and ${k + 1}`).toBeDefined();
      expect(read, `a catch-up read between try ${k} and ${k + 1}`).toBeDefined();
      expect(wait!).toBeLessThan(read!);
    }
    expect(ddb.commandCalls(QueryCommand).length).toBeGreaterThan(query);
  });

  it('an append guarded by an older epoch changes nothing', async () => {
    await send(ann, { action: 'yjs-update', update: edit('\n# 1') });
    table.set({ ...meta(), connEpoch: 7 }); // a join in another container
    ddb.resetHistory();
    await send(ann, { action: 'yjs-update', update: edit('\n# 2') });
    const [guarded, retried] = ddb.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems![0]!.Update!);
    expect(guarded!.ConditionExpression).toContain('attribute_not_exists(connEpoch)');
    expect(retried!.ConditionExpression).not.toContain('connEpoch');
    expect(meta().version).toBe(3); // one version for the edit: the refused try wrote nothing
    expect(table.list(`S#${SESSION_ID}`, 'DOC#').filter((i) => String(i.SK).endsWith('#U'))).toHaveLength(2);
  });
});
