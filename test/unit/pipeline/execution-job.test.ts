/**
 * runner/execution-job.ts handleMessage: one run message from claim to DeleteMessage, with a fake SlotPool
 * (the sandbox itself is covered by test/runner). A duplicate delivery runs nothing.
 */
import {
  conditionFailed,
  connectionItem,
  ddb,
  EXECUTION_ID,
  executionItem,
  givenConnections,
  mgmt,
  pushed,
  SESSION_ID,
  sqsMock,
  transactionCanceled,
  transactItems,
  useMockedDynamo,
} from '../fixtures.js';
import { PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { DeleteCommand, GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import type { RunJob, RunResult } from '#contract/execution-types.js';
import type { RunHooks } from '../../../runner/sandbox-job.js';
import { handleMessage, type JobEnv } from '../../../runner/execution-job.js';
import type { SlotPool } from '../../../runner/slot-pool.js';
import { useFunctionEnv } from '../env.js';
import { onlyRunnerPartitions } from './runner-partitions.js';

// Every DynamoDB key these runner paths touch is one the runner task's role may touch (IAM LeadingKeys).
onlyRunnerPartitions();

// runner/ code runs in the python runner task: its container environment, as the stack sets it.
useFunctionEnv('runner-python');
const QUEUE = process.env.RUN_QUEUE_URL!;
const KEY = { PK: `S#${SESSION_ID}`, SK: `X#${EXECUTION_ID}` };
const message = (body = JSON.stringify({ sessionId: SESSION_ID, executionId: EXECUTION_ID })): Message => ({
  MessageId: 'm-1',
  ReceiptHandle: 'receipt-1',
  Body: body,
});

const completed: RunResult = {
  status: 'COMPLETED',
  stdout: 'hi\n',
  stderr: '',
  compileOutput: '',
  exitCode: 0,
  signal: null,
  durationMs: 12,
  truncated: { stdout: false, stderr: false },
};

/** A SlotPool double: streams `output` through the hooks, then resolves `result`. */
function fakeRunner(result: RunResult = completed, output: [('stdout' | 'stderr'), string][] = [['stdout', 'hi\n']]) {
  const run = vi.fn(async (_job: RunJob, hooks?: RunHooks) => {
    for (const [stream, chunk] of output) hooks?.onOutput?.(stream, chunk);
    return result;
  });
  const env: JobEnv = { runner: { run } as unknown as SlotPool, language: 'python', queueUrl: QUEUE, workerId: 'worker-1' };
  return { run, env };
}

const deletes = () => sqsMock.commandCalls(DeleteMessageCommand).map((c) => c.args[0].input);
const visibilityChanges = () => sqsMock.commandCalls(ChangeMessageVisibilityCommand).map((c) => c.args[0].input);
/** Sinon numbers every call of every stub: it orders calls across the mocked clients. */
const order = (call: unknown) => (call as { callId: number }).callId;

function givenClaimable(): void {
  ddb.on(UpdateCommand, { Key: KEY }).resolves({ Attributes: executionItem({ status: 'RUNNING', claimedBy: 'worker-1', code: 'print("hi")\n', stdin: '' }) });
  givenConnections([connectionItem('ann-1', { joined: true, userId: 'ann' }), connectionItem('lurker-1')]);
}

function givenClaimRefused(current?: Record<string, unknown>): void {
  ddb.on(UpdateCommand, { Key: KEY }).rejects(conditionFailed());
  ddb.on(GetCommand, { Key: KEY }).resolves(current ? { Item: current } : {});
}

describe('handleMessage', () => {
  useMockedDynamo();

  it('claims, runs, streams the output, stores the result, pushes execution-finished, then deletes the message', async () => {
    givenClaimable();
    const { run, env } = fakeRunner();
    expect(await handleMessage(env, message())).toBe('ran');

    expect(run).toHaveBeenCalledOnce();
    expect(run.mock.calls[0]![0]).toEqual({ executionId: EXECUTION_ID, language: 'python', code: 'print("hi")\n', stdin: '' });
    expect(pushed().map((p) => [p.connectionId, p.message.type])).toEqual([
      ['ann-1', 'execution-started'],
      ['ann-1', 'execution-output'],
      ['ann-1', 'execution-finished'],
    ]);
    const [started, output, finished] = pushed().map((p) => p.message);
    expect(started).toEqual({ type: 'execution-started', executionId: EXECUTION_ID, language: 'python', userId: 'candidate' });
    expect(output).toEqual({ type: 'execution-output', executionId: EXECUTION_ID, stream: 'stdout', data: 'hi\n', seq: 0 });
    expect(finished).toMatchObject({ type: 'execution-finished', executionId: EXECUTION_ID, status: 'COMPLETED', stdout: 'hi\n', exitCode: 0 });
    expect(transactItems()[0]?.Update?.ConditionExpression).toBe('#status = :running AND claimedBy = :me');
    expect(deletes()).toEqual([{ QueueUrl: QUEUE, ReceiptHandle: 'receipt-1' }]);

    // The message goes only once the result is stored and announced.
    const stored = order(ddb.commandCalls(TransactWriteCommand)[0]);
    const announced = order(mgmt.commandCalls(PostToConnectionCommand).at(-1));
    const deleted = order(sqsMock.commandCalls(DeleteMessageCommand)[0]);
    expect(stored).toBeLessThan(announced);
    expect(announced).toBeLessThan(deleted);
  });

  // The runner's role may touch only runnerPartitions (IAM LeadingKeys): forgetting a gone socket deletes
  // its lookup (CONN#…) and its item in the session; onlyRunnerPartitions checks both are allowed.
  it('forgets a socket that is gone when the run is announced, and runs on', async () => {
    givenClaimable();
    givenConnections([connectionItem('ann-1', { joined: true, userId: 'ann' }), connectionItem('gone-1', { joined: true, userId: 'bob' })]);
    mgmt.on(PostToConnectionCommand, { ConnectionId: 'gone-1' }).rejects(Object.assign(new Error('gone'), { name: 'GoneException', $metadata: { httpStatusCode: 410 } }));
    const { env } = fakeRunner();
    expect(await handleMessage(env, message())).toBe('ran');
    const deleted = ddb.commandCalls(DeleteCommand).map((c) => c.args[0].input.Key);
    expect(deleted).toEqual(expect.arrayContaining([{ PK: 'CONN#gone-1', SK: 'CONN' }, { PK: `S#${SESSION_ID}`, SK: 'C#gone-1' }]));
  });

  it('deletes a duplicate delivery of a finished execution without running it', async () => {
    givenClaimRefused(executionItem({ status: 'COMPLETED' }));
    const { run, env } = fakeRunner();
    expect(await handleMessage(env, message())).toBe('duplicate');
    expect(run).not.toHaveBeenCalled();
    expect(deletes()).toEqual([{ QueueUrl: QUEUE, ReceiptHandle: 'receipt-1' }]);
    expect(pushed()).toEqual([]);
  });

  it('deletes the message of an execution that no longer exists', async () => {
    givenClaimRefused();
    const { run, env } = fakeRunner();
    expect(await handleMessage(env, message())).toBe('duplicate');
    expect(run).not.toHaveBeenCalled();
    expect(deletes()).toHaveLength(1);
  });

  it('leaves a message another live worker holds, invisible until that worker\'s deadline', async () => {
    givenClaimRefused(executionItem({ status: 'RUNNING', claimedBy: 'worker-2', watchDeadline: Date.now() + 30_000 }));
    const { run, env } = fakeRunner();
    expect(await handleMessage(env, message())).toBe('busy');
    expect(run).not.toHaveBeenCalled();
    expect(deletes()).toEqual([]);
    const [change] = visibilityChanges();
    expect(change).toMatchObject({ QueueUrl: QUEUE, ReceiptHandle: 'receipt-1' });
    expect(change!.VisibilityTimeout).toBeGreaterThanOrEqual(30);
    expect(change!.VisibilityTimeout).toBeLessThanOrEqual(32);
  });

  it('deletes an unreadable message without touching the table', async () => {
    const { run, env } = fakeRunner();
    expect(await handleMessage(env, message('{"executionId": 7}'))).toBe('invalid');
    expect(run).not.toHaveBeenCalled();
    expect(ddb.calls()).toEqual([]);
    expect(deletes()).toHaveLength(1);
  });

  it('drops its result and deletes the message when the claim was lost meanwhile', async () => {
    givenClaimable();
    ddb.on(TransactWriteCommand).rejects(transactionCanceled());
    const { run, env } = fakeRunner({ ...completed, stdout: 'zombie\n' });
    expect(await handleMessage(env, message())).toBe('lost-claim');
    expect(run).toHaveBeenCalledOnce();
    expect(pushed().map((p) => p.message.type)).not.toContain('execution-finished');
    expect(deletes()).toHaveLength(1);
  });

  it('keeps the message (for redelivery, then the DLQ) when the runner itself crashes', async () => {
    givenClaimable();
    const { env } = fakeRunner();
    (env.runner as unknown as { run: () => Promise<never> }).run = async () => {
      throw new Error('sandbox setup failed');
    };
    await expect(handleMessage(env, message())).rejects.toThrow('sandbox setup failed');
    expect(deletes()).toEqual([]);
    expect(ddb.commandCalls(TransactWriteCommand)).toEqual([]);
  });
});

describe('handleMessage with output that grows when JSON-escaped', () => {
  useMockedDynamo();

  it('delivers execution-finished under 128 KiB for 32 KiB of NUL bytes on stdout', async () => {
    givenClaimable();
    const nul = '\u0000'.repeat(32 * 1024);
    const { env } = fakeRunner({ ...completed, stdout: nul, truncated: { stdout: true, stderr: false } }, []);
    expect(await handleMessage(env, message())).toBe('ran');
    expect(pushed().map((p) => p.message.type)).toContain('execution-finished');
    const sizes = mgmt.commandCalls(PostToConnectionCommand).map((c) => (c.args[0].input.Data as Uint8Array).byteLength);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(128 * 1024);
  });
});
