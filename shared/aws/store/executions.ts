/**
 * Execution items (SK `X#<ulid>`) and their life: QUEUED → RUNNING → final. Every transition is a
 * conditional write, so a duplicate delivery runs once, a dead worker's job is taken over only after its
 * deadline, a zombie worker cannot overwrite a takeover's result, and a final status never changes.
 */
import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#aws/clients.js';
import type { Execution, FinalStatus, RunResult } from '#contract/execution-types.js';
import { LIMITS } from '#contract/limits.js';
import { isLive, keys, WATCH_INDEX, WATCH_PK } from '#aws/table.js';
import { emit } from '#telemetry/metrics.js';
import { historyItem } from './history.js';
import { isConditionFailure, isTransactionCanceled, table } from './items.js';
import { executionView, VIEW_FIELDS } from '#core/execution-view.js';
import type { ExecutionItem, NewExecution } from '#core/records.js';

export type { ExecutionItem };

export function newExecutionItem(input: NewExecution): ExecutionItem {
  const nowMs = input.nowMs ?? Date.now();
  return {
    executionId: input.executionId,
    sessionId: input.sessionId,
    status: 'QUEUED',
    language: input.language,
    userId: input.userId,
    code: input.code,
    stdin: input.stdin,
    stdout: '',
    stderr: '',
    compileOutput: '',
    exitCode: null,
    signal: null,
    durationMs: 0,
    truncated: { stdout: false, stderr: false },
    createdAt: new Date(nowMs).toISOString(),
    startedAt: null,
    finishedAt: null,
    attempts: 0,
    watchPk: WATCH_PK,
    watchDeadline: nowMs + LIMITS.execution.queuedTimeoutMs,
    ttl: input.ttl,
    ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
    ...(input.codeVersion !== undefined ? { codeVersion: input.codeVersion } : {}),
    ...(input.mode === 'tests' ? { mode: input.mode, questionRevision: input.questionRevision } : {}),
  };
}

/**
 * Stores a new QUEUED execution, its idempotency record (if any) and the history entry atomically.
 * Returns false when the idempotency key was already used (the caller returns the earlier execution).
 */
export async function putExecution(item: ExecutionItem, replacing?: string): Promise<boolean> {
  const { sessionId, executionId, ttl } = item;
  try {
    await dynamo().send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: table(), Item: { ...keys.execution(sessionId, executionId), ...item }, ConditionExpression: 'attribute_not_exists(SK)' } },
          ...(item.idempotencyKey
            ? [{
                Put: {
                  TableName: table(),
                  Item: { ...keys.idempotency(sessionId, item.idempotencyKey), executionId, ttl },
                  ...(replacing
                    ? { ConditionExpression: 'attribute_not_exists(SK) OR executionId = :replacing', ExpressionAttributeValues: { ':replacing': replacing } }
                    : { ConditionExpression: 'attribute_not_exists(SK)' }),
                },
              }]
            : []),
          { Put: { TableName: table(), Item: historyItem(sessionId, ttl, 'execution-queued', { executionId, language: item.language, ...(item.codeVersion !== undefined ? { version: item.codeVersion } : {}) }, item.userId) } },
        ],
      }),
    );
    return true;
  } catch (err) {
    if (isTransactionCanceled(err)) return false;
    throw err;
  }
}

export async function getIdempotentExecutionId(sessionId: string, key: string): Promise<string | undefined> {
  const out = await dynamo().send(new GetCommand({ TableName: table(), Key: keys.idempotency(sessionId, key), ConsistentRead: true }));
  return isLive(out.Item) ? String(out.Item!.executionId) : undefined;
}

export async function getExecution(sessionId: string, executionId: string): Promise<ExecutionItem | undefined> {
  const out = await dynamo().send(new GetCommand({ TableName: table(), Key: keys.execution(sessionId, executionId), ConsistentRead: true }));
  return isLive(out.Item) ? (out.Item as ExecutionItem) : undefined;
}

export async function listExecutions(sessionId: string, limit: number = LIMITS.execution.listLimit): Promise<Execution[]> {
  const out = await dynamo().send(
    new QueryCommand({
      TableName: table(),
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :x)',
      ExpressionAttributeValues: { ':pk': keys.sessionPk(sessionId), ':x': keys.executionPrefix },
      ProjectionExpression: [...VIEW_FIELDS, 'ttl'].map((f) => `#${f}`).join(', '),
      ExpressionAttributeNames: Object.fromEntries([...VIEW_FIELDS, 'ttl'].map((f) => [`#${f}`, f])),
      ScanIndexForward: false,
      Limit: limit,
      // A client lists right after POST /executions (another invocation) wrote the run and runners update it.
      ConsistentRead: true,
    }),
  );
  return (out.Items ?? []).filter((i) => isLive(i)).map(executionView);
}

export type ClaimOutcome =
  | { kind: 'claimed'; item: ExecutionItem }
  /** Already final (a duplicate delivery): delete the message, run nothing. */
  | { kind: 'done' }
  /** Another live worker holds it: leave the message until `retryAtMs`. */
  | { kind: 'busy'; retryAtMs: number }
  | { kind: 'missing' };

/** Claims a job for this worker: QUEUED, or RUNNING by a worker whose deadline has passed. */
export async function claimExecution(sessionId: string, executionId: string, workerId: string, runBudgetMs: number, nowMs: number = Date.now()): Promise<ClaimOutcome> {
  try {
    const out = await dynamo().send(
      new UpdateCommand({
        TableName: table(),
        Key: keys.execution(sessionId, executionId),
        UpdateExpression: 'SET #status = :running, startedAt = :now, claimedBy = :me, attempts = attempts + :one, watchDeadline = :deadline',
        ConditionExpression: 'attribute_exists(SK) AND (#status = :queued OR (#status = :running AND watchDeadline < :nowMs))',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':running': 'RUNNING',
          ':queued': 'QUEUED',
          ':now': new Date(nowMs).toISOString(),
          ':nowMs': nowMs,
          ':me': workerId,
          ':one': 1,
          ':deadline': nowMs + runBudgetMs + LIMITS.execution.runningGraceMs,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const claimed = out.Attributes as ExecutionItem;
    // The first claim only: a takeover's wait is the dead runner's, not the queue's.
    if (claimed.attempts === 1) emit('RunQueueToStart', Math.max(0, nowMs - Date.parse(claimed.createdAt)), { Language: claimed.language });
    return { kind: 'claimed', item: claimed };
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
  }
  const current = await getExecution(sessionId, executionId);
  if (!current) return { kind: 'missing' };
  // The SDK's retry of a claim whose answer was lost meets that claim: this worker's, at this instant.
  if (current.status === 'RUNNING' && current.claimedBy === workerId && current.startedAt === new Date(nowMs).toISOString()) {
    return { kind: 'claimed', item: current };
  }
  if (current.status !== 'QUEUED' && current.status !== 'RUNNING') return { kind: 'done' };
  return { kind: 'busy', retryAtMs: current.watchDeadline ?? nowMs + LIMITS.execution.visibilityTimeoutSeconds * 1000 };
}

/**
 * Stores the result, only if this worker still holds the claim. Returns the final execution, or
 * undefined when the claim was lost (taken over or ended by the watchdog): that result is dropped.
 */
export async function finishExecution(item: ExecutionItem, workerId: string, result: RunResult & Pick<Execution, 'tests' | 'summary'>, nowMs: number = Date.now()): Promise<Execution | undefined> {
  // A test run's verdicts (docs/protocol.md §8), bounded by the runner to keep the item under 400 KB (runner/test-results.ts).
  const tests = result.tests && result.summary ? { ':tests': result.tests, ':summary': result.summary } : undefined;
  const finishedAt = new Date(nowMs).toISOString();
  const values: Record<string, unknown> = {
    ':final': result.status, ':stdout': result.stdout, ':stderr': result.stderr, ':compile': result.compileOutput,
    ':exit': result.exitCode, ':signal': result.signal, ':duration': result.durationMs, ':truncated': result.truncated,
    ':finished': finishedAt, ':me': workerId, ':running': 'RUNNING',
    ':cpu': result.cpuTimeMs ?? null, ':mem': result.memoryKb ?? null, ...tests,
  };
  try {
    await dynamo().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: table(),
              Key: keys.execution(item.sessionId, item.executionId),
              UpdateExpression:
                'SET #status = :final, stdout = :stdout, stderr = :stderr, compileOutput = :compile, exitCode = :exit, #signal = :signal, ' +
                'durationMs = :duration, truncated = :truncated, finishedAt = :finished, cpuTimeMs = :cpu, memoryKb = :mem' +
                (tests ? ', tests = :tests, summary = :summary' : '') + ' REMOVE watchPk, watchDeadline',
              ConditionExpression: '#status = :running AND claimedBy = :me',
              ExpressionAttributeNames: { '#status': 'status', '#signal': 'signal' },
              ExpressionAttributeValues: values,
            },
          },
          { Put: { TableName: table(), Item: historyItem(item.sessionId, item.ttl, 'execution-finished', { executionId: item.executionId, status: result.status }, item.userId, nowMs) } },
        ],
      }),
    );
  } catch (err) {
    if (isTransactionCanceled(err)) return undefined;
    throw err;
  }
  emit('RunsFinished', 1, { Status: result.status, Language: item.language });
  emit('RunDuration', result.durationMs, { Language: item.language });
  return executionView({ ...item, ...result, status: result.status, finishedAt });
}

/**
 * Moves this worker's claim deadline to `deadlineMs` (a test run outlasts the plain run it was claimed
 * for). False when the claim is no longer this worker's (taken over, or ended by the watchdog).
 */
export async function extendClaim(item: Pick<ExecutionItem, 'sessionId' | 'executionId'>, workerId: string, deadlineMs: number): Promise<boolean> {
  try {
    await dynamo().send(
      new UpdateCommand({
        TableName: table(),
        Key: keys.execution(item.sessionId, item.executionId),
        UpdateExpression: 'SET watchDeadline = :deadline',
        ConditionExpression: '#status = :running AND claimedBy = :me',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':deadline': deadlineMs, ':running': 'RUNNING', ':me': workerId },
      }),
    );
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
}

/**
 * Ends a non-final execution as SYSTEM_ERROR (queue unreachable, dead-lettered, watchdog). With
 * `onlyIfDeadline`, only if its deadline is still the one the caller saw (a takeover moves it).
 * Returns the final execution, or undefined when it had already moved on.
 */
export async function failExecution(
  sessionId: string,
  executionId: string,
  reason: string,
  opts: { onlyIfDeadline?: number; nowMs?: number } = {},
): Promise<Execution | undefined> {
  const nowMs = opts.nowMs ?? Date.now();
  const status: FinalStatus = 'SYSTEM_ERROR';
  try {
    const out = await dynamo().send(
      new UpdateCommand({
        TableName: table(),
        Key: keys.execution(sessionId, executionId),
        UpdateExpression: 'SET #status = :sys, stderr = :reason, finishedAt = :now REMOVE watchPk, watchDeadline',
        ConditionExpression: `#status IN (:queued, :running)${opts.onlyIfDeadline !== undefined ? ' AND watchDeadline = :deadline' : ''}`,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':sys': status, ':reason': `[system] ${reason}`, ':now': new Date(nowMs).toISOString(), ':queued': 'QUEUED', ':running': 'RUNNING',
          ...(opts.onlyIfDeadline !== undefined ? { ':deadline': opts.onlyIfDeadline } : {}),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const failed = executionView(out.Attributes!);
    emit('RunsFinished', 1, { Status: status, Language: failed.language });
    return failed;
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
  }
  // The SDK's retry of an update whose answer was lost meets it: still this call's failure to report.
  const current = await getExecution(sessionId, executionId);
  const ours = current?.status === status && current.stderr === `[system] ${reason}` && current.finishedAt === new Date(nowMs).toISOString();
  return ours ? executionView(current) : undefined;
}

/**
 * Non-final executions whose deadline is before `nowMs` (the sparse `watch` index). A GSI cannot be read
 * consistently: an item may show up late or stale, which is safe because failExecution is conditional on
 * the deadline seen, and the next tick reads again.
 */
export async function overdueExecutions(
  nowMs: number = Date.now(),
  limit = 100,
): Promise<{ sessionId: string; executionId: string; watchDeadline: number; status: string; language: string }[]> {
  const out = await dynamo().send(
    new QueryCommand({
      TableName: table(),
      IndexName: WATCH_INDEX,
      KeyConditionExpression: 'watchPk = :w AND watchDeadline < :now',
      ExpressionAttributeValues: { ':w': WATCH_PK, ':now': nowMs },
      Limit: limit,
    }),
  );
  return (out.Items ?? []).map((i) => ({
    sessionId: String(i.sessionId),
    executionId: String(i.executionId),
    watchDeadline: Number(i.watchDeadline),
    status: String(i.status),
    language: String(i.language),
  }));
}
