/**
 * Live WebSocket connections of a session (SK `C#<connectionId>`), the presence list behind
 * `GET /participants`, `userCount` and every fan-out.
 */
import { DeleteCommand, GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#aws/clients.js';
import { isLive, keys } from '#aws/table.js';
import type { Role } from '#contract/roles.js';
import { cancellationCodes, isConditionFailure, isTransactionCanceled, queryAll, retryTransactionConflicts, table } from './items.js';
import { ACTIVE_CONDITION, activeValues } from './sessions.js';
import type { ConnectionItem } from '#core/records.js';

export type { ConnectionItem };

export async function listConnections(sessionId: string): Promise<ConnectionItem[]> {
  return queryAll<ConnectionItem & Record<string, unknown>>({
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :c)',
    ExpressionAttributeValues: { ':pk': keys.sessionPk(sessionId), ':c': keys.connectionPrefix },
    ConsistentRead: true,
  });
}

/**
 * How many sockets the session holds open now (the `$connect` cap): one Query of the connection items'
 * keys, strongly consistent so that a socket whose `$disconnect` just ran is not counted.
 */
export async function countConnections(sessionId: string): Promise<number> {
  const items = await queryAll({
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :c)',
    ExpressionAttributeValues: { ':pk': keys.sessionPk(sessionId), ':c': keys.connectionPrefix },
    ExpressionAttributeNames: { '#ttl': 'ttl' },
    ProjectionExpression: 'SK, #ttl',
    ConsistentRead: true,
  });
  return items.length;
}

// ---- writes and the lookup item -------------------------------------------------------------------

/** What a message handler needs about its sender, cached per container (it never changes). */
export interface ConnectionLookup {
  connectionId: string;
  sessionId: string;
  role: Role;
  /** The session's retention TTL: items written on this connection's behalf carry it. */
  sessionTtl: number;
  ttl: number;
}

/**
 * Stores the connection and its lookup item atomically ($connect), on condition that the session is
 * still active: false when it ended or expired since it was read. Without the condition, a socket
 * whose $connect read the session just before an end committed would be stored after the end's
 * fan-out read the connections, and would never get `session-ended`.
 */
export async function putConnection(conn: ConnectionItem, sessionTtl: number, nowMs: number = Date.now()): Promise<boolean> {
  const lookup: ConnectionLookup = {
    connectionId: conn.connectionId,
    sessionId: conn.sessionId,
    role: conn.role,
    sessionTtl,
    ttl: conn.ttl,
  };
  try {
    // Retried on TransactionConflict: every edit's append updates the session item this checks.
    await retryTransactionConflicts(() => dynamo().send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: table(), Item: { ...keys.connection(conn.sessionId, conn.connectionId), ...conn } } },
          { Put: { TableName: table(), Item: { ...keys.connectionLookup(conn.connectionId), ...lookup } } },
          // Same call, one more item: what the watchdog's gauges count (liveConnectionCounts).
          { Put: { TableName: table(), Item: { ...liveKey(conn.connectionId), sessionId: conn.sessionId, ttl: conn.ttl } } },
          {
            ConditionCheck: {
              TableName: table(),
              Key: keys.session(conn.sessionId),
              ConditionExpression: ACTIVE_CONDITION,
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: activeValues(nowMs),
            },
          },
        ],
      }),
    ));
    return true;
  } catch (err) {
    if (isTransactionCanceled(err) && cancellationCodes(err)[3] === 'ConditionalCheckFailed') return false;
    throw err;
  }
}

/**
 * Consistent: the lookup is written by `$connect` in another invocation an instant before the first
 * message (or `$disconnect`) reads it; an eventually consistent read may not find it yet, and then
 * join-session gets no answer at all and `$disconnect` leaves a ghost participant for up to 2 h.
 */
/** `evenExpired`: also a lookup past its TTL (not yet deleted), so a message on it can be answered. */
export async function getConnectionLookup(connectionId: string, { evenExpired = false } = {}): Promise<ConnectionLookup | undefined> {
  const out = await dynamo().send(new GetCommand({ TableName: table(), Key: keys.connectionLookup(connectionId), ConsistentRead: true }));
  return out.Item && (evenExpired || isLive(out.Item)) ? (out.Item as ConnectionLookup) : undefined;
}

/**
 * Binds a userId to the role that joins with it first, for the session's life. Clients choose their
 * userId (to stay one user across reconnects and tabs), so without this a candidate could join as the
 * interviewer's id and its edits, runs and presence would carry the interviewer's name. False when the id
 * is another role's. One conditional write per join; repeating it for the same role is a no-op.
 */
export async function bindUserId(sessionId: string, userId: string, role: Role, ttl: number): Promise<boolean> {
  try {
    await dynamo().send(
      new PutCommand({
        TableName: table(),
        Item: { ...keys.userBinding(sessionId, userId), userId, role, ttl },
        ConditionExpression: 'attribute_not_exists(SK) OR #role = :role',
        ExpressionAttributeNames: { '#role': 'role' },
        ExpressionAttributeValues: { ':role': role },
      }),
    );
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
}

/**
 * Marks a connection joined with its identity. Conditional on the connection still existing, so a
 * join racing a disconnect cannot resurrect a dead connection. Returns false when it is gone.
 */
export async function markJoined(
  sessionId: string,
  connectionId: string,
  fields: { userId: string; username: string; format: 'text' | 'yjs'; joinedAt: string },
): Promise<boolean> {
  try {
    await dynamo().send(
      new UpdateCommand({
        TableName: table(),
        Key: keys.connection(sessionId, connectionId),
        UpdateExpression: 'SET joined = :t, userId = :u, username = :n, #format = :f, joinedAt = if_not_exists(joinedAt, :at)',
        ConditionExpression: 'attribute_exists(SK)',
        ExpressionAttributeNames: { '#format': 'format' },
        ExpressionAttributeValues: { ':t': true, ':u': fields.userId, ':n': fields.username, ':f': fields.format, ':at': fields.joinedAt },
      }),
    );
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
}

/**
 * Counts a join on the session item (`connEpoch`), once the connection is marked joined: copies of the
 * session's connections read before it no longer pass an append's condition (connection-cache.ts).
 * Conditional on the code still being at `version`, the version the joiner's state was read at: an edit
 * committed in between may have been relayed without this connection, so the joiner reads again (false).
 * TransactionConflict (an append on the session item at that instant) decides nothing: tried again.
 */
export async function bumpConnEpoch(sessionId: string, version: number): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      await dynamo().send(
        new UpdateCommand({
          TableName: table(),
          Key: keys.session(sessionId),
          UpdateExpression: 'ADD connEpoch :one',
          ConditionExpression: 'version = :v',
          ExpressionAttributeValues: { ':one': 1, ':v': version },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      if ((err as { name?: string }).name !== 'TransactionConflictException' || attempt >= 6) throw err;
      await new Promise((r) => setTimeout(r, Math.random() * 10 * 2 ** attempt));
    }
  }
}

/** Removes a connection and its lookup item. Idempotent; returns the removed item if it existed. */
export async function deleteConnection(sessionId: string, connectionId: string): Promise<ConnectionItem | undefined> {
  // The lookup first: from then on no message is attributed to this connection; then its presence.
  await dynamo().send(new DeleteCommand({ TableName: table(), Key: keys.connectionLookup(connectionId) }));
  const out = await dynamo().send(
    new DeleteCommand({ TableName: table(), Key: keys.connection(sessionId, connectionId), ReturnValues: 'ALL_OLD' }),
  );
  return out.Attributes as ConnectionItem | undefined;
}

// ---- the gauges' partition ----------------------------------------------------------------------------

/**
 * `LIVE` / `C#<connectionId>`: one small item (session id + TTL) per open WebSocket, written by $connect
 * in its existing transaction and deleted by $disconnect (every closed socket gets one, including those
 * that left or were gone on push). The watchdog reads the whole partition with one Query a minute for the
 * ConnectedUsers and ActiveSessions gauges (shared/telemetry/metrics.ts): no Scan, no index, no counter to drift.
 * A socket whose $disconnect never ran stops counting at its TTL (at most API Gateway's 2 h lifetime).
 * One partition takes 1,000 writes/s: far above any rate of connects this product sees.
 */
const LIVE_PK = 'LIVE';
const liveKey = (connectionId: string) => ({ PK: LIVE_PK, SK: `C#${connectionId}` });

export async function forgetLiveConnection(connectionId: string): Promise<void> {
  await dynamo().send(new DeleteCommand({ TableName: table(), Key: liveKey(connectionId) }));
}

/**
 * Open connections and the sessions they belong to (ids are counted here, never emitted), and the
 * sockets past their TTL that no $disconnect removed yet: their session expired under them (the TTL is
 * the session's expiry, or the connection's 2 hours), and the watchdog tells them.
 */
export async function liveConnectionCounts(
  nowMs: number = Date.now(),
): Promise<{ connections: number; sessions: number; outlived: { connectionId: string; sessionId: string }[] }> {
  const items = await queryAll<{ SK: string; sessionId: string; ttl: number }>(
    { KeyConditionExpression: 'PK = :pk', ExpressionAttributeValues: { ':pk': LIVE_PK }, ProjectionExpression: 'SK, sessionId, #ttl', ExpressionAttributeNames: { '#ttl': 'ttl' } },
    0, // past their TTL too (DynamoDB deletes them within days): those are the outlived ones
  );
  const live = items.filter((i) => isLive(i, nowMs));
  const outlived = items.filter((i) => !isLive(i, nowMs)).map((i) => ({ connectionId: i.SK.slice(2), sessionId: i.sessionId }));
  return { connections: live.length, sessions: new Set(live.map((i) => i.sessionId)).size, outlived };
}
