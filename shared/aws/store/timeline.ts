/**
 * What playback reads (docs/protocol.md §10): a session's document log items (every accepted edit of the code and
 * of the notes, `DOC#<v>#U` / `NOTE#<v>#U`, kept for the session's retention) and its history entries
 * (`H#<ulid>`), each in ascending key order from a position. Nothing is written for playback: the
 * timeline is what the write path stores anyway.
 *
 * Reads project away the compacted states that share the documents' key range (a state part is up to
 * 300 KB): they still count towards read units, but never travel. Strongly consistent: a replay right
 * after an edit must contain it.
 */
import type { DocName } from '#contract/documents.js';
import { isLive, keys } from '#aws/table.js';
import { asBytes } from './items.js';
import { sessionRange } from './range.js';
import type { HistoryItem, LogItem, ReadStats } from '#core/records.js';

const LOG_PROJECTION = {
  expression: 'SK, version, #u, #at, userId, #ttl',
  names: { '#u': 'update', '#at': 'at', '#ttl': 'ttl' },
};

/** Up to `limit` log items of one document with a version above `afterVersion`, ascending. */
export async function readLog(sessionId: string, doc: DocName, afterVersion: number, limit: number, stats?: ReadStats): Promise<LogItem[]> {
  const out: LogItem[] = [];
  const lo = keys.docVersion(afterVersion + 1, doc);
  for await (const item of sessionRange(sessionId, lo, `${keys.docPrefixOf(doc)}~`, { projection: LOG_PROJECTION, pageItems: limit + 16, stats })) {
    if (typeof item.SK !== 'string' || !item.SK.endsWith('#U') || !isLive(item)) continue;
    out.push({
      version: Number(item.version),
      at: String(item.at),
      ...(typeof item.userId === 'string' ? { userId: item.userId } : {}),
      update: asBytes(item.update) ?? new Uint8Array(),
    });
    if (out.length >= limit) break;
  }
  return out;
}

const HISTORY_PROJECTION = {
  expression: 'SK, #at, #type, userId, detail, #ttl',
  names: { '#at': 'at', '#type': 'type', '#ttl': 'ttl' },
};

/** Up to `limit` history entries after the key `afterSk` (from the first when undefined), ascending. */
export async function readHistory(sessionId: string, afterSk: string | undefined, limit: number, stats?: ReadStats): Promise<HistoryItem[]> {
  const out: HistoryItem[] = [];
  // `~` sorts after every ULID character: the range starts right after `afterSk`.
  const lo = afterSk ? `${afterSk}~` : keys.historyPrefix;
  for await (const item of sessionRange(sessionId, lo, `${keys.historyPrefix}~`, { projection: HISTORY_PROJECTION, pageItems: limit + 1, stats })) {
    if (!isLive(item)) continue;
    out.push({
      sk: String(item.SK),
      at: String(item.at),
      type: String(item.type),
      ...(typeof item.userId === 'string' ? { userId: item.userId } : {}),
      detail: (item.detail as Record<string, unknown> | undefined) ?? {},
    });
    if (out.length >= limit) break;
  }
  return out;
}
