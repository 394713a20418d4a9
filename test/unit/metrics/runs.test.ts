/**
 * Run metrics (issue 11): RunsQueued (POST /executions), RunQueueToStart (first claim), RunsFinished and
 * RunDuration (the runner storing a result), parsed from stdout; a replay or a lost claim counts nothing.
 */
import {
  call,
  CANDIDATE_TOKEN,
  conditionFailed,
  connectionItem,
  ddb,
  docItems,
  executionItem,
  givenConnections,
  givenDocument,
  givenRunners,
  givenSession,
  runnerItem,
  SESSION_ID,
  transactionCanceled,
  useMockedDynamo,
} from '../fixtures.js';
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { useFunctionEnv } from '../env.js';
import type { RunResult } from '#contract/execution-types.js';
import { claimExecution, finishExecution, type ExecutionItem } from '#aws/store/executions.js';
import { captureMetrics, emitted, expectNoneCarries, summary } from './capture.js';

useFunctionEnv('http-executions');
const { handler } = await import('../../../functions/http/executions.js');

const EXEC = '01JA0000000000000000000009';
const result = (status: RunResult['status'], durationMs: number): RunResult =>
  ({ status, stdout: '', stderr: '', compileOutput: '', exitCode: status === 'COMPLETED' ? 0 : 3, signal: null, durationMs, truncated: false }) as unknown as RunResult;

describe('run metrics', () => {
  useMockedDynamo();
  captureMetrics();

  it('POST /executions: RunsQueued{Language, Runner=warm} with a live runner, cold without', async () => {
    givenSession();
    givenDocument(docItems('print(1)\n'));
    givenConnections([connectionItem('ann-1', { joined: true, userId: 'ann' })]);
    givenRunners([runnerItem('r-1')]);
    const run = () => call(handler, { routeKey: 'POST /api/sessions/{sessionId}/executions', sessionId: SESSION_ID, token: CANDIDATE_TOKEN, body: {} });
    expect((await run()).status).toBe(202);
    givenRunners([]);
    const res = await run();
    expect(res.status).toBe(202);
    expect(summary()).toEqual(['RunsQueued{Language=python,Runner=warm}=1', 'RunsQueued{Language=python,Runner=cold}=1']);
    expectNoneCarries(SESSION_ID, CANDIDATE_TOKEN, res.body.executionId);
  });

  it('POST /executions refused: Errors{http, code}, nothing queued', async () => {
    givenSession();
    const res = await call(handler, { routeKey: 'POST /api/sessions/{sessionId}/executions', sessionId: SESSION_ID, token: CANDIDATE_TOKEN, body: { language: 'cobol' } });
    expect(res.status).toBe(400);
    expect(summary()).toEqual(['Errors{Api=http,Code=UNSUPPORTED_LANGUAGE}=1']);
  });

  it('the first claim: RunQueueToStart (ms since QUEUED); a takeover (attempt 2) does not count queue time again', async () => {
    const createdAt = new Date(Date.now() - 1_500).toISOString();
    ddb.on(UpdateCommand).resolvesOnce({ Attributes: executionItem({ executionId: EXEC, status: 'RUNNING', attempts: 1, createdAt, language: 'go' }) })
      .resolvesOnce({ Attributes: executionItem({ executionId: EXEC, status: 'RUNNING', attempts: 2, createdAt, language: 'go' }) });
    const now = Date.parse(createdAt) + 1_500;
    expect((await claimExecution(SESSION_ID, EXEC, 'w-1', 10_000, now)).kind).toBe('claimed');
    expect((await claimExecution(SESSION_ID, EXEC, 'w-2', 10_000, now)).kind).toBe('claimed');
    expect(summary()).toEqual(['RunQueueToStart{Language=go}=1500']);
    expect(emitted()[0]!.unit).toBe('Milliseconds');
    expectNoneCarries(SESSION_ID, EXEC, 'w-1');
  });

  it('a stored result: RunsFinished{Status, Language} and RunDuration; a lost claim counts nothing', async () => {
    const item = executionItem({ executionId: EXEC, status: 'RUNNING', language: 'python', claimedBy: 'w-1' }) as unknown as ExecutionItem;
    await finishExecution(item, 'w-1', result('FAILED', 42));
    expect(summary()).toEqual(['RunsFinished{Status=FAILED,Language=python}=1', 'RunDuration{Language=python}=42']);
    ddb.on(TransactWriteCommand).rejects(transactionCanceled());
    expect(await finishExecution(item, 'w-1', result('COMPLETED', 7))).toBeUndefined();
    expect(emitted()).toHaveLength(2);
  });

  it('a claim that finds the run final counts nothing', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({ Item: executionItem({ executionId: EXEC, status: 'COMPLETED' }) });
    expect((await claimExecution(SESSION_ID, EXEC, 'w-1', 10_000)).kind).toBe('done');
    expect(emitted()).toEqual([]);
  });
});
