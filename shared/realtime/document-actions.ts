/** `code-change` and `yjs-update`: one Query (connections + document) and one append transaction each. */
import { AppError, errors } from '../errors.js';
import { materialise, mergeUpdate, replaceCode, type SessionRef } from '../domain/code.js';
import { readSessionState } from '../store/session-state.js';
import { reply, requireJoined, type WsContext } from './context.js';
import type { ActionOf } from './messages.js';
import { broadcastDocumentChange } from './notify.js';
import { take } from './rate.js';

export const sessionRef = (ctx: WsContext): SessionRef => ({ sessionId: ctx.conn.sessionId, ttl: ctx.conn.sessionTtl });

export function limitRate(ctx: WsContext, kind: Parameters<typeof take>[1]): void {
  const wait = take(ctx.connectionId, kind);
  if (wait > 0) throw errors.rateLimited(wait);
}

export async function codeChange(ctx: WsContext, msg: ActionOf<'code-change'>): Promise<void> {
  limitRate(ctx, 'edit');
  const state = await readSessionState(ctx.conn.sessionId);
  const me = requireJoined(state.connections, ctx.connectionId);
  const result = await replaceCode(sessionRef(ctx), msg.code, {
    baseVersion: msg.baseVersion,
    userId: me.userId!,
    preloaded: materialise(state.document),
    mergeWhenBusy: true,
  });
  await reply(ctx, { type: 'code-ack', version: result.version });
  if (result.changed) {
    await broadcastDocumentChange(
      state.connections,
      { sessionId: ctx.conn.sessionId, update: result.update, code: result.code, version: result.textVersion, userId: me.userId! },
      ctx.connectionId,
    );
  }
}

export async function yjsUpdate(ctx: WsContext, msg: ActionOf<'yjs-update'>): Promise<void> {
  limitRate(ctx, 'edit');
  const update = decodeBase64(msg.update, 'update');
  const state = await readSessionState(ctx.conn.sessionId);
  const me = requireJoined(state.connections, ctx.connectionId);
  const result = await mergeUpdate(sessionRef(ctx), update, me.userId!, materialise(state.document));
  await broadcastDocumentChange(
    state.connections,
    { sessionId: ctx.conn.sessionId, update, code: result.code, version: result.textVersion, userId: me.userId! },
    ctx.connectionId,
  );
}

/** Strict base64 (the schema already checked the alphabet): a round trip must give the same text. */
export function decodeBase64(value: string, field: string): Uint8Array {
  const bytes = Buffer.from(value, 'base64');
  if (bytes.toString('base64') !== value) {
    throw new AppError('INVALID_MESSAGE', `${field} is not valid base64`, [{ field, message: 'not valid base64' }]);
  }
  return new Uint8Array(bytes);
}
