/**
 * Playback is exact (docs/protocol.md §10 `GET /timeline`): two Yjs clients and a text client edit, the interviewer
 * PUTs code, changes language and runs twice while the others keep typing. Replaying every `edit` of
 * the code onto an empty Y.Doc gives GET /code's text; replaying up to each `execution-queued` gives
 * exactly the code that run executed (the stored execution's code).
 */
import * as Y from 'yjs';
import { describe, expect, inject, it } from 'vitest';
import { api, createSession, sleep, TextClient, unb64, YjsClient, type SessionAccess } from './clients.js';
import { rawExecution } from './pipeline-support.js';

const httpUrl = inject('httpUrl');
const wsUrl = inject('wsUrl');

interface Event {
  at: string;
  type: string;
  [field: string]: any;
}

/** Every page of the timeline, with a small page size so the cursor is exercised. */
async function wholeTimeline(access: SessionAccess, limit: number): Promise<{ events: Event[]; pages: number }> {
  const events: Event[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await api(httpUrl, 'GET', `/api/sessions/${access.sessionId}/timeline?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, access.token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.events.length).toBeLessThanOrEqual(limit);
    events.push(...res.body.events);
    cursor = res.body.nextCursor;
    pages++;
  } while (cursor);
  return { events, pages };
}

/** A line of valid JavaScript and TypeScript: whole lines keep the program runnable whatever merges. */
const line = (tag: string) => `console.log("${tag}");\n`;

describe('playback', () => {
  it('replays exactly: all edits give GET /code, edits up to each execution-queued give what that run executed', async () => {
    const created = await createSession(httpUrl, { title: 'playback', language: 'javascript' });
    const interviewer: SessionAccess = { httpUrl, wsUrl, sessionId: created.sessionId, token: created.interviewerToken };
    const candidate: SessionAccess = { ...interviewer, token: created.candidateToken };
    const base = `/api/sessions/${created.sessionId}`;

    const y1 = await YjsClient.join(candidate, { username: 'yjs-1' });
    const y2 = await YjsClient.join(interviewer, { username: 'yjs-2' });
    const text = await TextClient.join(candidate, 'text-1');
    await api(httpUrl, 'PUT', `${base}/code`, interviewer.token, { code: line('start') });
    await sleep(300);

    let typing = true;
    const typist = async (c: YjsClient, name: string) => {
      for (let i = 0; typing; i++) {
        const t = c.ytext;
        // Whole lines at the start or the end: concurrent inserts never split a line.
        t.insert(i % 2 === 0 ? t.length : 0, line(`${name}-${i}`));
        await sleep(120);
      }
    };
    const texter = async () => {
      for (let i = 0; typing; i++) {
        await text.change(text.text + line(`text-${i}`));
        await sleep(150);
      }
    };
    const editing = Promise.all([typist(y1, 'y1'), typist(y2, 'y2'), texter()]);

    await sleep(1500);
    const put = await api(httpUrl, 'PUT', `${base}/code`, interviewer.token, { code: line('replaced') });
    expect(put.status).toBe(200);
    await sleep(400);
    const run1 = await api(httpUrl, 'POST', `${base}/executions`, interviewer.token, {});
    expect(run1.status).toBe(202);
    await sleep(300);
    expect((await api(httpUrl, 'PATCH', base, interviewer.token, { language: 'typescript' })).status).toBe(200);
    await sleep(300);
    const run2 = await api(httpUrl, 'POST', `${base}/executions`, candidate.token, {});
    expect(run2.status).toBe(202);
    await sleep(400);
    typing = false;
    await editing;
    // Every client's pending edits are stored before the final read.
    await Promise.all([y1.sync(), y2.sync()]);
    await sleep(300);

    const finalCode = (await api(httpUrl, 'GET', `${base}/code`, interviewer.token)).body;
    const { events, pages } = await wholeTimeline(interviewer, 40);
    expect(pages).toBeGreaterThan(1);
    for (const e of events) expect(e.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const types = new Set(events.map((e) => e.type));
    for (const t of ['edit', 'user-joined', 'language-changed', 'execution-queued']) expect(types, t).toContain(t);

    // Code edits in version order, each version once.
    const edits = events.filter((e) => e.type === 'edit' && e.doc === 'code');
    expect(edits.map((e) => e.version)).toEqual(edits.map((_, i) => i + 1));
    expect(edits.length).toBe(finalCode.version);

    // Replay: the whole log gives GET /code; up to each execution-queued, that run's code.
    const doc = new Y.Doc();
    const queued: { executionId: string; text: string }[] = [];
    for (const e of events) {
      if (e.type === 'edit' && e.doc === 'code') Y.applyUpdate(doc, unb64(e.update));
      if (e.type === 'execution-queued') queued.push({ executionId: e.executionId, text: doc.getText('code').toString() });
    }
    expect(doc.getText('code').toString()).toBe(finalCode.code);
    expect(queued.map((q) => q.executionId).sort()).toEqual([run1.body.executionId, run2.body.executionId].sort());
    for (const q of queued) {
      const executed = await rawExecution(created.sessionId, q.executionId);
      expect(q.text, `run ${q.executionId}`).toBe(executed.code);
    }
    // The PUT's replacement is in the log as an edit that replays to its text.
    const putEdit = edits.find((e) => e.version === put.body.version)!;
    const upToPut = new Y.Doc();
    for (const e of edits.filter((x) => x.version <= putEdit.version)) Y.applyUpdate(upToPut, unb64(e.update));
    expect(upToPut.getText('code').toString()).toBe(line('replaced'));

    // The events are oldest first (the merge never puts an edit of a later version first).
    const positions = events.map((e, i) => ({ e, i })).filter(({ e }) => e.type === 'execution-queued');
    for (const { e, i } of positions) {
      const later = events.slice(i + 1).filter((x) => x.type === 'edit' && x.doc === 'code');
      for (const x of later) expect(x.version).toBeGreaterThan(e.version);
    }
    await Promise.all([y1.ws.close(), y2.ws.close(), text.ws.close()]);
  }, 240_000);
});
