/**
 * A `mode:"tests"` execution from run message to stored, role-viewed result (mocked SDK; the sandbox
 * itself is test/runner/tests-mode.test.ts): the tests are loaded from the question revision the run was
 * queued with, one `execution-test-result` per test carries no test data, `execution-finished` and the
 * HTTP answers show a candidate a hidden test by name, status and duration only, and the finish write
 * stores `tests` and `summary`.
 */
import {
  call,
  CANDIDATE_TOKEN,
  conditionFailed,
  connectionItem,
  ddb,
  EXECUTION_ID,
  executionItem,
  givenConnections,
  givenSession,
  INTERVIEWER_TOKEN,
  mgmt,
  nowSec,
  pushedTo,
  SESSION_ID,
  transactItems,
  useMockedDynamo,
} from '../fixtures.js';
import { PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import type { Message } from '@aws-sdk/client-sqs';
import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import type { Execution } from '#contract/execution-types.js';
import type { TestCase, TestResult } from '#contract/questions.js';
import { viewExecution } from '#core/execution-view.js';
import { finishedMessage } from '#aws/notify.js';
import { finishExecution, type ExecutionItem } from '#aws/store/executions.js';
import { handleMessage, type JobEnv } from '../../../runner/execution-job.js';
import type { SlotPool, TestHooks, TestsJob, TestsRunResult } from '../../../runner/slot-pool.js';
import { DEFAULT_TEST_BUDGET } from '../../../runner/tests-job.js';
import { handler } from '../../../functions/http/executions.js';
import { useFunctionEnv } from '../env.js';
import { onlyRunnerPartitions } from './runner-partitions.js';

// Every DynamoDB key these runner paths touch is one the runner task's role may touch (IAM LeadingKeys).
onlyRunnerPartitions();

useFunctionEnv('runner-python');
const KEY = { PK: `S#${SESSION_ID}`, SK: `X#${EXECUTION_ID}` };
const REVISION = 3;
// Strings a candidate must never receive: the hidden test's input, expected output and what the program printed for it.
const SECRET_STDIN = 'secret-stdin-7f3a';
const SECRET_EXPECTED = 'secret-expected-91c2';
const SECRET_STDOUT = 'secret-stdout-5d0e';

const TESTS: TestCase[] = [
  { name: 'visible', stdin: '3\n', expectedStdout: '6\n', hidden: false },
  { name: 'hidden one', stdin: SECRET_STDIN, expectedStdout: SECRET_EXPECTED, hidden: true },
];
const RESULTS: TestResult[] = [
  { name: 'visible', hidden: false, status: 'PASSED', durationMs: 20, stdout: '6\n', stderr: '', expectedStdout: '6\n' },
  { name: 'hidden one', hidden: true, status: 'FAILED', durationMs: 25, stdout: SECRET_STDOUT, stderr: `echo ${SECRET_STDIN}`, expectedStdout: SECRET_EXPECTED },
];
const testRun: TestsRunResult = {
  status: 'FAILED',
  stdout: '',
  stderr: '',
  compileOutput: '',
  exitCode: null,
  signal: null,
  durationMs: 45,
  cpuTimeMs: 30,
  truncated: { stdout: false, stderr: false },
  tests: RESULTS,
  summary: { passed: 1, total: 2 },
};

const message = (): Message => ({ MessageId: 'm-1', ReceiptHandle: 'r-1', Body: JSON.stringify({ sessionId: SESSION_ID, executionId: EXECUTION_ID }) });

function fakeRunner() {
  const runTests = vi.fn(async (_job: TestsJob, hooks?: TestHooks) => {
    RESULTS.forEach((r, i) => hooks?.onTestResult?.(i, r));
    return testRun;
  });
  const run = vi.fn();
  const env: JobEnv = { runner: { run, runTests, testBudget: DEFAULT_TEST_BUDGET } as unknown as SlotPool, language: 'python', queueUrl: 'q', workerId: 'worker-1' };
  return { run, runTests, env };
}

function givenTestRun(tests: TestCase[] | null = TESTS): void {
  const item = executionItem({ status: 'RUNNING', claimedBy: 'worker-1', mode: 'tests', questionRevision: REVISION, stdin: '' });
  ddb.on(UpdateCommand, { Key: KEY }).resolves({ Attributes: item });
  givenConnections([
    connectionItem('ivy-1', { joined: true, userId: 'ivy', role: 'interviewer' }),
    connectionItem('cal-1', { joined: true, userId: 'cal', role: 'candidate' }),
  ]);
  if (!tests) return;
  const prefix = `Q#${String(REVISION).padStart(6, '0')}`;
  ddb.on(GetCommand, { Key: { PK: `S#${SESSION_ID}`, SK: prefix } }).resolves({ Item: { PK: `S#${SESSION_ID}`, SK: prefix, testCount: tests.length, ttl: nowSec() + 3600 } });
  ddb.on(QueryCommand, { ExpressionAttributeValues: { ':pk': `S#${SESSION_ID}`, ':prefix': `${prefix}#T#` } }).resolves({
    Items: tests.map((t, index) => ({ ...t, index })),
  });
}

/** Every byte pushed to one connection, as sent (not parsed): what a candidate's socket could read. */
const rawTo = (connectionId: string): string =>
  mgmt
    .commandCalls(PostToConnectionCommand)
    .filter((c) => c.args[0].input.ConnectionId === connectionId)
    .map((c) => Buffer.from(c.args[0].input.Data as Uint8Array).toString('utf8'))
    .join('\n');

describe('a test run from its run message', () => {
  useMockedDynamo();

  it('runs the revision\'s tests, streams one data-free result per test, stores and pushes the verdicts per role', async () => {
    givenTestRun();
    const { run, runTests, env } = fakeRunner();
    expect(await handleMessage(env, message())).toBe('ran');

    expect(run).not.toHaveBeenCalled();
    expect(runTests.mock.calls[0]![0]).toEqual({ executionId: EXECUTION_ID, language: 'python', code: 'print(input())\n', tests: TESTS });

    // The claim is stretched to the test budget before the tests start.
    const extend = ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input).find((i) => i.UpdateExpression === 'SET watchDeadline = :deadline');
    expect(extend?.ExpressionAttributeValues?.[':deadline']).toBeGreaterThan(Date.now() + DEFAULT_TEST_BUDGET.wallMs);

    for (const who of ['ivy-1', 'cal-1']) {
      expect(pushedTo(who).map((m) => m.type)).toEqual(['execution-started', 'execution-test-result', 'execution-test-result', 'execution-finished']);
      expect(pushedTo(who)[2]).toEqual({ type: 'execution-test-result', executionId: EXECUTION_ID, index: 1, name: 'hidden one', hidden: true, status: 'FAILED', durationMs: 25 });
    }
    const candidateView = pushedTo('cal-1')[3];
    expect(candidateView).toMatchObject({ status: 'FAILED', mode: 'tests', summary: { passed: 1, total: 2 } });
    expect(candidateView.tests).toEqual([RESULTS[0], { name: 'hidden one', hidden: true, status: 'FAILED', durationMs: 25 }]);
    expect(pushedTo('ivy-1')[3].tests).toEqual(RESULTS);
    for (const secret of [SECRET_STDIN, SECRET_EXPECTED, SECRET_STDOUT]) {
      expect(rawTo('cal-1')).not.toContain(secret);
      expect(rawTo('ivy-1')).toContain(secret);
    }

    const finish = transactItems()[0]!.Update!;
    expect(finish.UpdateExpression).toContain('tests = :tests, summary = :summary');
    expect(finish.ExpressionAttributeValues).toMatchObject({ ':tests': RESULTS, ':summary': { passed: 1, total: 2 }, ':final': 'FAILED' });
  });

  it('runs nothing when its claim cannot be stretched to the test budget (taken over or ended meanwhile)', async () => {
    givenTestRun();
    ddb.on(UpdateCommand, { Key: KEY, UpdateExpression: 'SET watchDeadline = :deadline' }).rejects(conditionFailed());
    const { runTests, env } = fakeRunner();
    expect(await handleMessage(env, message())).toBe('lost-claim');
    expect(runTests).not.toHaveBeenCalled();
    expect(ddb.commandCalls(TransactWriteCommand)).toEqual([]);
  });

  it('ends as SYSTEM_ERROR, running nothing, when the question revision\'s tests are gone', async () => {
    givenTestRun(null);
    const { runTests, env } = fakeRunner();
    expect(await handleMessage(env, message())).toBe('ran');
    expect(runTests).not.toHaveBeenCalled();
    expect(transactItems()[0]!.Update!.ExpressionAttributeValues).toMatchObject({ ':final': 'SYSTEM_ERROR' });
    expect(pushedTo('cal-1').at(-1)).toMatchObject({ type: 'execution-finished', status: 'SYSTEM_ERROR' });
  });
});

describe('finishExecution', () => {
  useMockedDynamo();
  const item = executionItem({ status: 'RUNNING', claimedBy: 'worker-1', mode: 'tests', questionRevision: REVISION }) as unknown as ExecutionItem;

  it('stores tests and summary with the final status, under the claim', async () => {
    const finished = await finishExecution(item, 'worker-1', testRun);
    const update = transactItems()[0]!.Update!;
    expect(update.ConditionExpression).toBe('#status = :running AND claimedBy = :me');
    expect(update.UpdateExpression).toMatch(/, tests = :tests, summary = :summary REMOVE watchPk, watchDeadline$/);
    expect(finished).toMatchObject({ status: 'FAILED', mode: 'tests', tests: RESULTS, summary: { passed: 1, total: 2 } });
  });

  it('writes no tests for a plain run', async () => {
    const { tests: _t, summary: _s, ...plain } = testRun;
    await finishExecution({ ...item, mode: undefined }, 'worker-1', { ...plain, status: 'COMPLETED' });
    const update = transactItems()[0]!.Update!;
    expect(update.UpdateExpression).not.toContain('tests');
    expect(Object.keys(update.ExpressionAttributeValues!)).not.toContain(':tests');
  });
});

describe('viewExecution', () => {
  const execution = { executionId: EXECUTION_ID, sessionId: SESSION_ID, status: 'FAILED', tests: RESULTS, summary: { passed: 1, total: 2 } } as unknown as Execution;

  it('gives interviewers and reviewers everything', () => {
    expect(viewExecution(execution, 'interviewer')).toBe(execution);
    expect(viewExecution(execution, 'reviewer')).toBe(execution);
  });

  it('gives a candidate, and any other role, a hidden test by name, hidden, status and duration only', () => {
    for (const role of ['candidate', 'observer', '']) {
      const view = viewExecution(execution, role);
      expect(view.tests).toEqual([RESULTS[0], { name: 'hidden one', hidden: true, status: 'FAILED', durationMs: 25 }]);
      expect(view.summary).toEqual({ passed: 1, total: 2 });
    }
    expect(execution.tests![1]!.stdout).toBe(SECRET_STDOUT); // the stored object is not changed
  });

  it('leaves a plain run as it is', () => {
    const plain = { ...execution, tests: undefined };
    expect(viewExecution(plain, 'candidate')).toBe(plain);
  });
});

describe('execution-finished of a test run', () => {
  const execution = { executionId: EXECUTION_ID, sessionId: SESSION_ID, status: 'FAILED', stdout: '', stderr: '', compileOutput: '', tests: RESULTS } as unknown as Execution;

  it('is a candidate\'s view unless a role that sees hidden tests is named', () => {
    expect(finishedMessage(execution)).not.toContain(SECRET_STDOUT);
    expect(finishedMessage(execution, 'candidate')).not.toContain(SECRET_STDOUT);
    expect(finishedMessage(execution, 'interviewer')).toContain(SECRET_STDOUT);
  });

  it('stays under 128 KiB when the kept details grow sixfold in JSON, keeping every verdict', () => {
    const nul = '\u0000'.repeat(8 * 1024);
    const tests = Array.from({ length: 5 }, (_, i) => ({ name: `t${i}`, hidden: false, status: 'FAILED', durationMs: i, stdout: nul, stderr: nul, expectedStdout: nul }));
    const frame = finishedMessage({ ...execution, tests } as unknown as Execution, 'interviewer');
    expect(Buffer.byteLength(frame)).toBeLessThanOrEqual(128 * 1024);
    const parsed = JSON.parse(frame);
    expect(parsed.tests).toEqual(tests.map(({ name, hidden, status, durationMs }) => ({ name, hidden, status, durationMs })));
    expect(parsed.resultUrl).toBe(`/api/sessions/${SESSION_ID}/executions/${EXECUTION_ID}`);
  });
});

describe('GET executions over HTTP', () => {
  useMockedDynamo();
  useFunctionEnv('http-executions');
  const stored = executionItem({ status: 'FAILED', mode: 'tests', questionRevision: REVISION, tests: RESULTS, summary: { passed: 1, total: 2 }, finishedAt: new Date().toISOString() });
  const get = (routeKey: string, token: string) =>
    call(handler, { routeKey, sessionId: SESSION_ID, executionId: EXECUTION_ID, token });

  it('answers a candidate without the hidden test\'s data, an interviewer with it, on the list and the item', async () => {
    givenSession();
    ddb.on(GetCommand, { Key: KEY }).resolves({ Item: stored });
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':pk': `S#${SESSION_ID}`, ':x': 'X#' } }).resolves({ Items: [stored] });
    const routes = ['GET /api/sessions/{sessionId}/executions/{executionId}', 'GET /api/sessions/{sessionId}/executions'];
    for (const routeKey of routes) {
      const asCandidate = await get(routeKey, CANDIDATE_TOKEN);
      const asInterviewer = await get(routeKey, INTERVIEWER_TOKEN);
      expect([asCandidate.status, asCandidate.body]).toEqual([200, expect.anything()]);
      const raw = JSON.stringify(asCandidate.body);
      for (const secret of [SECRET_STDIN, SECRET_EXPECTED, SECRET_STDOUT]) expect(raw).not.toContain(secret);
      expect(raw).toContain('hidden one');
      expect(JSON.stringify(asInterviewer.body)).toContain(SECRET_STDOUT);
    }
  });
});
