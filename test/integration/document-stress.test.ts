/**
 * Document integrity under contention and faults (docs/protocol.md §5 "Document integrity"), end to end: a local
 * stack whose DynamoDB sits behind a proxy that delays a quarter of the requests by up to 150 ms and
 * drops about 1 % of the responses (the write happened; the client never heard). Three Yjs clients, a
 * versioned text client and two HTTP writers (GET, then PUT with baseVersion) insert unique tokens at
 * once. Convergence is not enough: every acknowledged token must be in the final text exactly once,
 * every (version, text) pair seen anywhere must be unique, and nothing may answer 500/INTERNAL_ERROR.
 */
import { describe, expect, it } from 'vitest';
import { api, createSession, eventually, getCode, rng, sleep, TextClient, YjsClient, type SessionAccess } from './clients.js';
import { stackBehindProxy } from './faulty-proxy.js';

const SECONDS = Number(process.env.STRESS_SECONDS ?? 20);

const faulty = stackBehindProxy(
  {
    delayShare: 0.25,
    delayMs: [0, 150],
    dropShare: 0.01,
    dropAtLeastOneBy: 200,
    random: rng(20261130),
  },
  'interview-stress',
);

/** Inserts `line` at the start of a random line of `text` (tokens are whole lines: never split). */
function insertLine(text: string, line: string, random: () => number): { at: number; next: string } {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  const at = starts[Math.floor(random() * starts.length)]!;
  return { at, next: text.slice(0, at) + line + text.slice(at) };
}

describe('document integrity under contention, delays and lost responses', () => {
  it(`keeps every acknowledged edit exactly once, one text per version, no 500 (${SECONDS} s)`, async () => {
    const created = await createSession(faulty.stack.httpUrl, { title: 'stress' });
    const access: SessionAccess = { httpUrl: faulty.stack.httpUrl, wsUrl: faulty.stack.wsUrl, sessionId: created.sessionId, token: created.interviewerToken };
    const candidate: SessionAccess = { ...access, token: created.candidateToken };

    const acknowledged: string[] = [];
    const versions = new Map<number, string>();
    const clashes: string[] = [];
    const see = (version: number, text: string, where: string) => {
      const known = versions.get(version);
      if (known === undefined) versions.set(version, text);
      else if (known !== text) clashes.push(`${where}: version ${version}`);
    };
    const statuses: number[] = [];
    const deadline = Date.now() + SECONDS * 1000;

    const yjs = await Promise.all(['y0', 'y1', 'y2'].map((name) => YjsClient.join(access, { username: name })));
    const text = await TextClient.join(candidate, 'texter');
    const yjsTokens = yjs.map(() => [] as string[]);

    const yjsWriter = async (i: number) => {
      const random = rng(100 + i);
      for (let n = 0; Date.now() < deadline; n++) {
        const token = `<y${i}-${n}>`;
        const { at } = insertLine(yjs[i]!.ytext.toString(), '', random);
        yjs[i]!.ytext.insert(at, `${token}\n`);
        yjsTokens[i]!.push(token);
        await sleep(60 + random() * 80);
      }
    };
    const textWriter = async () => {
      const random = rng(200);
      for (let n = 0; Date.now() < deadline; n++) {
        const token = `<t-${n}>`;
        await text.change(insertLine(text.text, `${token}\n`, random).next);
        acknowledged.push(token);
        await sleep(random() * 100);
      }
    };
    const httpWriter = async (w: number) => {
      const random = rng(300 + w);
      for (let n = 0; Date.now() < deadline; ) {
        const token = `<h${w}-${n}>`;
        const current = await api(faulty.stack.httpUrl, 'GET', `/api/sessions/${access.sessionId}/code`, access.token);
        statuses.push(current.status);
        if (current.status !== 200) continue;
        see(current.body.version, current.body.code, 'GET /code');
        const put = await api(faulty.stack.httpUrl, 'PUT', `/api/sessions/${access.sessionId}/code`, access.token, {
          code: insertLine(current.body.code, `${token}\n`, random).next,
          baseVersion: current.body.version,
        });
        statuses.push(put.status);
        if (put.status === 200) {
          acknowledged.push(token);
          n++;
        } else if (put.status === 409) see(put.body.details.currentVersion, put.body.details.code, 'PUT 409');
        else if (put.status === 503) await sleep(Number(put.body.details?.retryAfterSeconds ?? 1) * 100);
      }
    };

    await Promise.all([...yjs.map((_, i) => yjsWriter(i)), textWriter(), httpWriter(0), httpWriter(1)]);

    // Every Yjs client syncs once (sending anything a BUSY refused), then everyone must equal GET /code.
    await Promise.all(yjs.map((c) => c.sync()));
    const final = await eventually(async () => {
      const now = await getCode(access);
      return yjs.every((c) => c.ytext.toString() === now.code) && text.text === now.code ? now : undefined;
    }, 60_000, 'every client to equal GET /code after one sync');

    for (const c of [text.ws, ...yjs.map((y) => y.ws)]) {
      for (const m of c.received('code-update')) if (typeof m.code === 'string') see(m.version, m.code, 'code-update');
      for (const m of c.received('code-ack')) if (typeof m.code === 'string') see(m.version, m.code, 'code-ack');
      expect(c.received('error').filter((e) => e.code === 'INTERNAL_ERROR')).toEqual([]);
    }
    see(final.version, final.code, 'final GET');
    expect(statuses.filter((s) => s >= 500 && s !== 503)).toEqual([]);
    expect(clashes).toEqual([]);

    const count = (token: string) => final.code.split(`${token}\n`).length - 1;
    const everyToken = [...acknowledged, ...yjsTokens.flat()];
    expect(everyToken.length).toBeGreaterThan(50);
    expect(everyToken.filter((t) => count(t) !== 1)).toEqual([]);
    // The faults really happened.
    expect(faulty.proxy.stats.delayed).toBeGreaterThan(0);
    expect(faulty.proxy.stats.dropped).toBeGreaterThan(0);

    // Afterwards a fresh GET -> PUT with its base succeeds first time.
    const after = await getCode(access);
    const put = await api(faulty.stack.httpUrl, 'PUT', `/api/sessions/${access.sessionId}/code`, access.token, { code: `${after.code}<done>\n`, baseVersion: after.version });
    // On failure, say what moved the version (a 409 carries the current version and text).
    expect(put.status, `GET said version ${after.version}; PUT answered ${JSON.stringify(put.body).slice(0, 300)}`).toBe(200);
    await Promise.all([text.ws.close(), ...yjs.map((c) => c.ws.close())]);
  }, (SECONDS + 150) * 1000);
});
