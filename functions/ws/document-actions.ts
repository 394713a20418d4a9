/**
 * `code-change`, `yjs-update` and `sync`. An uncontended Yjs edit costs one DynamoDB call, its append:
 * who to relay to (and whether the sender joined) comes from the container's copy of the session's
 * connections, which the append's condition proves current (#aws/store/connection-cache.ts).
 */
import * as Y from 'yjs';
import { AppError, errors } from '#contract/errors.js';
import { currentDocument, mergeTextEdit, mergeUpdate, replaceCode, textAfter, type SessionRef } from '#core/code.js';
import { listConnections } from '#aws/store/connections.js';
import { relayConnections, reloadConnections, sessionConnections } from '#aws/store/connection-cache.js';
import { reply, requireJoined, type WsContext } from './context.js';
import { documentUrl, type ActionOf } from '#contract/messages.js';
import { shrink } from '#aws/notify.js';
import { publish } from '#aws/publish.js';
import { documentChanged } from '#core/events.js';
import { take } from './rate.js';

/** Every role but the interviewer is subject to the editing lock (docs/protocol.md §8: the interviewer is never locked out). */
export const sessionRef = (ctx: WsContext): SessionRef => ({ sessionId: ctx.conn.sessionId, ttl: ctx.conn.sessionTtl, lockable: ctx.conn.role !== 'interviewer' });

export function limitRate(ctx: WsContext, kind: Parameters<typeof take>[1]): void {
  const wait = take(ctx.connectionId, kind);
  if (wait > 0) throw errors.rateLimited(wait);
}

export async function codeChange(ctx: WsContext, msg: ActionOf<'code-change'>): Promise<void> {
  limitRate(ctx, 'edit');
  const connections = await listConnections(ctx.conn.sessionId);
  const me = requireJoined(connections, ctx.connectionId);
  const result =
    msg.baseVersion !== undefined
      ? await mergeTextEdit(sessionRef(ctx), msg.code, msg.baseVersion, me.userId!)
      : await replaceCode(sessionRef(ctx), msg.code, { userId: me.userId! });
  // The ack carries the text at its version: the sender's edit merged with everything before it.
  const text = await textAfter(ctx.conn.sessionId, result.version);
  await reply(ctx, shrink(
    { type: 'code-ack', version: text.version, code: text.code },
    { type: 'code-ack', version: text.version, documentUrl: documentUrl(ctx.conn.sessionId, 'text') },
  ));
  await publish(documentChanged(ctx.conn.sessionId, me.userId!, result), { connections, exclude: ctx.connectionId });
}

export async function yjsUpdate(ctx: WsContext, msg: ActionOf<'yjs-update'>): Promise<void> {
  limitRate(ctx, 'edit');
  const update = decodeBase64(msg.update, 'update');
  const { sessionId } = ctx.conn;
  const cached = await sessionConnections(sessionId);
  // Not in the copy: the sender may have joined since it was read.
  const me = isJoined(cached, ctx.connectionId) ? requireJoined(cached, ctx.connectionId) : requireJoined(await reloadConnections(sessionId), ctx.connectionId);
  const result = await mergeUpdate(sessionRef(ctx), update, me.userId!);
  // After the append: the copy it was checked against (or a newer one), or a list read after it committed.
  const connections = await relayConnections(sessionId);
  await publish(documentChanged(sessionId, me.userId!, result), { connections, exclude: ctx.connectionId });
}

const isJoined = (connections: { connectionId: string; joined?: boolean }[], connectionId: string) =>
  connections.some((c) => c.connectionId === connectionId && c.joined);


/**
 * Yjs sync steps 1 and 2 over JSON: what the client lacks, and the server's state vector so the client
 * can send what the server lacks. Read-only: safe to repeat, and how a client recovers from a lost relay
 * or a refused update.
 */
export async function sync(ctx: WsContext, msg: ActionOf<'sync'>): Promise<void> {
  const stateVector = decodeBase64(msg.stateVector, 'stateVector');
  const connections = await listConnections(ctx.conn.sessionId);
  requireJoined(connections, ctx.connectionId);
  const entry = await currentDocument(ctx.conn.sessionId);
  const update = diffFor(entry.doc, stateVector);
  const base = { type: 'sync-reply' as const, stateVector: Buffer.from(Y.encodeStateVector(entry.doc)).toString('base64'), version: entry.version };
  await reply(ctx, shrink(
    { ...base, update: Buffer.from(update).toString('base64') },
    { ...base, documentUrl: documentUrl(ctx.conn.sessionId, 'yjs') },
  ));
}

/** Sync step 2: `Y.encodeStateAsUpdate` against the client's state vector; garbage is INVALID_MESSAGE. */
export function diffFor(doc: Y.Doc, stateVector: Uint8Array | undefined): Uint8Array {
  try {
    if (stateVector) Y.decodeStateVector(stateVector);
    return Y.encodeStateAsUpdate(doc, stateVector);
  } catch {
    throw new AppError('INVALID_MESSAGE', 'stateVector is not a Yjs state vector', [{ field: 'stateVector', message: 'invalid' }]);
  }
}

/** Strict base64 (the schema already checked the alphabet): a round trip must give the same text. */
export function decodeBase64(value: string, field: string): Uint8Array {
  const bytes = Buffer.from(value, 'base64');
  if (bytes.toString('base64') !== value) {
    throw new AppError('INVALID_MESSAGE', `${field} is not valid base64`, [{ field, message: 'not valid base64' }]);
  }
  return new Uint8Array(bytes);
}
