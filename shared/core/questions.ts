/**
 * The question bank (docs/protocol.md §8, operators) and a session's question (interviewers). Storage is in
 * shared/aws/store/questions.ts; the role views are the contract's (`questionForRole`). What a caller
 * gets back here is always the whole question: the HTTP and WebSocket layers apply the view of the
 * role they answer.
 */
import { AppError, errors } from '#contract/errors.js';
import { isSortableId, newId, ULID_CHARS } from '#contract/ids.js';
import { QUESTION_LIMITS, type QuestionInput, type QuestionSummary } from '#contract/questions.js';
import { stores } from './ports.js';
import { QuestionReadRaced, type BankQuestion, type SessionItem, type SessionQuestion } from './records.js';
import { LIMITS } from '#contract/limits.js';
import type { Operator } from './operators.js';
import { placeStarterCode } from './starter-code.js';
import type { StarterCode } from '#contract/questions.js';

export type { BankQuestion, SessionQuestion };

/**
 * A question travels whole in one Lambda request or response (6 MB, its JSON escaped once more inside
 * the event or response envelope). §8's per-field limits add up to more than that (50 × 128 KiB of
 * tests alone is 6.4 MiB), so the question as a whole is bounded too: measured as it travels.
 */
export function assertQuestionFits(q: QuestionInput): void {
  const bytes = Buffer.byteLength(JSON.stringify(JSON.stringify(q)), 'utf8');
  if (bytes > QUESTION_LIMITS.envelopeMaxBytes) {
    throw new AppError(
      'PAYLOAD_TOO_LARGE',
      `The question is ${bytes} bytes as JSON inside a Lambda payload; at most ${QUESTION_LIMITS.envelopeMaxBytes} fit`,
      { limit: QUESTION_LIMITS.envelopeMaxBytes, size: bytes },
    );
  }
}

const questionNotFound = () => errors.notFound('Question');

/** A bank read that kept meeting concurrent replacements: the caller may simply ask again. */
async function readRetried<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof QuestionReadRaced) throw errors.busy(LIMITS.document.busyRetryAfterSeconds);
    throw err;
  }
}

export async function createQuestion(operator: Operator, input: QuestionInput): Promise<BankQuestion> {
  assertQuestionFits(input);
  return stores.questionBank.putBankQuestion(operator.id, newId(), input, newId());
}

export async function readQuestion(operator: Operator, questionId: string | undefined): Promise<BankQuestion> {
  // Another operator's id and a malformed one answer alike: the bank does not say what exists.
  if (!isSortableId(questionId)) throw questionNotFound();
  const q = await readRetried(() => stores.questionBank.getBankQuestion(operator.id, questionId));
  if (!q) throw questionNotFound();
  return q;
}

export async function updateQuestion(operator: Operator, questionId: string | undefined, input: QuestionInput): Promise<BankQuestion> {
  if (!isSortableId(questionId)) throw questionNotFound();
  assertQuestionFits(input);
  const q = await stores.questionBank.replaceBankQuestion(operator.id, questionId, input, newId());
  if (!q) throw questionNotFound();
  return q;
}

export async function removeQuestion(operator: Operator, questionId: string | undefined): Promise<void> {
  if (!isSortableId(questionId) || !(await stores.questionBank.deleteBankQuestion(operator.id, questionId))) throw questionNotFound();
}

const BANK_SK = new RegExp(`^Q#${ULID_CHARS}$`);

export async function listQuestions(operator: Operator, input: { limit?: number; cursor?: string }): Promise<{ questions: QuestionSummary[]; nextCursor: string | null }> {
  const afterSk = input.cursor === undefined ? undefined : Buffer.from(input.cursor, 'base64url').toString('utf8');
  if (afterSk !== undefined && !BANK_SK.test(afterSk)) throw errors.validation([{ field: 'cursor', message: 'not a cursor this API returned' }]);
  const page = await stores.questionBank.listBankQuestions(operator.id, input.limit ?? QUESTION_LIMITS.list.defaultPageSize, afterSk);
  return { questions: page.items, nextCursor: page.nextSk === undefined ? null : Buffer.from(page.nextSk, 'utf8').toString('base64url') };
}

// ---- a session's question -----------------------------------------------------------------------

/**
 * `{questionId}` names a question of the bank of the operator who created the session: an interviewer
 * holds a session token, not an operator credential, and reaches only that operator's bank.
 */
export async function resolveQuestion(session: Pick<SessionItem, 'createdBy'>, body: { questionId: string } | QuestionInput): Promise<{ input: QuestionInput; questionId?: string }> {
  if (!('questionId' in body)) {
    assertQuestionFits(body);
    return { input: body };
  }
  if (!session.createdBy) throw questionNotFound();
  const q = await readQuestion({ id: session.createdBy, via: 'api-key' }, body.questionId);
  const { title, prompt, starterCode, tests } = q;
  return { input: { title, prompt, starterCode, tests }, questionId: q.questionId };
}

/** Tries at a new revision number before giving up (each lost try means another writer just won). */
const REVISION_TRIES = 5;

/**
 * Stores `input` as the session's next question revision and points the session at it. Returns the
 * revision stored, and the starter code of the question the session had before (text that is still the
 * old question's starter code counts as untouched).
 */
export async function setSessionQuestion(
  session: SessionItem,
  resolved: { input: QuestionInput; questionId?: string },
  userId: string,
): Promise<{ question: SessionQuestion; previousStarterCode: StarterCode; session: SessionItem }> {
  let current: SessionItem = session;
  // Only the replaced question's starter code matters (text still equal to it counts as untouched): not its tests.
  const previousStarterCode = current.questionRevision ? await stores.sessionQuestions.getStarterCodes(current.sessionId, current.questionRevision) : {};
  for (let attempt = 0; attempt < REVISION_TRIES; attempt++) {
    const revision = (current.questionRevision ?? 0) + 1 + attempt;
    if (!(await stores.sessionQuestions.writeSessionRevision(current, revision, resolved.input, { questionId: resolved.questionId, userId }))) continue;
    const detail = { title: resolved.input.title, testCount: resolved.input.tests.length, ...(resolved.questionId ? { questionId: resolved.questionId } : {}) };
    if (await stores.sessionQuestions.pointSessionQuestion(current, revision, detail, userId)) {
      const question = await stores.sessionQuestions.getSessionQuestion(current.sessionId, revision);
      if (!question) throw new Error(`question revision ${revision} unreadable right after it was written`);
      return { question, previousStarterCode, session: { ...current, questionRevision: revision, questionTestCount: resolved.input.tests.length } };
    }
    const fresh = await stores.sessions.getSession(current.sessionId);
    if (!fresh) throw errors.sessionNotFound();
    if (fresh.status !== 'active' || fresh.expiresAtEpoch * 1000 <= Date.now()) throw errors.sessionExpired();
    current = fresh;
  }
  throw errors.busy(LIMITS.document.busyRetryAfterSeconds);
}

/** POST /api/sessions with `questionId`: the new session's first revision, and its starter code. */
export async function attachToNewSession(sessionId: string, question: BankQuestion, userId: string): Promise<void> {
  const session = await stores.sessions.getSession(sessionId);
  if (!session) throw errors.sessionNotFound();
  const { title, prompt, starterCode, tests } = question;
  const { session: updated } = await setSessionQuestion(session, { input: { title, prompt, starterCode, tests }, questionId: question.questionId }, userId);
  await placeStarterCode(updated, userId);
}

/** The session's current question, whole; undefined when it has none. */
export async function currentQuestion(session: Pick<SessionItem, 'sessionId' | 'questionRevision'>): Promise<SessionQuestion | undefined> {
  if (!session.questionRevision) return undefined;
  return stores.sessionQuestions.getSessionQuestion(session.sessionId, session.questionRevision);
}
