/**
 * `code-change`, `yjs-update` and `sync` with `doc:"notes"` (docs/protocol.md §10): the same document operations as
 * the code's (shared/core/code.ts) on the notes document, accepted only from interviewer connections
 * and relayed only to interviewer connections. Every message about the notes carries `doc:"notes"`.
 */
import * as Y from 'yjs';
import { documentId, type DocName } from '#contract/documents.js';
import { documentUrl, type ActionOf, type ServerMessage } from '#contract/messages.js';
import type { Role } from '#contract/roles.js';
import { encodeState, textOf } from '#core/yjs-document.js';
import { encodeMessage, fitsInMessage } from '#aws/push.js';
import type { SessionItem } from '#aws/store/sessions.js';
import { currentDocument, mergeTextEdit, mergeUpdate, replaceCode, textAfter, type WriteResult } from '#core/code.js';
import { assertNotesRole, notesRef } from '#core/notes.js';
import { broadcastDocumentChange, joinedRecipients, shrink } from '#aws/notify.js';
import { listConnections, type ConnectionItem } from '#aws/store/connections.js';
import { reply, requireJoined, type WsContext } from './context.js';
import { decodeBase64, diffFor, limitRate } from './document-actions.js';

/** Dispatches a document action on its `doc`: the code's handler unless it names the notes. */
export const byDocument =
  <M extends { doc?: DocName }>(code: (ctx: WsContext, msg: M) => Promise<void>, notes: (ctx: WsContext, msg: M) => Promise<void>) =>
  (ctx: WsContext, msg: M): Promise<void> =>
    msg.doc === 'notes' ? notes(ctx, msg) : code(ctx, msg);

const notesDoc = (ctx: WsContext) => notesRef({ sessionId: ctx.conn.sessionId, ttl: ctx.conn.sessionTtl });

export async function notesCodeChange(ctx: WsContext, msg: ActionOf<'code-change'>): Promise<void> {
  assertNotesRole(ctx.conn.role, 'edit the notes');
  limitRate(ctx, 'edit');
  const connections = await listConnections(ctx.conn.sessionId);
  const me = requireJoined(connections, ctx.connectionId);
  const ref = notesDoc(ctx);
  const result =
    msg.baseVersion !== undefined
      ? await mergeTextEdit(ref, msg.code, msg.baseVersion, me.userId!)
      : await replaceCode(ref, msg.code, { userId: me.userId! });
  const text = await textAfter(ref.sessionId, result.version);
  await reply(ctx, shrink(
    { type: 'code-ack', doc: 'notes', version: text.version, code: text.code },
    { type: 'code-ack', doc: 'notes', version: text.version, documentUrl: documentUrl(ctx.conn.sessionId, 'text', 'notes') },
  ));
  await relayNotes(ctx.conn.sessionId, connections, result, me.userId!, ctx.connectionId);
}

export async function notesYjsUpdate(ctx: WsContext, msg: ActionOf<'yjs-update'>): Promise<void> {
  assertNotesRole(ctx.conn.role, 'edit the notes');
  limitRate(ctx, 'edit');
  const update = decodeBase64(msg.update, 'update');
  const connections = await listConnections(ctx.conn.sessionId);
  const me = requireJoined(connections, ctx.connectionId);
  const result = await mergeUpdate(notesDoc(ctx), update, me.userId!);
  await relayNotes(ctx.conn.sessionId, connections, result, me.userId!, ctx.connectionId);
}

export async function notesSync(ctx: WsContext, msg: ActionOf<'sync'>): Promise<void> {
  assertNotesRole(ctx.conn.role, 'read the notes');
  const stateVector = decodeBase64(msg.stateVector, 'stateVector');
  const connections = await listConnections(ctx.conn.sessionId);
  requireJoined(connections, ctx.connectionId);
  const entry = await currentDocument(documentId(ctx.conn.sessionId, 'notes'));
  const update = diffFor(entry.doc, stateVector);
  const base = { type: 'sync-reply' as const, doc: 'notes' as const, stateVector: Buffer.from(Y.encodeStateVector(entry.doc)).toString('base64'), version: entry.version };
  await reply(ctx, shrink(
    { ...base, update: Buffer.from(update).toString('base64') },
    { ...base, documentUrl: documentUrl(ctx.conn.sessionId, 'yjs', 'notes') },
  ));
}

/** Interviewer connections only (the sender excluded): nothing about the notes reaches anyone else. */
export const interviewerRecipients = (connections: ConnectionItem[], excludeConnectionId?: string): ConnectionItem[] =>
  joinedRecipients(connections, excludeConnectionId).filter((c) => c.role === 'interviewer');

/** Relays a stored notes change (WebSocket edits and `PUT /notes`). */
export async function relayNotes(sessionId: string, connections: ConnectionItem[], result: WriteResult, userId: string, excludeConnectionId?: string): Promise<void> {
  if (!result.changed) return;
  const recipients = interviewerRecipients(connections, excludeConnectionId);
  if (recipients.length === 0) return;
  const needsText = recipients.some((c) => c.format !== 'yjs');
  const text = needsText ? await textAfter(documentId(sessionId, 'notes'), result.version) : undefined;
  await broadcastDocumentChange(recipients, {
    sessionId,
    doc: 'notes',
    update: result.update,
    version: result.version,
    userId,
    ...(text ? { code: text.code, textVersion: text.version } : {}),
  });
}

export interface JoinNotes {
  notes: string;
  notesYjsState?: string;
  notesDocumentUrl: string;
}

/** What `session-joined` tells an interviewer about the notes (nobody else hears of them). */
export async function notesOnJoin(session: SessionItem, role: Role, format: 'text' | 'yjs'): Promise<JoinNotes | undefined> {
  if (role !== 'interviewer') return undefined;
  const entry = await currentDocument(documentId(session.sessionId, 'notes'), session.notesVersion ?? 0);
  // Taken at once: the shared copy may move on while the join goes on.
  return {
    notes: textOf(entry.doc),
    ...(format === 'yjs' ? { notesYjsState: Buffer.from(encodeState(entry.doc)).toString('base64') } : {}),
    notesDocumentUrl: documentUrl(session.sessionId, format, 'notes'),
  };
}

type Joined = Extract<ServerMessage, { type: 'session-joined' }>;

/** `session-joined` within 128 KiB: everything inline; else the notes by URL; else both documents by URL. */
export function joinedMessage(full: Joined, withoutDocuments: Joined, notes: JoinNotes | undefined): string {
  if (!notes) return shrink(full, withoutDocuments);
  const { notesDocumentUrl, ...inline } = notes;
  const all = encodeMessage({ ...full, ...inline });
  if (fitsInMessage(all)) return all;
  return shrink({ ...full, notesDocumentUrl }, { ...withoutDocuments, notesDocumentUrl });
}
