/**
 * `Idempotency-Key` on run requests (docs/protocol.md §3): a retried request returns the execution of the first one
 * and queues nothing more, including when both requests race. The table is a small in-memory model
 * that honours the `attribute_not_exists(SK)` conditions of the insert transaction.
 */
import {
  call,
  CANDIDATE_TOKEN,
  connectionItem,
  ddb,
  docItems,
  givenConnections,
  givenDocument,
  givenRunners,
  givenSession,
  pushed,
  runnerItem,
  SESSION_ID,
  sqsMock,
  transactionCanceledWith,
  useMockedDynamo,
  type Item,
} from '../fixtures.js';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../../functions/http/executions.js';

const run = (key: string, body: unknown = { stdin: '1\n' }) =>
  call(handler, {
    routeKey: 'POST /api/sessions/{sessionId}/executions',
    sessionId: SESSION_ID,
    token: CANDIDATE_TOKEN,
    body,
    headers: { 'idempotency-key': key },
  });

const keyOf = (k: { PK: string; SK: string }) => `${k.PK}|${k.SK}`;

/** Items written by TransactWriteCommand, readable by GetCommand (session META is registered apart). */
let table: Map<string, Item>;
/** How many of the next reads of an I# record still find nothing (both racers read before either wrote). */
let staleIdempotencyReads: number;
/** The next insert is stored but its answer never comes back (the SDK gave up; the function failed). */
let loseNextInsertAnswer: boolean;

function modelTheTable(): void {
  ddb.on(TransactWriteCommand).callsFake((input: { TransactItems: { Put?: { Item: Item & { PK: string; SK: string }; ConditionExpression?: string } }[] }) => {
    const puts = input.TransactItems.map((t) => t.Put!);
    const reasons = puts.map((p) => (p.ConditionExpression === 'attribute_not_exists(SK)' && table.has(keyOf(p.Item)) ? 'ConditionalCheckFailed' : 'None'));
    if (reasons.includes('ConditionalCheckFailed')) throw transactionCanceledWith(...reasons);
    for (const p of puts) table.set(keyOf(p.Item), p.Item);
    if (loseNextInsertAnswer) {
      loseNextInsertAnswer = false;
      throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: {} });
    }
    return {};
  });
  ddb.on(GetCommand).callsFake((input: { Key: { PK: string; SK: string } }) => {
    if (input.Key.SK.startsWith('I#') && staleIdempotencyReads > 0) {
      staleIdempotencyReads--;
      return {};
    }
    const item = table.get(keyOf(input.Key));
    return item ? { Item: item } : {};
  });
}

describe('Idempotency-Key on POST /executions', () => {
  useMockedDynamo();
  beforeEach(() => {
    table = new Map();
    staleIdempotencyReads = 0;
    loseNextInsertAnswer = false;
    modelTheTable();
    givenSession(); // registered after the generic Get above: wins for the META key
    givenDocument(docItems('print(int(input()) * 2)\n'));
    givenConnections([connectionItem('ann-1', { joined: true, userId: 'ann' })]);
    givenRunners([runnerItem('r-1')]);
  });

  it('stores the key with the execution, in the same transaction', async () => {
    const res = await run('retry-me-1');
    expect(res.status).toBe(202);
    expect(table.get(`S#${SESSION_ID}|I#candidate:retry-me-1`)).toMatchObject({ executionId: res.body.executionId, ttl: expect.any(Number) });
  });

  it('answers a retry with the same execution: one run, announced once; a run still QUEUED is handed to the queue again', async () => {
    const first = await run('retry-me-2');
    const queriesBefore = ddb.commandCalls(QueryCommand).length;
    const second = await run('retry-me-2');
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(queriesBefore); // tells nobody: reads no sockets
    expect(second.status).toBe(202);
    expect(second.body).toEqual(first.body);
    const messages = sqsMock.commandCalls(SendMessageCommand).map((c) => JSON.parse(c.args[0].input.MessageBody!));
    expect(messages).toEqual([{ sessionId: SESSION_ID, executionId: first.body.executionId }, { sessionId: SESSION_ID, executionId: first.body.executionId }]);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1); // the retry wrote nothing
    expect(pushed().filter((p) => p.message.type === 'execution-queued')).toHaveLength(1);
  });

  it('a request that stored its run and failed before queueing it: the retry with its key queues that run', async () => {
    loseNextInsertAnswer = true;
    const first = await run('retry-me-4');
    expect(first.status).toBe(500);
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(0);
    const stored = [...table.values()].filter((i) => String(i.SK).startsWith('X#'));
    expect(stored).toHaveLength(1);
    const again = await run('retry-me-4');
    expect(again).toMatchObject({ status: 202, body: { executionId: stored[0]!.executionId, status: 'QUEUED' } });
    expect(sqsMock.commandCalls(SendMessageCommand).map((c) => JSON.parse(c.args[0].input.MessageBody!).executionId)).toEqual([stored[0]!.executionId]);
  });

  it('a retry that finds its run still QUEUED while the queue is down answers the run as it is and fails nothing', async () => {
    const first = await run('retry-me-5');
    sqsMock.on(SendMessageCommand).rejects(new Error('queue down'));
    const again = await run('retry-me-5');
    expect(again).toMatchObject({ status: 202, body: first.body });
    expect(table.get(`S#${SESSION_ID}|X#${first.body.executionId}`)).toMatchObject({ status: 'QUEUED' });
  });

  it('answers the retry with what the execution became since (not a new QUEUED run)', async () => {
    const first = await run('retry-me-3');
    const key = `S#${SESSION_ID}|X#${first.body.executionId}`;
    table.set(key, { ...table.get(key)!, status: 'COMPLETED' });
    const again = await run('retry-me-3');
    expect(again.body).toEqual({ executionId: first.body.executionId, status: 'COMPLETED' });
  });

  it('lets two concurrent requests with the same key create one execution: the loser replays the winner', async () => {
    staleIdempotencyReads = 2; // both check the key before either has stored it
    const [a, b] = await Promise.all([run('race-1'), run('race-1')]);
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(a.body.executionId).toBe(b.body.executionId);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(2); // the second insert was cancelled on I#
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(1);
    expect([...table.keys()].filter((k) => k.includes('|X#'))).toHaveLength(1);
  });

  it('keeps different keys apart', async () => {
    const a = await run('key-a');
    const b = await run('key-b');
    expect(a.body.executionId).not.toBe(b.body.executionId);
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(2);
  });
});
