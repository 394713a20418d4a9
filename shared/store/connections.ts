/**
 * Live WebSocket connections of a session (SK `C#<connectionId>`), the presence list behind
 * `GET /participants`, `userCount` and every fan-out.
 */
import { keys } from '../table.js';
import { queryAll } from './items.js';
import type { Role } from '../tokens.js';

export interface ConnectionItem {
  sessionId: string;
  connectionId: string;
  role: Role;
  connectedAt: string;
  /** Set by join-session; a connection that has not joined receives no session events. */
  joined?: boolean;
  userId?: string;
  username?: string;
  joinedAt?: string;
  format?: 'text' | 'yjs';
  ttl: number;
}

export async function listConnections(sessionId: string): Promise<ConnectionItem[]> {
  return queryAll<ConnectionItem & Record<string, unknown>>({
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :c)',
    ExpressionAttributeValues: { ':pk': keys.sessionPk(sessionId), ':c': keys.connectionPrefix },
    ConsistentRead: true,
  });
}

export interface Participant {
  id: string;
  username: string;
  role: Role;
  joinedAt: string;
}

/** Joined users, one entry per user id (a user with two tabs counts once). */
export function participantsOf(connections: ConnectionItem[]): Participant[] {
  const byUser = new Map<string, Participant>();
  for (const c of connections) {
    if (!c.joined || !c.userId) continue;
    const existing = byUser.get(c.userId);
    const joinedAt = c.joinedAt ?? c.connectedAt;
    if (!existing || joinedAt < existing.joinedAt) {
      byUser.set(c.userId, { id: c.userId, username: c.username ?? c.userId, role: c.role, joinedAt });
    }
  }
  return [...byUser.values()].sort((a, b) => a.joinedAt.localeCompare(b.joinedAt));
}
