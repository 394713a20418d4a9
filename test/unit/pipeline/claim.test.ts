/**
 * The execution state machine in the store (shared/aws/store/executions.ts): every transition is a
 * conditional write, so a duplicate delivery runs once and a zombie worker cannot overwrite a takeover.
 */
import {
  conditionFailed,
  ddb,
  EXECUTION_ID,
  executionItem,
  nowSec,
  sent,
  SESSION_ID,
  transactionCanceled,
  transactItems,
  useMockedDynamo,
} from '../fixtures.js';
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '#contract/execution-types.js';
import { claimExecution, failExecution, finishExecution, type ExecutionItem } from '#aws/store/executions.js';

const NOW = 1_760_000_000_000;
const KEY = { PK: `S#${SESSION_ID}`, SK: `X#${EXECUTION_ID}` };
const claim = (nowMs = NOW) => claimExecution(SESSION_ID, EXECUTION_ID, 'worker-1', 10_000, nowMs);

function givenClaimRefused(current?: Record<string, unknown>): void {
  ddb.on(UpdateCommand, { Key: KEY }).rejects(conditionFailed());
  ddb.on(GetCommand, { Key: KEY }).resolves(current ? { Item: current } : {});
}

const result: RunResult = {
  status: 'COMPLETED',
  stdout: '84\n',
  stderr: '',
  compileOutput: '',
  exitCode: 0,
  signal: null,
  durationMs: 41,
  cpuTimeMs: 30,
  memoryKb: 9_000,
  truncated: { stdout: false, stderr: false },
};

describe('claimExecution', () => {
  useMockedDynamo();

  it('claims a QUEUED execution, or a RUNNING one past its deadline, with one conditional update', async () => {
    const claimed = executionItem({ status: 'RUNNING', claimedBy: 'worker-1', attempts: 1 });
    ddb.on(UpdateCommand, { Key: KEY }).resolves({ Attributes: claimed });
    expect(await claim()).toEqual({ kind: 'claimed', item: claimed });
    expect(sent(UpdateCommand)).toEqual([
      expect.objectContaining({
        Key: KEY,
        ConditionExpression: 'attribute_exists(SK) AND (#status = :queued OR (#status = :running AND watchDeadline < :nowMs))',
        ReturnValues: 'ALL_NEW',
        ExpressionAttributeValues: expect.objectContaining({ ':me': 'worker-1', ':nowMs': NOW, ':deadline': NOW + 10_000 + 30_000 }),
      }),
    ]);
    expect(sent(GetCommand)).toEqual([]);
  });

  it('answers "done" for an execution already final (a duplicate delivery)', async () => {
    givenClaimRefused(executionItem({ status: 'COMPLETED' }));
    expect(await claim()).toEqual({ kind: 'done' });
  });

  it('answers "busy" with the holder\'s deadline while another worker runs it', async () => {
    givenClaimRefused(executionItem({ status: 'RUNNING', claimedBy: 'worker-2', watchDeadline: NOW + 25_000 }));
    expect(await claim()).toEqual({ kind: 'busy', retryAtMs: NOW + 25_000 });
  });

  it('a claim whose answer was lost: the retry meets this worker\'s claim of this instant and holds it (not "busy" until its own deadline)', async () => {
    const mine = executionItem({ status: 'RUNNING', claimedBy: 'worker-1', startedAt: new Date(NOW).toISOString(), watchDeadline: NOW + 40_000 });
    givenClaimRefused(mine);
    expect(await claim()).toEqual({ kind: 'claimed', item: mine });
    // The same worker's earlier claim (another delivery of the same message) is not this one.
    givenClaimRefused({ ...mine, startedAt: new Date(NOW - 5_000).toISOString() });
    expect(await claim()).toEqual({ kind: 'busy', retryAtMs: NOW + 40_000 });
  });

  it('answers "missing" for an execution that does not exist or is past its ttl', async () => {
    givenClaimRefused();
    expect(await claim()).toEqual({ kind: 'missing' });
    givenClaimRefused(executionItem({ ttl: nowSec() - 1 }));
    expect(await claim()).toEqual({ kind: 'missing' });
  });

  it('lets any other store error through (the message is retried)', async () => {
    ddb.on(UpdateCommand, { Key: KEY }).rejects(new Error('InternalServerError'));
    await expect(claim()).rejects.toThrow('InternalServerError');
  });
});

describe('finishExecution / failExecution', () => {
  useMockedDynamo();
  const item = executionItem({ status: 'RUNNING', claimedBy: 'worker-1' }) as unknown as ExecutionItem;

  it('stores the result with a history entry only while this worker holds the claim', async () => {
    const finished = await finishExecution(item, 'worker-1', result, NOW);
    expect(finished).toMatchObject({ executionId: EXECUTION_ID, status: 'COMPLETED', stdout: '84\n', exitCode: 0, finishedAt: new Date(NOW).toISOString() });
    expect(finished).not.toHaveProperty('code');
    const [update, history] = transactItems();
    expect(update?.Update).toMatchObject({
      Key: KEY,
      ConditionExpression: '#status = :running AND claimedBy = :me',
      ExpressionAttributeValues: expect.objectContaining({ ':me': 'worker-1', ':final': 'COMPLETED' }),
    });
    expect(update?.Update?.UpdateExpression).toMatch(/REMOVE watchPk, watchDeadline$/);
    expect(history?.Put?.Item).toMatchObject({ type: 'execution-finished', detail: { executionId: EXECUTION_ID, status: 'COMPLETED' } });
  });

  it('drops the result of a worker that lost its claim (taken over, or ended by the watchdog)', async () => {
    ddb.on(TransactWriteCommand).rejects(transactionCanceled());
    expect(await finishExecution(item, 'worker-1', result, NOW)).toBeUndefined();
  });

  it('a failure whose answer was lost is still reported by the retry that meets it (its session is told)', async () => {
    ddb.on(UpdateCommand, { Key: KEY }).rejects(conditionFailed());
    const failedByUs = executionItem({ status: 'SYSTEM_ERROR', stderr: '[system] lost', finishedAt: new Date(NOW).toISOString() });
    ddb.on(GetCommand, { Key: KEY }).resolves({ Item: failedByUs });
    expect(await failExecution(SESSION_ID, EXECUTION_ID, 'lost', { nowMs: NOW })).toMatchObject({ executionId: EXECUTION_ID, status: 'SYSTEM_ERROR' });
    // Ended by someone else (another reason, or another instant): not ours to report.
    expect(await failExecution(SESSION_ID, EXECUTION_ID, 'dead-lettered', { nowMs: NOW })).toBeUndefined();
    expect(await failExecution(SESSION_ID, EXECUTION_ID, 'lost', { nowMs: NOW + 1 })).toBeUndefined();
  });

  it('fails a non-final execution as SYSTEM_ERROR; reports undefined when it had moved on', async () => {
    ddb.on(UpdateCommand, { Key: KEY }).resolvesOnce({ Attributes: executionItem({ status: 'SYSTEM_ERROR' }) }).rejects(conditionFailed());
    expect(await failExecution(SESSION_ID, EXECUTION_ID, 'lost', { onlyIfDeadline: 123, nowMs: NOW })).toMatchObject({ status: 'SYSTEM_ERROR' });
    expect(await failExecution(SESSION_ID, EXECUTION_ID, 'lost')).toBeUndefined();
    const [withDeadline, plain] = sent(UpdateCommand);
    expect(withDeadline?.ConditionExpression).toBe('#status IN (:queued, :running) AND watchDeadline = :deadline');
    expect(withDeadline?.ExpressionAttributeValues).toMatchObject({ ':deadline': 123, ':reason': '[system] lost' });
    expect(plain?.ConditionExpression).toBe('#status IN (:queued, :running)');
  });
});
