/**
 * The records core reads and writes through its ports (ports.ts): the shapes of a session, its
 * connections, documents, executions, questions, snapshots, review links, API keys and history, as the
 * use-cases see them. The stores in shared/aws/store/ persist exactly these (adding only their keys),
 * so the types live here, on the side that needs them, and the adapters import them.
 */
import type { Execution } from '#contract/execution-types.js';
import type { LanguageId } from '#contract/languages.js';
import type { ExecutionMode, Question, QuestionSummary } from '#contract/questions.js';
import type { Role } from '#contract/roles.js';

// ---- sessions and connections ----------------------------------------------------------------------

export type SessionStatus = 'active' | 'ended';

export interface SessionItem {
  sessionId: string;
  title: string;
  language: LanguageId;
  status: SessionStatus;
  createdAt: string;
  lastActivity: string;
  expiresAt: string;
  /** expiresAt in epoch seconds, for condition expressions. */
  expiresAtEpoch: number;
  endedAt?: string;
  version: number;
  /** The notes document's newest version (docs/protocol.md §10); absent until their first write. */
  notesVersion?: number;
  interviewerTokenHash: string;
  candidateTokenHash: string;
  ttl: number;
  /** The operator identity that created it (`key:<name>` / `jwt:<sub>`); absent on older sessions. */
  createdBy?: string;
  /** The interviewer's controls (docs/protocol.md §8): absent = false. */
  runsDisabled?: boolean;
  editingLocked?: boolean;
  /** The newest revision of the session's question (store/questions.ts); absent: no question. */
  questionRevision?: number;
  /** How many tests that revision has (a `mode:"tests"` run of none is refused without a read). */
  questionTestCount?: number;
  /** Counts the changes of title, language and controls: `session-updated` carries it as `revision`. */
  settingsRevision?: number;
}

/** Other changes of the session's settings kept committing first: the caller answers BUSY. */
export class SessionContention extends Error {
  constructor() {
    super('the session kept changing under this write');
    this.name = 'SessionContention';
  }
}

/** Active: not ended, and not past its expiry (pure: the watchdog uses it without the stores). */
export const isActive = (s: Pick<SessionItem, 'status' | 'expiresAtEpoch'>, nowMs: number = Date.now()): boolean =>
  s.status === 'active' && s.expiresAtEpoch * 1000 > nowMs;

export interface SessionFields {
  title?: string;
  language?: LanguageId;
  runsDisabled?: boolean;
  editingLocked?: boolean;
}

/** A session as the operator's index lists it (`GET /api/sessions`). */
export interface OperatorSessionItem {
  sessionId: string;
  title: string;
  language: LanguageId;
  status: SessionStatus;
  createdAt: string;
  expiresAt: string;
  expiresAtEpoch: number;
  createdBy: string;
  ttl: number;
}

export type ListStatus = 'active' | 'ended' | 'expired';

export interface OperatorSessionPage {
  items: OperatorSessionItem[];
  /** SK to continue after, when there may be more. */
  nextSk: string | undefined;
}

export interface ConnectionItem {
  sessionId: string;
  connectionId: string;
  role: Role;
  connectedAt: string;
  /** Set by join-session; a connection that has not joined receives no session events. */
  joined?: boolean;
  userId?: string;
  username?: string;
  joinedAt?: string;
  format?: 'text' | 'yjs';
  ttl: number;
}

export interface Participant {
  id: string;
  username: string;
  role: Role;
  joinedAt: string;
}

/** Joined users, one entry per user id (a user with two tabs counts once). */
export function participantsOf(connections: ConnectionItem[]): Participant[] {
  const byUser = new Map<string, Participant>();
  for (const c of connections) {
    if (!c.joined || !c.userId) continue;
    const existing = byUser.get(c.userId);
    const joinedAt = c.joinedAt ?? c.connectedAt;
    if (!existing || joinedAt < existing.joinedAt) {
      byUser.set(c.userId, { id: c.userId, username: c.username ?? c.userId, role: c.role, joinedAt });
    }
  }
  return [...byUser.values()].sort((a, b) => a.joinedAt.localeCompare(b.joinedAt));
}

// ---- documents and playback ------------------------------------------------------------------------

export interface LogUpdate {
  version: number;
  update: Uint8Array;
  at: string;
}

export interface StoredState {
  version: number;
  parts: number;
  bytes: Uint8Array;
}

/** What a read found: a state (absent when the log reaches back to version 1) and the updates above it. */
export interface StoredDocument {
  state?: StoredState;
  /** Ascending, contiguous from (state?.version ?? 0) + 1. */
  updates: LogUpdate[];
  /** The newest version read. */
  version: number;
  updatedAt: string;
}

export interface AppendInput {
  /** `lockable`: the writer is subject to the interviewer's `editingLocked` (a candidate, docs/protocol.md §8). */
  session: Pick<SessionItem, 'sessionId' | 'ttl'> & { lockable?: boolean };
  /** The version this append must follow: it takes expectedVersion + 1 or fails. */
  expectedVersion: number;
  update: Uint8Array;
  userId: string;
  /** Unique per logical write (newWriteId) and kept across its retries: recognises our own earlier success. */
  writeId: string;
  /** Also switch the session language in the same transaction (snapshot restore). */
  language?: LanguageId;
  history?: { type: HistoryType; detail: Record<string, unknown> };
  nowMs?: number;
}

/** Why an append did not take its version: the session's item as the failed condition saw it. */
export type AppendOutcome =
  | { ok: true; version: number; at: string }
  /** `wonBy`: the author of the write that took the version this one wanted, when the store saw it. */
  | { ok: false; reason: 'moved'; currentVersion: number; wonBy?: string }
  /** `locked`: a lockable writer met `editingLocked` (nothing was written; retrying cannot help). */
  | { ok: false; reason: 'inactive' | 'missing' | 'locked' }
  /** Another transaction touched the session item at that instant; nothing was decided. */
  | { ok: false; reason: 'conflict' };

/** One stored edit of a document, as playback reads it. */
export interface LogItem {
  version: number;
  at: string;
  userId?: string;
  update: Uint8Array;
}

export interface HistoryItem {
  sk: string;
  at: string;
  type: string;
  userId?: string;
  detail: Record<string, unknown>;
}

export interface ReadStats {
  /** Read capacity units DynamoDB reported for the Queries. */
  capacityUnits: number;
  queries: number;
}

export const HISTORY_TYPES = [
  'session-created',
  'user-joined',
  'user-left',
  'language-changed',
  'title-changed',
  'code-replaced',
  'snapshot-created',
  'snapshot-restored',
  'execution-queued',
  'execution-finished',
  'session-ended',
  /** Client-reported paste / focus events (docs/protocol.md §10): kind, chars?, username, role. */
  'activity',
  /** The session got a question (revision, title, testCount, questionId when from the bank: no test data). */
  'question-changed',
  /** PATCH runsDisabled / editingLocked: the flags that changed. */
  'controls-changed',
] as const;
export type HistoryType = (typeof HISTORY_TYPES)[number];

// ---- executions, questions, snapshots, links, keys -------------------------------------------------

export interface ExecutionItem extends Execution {
  code: string;
  stdin: string;
  attempts: number;
  claimedBy?: string;
  watchPk?: string;
  watchDeadline?: number;
  idempotencyKey?: string;
  /** `tests` runs the tests of the session question's revision `questionRevision` (docs/protocol.md §8); absent: a plain run. */
  mode?: ExecutionMode;
  questionRevision?: number;
  /** The document version whose text `code` is (absent when the request brought its own code). */
  codeVersion?: number;
  ttl: number;
}

/** What a new run is made of; the store adds its bookkeeping (status QUEUED, watchdog deadline). */
export interface NewExecution {
  sessionId: string;
  executionId: string;
  language: LanguageId;
  userId: string;
  code: string;
  codeVersion?: number;
  stdin: string;
  ttl: number;
  idempotencyKey?: string;
  mode?: ExecutionMode;
  questionRevision?: number;
  nowMs?: number;
}

export interface BankQuestion extends Question {
  questionId: string;
  createdAt: string;
  updatedAt: string;
}

export interface BankPage {
  items: QuestionSummary[];
  nextSk?: string;
}

/** A bank question kept changing while it was read (each read raced a replacement): the caller retries or gives up. */
export class QuestionReadRaced extends Error {}

export interface SessionQuestion extends Question {
  revision: number;
  updatedAt: string;
}

export interface Snapshot {
  snapshotId: string;
  label: string;
  language: LanguageId;
  createdAt: string;
  createdBy: string;
  size: number;
  /** Code version the snapshot was taken at. */
  version: number;
}
export interface SnapshotWithCode extends Snapshot {
  code: string;
}

export interface ReviewLinkItem {
  sessionId: string;
  linkId: string;
  tokenHash: string;
  createdAt: string;
  createdBy: string;
  expiresAt: string;
  /** expiresAt in epoch seconds. */
  expiresAtEpoch: number;
  revokedAt?: string;
  ttl: number;
}

export interface ApiKeyItem {
  keyId: string;
  name: string;
  keyHash: string;
  createdAt: string;
  /** A few leading characters of the key: enough to tell keys apart in a list, useless to an attacker. */
  hint: string;
  revokedAt?: string;
  /** The local stack's key from INTERVIEW_API_KEY (replaced at each start). */
  localEnv?: boolean;
  ttl?: number;
}
