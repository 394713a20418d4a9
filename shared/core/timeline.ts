/**
 * Playback (SPEC §10 `GET /timeline`): the session's stored edits of both documents and its history,
 * merged into one stream, oldest first. Applying the `edit`s of `doc:"code"` in order to an empty
 * `Y.Doc` gives the code at each point, because every write (Yjs updates, merged text edits, PUT /code,
 * restores, starter code, the creation text) is one log item and log items are never removed before
 * the session's TTL (compaction only adds states).
 *
 * Order. Edits of one document by version; history by its ULID key. Between a code edit and a history
 * entry that names the code version it saw (`execution-queued`: the version whose text the run
 * executed; `snapshot-restored`: the version the restore made) the version decides: the entry comes
 * after every edit up to that version and before every later one. Everything else by `at` (an edit
 * first on a tie).
 */
import { errors } from '#contract/errors.js';
import type { DocName } from '#contract/documents.js';
import { LIMITS } from '#contract/limits.js';
import { readHistory, readLog, type HistoryItem, type LogItem, type ReadStats } from '#aws/store/timeline.js';

/** The history types playback shows (SPEC §10); the rest (title changes, snapshots taken) stay in /history. */
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

const CURSOR = /^(\d{1,12})\.(\d{1,12})\.((?:H#[0-9A-HJKMNP-TV-Z]{26})?)$/;

export const encodeCursor = (p: Position): string => Buffer.from(`${p.code}.${p.notes}.${p.historySk ?? ''}`, 'utf8').toString('base64url');

export function decodeCursor(cursor: string | undefined): Position {
  if (cursor === undefined) return { code: 0, notes: 0 };
  const m = CURSOR.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw errors.validation([{ field: 'cursor', message: 'Unknown cursor' }], 'Invalid cursor');
  return { code: Number(m[1]), notes: Number(m[2]), ...(m[3] ? { historySk: m[3] } : {}) };
}

type Head = { kind: 'code' | 'notes'; item: LogItem } | { kind: 'history'; item: HistoryItem };

/** Whether `a` plays before `b` (see the module comment). */
function before(a: Head, b: Head): boolean {
  if (a.kind === 'code' && b.kind === 'history') return !historyBeforeEdit(b.item, a.item);
  if (a.kind === 'history' && b.kind === 'code') return historyBeforeEdit(a.item, b.item);
  if (a.item.at !== b.item.at) return a.item.at < b.item.at;
  return RANK[a.kind] < RANK[b.kind]; // on a tie: code, then notes, then history
}

const RANK = { code: 0, notes: 1, history: 2 } as const;

function historyBeforeEdit(h: HistoryItem, e: LogItem): boolean {
  const version = h.detail.version;
  if (typeof version === 'number') return version < e.version;
  return h.at < e.at;
}

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
    readLog(sessionId, 'code', from.code, limit, stats),
    readLog(sessionId, 'notes', from.notes, limit, stats),
    readHistory(sessionId, from.historySk, limit, stats),
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
    const next = heads.reduce((best, h) => (before(h, best) ? h : best));
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
