/** The WebSocket contract (docs/protocol.md §5): client actions as zod schemas, server messages as types. */
import * as z from 'zod/mini';
import type { Execution } from './execution-types.js';
import { DOC_NAMES, type DocName } from './documents.js';
import { LIMITS } from './limits.js';
import { EXECUTION_MODES, type QuestionUpdatedMessage, type SessionUpdatedMessage } from './questions.js';
import type { Role } from '#contract/roles.js';

/** Standard base64 as Yjs clients send it; decoding is strict (garbage is refused, not skipped). */
const base64 = z.string().check(
  z.minLength(1),
  z.maxLength(LIMITS.websocket.messageMaxBytes),
  z.regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64'),
  z.refine((s) => s.length % 4 === 0, 'must be base64 (length a multiple of 4)'),
);

const userId = z.string().check(z.regex(/^[A-Za-z0-9_.:@-]{1,64}$/, 'letters, digits and _.:@- only, 1-64 characters'));
const line = z.int().check(z.minimum(1));
const shortString = z.string().check(z.minLength(1), z.maxLength(32));
/** Which document of the session an edit or sync is about (docs/protocol.md §10); default the code. */
const doc = z.optional(z.enum(DOC_NAMES));

export const actionSchemas = {
  'join-session': z.strictObject({
    action: z.literal('join-session'),
    username: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(LIMITS.session.usernameMaxLength))),
    userId: z.optional(userId),
    format: z.optional(z.enum(['text', 'yjs'])),
    stateVector: z.optional(base64),
  }),
  'code-change': z.strictObject({ action: z.literal('code-change'), code: z.string(), baseVersion: z.optional(z.int().check(z.minimum(0))), doc }),
  'yjs-update': z.strictObject({ action: z.literal('yjs-update'), update: base64, doc }),
  sync: z.strictObject({ action: z.literal('sync'), stateVector: base64, doc }),
  'awareness-update': z.strictObject({ action: z.literal('awareness-update'), update: base64 }),
  'cursor-update': z.strictObject({
    action: z.literal('cursor-update'),
    position: z.strictObject({ lineNumber: line, column: line }),
    selection: z.optional(
      z.strictObject({ startLineNumber: line, startColumn: line, endLineNumber: line, endColumn: line }),
    ),
  }),
  'language-change': z.strictObject({ action: z.literal('language-change'), language: shortString }),
  'run-code': z.strictObject({
    action: z.literal('run-code'),
    stdin: z.optional(z.string()),
    language: z.optional(shortString),
    mode: z.optional(z.enum(EXECUTION_MODES)),
  }),
  ping: z.looseObject({ action: z.literal('ping') }),
  'leave-session': z.looseObject({ action: z.literal('leave-session') }),
  activity: z.strictObject({
    action: z.literal('activity'),
    kind: z.enum(['paste', 'focus-lost', 'focus-gained']),
    chars: z.optional(z.int().check(z.minimum(0), z.maximum(10_000_000))),
  }),
} as const;

export type ActionName = keyof typeof actionSchemas;
export type ActionOf<A extends ActionName> = z.infer<(typeof actionSchemas)[A]>;

export interface UserView {
  id: string;
  username: string;
  role: Role;
}

export type ServerMessage =
  | {
      type: 'session-joined';
      sessionId: string;
      userId: string;
      role: Role;
      language: string;
      currentCode?: string;
      version: number;
      users: UserView[];
      userCount: number;
      yjsState?: string;
      /** Set when the document is too large for one WebSocket message: fetch it over HTTP instead. */
      documentUrl?: string;
      /** Interviewers only (docs/protocol.md §10): the notes' text, and with format yjs their state. */
      notes?: string;
      notesYjsState?: string;
      /** Interviewers only, instead of notes/notesYjsState when they did not fit: GET /notes. */
      notesDocumentUrl?: string;
    }
  | { type: 'user-joined'; userId: string; username: string; role: Role; userCount: number }
  | { type: 'user-left'; userId: string; userCount: number }
  | { type: 'code-update'; doc?: 'notes'; code?: string; version: number; userId: string; timestamp: string; documentUrl?: string }
  | { type: 'code-ack'; doc?: 'notes'; version: number; code?: string; documentUrl?: string }
  | { type: 'sync-reply'; doc?: 'notes'; update?: string; stateVector: string; version: number; documentUrl?: string }
  | { type: 'yjs-update'; doc?: 'notes'; update?: string; version: number; userId: string; documentUrl?: string }
  | { type: 'activity'; userId: string; username: string; kind: 'paste' | 'focus-lost' | 'focus-gained'; chars?: number; at: string }
  | { type: 'awareness-update'; update: string; userId: string }
  | { type: 'cursor-update'; position: unknown; selection?: unknown; userId: string }
  | { type: 'language-update'; language: string; userId: string }
  | { type: 'execution-queued' | 'execution-started'; executionId: string; language: string; userId: string }
  | { type: 'execution-output'; executionId: string; stream: 'stdout' | 'stderr'; data: string; seq: number }
  | ({ type: 'execution-finished' } & Execution)
  | QuestionUpdatedMessage
  | SessionUpdatedMessage
  | { type: 'session-ended'; reason: string }
  | { type: 'pong'; timestamp: string }
  | { type: 'error'; code: string; message: string; details?: unknown; action?: string };

/** Where a client fetches a document that does not fit in a WebSocket message. */
export const documentUrl = (sessionId: string, format: 'text' | 'yjs', doc: DocName = 'code') =>
  `/api/sessions/${sessionId}/${doc}${format === 'yjs' ? '?format=yjs' : ''}`;
