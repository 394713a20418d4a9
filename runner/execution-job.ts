/**
 * One run message, start to finish: claim the execution (a duplicate delivery runs nothing), keep the
 * message invisible while the job runs, push started / output (a test run: one result per test) /
 * finished to the session, store the result only while still holding the claim, and delete the message.
 */
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { sqs } from '#aws/sqs-client.js';
import { LANGUAGES, type LanguageId } from '#contract/languages.js';
import { LIMITS } from '#contract/limits.js';
import { logger } from '#telemetry/log.js';
import { broadcast } from '#aws/notify.js';
import { broadcastFinished, testResultFrame } from '#aws/finished-push.js';
import { loadSessionTests } from '#aws/store/questions.js';
import { parseRunMessage } from '#aws/runners/run-queue.js';
import { listConnections, type ConnectionItem } from '#aws/store/connections.js';
import { claimExecution, extendClaim, finishExecution, type ExecutionItem } from '#aws/store/executions.js';
import type { RunResult } from '#contract/execution-types.js';
import { systemError } from './sandbox-job.js';
import { OutputPusher } from './output-pusher.js';
import type { SlotPool } from './slot-pool.js';
import type { TestBudget } from './tests-job.js';

export interface JobEnv {
  /** Only run() and runTests() are needed: a runner that cannot start hands in one that fails every job at once. */
  runner: Pick<SlotPool, 'run' | 'runTests' | 'testBudget'>;
  language: LanguageId;
  queueUrl: string;
  workerId: string;
}

export type JobOutcome = 'ran' | 'duplicate' | 'busy' | 'invalid' | 'lost-claim';

export async function handleMessage(env: JobEnv, message: Message): Promise<JobOutcome> {
  const receipt = message.ReceiptHandle!;
  const msg = parseRunMessage(message.Body ?? '');
  if (!msg) {
    logger.error('unreadable run message: deleting it', { messageId: message.MessageId });
    await deleteMessage(env, receipt);
    return 'invalid';
  }
  const log = { sessionId: msg.sessionId, executionId: msg.executionId };

  // Budget: compile (if any) + run wall time; the claim's deadline adds the grace on top.
  const claim = await claimExecution(msg.sessionId, msg.executionId, env.workerId, runBudgetMs(env.language));
  if (claim.kind === 'done' || claim.kind === 'missing') {
    logger.info('run message for a finished or missing execution: deleting it', { ...log, kind: claim.kind });
    await deleteMessage(env, receipt);
    return 'duplicate';
  }
  if (claim.kind === 'busy') {
    // Another worker holds it: come back after its deadline, when it can be taken over.
    const seconds = Math.min(43_200, Math.max(1, Math.ceil((claim.retryAtMs - Date.now()) / 1000) + 1));
    await changeVisibility(env, receipt, seconds);
    return 'busy';
  }

  const item = claim.item;
  // The claim was sized for a plain run; a test run's is longer. Lost meanwhile: someone else has it.
  if (item.mode === 'tests' && !(await extendClaim(item, env.workerId, Date.now() + testsBudgetMs(item.language, env.runner.testBudget) + LIMITS.execution.runningGraceMs))) {
    logger.warn('claim lost before the test run started', log);
    await deleteMessage(env, receipt);
    return 'lost-claim';
  }
  let connections: ConnectionItem[] = await listConnections(item.sessionId);
  const who = { executionId: item.executionId, language: item.language, userId: item.userId };
  await broadcast(connections, { type: 'execution-started', ...who });

  // The message stays invisible until it is deleted: through the run, the output's drain and the storing
  // of the result (a redelivery meanwhile would be taken over by another runner and run the program again).
  const visible = keepInvisible(env, receipt);
  let finished: Awaited<ReturnType<typeof finishExecution>>;
  try {
    const output = new OutputPusher(item.executionId, () => connections);
    const result = await runJob(env, item, output);
    await output.drain(); // bounded (outputDrainMs): the stored result has the whole output anyway
    finished = await finishExecution(item, env.workerId, result);
  } finally {
    visible.stop();
  }
  if (!finished) {
    logger.warn('claim lost before the result was stored (taken over or ended by the watchdog)', log);
    await deleteMessage(env, receipt);
    return 'lost-claim';
  }
  connections = await listConnections(item.sessionId); // include anyone who joined during the run
  await broadcastFinished(connections, finished);
  await deleteMessage(env, receipt);
  logger.info('execution finished', { ...log, status: finished.status, durationMs: finished.durationMs });
  return 'ran';
}

/**
 * A plain run streams its output live. A test run streams one `execution-test-result` per test and no
 * output: a hidden test's output could echo its stdin, and these pushes go to every role alike.
 */
async function runJob(env: JobEnv, item: ExecutionItem, output: OutputPusher): Promise<RunResult> {
  const job = { executionId: item.executionId, language: item.language, code: item.code };
  if (item.mode !== 'tests') return env.runner.run({ ...job, stdin: item.stdin }, { onOutput: (stream, chunk) => output.push(stream, chunk) });
  const tests = item.questionRevision !== undefined ? await loadSessionTests(item.sessionId, item.questionRevision) : undefined;
  // Revisions are immutable and live as long as the session's data: gone means expired or purged.
  if (!tests) return { ...systemError(''), stderr: `[runner] the tests of the session question (revision ${item.questionRevision}) are gone\n` };
  return env.runner.runTests({ ...job, tests }, { onTestResult: (index, r) => output.send(testResultFrame(item.executionId, index, r)) });
}

/** A compile may first wait for the other slot's (one compile at a time, slot-pool.ts): twice its wall. */
function runBudgetMs(language: LanguageId): number {
  return 2 * (LANGUAGES[language].compile?.limits.wallMs ?? 0) + LIMITS.run.wallMs;
}

/**
 * A test run's claim lasts its whole budget (tests-job.ts): the test phase ends within the budget's
 * wall time plus one test's helper grace, which the run wall stands for.
 */
function testsBudgetMs(language: LanguageId, tests: TestBudget): number {
  return 2 * (LANGUAGES[language].compile?.limits.wallMs ?? 0) + tests.wallMs + LIMITS.run.wallMs;
}

async function deleteMessage(env: JobEnv, receipt: string): Promise<void> {
  await sqs().send(new DeleteMessageCommand({ QueueUrl: env.queueUrl, ReceiptHandle: receipt }));
}

/**
 * Keeps a received message invisible (its visibility timeout renewed every third of it) until `stop()`:
 * while its job runs, and while a run waits for its session's previous one (runner/worker.ts).
 */
export function keepInvisible(env: Pick<JobEnv, 'queueUrl'>, receipt: string): { stop(): void } {
  const seconds = LIMITS.execution.visibilityTimeoutSeconds;
  const timer = setInterval(() => void changeVisibility(env, receipt, seconds), (seconds * 1000) / 3);
  return { stop: () => clearInterval(timer) };
}

async function changeVisibility(env: Pick<JobEnv, 'queueUrl'>, receipt: string, seconds: number): Promise<void> {
  try {
    await sqs().send(new ChangeMessageVisibilityCommand({ QueueUrl: env.queueUrl, ReceiptHandle: receipt, VisibilityTimeout: seconds }));
  } catch (err) {
    logger.warn('could not change message visibility', { error: err as Error });
  }
}
