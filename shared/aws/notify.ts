/**
 * Session events to everyone connected, each in the format its client joined with. Used by the
 * WebSocket actions and by HTTP routes whose effects must reach the sockets (PUT /code, restore,
 * PATCH language, DELETE session).
 */
import type { ConnectionItem } from '#aws/store/connections.js';
import { deleteConnection } from '#aws/store/connections.js';
import { closeConnection, fanOut, fitsInMessage, encodeMessage } from './push.js';
import type { Execution } from '#contract/execution-types.js';
import { viewExecution } from '#core/execution-view.js';
import { documentUrl, type ServerMessage } from '#contract/messages.js';

export const joinedRecipients = (connections: ConnectionItem[], excludeConnectionId?: string) =>
  connections.filter((c) => c.joined && c.connectionId !== excludeConnectionId);

export interface DocumentChange {
  sessionId: string;
  /** The stored Yjs update, when there is one. */
  update?: Uint8Array;
  /** The version the update created. */
  version: number;
  /** For text clients: the text at `textVersion` (≥ version: it may include later writes). */
  code?: string;
  textVersion?: number;
  userId: string;
  /** The interviewers' notes (docs/protocol.md §10): every message says so; callers pick interviewer recipients. */
  doc?: 'notes';
}

/** Text clients get the new text, Yjs clients the update; both fall back to a URL when too large. */
export async function broadcastDocumentChange(
  connections: ConnectionItem[],
  change: DocumentChange,
  excludeConnectionId?: string,
): Promise<void> {
  const recipients = joinedRecipients(connections, excludeConnectionId);
  const yjs = recipients.filter((c) => c.format === 'yjs');
  const text = recipients.filter((c) => c.format !== 'yjs');
  const sends: Promise<unknown>[] = [];
  const doc = change.doc ? { doc: change.doc } : {};
  if (yjs.length > 0 && change.update) {
    sends.push(
      fanOut(yjs, shrink(
        { type: 'yjs-update', ...doc, update: Buffer.from(change.update).toString('base64'), version: change.version, userId: change.userId },
        { type: 'yjs-update', ...doc, version: change.version, userId: change.userId, documentUrl: documentUrl(change.sessionId, 'yjs', change.doc) },
      )),
    );
  }
  if (text.length > 0 && change.code !== undefined) {
    const timestamp = new Date().toISOString();
    const version = change.textVersion ?? change.version;
    sends.push(
      fanOut(text, shrink(
        { type: 'code-update', ...doc, code: change.code, version, userId: change.userId, timestamp },
        { type: 'code-update', ...doc, version, userId: change.userId, timestamp, documentUrl: documentUrl(change.sessionId, 'text', change.doc) },
      )),
    );
  }
  await Promise.all(sends);
}

/** The full message if it fits in 128 KiB, else the fallback that points to HTTP. */
export function shrink(full: ServerMessage, fallback: ServerMessage): string {
  const data = encodeMessage(full);
  return fitsInMessage(data) ? data : encodeMessage(fallback);
}

/**
 * `execution-finished` within 128 KiB, as `role` may see it (shared/core/execution-view.ts; without a
 * role, a candidate's view: a caller that forgets the role leaks nothing). Outputs are capped (32 KiB per
 * stream, a test run's details 128 KiB in all) but JSON escaping can grow them up to 6×; past the limit
 * the outputs and the tests' details are left out (each test keeps name, hidden, status, durationMs) and
 * `resultUrl` says where to read them.
 */
export function finishedMessage(execution: Execution, role = 'candidate'): string {
  const view = viewExecution(execution, role);
  const full: ServerMessage = { type: 'execution-finished', ...view };
  const tests = view.tests?.map(({ name, hidden, status, durationMs }) => ({ name, hidden, status, durationMs }));
  const slim = { ...full, stdout: '', stderr: '', compileOutput: '', ...(tests ? { tests } : {}), resultUrl: `/api/sessions/${execution.sessionId}/executions/${execution.executionId}` };
  return shrink(full, slim as ServerMessage);
}

export async function broadcast(connections: ConnectionItem[], message: ServerMessage | string, excludeConnectionId?: string): Promise<void> {
  await fanOut(joinedRecipients(connections, excludeConnectionId), message);
}

/** Tells every connection (joined or not) the session ended, then closes and forgets them. */
export async function endSessionSockets(connections: ConnectionItem[], reason: string): Promise<void> {
  await fanOut(connections, { type: 'session-ended', reason });
  await Promise.all(
    connections.map(async (c) => {
      await closeConnection(c.connectionId);
      await deleteConnection(c.sessionId, c.connectionId);
    }),
  );
}

