/** History entries (docs/protocol.md §3 `GET /history`): append-only, one item per event, sorted by a ULID. */
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#aws/clients.js';
import { newId, ULID_CHARS } from '#contract/ids.js';
import { isLive, keys } from '#aws/table.js';
import { table } from './items.js';
import type { HistoryType } from '#core/records.js';

const HISTORY_SK = new RegExp(`^H#${ULID_CHARS}$`);

export interface HistoryEntry {
  at: string;
  type: HistoryType;
  userId?: string;
  detail: Record<string, unknown>;
}

/** The item for one entry: used alone (`appendHistory`) or inside a transaction with the change it records. */
export function historyItem(
  sessionId: string,
  ttl: number,
  type: HistoryType,
  detail: Record<string, unknown> = {},
  userId?: string,
  nowMs: number = Date.now(),
) {
  return {
    ...keys.history(sessionId, newId()),
    at: new Date(nowMs).toISOString(),
    type,
    ...(userId ? { userId } : {}),
    detail,
    ttl,
  };
}

export async function appendHistory(
  sessionId: string,
  ttl: number,
  type: HistoryType,
  detail: Record<string, unknown> = {},
  userId?: string,
): Promise<void> {
  await dynamo().send(new PutCommand({ TableName: table(), Item: historyItem(sessionId, ttl, type, detail, userId) }));
}

/** One page of history, oldest first. The cursor is the last SK returned, base64url-encoded. */
export async function listHistory(
  sessionId: string,
  limit: number,
  cursor: string | undefined,
): Promise<{ entries: HistoryEntry[]; nextCursor: string | null }> {
  const pk = keys.sessionPk(sessionId);
  const startSk = cursor ? Buffer.from(cursor, 'base64url').toString('utf8') : undefined;
  const entries: HistoryEntry[] = [];
  let exclusiveStart = startSk ? { PK: pk, SK: startSk } : undefined;
  let more = true;
  let lastSk: string | undefined;
  while (entries.length < limit && more) {
    const page = await dynamo().send(
      new QueryCommand({
        TableName: table(),
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :h)',
        ExpressionAttributeValues: { ':pk': pk, ':h': keys.historyPrefix },
        Limit: limit - entries.length,
        ExclusiveStartKey: exclusiveStart,
      }),
    );
    for (const item of page.Items ?? []) {
      lastSk = item.SK as string;
      if (!isLive(item)) continue;
      entries.push({ at: item.at, type: item.type, ...(item.userId ? { userId: item.userId } : {}), detail: item.detail ?? {} });
    }
    exclusiveStart = page.LastEvaluatedKey as typeof exclusiveStart;
    more = exclusiveStart !== undefined;
  }
  return { entries, nextCursor: more && lastSk ? Buffer.from(lastSk, 'utf8').toString('base64url') : null };
}

/** A cursor is only ever an SK of this session's history: anything else is a client error. */
export function isValidHistoryCursor(cursor: string): boolean {
  const sk = Buffer.from(cursor, 'base64url').toString('utf8');
  return HISTORY_SK.test(sk);
}
