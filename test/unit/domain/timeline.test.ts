/**
 * The playback merge (shared/core/timeline.ts) against a mocked table: order of edits and history
 * entries (a run after exactly the edits up to the version it ran, whatever the clocks said), pages
 * that never repeat or skip an event, history types playback leaves out, and bad cursors.
 */
import { ddb, nowSec, SESSION_ID, useMockedDynamo, type Item } from '../fixtures.js';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { timelinePage } from '#core/timeline.js';

const T0 = nowSec() - 600;
const at = (ms: number) => new Date(T0 * 1000 + ms).toISOString();
const ttl = nowSec() + 3600;
const pad = (n: number) => String(n).padStart(12, '0');

const edit = (doc: 'code' | 'notes', version: number, ms: number): Item => ({
  PK: `S#${SESSION_ID}`,
  SK: `${doc === 'code' ? 'DOC#' : 'NOTE#'}${pad(version)}#U`,
  version,
  at: at(ms),
  userId: `u${version}`,
  update: new Uint8Array([version, 0]),
  ttl,
});
const state = (version: number): Item => ({ PK: `S#${SESSION_ID}`, SK: `DOC#${pad(version)}#S000`, version, part: 0, parts: 1, state: new Uint8Array(9), ttl });
let ulid = 0;
const entry = (type: string, ms: number, detail: Item = {}): Item => ({
  PK: `S#${SESSION_ID}`,
  SK: `H#01J${String(++ulid).padStart(23, '0')}`,
  at: at(ms),
  type,
  userId: 'u',
  detail,
  ttl,
});

/** Answers the three range Queries from `items`, ascending, honouring Limit and ExclusiveStartKey. */
function givenItems(items: Item[]): void {
  const sorted = [...items].sort((a, b) => String(a.SK).localeCompare(String(b.SK)));
  ddb.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: Record<string, string>; Limit?: number; ExclusiveStartKey?: Item }) => {
    const { ':lo': lo, ':hi': hi } = input.ExpressionAttributeValues;
    let found = sorted.filter((i) => String(i.SK) >= lo! && String(i.SK) <= hi!);
    if (input.ExclusiveStartKey) found = found.filter((i) => String(i.SK) > String(input.ExclusiveStartKey!.SK));
    const page = found.slice(0, input.Limit ?? found.length);
    const more = page.length < found.length;
    return { Items: page, ...(more ? { LastEvaluatedKey: { PK: page.at(-1)!.PK, SK: page.at(-1)!.SK } } : {}) };
  });
}

/** Every page; events typed loosely (their fields depend on `type`). */
async function all(limit: number): Promise<{ events: any[]; pages: number }> {
  const events: any[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await timelinePage(SESSION_ID, cursor, limit);
    expect(page.events.length).toBeLessThanOrEqual(limit);
    events.push(...page.events);
    cursor = page.nextCursor ?? undefined;
    pages++;
  } while (cursor);
  return { events, pages };
}

const label = (e: Item) => (e.type === 'edit' ? `${e.doc}:${e.version}` : String(e.type));

describe('timeline merge', () => {
  useMockedDynamo();

  it('puts a run right after the edit of the version it ran, even when its clock was behind', async () => {
    givenItems([
      edit('code', 1, 0),
      edit('code', 2, 100),
      edit('code', 3, 200),
      // Queued on version 3 by a container whose clock was 150 ms behind: at says 50.
      entry('execution-queued', 50, { executionId: 'X1', language: 'python', version: 3 }),
      edit('code', 4, 210),
      entry('language-changed', 205, { from: 'python', to: 'go' }),
      edit('notes', 1, 150),
      entry('execution-finished', 400, { executionId: 'X1', status: 'COMPLETED' }),
    ]);
    const { events } = await all(100);
    expect(events.map(label)).toEqual(['code:1', 'code:2', 'notes:1', 'code:3', 'execution-queued', 'language-changed', 'code:4', 'execution-finished']);
    expect(events[0]).toEqual({ at: at(0), type: 'edit', userId: 'u1', doc: 'code', update: Buffer.from([1, 0]).toString('base64'), version: 1 });
    expect(events[4]).toMatchObject({ type: 'execution-queued', executionId: 'X1', version: 3, userId: 'u', at: at(50) });
  });

  it('whatever the clocks: an entry naming version v comes after code edit v and before edit v+1, on every page size', async () => {
    let seed = 11;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 25; round++) {
      const items: Item[] = [];
      for (let v = 1; v <= 12; v++) items.push(edit('code', v, Math.floor(random() * 1000)));
      for (let v = 1; v <= 4; v++) items.push(edit('notes', v, Math.floor(random() * 1000)));
      // Runs are requested one after another (their versions never go down in history order); their
      // containers' clocks say anything.
      const versions = [0, 0, 0].map(() => 1 + Math.floor(random() * 12)).sort((a, b) => a - b);
      for (let i = 0; i < 6; i++) {
        // A history entry's key and time come from one clock: in key order, times do not go down.
        items.push(entry(i % 2 ? 'execution-queued' : 'user-joined', i * 150 + Math.floor(random() * 100), i % 2 ? { executionId: `X${i}`, version: versions[(i - 1) / 2] } : {}));
      }
      ddb.reset();
      givenItems(items);
      for (const limit of [2, 100]) {
        const { events } = await all(limit);
        const code = events.map((e, i) => ({ e, i })).filter(({ e }) => e.type === 'edit' && e.doc === 'code');
        for (const [i, e] of events.entries()) {
          if (e.type !== 'execution-queued') continue;
          const at = (v: number) => code.find(({ e: c }) => c.version === v)?.i ?? Infinity;
          expect(i, `round ${round} limit ${limit}`).toBeGreaterThan(at(e.version));
          expect(i, `round ${round} limit ${limit}`).toBeLessThan(at(e.version + 1));
        }
        expect(events).toHaveLength(22);
      }
    }
  });

  it('pages of any size give the same events once each, skipping compacted states and types playback does not show', async () => {
    const items: Item[] = [];
    for (let v = 1; v <= 40; v++) items.push(edit('code', v, v * 10));
    for (let v = 1; v <= 7; v++) items.push(edit('notes', v, v * 55));
    items.push(state(32), state(16));
    for (let i = 0; i < 12; i++) items.push(entry(i % 3 === 0 ? 'title-changed' : 'activity', i * 33 + 5, { kind: 'paste' }));
    givenItems(items);
    const whole = await all(2000);
    expect(whole.events.filter((e) => e.type === 'edit')).toHaveLength(47);
    expect(whole.events.some((e) => e.type === 'title-changed')).toBe(false);
    expect(whole.events.filter((e) => e.type === 'activity')).toHaveLength(8);
    for (const limit of [1, 3, 7, 50]) {
      const paged = await all(limit);
      expect(paged.events.map(label), `limit ${limit}`).toEqual(whole.events.map(label));
      expect(paged.pages).toBeGreaterThanOrEqual(Math.ceil(55 / limit));
    }
    // Oldest first within each document.
    const code = whole.events.filter((e) => e.doc === 'code').map((e) => e.version);
    expect(code).toEqual([...code].sort((a, b) => a - b));
  });

  it('reads on past a page that holds only compacted states (the Query continues after LastEvaluatedKey)', async () => {
    // Parts of large states fill the first page (limit 2 + 16 items) before the edit above them.
    const parts = Array.from({ length: 30 }, (_, p) => ({ ...state(1), SK: `DOC#${pad(1)}#S${String(p).padStart(3, '0')}`, part: p }));
    givenItems([...parts, edit('code', 2, 10)]);
    const page = await timelinePage(SESSION_ID, undefined, 2);
    expect(page.events.map(label)).toEqual(['code:2']);
    expect(ddb.commandCalls(QueryCommand).some((c) => c.args[0].input.ExclusiveStartKey !== undefined)).toBe(true);
  });

  it('an empty session has no events and no next page', async () => {
    givenItems([]);
    expect(await timelinePage(SESSION_ID, undefined, 10)).toEqual({ events: [], nextCursor: null });
  });

  it.each(['nope', Buffer.from('1.2.X#abc').toString('base64url'), Buffer.from('-1.0.').toString('base64url')])('refuses the cursor %j with VALIDATION_ERROR', async (cursor) => {
    givenItems([]);
    await expect(timelinePage(SESSION_ID, cursor, 10)).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
  });

  it('reads each source with a bounded page, strongly consistent, projecting away state bytes', async () => {
    givenItems([edit('code', 1, 0)]);
    await timelinePage(SESSION_ID, undefined, 25);
    const queries = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(queries).toHaveLength(3);
    for (const q of queries) {
      expect(q.ConsistentRead).toBe(true);
      expect(q.Limit).toBeLessThanOrEqual(25 + 16);
      expect(q.ProjectionExpression).not.toContain('state');
    }
  });
});


