/**
 * Who sent a WebSocket message. API Gateway tells a message handler only the connection id; the
 * connection's session and role never change, so the lookup is cached per container and costs a
 * DynamoDB read only on a container's first message from that connection.
 */
import { AppError } from '#contract/errors.js';
import type { ServerMessage } from '#contract/messages.js';
import { post, REPLY } from '#aws/push.js';
import { getConnectionLookup, type ConnectionItem, type ConnectionLookup } from '#aws/store/connections.js';

export interface WsContext {
  connectionId: string;
  conn: ConnectionLookup;
}

const MAX_CACHED = 20_000;
const cache = new Map<string, ConnectionLookup>();

export async function senderOf(connectionId: string): Promise<ConnectionLookup> {
  const cached = cache.get(connectionId);
  if (cached && cached.ttl * 1000 > Date.now()) return cached;
  // Past its TTL too: the session expired under an open socket, and its next message must hear so.
  const lookup = await getConnectionLookup(connectionId, { evenExpired: true });
  if (!lookup) throw new AppError('NOT_FOUND', 'Unknown connection: reconnect and join again');
  if (outlived(lookup)) return lookup;
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  cache.set(connectionId, lookup);
  return lookup;
}

/** The connection's item is past its TTL: the session's expiry, or the connection's own 2 hours. */
export const outlived = (lookup: ConnectionLookup, nowMs: number = Date.now()): boolean => lookup.ttl * 1000 <= nowMs;

export const forgetSender = (connectionId: string): void => {
  cache.delete(connectionId);
};

/** The sender's own connection item among the session's connections, if it has joined. */
export function requireJoined(connections: ConnectionItem[], connectionId: string): ConnectionItem {
  const me = connections.find((c) => c.connectionId === connectionId);
  if (!me?.joined || !me.userId) throw new AppError('NOT_JOINED', 'Send join-session first');
  return me;
}

/**
 * Sends a message to the sender of the current message, retried like every post and, since the client
 * waits for this answer, on 5xx and network failures too (push.ts REPLY).
 */
export const reply = (ctx: WsContext, message: ServerMessage | string) =>
  post({ connectionId: ctx.connectionId, sessionId: ctx.conn.sessionId }, message, REPLY);
