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
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
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

function modelTheTable(): void {
  ddb.on(TransactWriteCommand).callsFake((input: { TransactItems: { Put?: { Item: Item & { PK: string; SK: string }; ConditionExpression?: string } }[] }) => {
    const puts = input.TransactItems.map((t) => t.Put!);
    const reasons = puts.map((p) => (p.ConditionExpression === 'attribute_not_exists(SK)' && table.has(keyOf(p.Item)) ? 'ConditionalCheckFailed' : 'None'));
    if (reasons.includes('ConditionalCheckFailed')) throw transactionCanceledWith(...reasons);
    for (const p of puts) table.set(keyOf(p.Item), p.Item);
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

  it('answers a retry with the same execution and queues one message in total', async () => {
    const first = await run('retry-me-2');
    const second = await run('retry-me-2');
    expect(second.status).toBe(202);
    expect(second.body).toEqual(first.body);
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(1);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1); // the retry wrote nothing
    expect(pushed().filter((p) => p.message.type === 'execution-queued')).toHaveLength(1);
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
