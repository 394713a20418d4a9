/**
 * What each HTTP route means to a client, keyed by the route table's route keys (shared/contract/routes.ts): who may
 * call it, its query, body and headers (the zod schemas handlers parse with), its success answer (the
 * schemas of shared/contract/responses.ts) and the errors beyond those its access implies. The OpenAPI document
 * (openapi.ts) is generated from the route table and this; a route in the table without an entry here
 * still appears there, with its access and errors only, until someone describes it.
 */
import type * as z from 'zod/mini';
import type { ErrorCode } from '#contract/errors.js';
import { listQuestionsQuery, questionInputSchema, questionRefSchema } from '#contract/questions.js';
import * as R from '#contract/responses.js';
import {
  createReviewLinkBody,
  createSessionBody,
  createSnapshotBody,
  getCodeQuery,
  historyQuery,
  listSessionsQuery,
  patchSessionBody,
  purgeQuery,
  putCodeBody,
  putNotesBody,
  runBody,
  timelineQuery,
} from '#contract/schemas.js';

export type Role = 'interviewer' | 'candidate' | 'reviewer';

export interface RouteDoc {
  operationId: string;
  summary: string;
  description?: string;
  /** `session`: a session token (interviewer, candidate, or a review link's reviewer token). */
  auth: 'public' | 'operator' | 'session';
  /** Session roles allowed; absent = every session role. */
  roles?: readonly Role[];
  /** Changes the session: refused with SESSION_EXPIRED once it ended or expired. */
  mutates?: boolean;
  query?: z.ZodMiniType;
  body?: { schema: z.ZodMiniType; name: string; alternatives?: { schema: z.ZodMiniType; name: string }[] };
  headers?: { name: string; description: string; schema: object }[];
  success: { status: number; description: string; schema?: { schema: z.ZodMiniType; name: string } };
  /** Errors beyond those the access implies (see openapi.ts `impliedErrors`). */
  errors?: readonly ErrorCode[];
}

const named = <S extends z.ZodMiniType>(name: string, schema: S) => ({ name, schema });

const Session = named('Session', R.sessionResponse);
const Version = named('VersionResponse', R.versionResponse);
const Question = named('Question', R.questionResponse);
const Execution = named('Execution', R.executionResponse);
const ALL: readonly Role[] = ['interviewer', 'candidate', 'reviewer'];
const WRITERS: readonly Role[] = ['interviewer', 'candidate'];
const INTERVIEWER: readonly Role[] = ['interviewer'];
const READERS: readonly Role[] = ['interviewer', 'reviewer'];

/** A session route that only reads: 200 with `schema`. */
const read = (operationId: string, summary: string, roles: readonly Role[], description: string, schema: RouteDoc['success']['schema'], more: Partial<RouteDoc> = {}): RouteDoc => ({
  operationId,
  summary,
  auth: 'session',
  roles,
  success: { status: 200, description, schema },
  ...more,
});

export const HTTP_DOCS: Record<string, RouteDoc> = {
  'GET /api/health': {
    operationId: 'getHealth',
    summary: 'Liveness and version',
    auth: 'public',
    success: { status: 200, description: 'The API answers', schema: named('Health', R.healthResponse) },
  },
  'GET /api/languages': {
    operationId: 'listLanguages',
    summary: 'Languages a session can use, with their run limits',
    auth: 'public',
    success: { status: 200, description: 'The language table', schema: named('Languages', R.languagesResponse) },
  },
  'POST /api/sessions': {
    operationId: 'createSession',
    summary: 'Create a session (operator)',
    description: 'Returns the two session tokens, once. Default lifetime 4 h, at most 24 h. `questionId` attaches a bank question.',
    auth: 'operator',
    body: named('CreateSessionBody', createSessionBody),
    success: { status: 201, description: 'The new session and its tokens', schema: named('CreatedSession', R.createdSessionResponse) },
    errors: ['UNSUPPORTED_LANGUAGE', 'NOT_FOUND', 'RATE_LIMIT_EXCEEDED'],
  },
  'GET /api/sessions': {
    operationId: 'listSessions',
    summary: "The operator's own sessions, newest first",
    auth: 'operator',
    query: listSessionsQuery,
    success: { status: 200, description: 'One page', schema: named('SessionList', R.sessionListResponse) },
  },
  'GET /api/sessions/{sessionId}': read('getSession', 'The session', ALL, 'The session', Session),
  'PATCH /api/sessions/{sessionId}': {
    operationId: 'updateSession',
    summary: 'Change title, language or the controls (runsDisabled, editingLocked)',
    description: 'Interviewer; a candidate may change the language only. Everyone connected gets `session-updated`.',
    auth: 'session',
    roles: WRITERS,
    mutates: true,
    body: named('PatchSessionBody', patchSessionBody),
    success: { status: 200, description: 'The session after the change', schema: Session },
    errors: ['UNSUPPORTED_LANGUAGE', 'RATE_LIMIT_EXCEEDED'],
  },
  'DELETE /api/sessions/{sessionId}': {
    operationId: 'endSession',
    summary: 'End the session (`?purge=true`: delete all its data now)',
    description: 'Live sockets get `session-ended` and are closed. Without purge the data stays readable for 7 days.',
    auth: 'session',
    roles: INTERVIEWER,
    query: purgeQuery,
    success: { status: 200, description: 'Ended', schema: named('EndedSession', R.endedSessionResponse) },
  },
  'GET /api/sessions/{sessionId}/code': read('getCode', 'The current code and its version', ALL, 'The document; `?format=yjs` adds the Yjs state', named('Code', R.codeResponse), { query: getCodeQuery }),
  'PUT /api/sessions/{sessionId}/code': {
    operationId: 'putCode',
    summary: 'Replace the code (conditional with `baseVersion`)',
    auth: 'session',
    roles: WRITERS,
    mutates: true,
    body: named('PutCodeBody', putCodeBody),
    success: { status: 200, description: 'The new version', schema: Version },
    errors: ['VERSION_CONFLICT', 'EDITING_LOCKED', 'RATE_LIMIT_EXCEEDED', 'BUSY'],
  },
  'POST /api/sessions/{sessionId}/snapshots': {
    operationId: 'createSnapshot',
    summary: 'Save the current code as a snapshot',
    auth: 'session',
    roles: WRITERS,
    mutates: true,
    body: named('CreateSnapshotBody', createSnapshotBody),
    success: { status: 201, description: 'The snapshot (without code)', schema: named('Snapshot', R.snapshotResponse) },
  },
  'GET /api/sessions/{sessionId}/snapshots': read('listSnapshots', 'Snapshots, without their code', ALL, 'The snapshots', named('SnapshotList', R.snapshotListResponse)),
  'GET /api/sessions/{sessionId}/snapshots/{snapshotId}': read('getSnapshot', 'One snapshot with its code', ALL, 'The snapshot', named('SnapshotWithCode', R.snapshotWithCodeResponse), { errors: ['NOT_FOUND'] }),
  'POST /api/sessions/{sessionId}/snapshots/{snapshotId}/restore': {
    operationId: 'restoreSnapshot',
    summary: "Put a snapshot's code (and language) back as a new version",
    auth: 'session',
    roles: INTERVIEWER,
    mutates: true,
    success: { status: 200, description: 'The new version; everyone sees the restored code', schema: Version },
    errors: ['NOT_FOUND', 'BUSY'],
  },
  'GET /api/sessions/{sessionId}/participants': read('listParticipants', 'Who is connected now', ALL, 'The participants', named('Participants', R.participantsResponse)),
  'GET /api/sessions/{sessionId}/history': read('getHistory', 'What happened in the session', READERS, 'One page of entries', named('History', R.historyResponse), { query: historyQuery }),
  'POST /api/sessions/{sessionId}/executions': {
    operationId: 'runCode',
    summary: "Run the code (or, with `mode: \"tests\"`, the question's tests)",
    description: "`code` and `language` default to the session's. The run is stored before this answers; follow it over WebSocket or by polling.",
    auth: 'session',
    roles: WRITERS,
    mutates: true,
    body: named('RunBody', runBody),
    headers: [
      { name: 'Idempotency-Key', description: 'A retry with the same key returns the first request\'s execution instead of a second run.', schema: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$' } },
    ],
    success: { status: 202, description: 'Queued', schema: named('Queued', R.queuedResponse) },
    errors: ['UNSUPPORTED_LANGUAGE', 'RUNS_DISABLED', 'RATE_LIMIT_EXCEEDED'],
  },
  'GET /api/sessions/{sessionId}/executions': read('listExecutions', 'Executions, newest first', ALL, 'The executions', named('ExecutionList', R.executionListResponse)),
  'GET /api/sessions/{sessionId}/executions/{executionId}': read('getExecution', 'One execution', ALL, 'The execution', Execution, { errors: ['NOT_FOUND'] }),
  'POST /api/questions': {
    operationId: 'createQuestion',
    summary: 'Add a question to the bank',
    auth: 'operator',
    body: named('QuestionInput', questionInputSchema),
    success: { status: 201, description: 'The question', schema: Question },
  },
  'GET /api/questions': {
    operationId: 'listQuestions',
    summary: 'The question bank',
    auth: 'operator',
    query: listQuestionsQuery,
    success: { status: 200, description: 'One page', schema: named('QuestionList', R.questionListResponse) },
  },
  'GET /api/questions/{questionId}': {
    operationId: 'getQuestion',
    summary: 'One bank question',
    auth: 'operator',
    success: { status: 200, description: 'The question', schema: Question },
    errors: ['NOT_FOUND'],
  },
  'PUT /api/questions/{questionId}': {
    operationId: 'replaceQuestion',
    summary: 'Replace a bank question',
    auth: 'operator',
    body: named('QuestionInput', questionInputSchema),
    success: { status: 200, description: 'The question', schema: Question },
    errors: ['NOT_FOUND'],
  },
  'DELETE /api/questions/{questionId}': {
    operationId: 'deleteQuestion',
    summary: 'Delete a bank question',
    auth: 'operator',
    success: { status: 204, description: 'Deleted' },
    errors: ['NOT_FOUND'],
  },
  'GET /api/sessions/{sessionId}/question': {
    operationId: 'getSessionQuestion',
    summary: "The session's question, as the caller's role may see it",
    description: 'A candidate sees hidden tests by name only.',
    auth: 'session',
    roles: ALL,
    success: { status: 200, description: 'The question', schema: Question },
    errors: ['NOT_FOUND'],
  },
  'PUT /api/sessions/{sessionId}/question': {
    operationId: 'setSessionQuestion',
    summary: 'Set the question, from the bank (`{questionId}`) or inline',
    auth: 'session',
    roles: INTERVIEWER,
    mutates: true,
    body: { ...named('SessionQuestionRef', questionRefSchema), alternatives: [named('QuestionInput', questionInputSchema)] },
    success: { status: 200, description: 'The question; everyone gets `question-updated`', schema: Question },
    errors: ['NOT_FOUND'],
  },
  'GET /api/sessions/{sessionId}/notes': read('getNotes', "The interviewers' private notes", READERS, 'The notes', named('Notes', R.notesResponse), { query: getCodeQuery }),
  'PUT /api/sessions/{sessionId}/notes': {
    operationId: 'putNotes',
    summary: 'Replace the notes (conditional with `baseVersion`), 64 KiB at most',
    description: 'A stale `baseVersion` is 409 `VERSION_CONFLICT` with `details: {currentVersion, notes}`. Interviewer connections get the change.',
    auth: 'session',
    roles: INTERVIEWER,
    mutates: true,
    body: named('PutNotesBody', putNotesBody),
    success: { status: 200, description: 'The new version', schema: Version },
    errors: ['VERSION_CONFLICT', 'BUSY'],
  },
  'POST /api/sessions/{sessionId}/review-links': {
    operationId: 'createReviewLink',
    summary: 'Create a read-only review link (`expiresInHours` 1–720, default 168)',
    description: 'Works after the session ended too; `expiresAt` never passes the session data\'s own expiry.',
    auth: 'session',
    roles: INTERVIEWER,
    body: named('CreateReviewLinkBody', createReviewLinkBody),
    success: { status: 201, description: 'The link and its token, shown once', schema: named('ReviewLinkCreated', R.reviewLinkCreatedResponse) },
  },
  'GET /api/sessions/{sessionId}/review-links': read('listReviewLinks', 'Review links, without their tokens', INTERVIEWER, 'The links', named('ReviewLinkList', R.reviewLinkListResponse)),
  'DELETE /api/sessions/{sessionId}/review-links/{linkId}': read('revokeReviewLink', 'Revoke a review link at once', INTERVIEWER, 'The link, now revoked', named('ReviewLink', R.reviewLinkResponse), { errors: ['NOT_FOUND'] }),
  'GET /api/sessions/{sessionId}/timeline': {
    operationId: 'getTimeline',
    summary: 'Playback: every edit, run, language change, join, leave and activity, oldest first',
    description: 'Applying every `edit` of `doc: "code"` in order to an empty Y.Doc gives the code at that point.',
    auth: 'session',
    roles: READERS,
    query: timelineQuery,
    success: { status: 200, description: 'One page of events', schema: named('Timeline', R.timelineResponse) },
  },
};
