/** The WebSocket contract (SPEC §5): client actions as zod schemas, server messages as types. */
import { z } from 'zod';
import type { Execution } from '../execution-types.js';
import { LIMITS } from '../limits.js';
import type { Role } from '../tokens.js';

/** Standard base64 as Yjs clients send it; decoding is strict (garbage is refused, not skipped). */
const base64 = z
  .string()
  .min(1)
  .max(LIMITS.websocket.messageMaxBytes)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64')
  .refine((s) => s.length % 4 === 0, 'must be base64 (length a multiple of 4)');

const userId = z.string().regex(/^[A-Za-z0-9_.:@-]{1,64}$/, 'letters, digits and _.:@- only, 1-64 characters');

export const actionSchemas = {
  'join-session': z
    .object({
      action: z.literal('join-session'),
      username: z.string().trim().min(1).max(LIMITS.session.usernameMaxLength).optional(),
      userId: userId.optional(),
      format: z.enum(['text', 'yjs']).optional(),
      stateVector: base64.optional(),
    })
    .strict(),
  'code-change': z.object({ action: z.literal('code-change'), code: z.string(), baseVersion: z.number().int().min(0).optional() }).strict(),
  'yjs-update': z.object({ action: z.literal('yjs-update'), update: base64 }).strict(),
  'awareness-update': z.object({ action: z.literal('awareness-update'), update: base64 }).strict(),
  'cursor-update': z
    .object({
      action: z.literal('cursor-update'),
      position: z.object({ lineNumber: z.number().int().min(1), column: z.number().int().min(1) }).strict(),
      selection: z
        .object({
          startLineNumber: z.number().int().min(1),
          startColumn: z.number().int().min(1),
          endLineNumber: z.number().int().min(1),
          endColumn: z.number().int().min(1),
        })
        .strict()
        .optional(),
    })
    .strict(),
  'language-change': z.object({ action: z.literal('language-change'), language: z.string().min(1).max(32) }).strict(),
  'run-code': z
    .object({ action: z.literal('run-code'), stdin: z.string().optional(), language: z.string().min(1).max(32).optional() })
    .strict(),
  ping: z.object({ action: z.literal('ping') }).passthrough(),
  'leave-session': z.object({ action: z.literal('leave-session') }).passthrough(),
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
    }
  | { type: 'user-joined'; userId: string; username: string; role: Role; userCount: number }
  | { type: 'user-left'; userId: string; userCount: number }
  | { type: 'code-update'; code?: string; version: number; userId: string; timestamp: string; documentUrl?: string }
  | { type: 'code-ack'; version: number }
  | { type: 'yjs-update'; update?: string; version: number; userId: string; documentUrl?: string }
  | { type: 'awareness-update'; update: string; userId: string }
  | { type: 'cursor-update'; position: unknown; selection?: unknown; userId: string }
  | { type: 'language-update'; language: string; userId: string }
  | { type: 'execution-queued' | 'execution-started'; executionId: string; language: string; userId: string }
  | { type: 'execution-output'; executionId: string; stream: 'stdout' | 'stderr'; data: string; seq: number }
  | ({ type: 'execution-finished' } & Execution)
  | { type: 'session-ended'; reason: string }
  | { type: 'pong'; timestamp: string }
  | { type: 'error'; code: string; message: string; details?: unknown; action?: string };

/** Where a client fetches a document that does not fit in a WebSocket message. */
export const documentUrl = (sessionId: string, format: 'text' | 'yjs') =>
  `/api/sessions/${sessionId}/code${format === 'yjs' ? '?format=yjs' : ''}`;
