/**
 * Run requests (docs/protocol.md §6, issue 5): validated, rate-limited per user, idempotent by key, stored QUEUED
 * before they are acknowledged. The RunQueued event it returns is what queues the run for the
 * language's runners and tells everyone in the session (publish()).
 */
import { createHash } from 'node:crypto';
import { errors } from '#contract/errors.js';
import type { Execution } from '#contract/execution-types.js';
import { isSortableId, newId } from '#contract/ids.js';
import type { LanguageId } from '#contract/languages.js';
import { LIMITS } from '#contract/limits.js';
import { executionView } from './execution-view.js';
import { stores } from './ports.js';
import type { Role } from '#contract/roles.js';
import type { ExecutionMode } from '#contract/questions.js';
import type { SessionItem } from './records.js';
import { getCode, assertCodeSize } from './code.js';
import type { SessionEvent } from './events.js';
import { checkLanguage } from './sessions.js';
import { utf8Bytes } from './yjs-document.js';

export interface RunRequest {
  language?: string;
  code?: string;
  stdin?: string;
  idempotencyKey?: string;
  /** `tests`: the session question's tests, each with its own stdin (docs/protocol.md §8). */
  mode?: ExecutionMode;
  /**
   * A WebSocket `run-code` (which carries no key) names its connection here: the same request from the
   * same connection on the same document version, while the run it queued is not final yet, is a
   * resend (docs/protocol.md §5: a client may resend an unanswered action) and gets that run.
   */
  resendScope?: string;
}

/**
 * The question revision a `mode:"tests"` run will use: the session's current one, fixed now so the run
 * uses the tests it was queued with. No question is 404 NOT_FOUND (as GET /question says); a question
 * without tests, or a stdin (each test brings its own), is VALIDATION_ERROR on `mode` / `stdin`.
 */
function testsRevision(session: SessionItem, req: RunRequest): number {
  if (!session.questionRevision) throw errors.notFound('Question (mode "tests" runs the session question\'s tests)');
  if (session.questionTestCount === 0) throw errors.validation([{ field: 'mode', message: 'the session question has no tests' }]);
  if (req.stdin !== undefined) throw errors.validation([{ field: 'stdin', message: 'not with mode "tests": each test brings its own stdin' }]);
  return session.questionRevision;
}

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,128}$/;

export function checkIdempotencyKey(key: string | undefined): string | undefined {
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw errors.validation([{ field: 'Idempotency-Key', message: '1-128 characters of A-Z a-z 0-9 _ . : -' }], 'Invalid Idempotency-Key');
  }
  return key;
}

/**
 * Returns the execution (QUEUED, or whatever an earlier request with the same key became) and, for a
 * new run, the RunQueued event to publish.
 */
export async function requestRun(
  session: SessionItem,
  actor: { userId: string; role: Role },
  req: RunRequest,
): Promise<{ execution: Execution; replay: boolean; events: SessionEvent[] }> {
  // The interviewer's switch (docs/protocol.md §8), on the session item just read: refused before anything is counted or written.
  if (session.runsDisabled === true && actor.role !== 'interviewer') throw errors.runsDisabled();
  const mode: ExecutionMode = req.mode ?? 'run';
  const questionRevision = mode === 'tests' ? testsRevision(session, req) : undefined;
  const language: LanguageId = checkLanguage(req.language) ?? session.language;
  if (req.code !== undefined) assertCodeSize(req.code);
  if (req.stdin !== undefined && utf8Bytes(req.stdin) > LIMITS.stdinMaxBytes) throw errors.payloadTooLarge('stdin', LIMITS.stdinMaxBytes);
  const asked = checkIdempotencyKey(req.idempotencyKey);
  // The caller's key: scoped by the role its token proves, so another participant's same key is another
  // request; and a key sent again with a different request is refused, not answered with the first run.
  const key = asked ? `${actor.role}:${asked}` : undefined;
  const retried = { mode, language, ...(req.code !== undefined ? { code: req.code } : {}), stdin: req.stdin ?? '' };

  if (key) {
    const earlier = await replayOf(session.sessionId, key, retried);
    if (earlier) return { execution: earlier, replay: true, events: requeued(session.sessionId, earlier) };
  }
  // A resend is recognised by the document version, so the document is read before the rate limit.
  const read = req.resendScope && req.code === undefined && !key ? await getCode(session.sessionId) : undefined;
  let resend: { key: string; replacing?: string } | undefined;
  if (req.resendScope && read) {
    resend = { key: resendKey(actor.role, req.resendScope, read.version, retried) };
    const earlier = await executionOfKey(session.sessionId, resend.key);
    if (earlier && (earlier.status === 'QUEUED' || earlier.status === 'RUNNING')) {
      return { execution: earlier, replay: true, events: requeued(session.sessionId, earlier) };
    }
    // A final run: the same request again is a new run, which takes the key over.
    resend.replacing = earlier?.executionId;
  }
  const { userId, role } = actor;
  // Keyed by role, which the token proves: a WebSocket userId is the client's choice and would let a
  // client escape the limit by re-joining under another id.
  await stores.rateLimits.consumeRateLimit('run', `${session.sessionId}:${role}`, LIMITS.rate.runsPerMinutePerUser, 60);

  // The document's version is kept with the run: playback replays the edits up to it (docs/protocol.md §10).
  const current = req.code === undefined ? (read ?? (await getCode(session.sessionId))) : undefined;
  const code = req.code ?? current!.code;
  const item = stores.executions.newExecutionItem({
    sessionId: session.sessionId,
    executionId: newId(),
    language,
    userId,
    code,
    ...(current ? { codeVersion: current.version } : {}),
    stdin: req.stdin ?? '',
    ttl: session.ttl,
    idempotencyKey: key ?? resend?.key,
    ...(questionRevision !== undefined ? { mode, questionRevision } : {}),
  });
  if (!(await stores.executions.putExecution(item, resend?.replacing))) {
    // Lost a race with a concurrent request carrying the same key: that one is the execution.
    const earlier = key ? await replayOf(session.sessionId, key, retried) : resend ? await executionOfKey(session.sessionId, resend.key) : undefined;
    if (earlier) return { execution: earlier, replay: true, events: [] };
    throw new Error('execution insert failed without an idempotency conflict');
  }
  return {
    execution: executionView(item),
    replay: false,
    events: [{ type: 'RunQueued', sessionId: session.sessionId, executionId: item.executionId, language, userId }],
  };
}

/** A resend's key: the scope (a connection), the document version and a digest of the request. */
function resendKey(role: Role, scope: string, version: number, req: { mode: ExecutionMode; language: LanguageId; stdin: string }): string {
  const digest = createHash('sha256').update(JSON.stringify([req.mode, req.language, req.stdin])).digest('base64url').slice(0, 22);
  return `${role}:resend:${scope}:${version}:${digest}`;
}

async function executionOfKey(sessionId: string, key: string): Promise<Execution | undefined> {
  const executionId = await stores.executions.getIdempotentExecutionId(sessionId, key);
  const item = executionId ? await stores.executions.getExecution(sessionId, executionId) : undefined;
  return item ? executionView(item) : undefined;
}

const requeued = (sessionId: string, e: Execution): SessionEvent[] =>
  e.status === 'QUEUED' ? [{ type: 'RunRequeued', sessionId, executionId: e.executionId, language: e.language }] : [];

/**
 * The run an earlier request with this key queued, if the request is the same: the same mode, language and
 * stdin, and the same code when the request names one (without, the code is the document's at the time,
 * which may have moved since: that is still the same request). Otherwise VALIDATION_ERROR.
 */
async function replayOf(sessionId: string, key: string, retried: { mode: ExecutionMode; language: LanguageId; code?: string; stdin: string }): Promise<Execution | undefined> {
  const executionId = await stores.executions.getIdempotentExecutionId(sessionId, key);
  if (!executionId) return undefined;
  const execution = await stores.executions.getExecution(sessionId, executionId);
  if (!execution) return undefined;
  const same =
    (execution.mode ?? 'run') === retried.mode &&
    execution.language === retried.language &&
    execution.stdin === retried.stdin &&
    (retried.code === undefined || execution.code === retried.code);
  if (!same) {
    throw errors.validation([{ field: 'Idempotency-Key', message: 'already used for a different request' }], 'This Idempotency-Key was used for a different run request');
  }
  return executionView(execution);
}

export async function readExecution(sessionId: string, executionId: string | undefined): Promise<Execution> {
  const item = isSortableId(executionId) ? await stores.executions.getExecution(sessionId, executionId) : undefined;
  if (!item) throw errors.notFound('Execution');
  return executionView(item);
}
