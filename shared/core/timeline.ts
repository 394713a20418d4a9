/**
 * Playback (docs/protocol.md §10 `GET /timeline`): the session's stored edits of both documents and its history,
 * merged into one stream, oldest first. Applying the `edit`s of `doc:"code"` in order to an empty
 * `Y.Doc` gives the code at each point, because every write (Yjs updates, merged text edits, PUT /code,
 * restores, starter code, the creation text) is one log item and log items are never removed before
 * the session's TTL (compaction only adds states).
 *
 * Order. Edits of one document by version; history by its ULID key. Between a code edit and a history
 * entry that names the code version it saw (`execution-queued`: the version whose text the run
 * executed; `snapshot-restored`: the version the restore made) the version decides: the entry comes
 * after every edit up to that version and before every later one, whatever the clocks of the containers
 * that wrote them said. Everything else by `at` (an edit first on a tie). Limit: two runs requested
 * within the clock skew of two containers, with an edit between them, can be keyed in the opposite
 * order; the history's order then wins for the second.
 */
import { errors } from '#contract/errors.js';
import type { DocName } from '#contract/documents.js';
import { ULID_CHARS } from '#contract/ids.js';
import { LIMITS } from '#contract/limits.js';
import { stores } from './ports.js';
import type { HistoryItem, LogItem, ReadStats } from './records.js';

/** The history types playback shows (docs/protocol.md §10); the rest (title changes, snapshots taken) stay in /history. */
export const TIMELINE_HISTORY_TYPES: ReadonlySet<string> = new Set([
  'language-changed',
  'user-joined',
  'user-left',
  'execution-queued',
  'execution-finished',
  'snapshot-restored',
  'activity',
  'session-ended',
]);

export type TimelineEvent =
  | { at: string; type: 'edit'; userId?: string; doc: DocName; update: string; version: number }
  | ({ at: string; type: string; userId?: string } & Record<string, unknown>);

export interface TimelinePage {
  events: TimelineEvent[];
  nextCursor: string | null;
}

/** Where a page ends: the last code and notes versions and history key it consumed. */
interface Position {
  code: number;
  notes: number;
  historySk?: string;
}

const CURSOR = new RegExp(`^(\\d{1,12})\\.(\\d{1,12})\\.((?:H#${ULID_CHARS})?)$`);

export const encodeCursor = (p: Position): string => Buffer.from(`${p.code}.${p.notes}.${p.historySk ?? ''}`, 'utf8').toString('base64url');

export function decodeCursor(cursor: string | undefined): Position {
  if (cursor === undefined) return { code: 0, notes: 0 };
  const m = CURSOR.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw errors.validation([{ field: 'cursor', message: 'Unknown cursor' }], 'Invalid cursor');
  return { code: Number(m[1]), notes: Number(m[2]), ...(m[3] ? { historySk: m[3] } : {}) };
}

type Head = { kind: 'code' | 'notes'; item: LogItem } | { kind: 'history'; item: HistoryItem };

const versionOf = (h: HistoryItem): number | undefined => (typeof h.detail.version === 'number' ? h.detail.version : undefined);

/**
 * The next event among the sources' heads. Versions first, as hard rules: a history entry naming code
 * version v waits while the code's head is at v or below, and the code's head waits while a history
 * entry already read (the head or one queued behind it) names an older version. What is left is ordered
 * by `at` alone (code, notes, history on a tie): one total order, whatever the heads.
 */
function nextHead(heads: Head[], pendingHistory: readonly HistoryItem[]): Head {
  const code = heads.find((h) => h.kind === 'code');
  const codeVersion = code ? (code.item as LogItem).version : Infinity;
  const oldestNamed = Math.min(...pendingHistory.map((h) => versionOf(h) ?? Infinity));
  const eligible = heads.filter((h) => {
    if (h.kind === 'history' && (versionOf(h.item) ?? -1) >= codeVersion) return false;
    if (h === code && oldestNamed < codeVersion) return false;
    return true;
  });
  // Only entries out of version order can block every head: then history order wins.
  if (eligible.length === 0) return heads.find((h) => h.kind === 'history')!;
  return eligible.reduce((best, h) => (h.item.at < best.item.at || (h.item.at === best.item.at && RANK[h.kind] < RANK[best.kind]) ? h : best));
}

const RANK = { code: 0, notes: 1, history: 2 } as const;

const editEvent = (doc: DocName, e: LogItem): TimelineEvent => ({
  at: e.at,
  type: 'edit',
  ...(e.userId ? { userId: e.userId } : {}),
  doc,
  update: Buffer.from(e.update).toString('base64'),
  version: e.version,
});

const historyEvent = (h: HistoryItem): TimelineEvent => ({
  ...h.detail,
  at: h.at,
  type: h.type,
  ...(h.userId ? { userId: h.userId } : {}),
});

/**
 * One page of at most `limit` events (and about `LIMITS.timeline.pageMaxBytes` of encoded updates).
 * Each source is read up to `limit` items ahead; the merge stops where a source that may have more ran
 * out of read items, so an event is never emitted before one of another source that precedes it.
 */
export async function timelinePage(sessionId: string, cursor: string | undefined, limit: number, stats?: ReadStats): Promise<TimelinePage> {
  const from = decodeCursor(cursor);
  const [code, notes, history] = await Promise.all([
    stores.timeline.readLog(sessionId, 'code', from.code, limit, stats),
    stores.timeline.readLog(sessionId, 'notes', from.notes, limit, stats),
    stores.timeline.readHistory(sessionId, from.historySk, limit, stats),
  ]);
  const sources = { code, notes, history };
  const exhausted = { code: code.length < limit, notes: notes.length < limit, history: history.length < limit };
  const at = { code: 0, notes: 0, history: 0 };
  const pos: Position = { ...from };
  const events: TimelineEvent[] = [];
  let bytes = 0;

  while (events.length < limit && bytes < LIMITS.timeline.pageMaxBytes) {
    const heads: Head[] = [];
    let blocked = false;
    for (const kind of ['code', 'notes', 'history'] as const) {
      const item = sources[kind][at[kind]];
      if (item) heads.push({ kind, item } as Head);
      else if (!exhausted[kind]) blocked = true;
    }
    if (blocked || heads.length === 0) break;
    const next = nextHead(heads, history.slice(at.history));
    at[next.kind]++;
    if (next.kind === 'history') {
      pos.historySk = next.item.sk;
      if (TIMELINE_HISTORY_TYPES.has(next.item.type)) events.push(historyEvent(next.item));
      continue;
    }
    pos[next.kind] = next.item.version;
    bytes += next.item.update.length;
    events.push(editEvent(next.kind, next.item));
  }
  const more = (['code', 'notes', 'history'] as const).some((k) => at[k] < sources[k].length || !exhausted[k]);
  return { events, nextCursor: more ? encodeCursor(pos) : null };
}
