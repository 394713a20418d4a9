/**
 * What core needs from storage, declared on core's side (the dependency rule, docs/architecture.md):
 * each interface below is a port, and the DynamoDB stores in shared/aws/store/ are its adapters. The
 * composition root (shared/aws/wiring.ts, imported by every entry point) hands them to `provide()` at
 * import time; a use-case reaches them through `stores`. Pushes, queues and runner launches are not
 * ports: use-cases return SessionEvents and publish() (shared/aws/publish.ts) turns them into effects.
 *
 * Each port lists only what core calls; `nowMs` parameters let tests and callers fix the clock.
 */
import type { DocName } from '#contract/documents.js';
import type { QuestionInput, StarterCode } from '#contract/questions.js';
import type {
  ApiKeyItem,
  AppendInput,
  AppendOutcome,
  BankPage,
  BankQuestion,
  ConnectionItem,
  ExecutionItem,
  HistoryItem,
  ListStatus,
  LogItem,
  LogUpdate,
  NewExecution,
  OperatorSessionPage,
  ReadStats,
  ReviewLinkItem,
  SessionFields,
  SessionItem,
  SessionQuestion,
  SnapshotWithCode,
  StoredDocument,
} from './records.js';

export interface SessionStore {
  /** Creates the session with its first document state and history entry, atomically. */
  createSessionItems(session: SessionItem, initialUpdate: Uint8Array): Promise<void>;
  getSession(sessionId: string): Promise<SessionItem | undefined>;
  /**
   * The session as the change was judged against and after it; undefined when it is gone, ended or
   * expired. Throws SessionContention when other changes kept committing first.
   */
  updateSessionFields(session: SessionItem, fields: SessionFields, userId: string, nowMs?: number): Promise<{ before: SessionItem; after: SessionItem } | undefined>;
  /** Whether this call ended it. */
  endSession(session: SessionItem, userId: string, reason: string, nowMs?: number): Promise<boolean>;
  purgeSession(sessionId: string): Promise<number>;
}

export interface ConnectionStore {
  listConnections(sessionId: string): Promise<ConnectionItem[]>;
}

export interface OperatorSessionStore {
  listOperatorSessions(operator: string, options: { limit: number; afterSk?: string; status?: ListStatus }, nowMs?: number): Promise<OperatorSessionPage>;
  /** Whether a cursor is one this store handed out (an index key). */
  isOperatorSessionCursor(sk: string): boolean;
}

export interface RateLimits {
  /** Counts one call of `who` in `scope`; throws the contract's RATE_LIMITED beyond `limit` per window. */
  consumeRateLimit(scope: string, who: string, limit: number, windowSeconds: number, nowMs?: number): Promise<void>;
}

/** The append-only log of a document (code or notes) and its compacted states; ids as #contract/documents.ts. */
export interface DocumentStore {
  appendUpdate(input: AppendInput): Promise<AppendOutcome>;
  readDocument(documentId: string, opts?: { atVersion?: number; maxItems?: number }): Promise<StoredDocument | undefined>;
  readUpdatesAfter(documentId: string, version: number): Promise<LogUpdate[]>;
  /** Stores a compacted state of `version`; returns the number of parts written. */
  writeState(session: Pick<SessionItem, 'sessionId' | 'ttl'>, version: number, state: Uint8Array): Promise<number>;
  deleteStates(documentId: string, states: { version: number; parts: number }[]): Promise<void>;
  /** A fresh id for one logical write, kept across its retries. */
  newWriteId(): string;
  /** The store was throttled or contended: worth a BUSY answer rather than a 500. */
  isContentionError(err: unknown): boolean;
}

/** What playback reads, in ascending order from a position. */
export interface TimelineStore {
  readLog(sessionId: string, doc: DocName, afterVersion: number, limit: number, stats?: ReadStats): Promise<LogItem[]>;
  readHistory(sessionId: string, afterSk: string | undefined, limit: number, stats?: ReadStats): Promise<HistoryItem[]>;
}

export interface ExecutionStore {
  newExecutionItem(input: NewExecution): ExecutionItem;
  /** Stores a QUEUED execution; false when its idempotency key was used already. */
  /** With `replacing`, the key may still name that (final) execution: it is taken over. */
  putExecution(item: ExecutionItem, replacing?: string): Promise<boolean>;
  getExecution(sessionId: string, executionId: string): Promise<ExecutionItem | undefined>;
  getIdempotentExecutionId(sessionId: string, key: string): Promise<string | undefined>;
}

export interface QuestionBankStore {
  putBankQuestion(operator: string, questionId: string, q: QuestionInput, contentId: string, nowMs?: number): Promise<BankQuestion>;
  /** undefined: no such question. */
  replaceBankQuestion(operator: string, questionId: string, q: QuestionInput, contentId: string, nowMs?: number): Promise<BankQuestion | undefined>;
  deleteBankQuestion(operator: string, questionId: string): Promise<boolean>;
  /** Throws QuestionReadRaced (records.ts) when replacements keep racing the read. */
  getBankQuestion(operator: string, questionId: string): Promise<BankQuestion | undefined>;
  listBankQuestions(operator: string, limit: number, afterSk?: string): Promise<BankPage>;
}

export interface SessionQuestionStore {
  /** Writes revision `revision`; false when a concurrent writer claimed that number first. */
  writeSessionRevision(
    session: { sessionId: string; ttl: number },
    revision: number,
    q: QuestionInput,
    meta: { questionId?: string; userId: string },
    nowMs?: number,
  ): Promise<boolean>;
  /** Points the session at `revision` (only forward); false when it already points at a newer one. */
  pointSessionQuestion(
    session: { sessionId: string; ttl: number },
    revision: number,
    detail: { testCount: number } & Record<string, unknown>,
    userId: string,
    nowMs?: number,
  ): Promise<boolean>;
  getSessionQuestion(sessionId: string, revision: number): Promise<SessionQuestion | undefined>;
  getStarterCodes(sessionId: string, revision: number): Promise<StarterCode>;
}

export interface SnapshotStore {
  putSnapshot(sessionId: string, ttl: number, snapshot: SnapshotWithCode): Promise<void>;
  getSnapshot(sessionId: string, snapshotId: string): Promise<SnapshotWithCode | undefined>;
}

export interface ReviewLinkStore {
  putReviewLink(link: ReviewLinkItem): Promise<void>;
  getReviewLink(sessionId: string, linkId: string): Promise<ReviewLinkItem | undefined>;
  listReviewLinks(sessionId: string): Promise<ReviewLinkItem[]>;
  revokeReviewLink(sessionId: string, linkId: string, nowMs?: number): Promise<ReviewLinkItem | undefined>;
}

export interface ApiKeyStore {
  putApiKey(item: ApiKeyItem): Promise<void>;
  getApiKey(keyHash: string): Promise<ApiKeyItem | undefined>;
  listApiKeys(): Promise<ApiKeyItem[]>;
  deleteApiKey(keyHash: string): Promise<void>;
}

export interface Stores {
  sessions: SessionStore;
  connections: ConnectionStore;
  operatorSessions: OperatorSessionStore;
  rateLimits: RateLimits;
  documents: DocumentStore;
  timeline: TimelineStore;
  executions: ExecutionStore;
  questionBank: QuestionBankStore;
  sessionQuestions: SessionQuestionStore;
  snapshots: SnapshotStore;
  reviewLinks: ReviewLinkStore;
  apiKeys: ApiKeyStore;
}

let wired: Partial<Stores> = {};

/**
 * Called by a composition root: `#aws/wiring.js` wires every port; a function that reaches only a few
 * wires just those (its bundle then carries only their stores). Each call replaces the ports it names
 * (a test's own stores replace the wired ones); test/unit/architecture.test.ts checks that every port an
 * entry point's code reaches is wired by a provide() that entry point loads.
 */
export function provide(adapters: Partial<Stores>): void {
  wired = { ...wired, ...adapters };
}

function port<K extends keyof Stores>(name: K): Stores[K] {
  const adapter = wired[name];
  if (!adapter) throw new Error(`core's ${name} port is not wired: the entry point must provide() it (or import '#aws/wiring.js')`);
  return adapter as Stores[K];
}

/** The ports, looked up at each call so that import order between core and the wiring does not matter. */
export const stores: Stores = {
  get sessions() { return port('sessions'); },
  get connections() { return port('connections'); },
  get operatorSessions() { return port('operatorSessions'); },
  get rateLimits() { return port('rateLimits'); },
  get documents() { return port('documents'); },
  get timeline() { return port('timeline'); },
  get executions() { return port('executions'); },
  get questionBank() { return port('questionBank'); },
  get sessionQuestions() { return port('sessionQuestions'); },
  get snapshots() { return port('snapshots'); },
  get reviewLinks() { return port('reviewLinks'); },
  get apiKeys() { return port('apiKeys'); },
};
