/** Presence and session actions: join, leave, awareness, cursor, language, ping (docs/protocol.md §5). */
import type { Role } from '#contract/roles.js';
import { AppError, errors } from '#contract/errors.js';
import { isActive } from '#core/access.js';
import { backoff, currentDocument } from '#core/code.js';
import { checkLanguage, updateSession } from '#core/sessions.js';
import { isAwarenessUpdate, textOf } from '#core/yjs-document.js';
import { newId } from '#contract/ids.js';
import { bindUserId, bumpConnEpoch, deleteConnection, listConnections, markJoined, type ConnectionItem } from '#aws/store/connections.js';
import { LIMITS } from '#contract/limits.js';
import { participantsOf } from '#core/records.js';
import { appendHistory } from '#aws/store/history.js';
import { getSession } from '#aws/store/sessions.js';
import { reply, requireJoined, type WsContext } from './context.js';
import { decodeBase64, diffFor, limitRate } from './document-actions.js';
import { joinedMessage, notesOnJoin } from './notes-actions.js';
import { placeStarterCode } from '#core/starter-code.js';
import { documentUrl, type ActionOf } from '#contract/messages.js';
import { broadcast, shrink } from '#aws/notify.js';
import { closeConnection } from '#aws/push.js';
import { publish } from '#aws/publish.js';

/** Names other roles write under over HTTP (their history entries' userId): never a WebSocket user's. */
const ROLE_NAMES = new Set(['interviewer', 'candidate', 'reviewer']);

/**
 * The userId this join gets: the one the client asks for (to stay the same user across reconnects) when
 * it is free or already this role's, else a new one. A candidate cannot take an interviewer's id, or the
 * name "interviewer", and be shown, relayed and recorded as them.
 */
async function identityOf(sessionId: string, asked: string | undefined, role: Role, sessionTtl: number): Promise<string> {
  if (asked && (!ROLE_NAMES.has(asked) || asked === role) && (await bindUserId(sessionId, asked, role, sessionTtl))) return asked;
  const minted = newId();
  await bindUserId(sessionId, minted, role, sessionTtl);
  return minted;
}

export async function joinSession(ctx: WsContext, msg: ActionOf<'join-session'>): Promise<void> {
  const { sessionId, role } = ctx.conn;
  const [session, connections] = await Promise.all([getSession(sessionId), listConnections(sessionId)]);
  if (!session) throw errors.sessionNotFound();
  if (!isActive(session)) throw errors.sessionExpired();
  const stateVector = msg.stateVector !== undefined ? decodeBase64(msg.stateVector, 'stateVector') : undefined;
  const me = connections.find((c) => c.connectionId === ctx.connectionId);
  if (!me) throw new AppError('NOT_FOUND', 'Unknown connection: reconnect and join again');
  const format = msg.format ?? 'text';
  const userId = await identityOf(sessionId, msg.userId ?? me.userId, role, ctx.conn.sessionTtl);
  const username = msg.username ?? me.username ?? role;
  // Everything that can refuse the message runs before the join is written: a refused join changes nothing.
  const [first, notes] = await Promise.all([currentDocument(sessionId, session.version), notesOnJoin(session, role, format)]);
  // The text and the diff are taken now, at one version: the shared copy may move on while we wait.
  let entry = first;
  let version = entry.version;
  let currentCode = textOf(entry.doc);
  let yjsState = format === 'yjs' ? Buffer.from(diffFor(entry.doc, stateVector)).toString('base64') : undefined;
  const joinedAt = new Date().toISOString();
  if (!(await markJoined(sessionId, ctx.connectionId, { userId, username, format, joinedAt }))) {
    throw new AppError('NOT_FOUND', 'Connection closed while joining');
  }
  // The join is counted only at the version its state was read at: an edit committed since may have
  // been relayed without this connection, so its state is read again (#aws/store/connection-cache.ts).
  for (let tries = 1; !(await bumpConnEpoch(sessionId, version)); tries++) {
    if (tries >= LIMITS.document.writeAttempts) throw errors.busy(LIMITS.document.busyRetryAfterSeconds);
    await backoff(tries); // as a write does: the wait goes before the catch-up read, not after it
    entry = await currentDocument(sessionId);
    version = entry.version;
    currentCode = textOf(entry.doc);
    yjsState = format === 'yjs' ? Buffer.from(diffFor(entry.doc, stateVector)).toString('base64') : undefined;
  }
  const wasJoined = me.joined === true;
  Object.assign(me, { joined: true, userId, username, format, joinedAt: me.joinedAt ?? joinedAt });
  const users = participantsOf(connections);

  const base = {
    type: 'session-joined' as const,
    sessionId,
    userId,
    role,
    language: session.language,
    version,
    users: users.map(({ id, username: name, role: r }) => ({ id, username: name, role: r })),
    userCount: users.length,
  };
  await reply(ctx, joinedMessage({ ...base, currentCode, ...(yjsState ? { yjsState } : {}) }, { ...base, documentUrl: documentUrl(sessionId, format) }, notes));
  // publish() warms a runner of the session's language and, on a first join, tells the others.
  const user = wasJoined ? undefined : { userId, username, role, userCount: users.length };
  await Promise.all([
    publish([{ type: 'SessionJoined', sessionId, language: session.language, ...(user ? { user } : {}) }], { connections, exclude: ctx.connectionId }),
    user ? appendHistory(sessionId, ctx.conn.sessionTtl, 'user-joined', { username, role }, userId) : undefined,
  ]);
}

/** Removes the connection and tells the others; used by leave-session and $disconnect. */
export async function departed(sessionId: string, sessionTtl: number, connectionId: string): Promise<void> {
  const gone = await deleteConnection(sessionId, connectionId);
  if (!gone?.joined || !gone.userId) return;
  const rest = await listConnections(sessionId);
  const users = participantsOf(rest);
  const stillHere = users.some((u) => u.id === gone.userId); // same user, another tab
  if (stillHere) return;
  await Promise.all([
    broadcast(rest, { type: 'user-left', userId: gone.userId, userCount: users.length }),
    appendHistory(sessionId, sessionTtl, 'user-left', { username: gone.username ?? gone.userId }, gone.userId),
  ]);
}

export async function leaveSession(ctx: WsContext): Promise<void> {
  await departed(ctx.conn.sessionId, ctx.conn.sessionTtl, ctx.connectionId);
  await closeConnection(ctx.connectionId);
}

async function relay(ctx: WsContext, build: (me: ConnectionItem) => Parameters<typeof broadcast>[1]): Promise<void> {
  const connections = await listConnections(ctx.conn.sessionId);
  const me = requireJoined(connections, ctx.connectionId);
  await broadcast(connections, build(me), ctx.connectionId);
}

export async function awarenessUpdate(ctx: WsContext, msg: ActionOf<'awareness-update'>): Promise<void> {
  limitRate(ctx, 'cursor');
  if (!isAwarenessUpdate(decodeBase64(msg.update, 'update'))) {
    throw new AppError('INVALID_MESSAGE', 'update is not a y-protocols awareness update', [{ field: 'update', message: 'not an awareness update' }]);
  }
  await relay(ctx, (me) => ({ type: 'awareness-update', update: msg.update, userId: me.userId! }));
}

export async function cursorUpdate(ctx: WsContext, msg: ActionOf<'cursor-update'>): Promise<void> {
  limitRate(ctx, 'cursor');
  await relay(ctx, (me) => ({
    type: 'cursor-update',
    position: msg.position,
    ...(msg.selection ? { selection: msg.selection } : {}),
    userId: me.userId!,
  }));
}

export async function languageChange(ctx: WsContext, msg: ActionOf<'language-change'>): Promise<{ language: string } | undefined> {
  const language = checkLanguage(msg.language)!;
  limitRate(ctx, 'language');
  const [session, connections] = await Promise.all([getSession(ctx.conn.sessionId), listConnections(ctx.conn.sessionId)]);
  if (!session) throw errors.sessionNotFound();
  const me = requireJoined(connections, ctx.connectionId);
  if (!isActive(session)) throw errors.sessionExpired();
  const { before, after: updated } = await updateSession(session, { language }, me.userId!);
  // An untouched document follows the language (docs/protocol.md §8): the new language's starter code.
  const placed = updated.language !== before.language ? await placeStarterCode(updated, me.userId!) : [];
  await publish([{ type: 'LanguageChanged', sessionId: ctx.conn.sessionId, userId: me.userId!, language }, ...placed], { connections });
  return { language };
}

export async function ping(ctx: WsContext): Promise<void> {
  await reply(ctx, { type: 'pong', timestamp: new Date().toISOString() });
}
