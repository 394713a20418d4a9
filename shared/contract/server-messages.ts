/**
 * zod schemas of the server → client WebSocket messages (docs/protocol.md §5), one per `type`, as a
 * client may rely on them. The TypeScript `ServerMessage` union (messages.ts) is what handlers build;
 * these describe it for docs/websocket.md, and the contract conformance test parses real pushed frames
 * with them, so the two cannot drift apart unnoticed. Objects are not strict: ignore unknown fields.
 */
import * as z from 'zod/mini';
import { executionResponse, questionResponse, testResult } from './responses.js';

const role = z.enum(['interviewer', 'candidate']);
const base64 = z.string();
const count = z.int().check(z.minimum(0));
const doc = z.optional(z.literal('notes'));
/** Present instead of the content when the message would pass 128 KiB: fetch it over HTTP. */
const documentUrl = z.optional(z.string());
/** What fits in any message when the whole question would not: no prompt, starter code or test data. */
const questionDigest = z.looseObject({
  questionId: z.optional(z.string()),
  revision: z.optional(count),
  title: z.string(),
  tests: z.array(z.looseObject({ name: z.string(), hidden: z.boolean() })),
  updatedAt: z.optional(z.string()),
});
const message = <T extends string, S extends z.core.$ZodLooseShape>(type: T, shape: S) => z.looseObject({ type: z.literal(type), ...shape });

export const SERVER_MESSAGES = {
  'session-joined': message('session-joined', {
    sessionId: z.uuid(),
    userId: z.string(),
    role,
    language: z.string(),
    currentCode: z.optional(z.string()),
    version: count,
    users: z.array(z.looseObject({ id: z.string(), username: z.string(), role })),
    userCount: count,
    yjsState: z.optional(base64),
    documentUrl,
    notes: z.optional(z.string()),
    notesYjsState: z.optional(base64),
  }),
  'user-joined': message('user-joined', { userId: z.string(), username: z.string(), role, userCount: count }),
  'user-left': message('user-left', { userId: z.string(), userCount: count }),
  'code-update': message('code-update', { code: z.optional(z.string()), version: count, userId: z.string(), timestamp: z.string(), documentUrl, doc }),
  'code-ack': message('code-ack', { version: count, code: z.optional(z.string()), documentUrl, doc }),
  'yjs-update': message('yjs-update', { update: z.optional(base64), version: count, userId: z.string(), documentUrl, doc }),
  'sync-reply': message('sync-reply', { update: z.optional(base64), stateVector: base64, version: count, documentUrl, doc }),
  'awareness-update': message('awareness-update', { update: base64, userId: z.string() }),
  'cursor-update': message('cursor-update', {
    position: z.looseObject({ lineNumber: count, column: count }),
    selection: z.optional(z.looseObject({ startLineNumber: count, startColumn: count, endLineNumber: count, endColumn: count })),
    userId: z.string(),
  }),
  'language-update': message('language-update', { language: z.string(), userId: z.string() }),
  // `revision` grows with every change of these settings: a client drops a session-updated older than one it applied (two PATCHes' broadcasts can arrive out of order).
  'session-updated': message('session-updated', { title: z.string(), language: z.string(), runsDisabled: z.boolean(), editingLocked: z.boolean(), userId: z.string(), revision: z.optional(count) }),
  'question-updated': message('question-updated', {
    question: z.union([questionResponse, questionDigest]),
    /** The question was too large for one message: `question` is a digest, fetch the rest from `questionUrl`. */
    truncated: z.optional(z.literal(true)),
    questionUrl: z.optional(z.string()),
  }),
  'execution-queued': message('execution-queued', { executionId: z.string(), language: z.string(), userId: z.string() }),
  'execution-started': message('execution-started', { executionId: z.string(), language: z.string(), userId: z.string() }),
  'execution-output': message('execution-output', { executionId: z.string(), stream: z.enum(['stdout', 'stderr']), data: z.string(), seq: count }),
  'execution-test-result': message('execution-test-result', { executionId: z.string(), index: count, ...testResult.def.shape }),
  'execution-finished': message('execution-finished', executionResponse.def.shape),
  activity: message('activity', { userId: z.string(), username: z.string(), kind: z.enum(['paste', 'focus-lost', 'focus-gained']), chars: z.optional(count), at: z.string() }),
  'session-ended': message('session-ended', { reason: z.string() }),
  pong: message('pong', { timestamp: z.string() }),
  error: message('error', { code: z.string(), message: z.string(), details: z.optional(z.unknown()), action: z.optional(z.string()) }),
} as const;

export type ServerMessageType = keyof typeof SERVER_MESSAGES;

/** Parses one frame as the server message its `type` names; throws when it is not one. */
export function parseServerMessage(frame: unknown): z.infer<(typeof SERVER_MESSAGES)[ServerMessageType]> {
  const type = (frame as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || !Object.hasOwn(SERVER_MESSAGES, type)) throw new Error(`not a server message type: ${String(type)}`);
  return z.parse(SERVER_MESSAGES[type as ServerMessageType], frame);
}
