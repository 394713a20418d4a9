import { LIMITS } from '#contract/limits.js';
import {
  conditionFailed,
  connectionItem,
  ddb,
  executionItem,
  givenConnections,
  givenLive,
  givenOverdue,
  givenSession,
  mgmt,
  pushed,
  sent,
  SESSION_ID,
  sessionItem,
  useMockedDynamo,
} from '../fixtures.js';
import { DeleteConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../../functions/pipeline/watchdog.js';
import { currentFunction } from '../env.js';
import { LAUNCH_QUEUE, launchRequests, sqsMock } from '../fixtures.js';

const STUCK_QUEUED = '01JW0000000000000000000001';
const STUCK_RUNNING = '01JW0000000000000000000002';
const TAKEN_OVER = '01JW0000000000000000000003';

const overdue = (executionId: string, status: string, watchDeadline: number) =>
  executionItem({ executionId, status, watchDeadline });

function givenUpdateOutcome(executionId: string, ok: boolean): void {
  const on = ddb.on(UpdateCommand, { Key: { PK: `S#${SESSION_ID}`, SK: `X#${executionId}` } });
  if (ok) on.resolves({ Attributes: executionItem({ executionId, status: 'SYSTEM_ERROR' }) });
  else on.rejects(conditionFailed());
}

describe('watchdog (scheduled every minute)', () => {
  useMockedDynamo();

  it('queries the sparse watch index for deadlines already past', async () => {
    const before = Date.now();
    expect(await handler()).toEqual({ ended: 0, nudged: 0 });
    const [query, waiting] = sent(QueryCommand);
    expect(query).toMatchObject({ IndexName: 'watch', KeyConditionExpression: 'watchPk = :w AND watchDeadline < :now' });
    expect(query!.ExpressionAttributeValues![':w']).toBe('WATCH');
    expect(query!.ExpressionAttributeValues![':now']).toBeGreaterThanOrEqual(before);
    expect(query!.ExpressionAttributeValues![':now']).toBeLessThanOrEqual(Date.now());
    // The second look finds runs QUEUED for over queuedNudgeMs (deadline = createdAt + queuedTimeoutMs).
    const ahead = LIMITS.execution.queuedTimeoutMs - LIMITS.execution.queuedNudgeMs;
    expect(waiting!.ExpressionAttributeValues![':now'] - query!.ExpressionAttributeValues![':now']).toBeGreaterThanOrEqual(ahead);
    expect(waiting!.ExpressionAttributeValues![':now'] - ahead).toBeLessThanOrEqual(Date.now());
  });

  it('ends overdue executions SYSTEM_ERROR only if their deadline is still the one it saw, and tells their session', async () => {
    const now = Date.now();
    givenOverdue([overdue(STUCK_QUEUED, 'QUEUED', now - 1_000), overdue(STUCK_RUNNING, 'RUNNING', now - 2_000), overdue(TAKEN_OVER, 'RUNNING', now - 3_000)]);
    givenUpdateOutcome(STUCK_QUEUED, true);
    givenUpdateOutcome(STUCK_RUNNING, true);
    givenUpdateOutcome(TAKEN_OVER, false); // another worker claimed it meanwhile: its deadline moved
    givenConnections([connectionItem('ann-1', { joined: true, userId: 'ann' })]);

    // The QUEUED one's language also gets a runner check (nudged).
    expect(await handler()).toEqual({ ended: 2, nudged: 1 });
    const updates = sent(UpdateCommand);
    expect(updates.map((u) => [u.Key?.SK, u.ExpressionAttributeValues?.[':deadline']])).toEqual([
      [`X#${STUCK_QUEUED}`, now - 1_000],
      [`X#${STUCK_RUNNING}`, now - 2_000],
      [`X#${TAKEN_OVER}`, now - 3_000],
    ]);
    for (const u of updates) expect(u.ConditionExpression).toBe('#status IN (:queued, :running) AND watchDeadline = :deadline');
    expect(updates[0]!.ExpressionAttributeValues![':reason']).toMatch(/no runner picked the run up/);
    expect(updates[1]!.ExpressionAttributeValues![':reason']).toMatch(/runner stopped responding/);
    expect(pushed().map((p) => [p.connectionId, p.message.type, p.message.executionId])).toEqual([
      ['ann-1', 'execution-finished', STUCK_QUEUED],
      ['ann-1', 'execution-finished', STUCK_RUNNING],
    ]);
  });

  it('runs with exactly the environment the stack gives the watchdog', () => {
    expect(currentFunction()).toBe('pipeline-watchdog');
  });

  it('asks the launch queue for a runner of a language whose runs wait, with the configuration the stack gives it', async () => {
    const now = Date.now();
    // Created 30 s ago: past queuedNudgeMs, not yet at its deadline (the second look finds it).
    givenOverdue([overdue(STUCK_QUEUED, 'QUEUED', now + LIMITS.execution.queuedTimeoutMs - 30_000)]);
    givenUpdateOutcome(STUCK_QUEUED, false);
    expect(await handler()).toEqual({ ended: 0, nudged: 1 });
    expect(sent(PutCommand).map((p) => p.Item?.PK)).toEqual(['LEASE#python']);
    expect(sqsMock.commandCalls(SendMessageCommand).map((c) => c.args[0].input.QueueUrl)).toEqual([LAUNCH_QUEUE]);
    expect(launchRequests()).toEqual([{ language: 'python', count: 1 }]);
  });

  it('fails the invocation (so its Errors alarm fires) after the whole pass when it cannot ask for a runner, and frees the lease', async () => {
    const now = Date.now();
    givenOverdue([overdue(STUCK_QUEUED, 'QUEUED', now - 1_000), overdue(STUCK_RUNNING, 'RUNNING', now - 2_000)]);
    givenUpdateOutcome(STUCK_QUEUED, true);
    givenUpdateOutcome(STUCK_RUNNING, true);
    givenConnections([connectionItem('ann-1', { joined: true, userId: 'ann' })]);
    sqsMock.on(SendMessageCommand).rejects(Object.assign(new Error('not authorized to perform: sqs:SendMessage'), { name: 'AccessDenied' }));
    await expect(handler()).rejects.toThrow(/could not ask for runners of python/);
    // Everything overdue was still ended and told before the failure.
    expect(pushed().map((p) => p.message.executionId)).toEqual([STUCK_QUEUED, STUCK_RUNNING]);
    expect(sent(DeleteCommand).map((d) => d.Key)).toEqual([{ PK: 'LEASE#python', SK: 'LEASE' }]);
  });
});

describe('watchdog: sockets of sessions that expired under them', () => {
  useMockedDynamo();

  it('tells each one session-ended {reason: expired}, closes it and forgets it; an active session\'s leftover item is only forgotten; live sockets are left alone', async () => {
    const nowSec = Math.floor(Date.now() / 1000);
    const expired = 'a7d3c9e2-0000-4000-8000-000000000001';
    const active = 'a7d3c9e2-0000-4000-8000-000000000002';
    givenSession(sessionItem({ sessionId: expired, expiresAtEpoch: nowSec - 30 }));
    givenSession(sessionItem({ sessionId: active }));
    givenLive([
      { PK: 'LIVE', SK: 'C#gone-1=', sessionId: expired, ttl: nowSec - 30 },
      { PK: 'LIVE', SK: 'C#gone-2=', sessionId: expired, ttl: nowSec - 30 },
      { PK: 'LIVE', SK: 'C#old-1=', sessionId: active, ttl: nowSec - 5 },
      { PK: 'LIVE', SK: 'C#here-1=', sessionId: active, ttl: nowSec + 600 },
    ]);
    await handler();
    expect(pushed()).toEqual([
      { connectionId: 'gone-1=', message: { type: 'session-ended', reason: 'expired' } },
      { connectionId: 'gone-2=', message: { type: 'session-ended', reason: 'expired' } },
    ]);
    expect(mgmt.commandCalls(DeleteConnectionCommand).map((c) => c.args[0].input.ConnectionId).sort()).toEqual(['gone-1=', 'gone-2=']);
    const deleted = sent(DeleteCommand).map((d) => `${d.Key!.PK}|${d.Key!.SK}`);
    expect(deleted).toEqual(expect.arrayContaining(['LIVE|C#gone-1=', 'LIVE|C#gone-2=', 'LIVE|C#old-1=', 'CONN#gone-1=|CONN', `S#${expired}|C#gone-1=`]));
    expect(deleted.some((k) => k.includes('here-1='))).toBe(false);
  });
});
