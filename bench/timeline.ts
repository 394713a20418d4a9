/**
 * Playback of a 1-hour interview, against a local stack of its own:  npx tsx bench/timeline.ts
 *
 *  1. writes BENCH_TIMELINE_EDITS (20,000: ≈ 5.5 keystrokes/s for an hour) Yjs edits of two authors
 *     through the document write path (shared/core/code.ts mergeUpdate: the same appends, compaction
 *     and log items as edits over the socket), plus a few hundred notes edits and history entries;
 *  2. reads the whole timeline over HTTP (GET /timeline, pages of BENCH_TIMELINE_PAGE = 2,000): time,
 *     pages, response bytes; and once more in-process to sum the DynamoDB read units it consumed;
 *  3. replays every code edit onto an empty Y.Doc (time) and checks the text equals GET /code;
 *  4. storage: the session partition's items and bytes (DynamoDB's item size rule: names + values),
 *     by kind, i.e. what one interview-hour keeps for its retention.
 * Prints figures only. DynamoDB Local reports read units as DynamoDB would bill them.
 */
import './quiet.js';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as Y from 'yjs';
import { startLocalStack } from '../local/stack.js';
import { dynamo } from '#aws/clients.js';
import { config } from '#aws/config.js';
import { keys } from '#aws/table.js';
import { appendHistory } from '#aws/store/history.js';
import { getSession } from '#aws/store/sessions.js';
import { mergeUpdate } from '#core/code.js';
import { putNotes } from '#core/notes.js';
import { timelinePage } from '#core/timeline.js';
import '#aws/wiring.js';
import { api, createSession, unb64 } from '../test/integration/clients.js';
import { round, table } from './stats.js';

const EDITS = Number(process.env.BENCH_TIMELINE_EDITS ?? 20_000);
const PAGE = Number(process.env.BENCH_TIMELINE_PAGE ?? 2_000);
const NOTES_EDITS = Math.max(1, Math.round(EDITS / 100));
const HISTORY = Math.max(1, Math.round(EDITS / 200));

/** DynamoDB's item size: UTF-8 lengths of attribute names and values (numbers ~ digits/2 + 1). */
function itemBytes(item: Record<string, unknown>): number {
  let n = 0;
  for (const [name, value] of Object.entries(item)) n += Buffer.byteLength(name) + valueBytes(value);
  return n;
}
function valueBytes(v: unknown): number {
  if (v instanceof Uint8Array) return v.byteLength;
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (typeof v === 'number') return Math.ceil(String(v).length / 2) + 1;
  if (typeof v === 'boolean' || v === null || v === undefined) return 1;
  if (Array.isArray(v)) return 3 + v.reduce((s: number, x) => s + 1 + valueBytes(x), 0);
  if (typeof v === 'object') return 3 + itemBytes(v as Record<string, unknown>) + Object.keys(v as object).length;
  return 0;
}

async function partition(sessionId: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await dynamo().send(
      new QueryCommand({ TableName: config().tableName, KeyConditionExpression: 'PK = :pk', ExpressionAttributeValues: { ':pk': keys.sessionPk(sessionId) }, ExclusiveStartKey }),
    );
    out.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return out;
}

const kindOf = (sk: string) =>
  sk.startsWith('DOC#') ? (sk.endsWith('#U') ? 'code log' : 'code state') : sk.startsWith('NOTE#') ? (sk.endsWith('#U') ? 'notes log' : 'notes state') : sk.startsWith('H#') ? 'history' : 'other';

async function main(): Promise<void> {
  const stack = await startLocalStack({ port: 0, ddbPort: 0, quiet: true });
  try {
    const created = await createSession(stack.httpUrl, { title: 'timeline bench', language: 'python' });
    const session = (await getSession(created.sessionId))!;
    const ref = { sessionId: session.sessionId, ttl: session.ttl };

    // 1. An hour of typing by two authors: mostly inserts, some deletions, at random places.
    const authors = [new Y.Doc(), new Y.Doc()];
    const joined = await api(stack.httpUrl, 'GET', `/api/sessions/${created.sessionId}/code?format=yjs`, created.interviewerToken);
    for (const d of authors) Y.applyUpdate(d, unb64(joined.body.yjsState));
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const t0 = performance.now();
    for (let i = 0; i < EDITS; i++) {
      const who = i % 7 < 5 ? 0 : 1;
      const doc = authors[who]!;
      const text = doc.getText('code');
      let update: Uint8Array | undefined;
      doc.once('update', (u: Uint8Array) => (update = u));
      if (text.length > 20 && random() < 0.2) text.delete(Math.floor(random() * (text.length - 1)), 1);
      else text.insert(Math.floor(random() * (text.length + 1)), 'abcdefghij (){};\n'[Math.floor(random() * 17)]!);
      await mergeUpdate(ref, update!, who === 0 ? 'candidate' : 'interviewer');
      // The other author receives it, as a relay would deliver it.
      Y.applyUpdate(authors[1 - who]!, update!);
      if (i % Math.round(EDITS / NOTES_EDITS) === 0) {
        const fresh = (await getSession(created.sessionId))!;
        await putNotes(fresh, `notes after ${i} edits\n`.repeat(1 + (i % 5)), undefined, 'interviewer');
      }
      if (i % Math.round(EDITS / HISTORY) === 0) await appendHistory(session.sessionId, session.ttl, 'activity', { kind: 'focus-lost', username: 'candidate' }, 'candidate');
    }
    const writeSeconds = (performance.now() - t0) / 1000;

    // 2. The whole timeline over HTTP.
    const t1 = performance.now();
    let cursor: string | null = null;
    let pages = 0;
    let bytes = 0;
    const events: { type: string; doc?: string; update?: string }[] = [];
    do {
      const res = await fetch(`${stack.httpUrl}/api/sessions/${created.sessionId}/timeline?limit=${PAGE}${cursor ? `&cursor=${cursor}` : ''}`, {
        headers: { authorization: `Bearer ${created.interviewerToken}` },
      });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`GET /timeline -> ${res.status} ${body.slice(0, 200)}`);
      bytes += Buffer.byteLength(body);
      const parsed = JSON.parse(body) as { events: typeof events; nextCursor: string | null };
      events.push(...parsed.events);
      cursor = parsed.nextCursor;
      pages++;
    } while (cursor);
    const fetchMs = performance.now() - t1;

    // The same pages in-process, counting DynamoDB's read units.
    const stats = { capacityUnits: 0, queries: 0 };
    cursor = null;
    do cursor = (await timelinePage(created.sessionId, cursor ?? undefined, PAGE, stats)).nextCursor;
    while (cursor);

    // 3. Replay.
    const t2 = performance.now();
    const doc = new Y.Doc();
    for (const e of events) if (e.type === 'edit' && e.doc === 'code') Y.applyUpdate(doc, unb64(e.update!));
    const replayMs = performance.now() - t2;
    const code = await api(stack.httpUrl, 'GET', `/api/sessions/${created.sessionId}/code`, created.interviewerToken);
    const exact = doc.getText('code').toString() === code.body.code;

    // 4. Storage.
    const items = await partition(created.sessionId);
    const byKind: Record<string, { items: number; bytes: number }> = {};
    for (const item of items) {
      const k = kindOf(String(item.SK));
      byKind[k] ??= { items: 0, bytes: 0 };
      byKind[k].items++;
      byKind[k].bytes += itemBytes(item);
    }
    const totalBytes = Object.values(byKind).reduce((s, k) => s + k.bytes, 0);

    console.log(`\nTimeline of a 1-hour interview: ${EDITS} code edits, ${NOTES_EDITS} notes writes, ${HISTORY} activity entries (written in ${round(writeSeconds)} s)\n`);
    console.log(table([
      { figure: 'timeline events', value: events.length },
      { figure: `pages (limit ${PAGE})`, value: pages },
      { figure: 'response bytes (JSON)', value: bytes },
      { figure: 'DynamoDB Queries', value: stats.queries },
      { figure: 'DynamoDB read units (strongly consistent)', value: round(stats.capacityUnits) },
      { figure: 'fetch, all pages over HTTP (ms)', value: round(fetchMs) },
      { figure: 'replay onto an empty Y.Doc (ms)', value: round(replayMs) },
      { figure: 'replay equals GET /code', value: exact ? 'yes' : 'NO' },
      { figure: 'final text length', value: code.body.code.length },
    ]));
    console.log('\nStorage of the session partition (kept for the retention, then TTL):\n');
    console.log(table(Object.entries(byKind).map(([kind, v]) => ({ kind, items: v.items, KB: round(v.bytes / 1024), 'bytes/item': Math.round(v.bytes / v.items) }))));
    console.log(`\ntotal: ${items.length} items, ${round(totalBytes / 1024)} KB (${round(totalBytes / 1024 / 1024, 2)} MB) per interview-hour`);
    if (!exact) process.exitCode = 1;
  } finally {
    await stack.stop();
  }
}

await main();
