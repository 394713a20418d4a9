/**
 * What a use-case reports happened to a session. Use-cases return these and never push to sockets or
 * start runners themselves; `publish()` (shared/aws/publish.ts) turns each into its effects, the same
 * for every entry point: HTTP route, WebSocket action, pipeline function.
 */
import type { Execution } from '#contract/execution-types.js';
import type { LanguageId } from '#contract/languages.js';
import type { Question } from '#contract/questions.js';
import type { Role } from '#contract/roles.js';
import type { SessionItem } from './records.js';
import type { WriteResult } from './code.js';

export type SessionEvent =
  /** A stored document write: Yjs clients get the update, text clients the text; the writer's own socket is skipped. */
  | { type: 'DocumentChanged'; sessionId: string; userId: string; version: number; update?: Uint8Array }
  /**
   * A socket joined the session: a runner of its language is warmed ahead of the first run (a cold
   * Fargate task takes 30-60 s). `user` when the connection joined for the first time: the others get
   * user-joined (the joiner, publish()'s `exclude`, has session-joined already).
   */
  | { type: 'SessionJoined'; sessionId: string; language: LanguageId; user?: { userId: string; username: string; role: Role; userCount: number } }
  /** The language switched: everyone is told and a runner of the new language is warmed. */
  | { type: 'LanguageChanged'; sessionId: string; userId: string; language: LanguageId }
  /** The session ended (now or earlier): every socket is told, closed and forgotten. */
  /** `ttl`: the session's data expiry, for the history entries of those it disconnects. */
  | { type: 'SessionEnded'; sessionId: string; reason: string; ttl: number }
  /** A run is stored QUEUED: everyone is told, then it goes to its language's queue and a runner is warmed. */
  | { type: 'RunQueued'; sessionId: string; executionId: string; language: LanguageId; userId: string }
  /**
   * A retried request (same Idempotency-Key) found its run still QUEUED: the first request may have
   * stopped between storing it and queueing it, so the message goes again (a runner's claim is
   * conditional: a second delivery runs nothing). Nobody is told again, and a queue that cannot be
   * reached leaves the run as it is (the first message may be in it; the watchdog ends it otherwise).
   */
  | { type: 'RunRequeued'; sessionId: string; executionId: string; language: LanguageId }
  /** An execution reached a final status outside a runner (watchdog, dead letter). */
  | { type: 'ExecutionFinished'; sessionId: string; execution: Execution }
  /** The session got a question (docs/protocol.md §8): everyone is told, each in the view of its role. */
  | { type: 'QuestionChanged'; sessionId: string; question: Question }
  /** A PATCH: everyone gets session-updated with the title, language and both controls as they are now. */
  | { type: 'SessionUpdated'; sessionId: string; userId: string; session: Pick<SessionItem, 'title' | 'language' | 'runsDisabled' | 'editingLocked' | 'settingsRevision'> };

/** A write that changed nothing reaches nobody. */
export function documentChanged(sessionId: string, userId: string, result: WriteResult): SessionEvent[] {
  if (!result.changed) return [];
  return [{ type: 'DocumentChanged', sessionId, userId, version: result.version, ...(result.update ? { update: result.update } : {}) }];
}

/** A write of the session's fields that switched its language (PATCH, a restore, language-change). */
export function languageChanged(
  before: { sessionId: string; language: LanguageId },
  after: { language: LanguageId },
  userId: string,
): SessionEvent[] {
  return after.language === before.language ? [] : [{ type: 'LanguageChanged', sessionId: before.sessionId, userId, language: after.language }];
}
