/**
 * Runs are limited to 10 per minute per user (docs/protocol.md §4): the 11th is refused with RATE_LIMIT_EXCEEDED
 * and nothing else happens (no execution stored, nothing queued); other users are not affected.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { WsClient, socketUrl } from './clients.js';
import { accessOf, listExecutionsOverHttp, newSession, postRun } from './pipeline-support.js';

const QUICK = 'print(1)\n';
const LIMIT = 10;

describe('runs per user per minute', () => {
  const sockets: WsClient[] = [];
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
  });

  async function joined(url: string, userId: string): Promise<WsClient> {
    const ws = await WsClient.connect(url);
    sockets.push(ws);
    ws.send({ action: 'join-session', userId });
    await ws.take('session-joined');
    return ws;
  }

  it('refuses the 11th POST of a role with 429 and Retry-After, stores nothing, and lets the other role run', async () => {
    const session = await newSession();
    for (let i = 0; i < LIMIT; i++) expect((await postRun(session, { code: QUICK })).status).toBe(202);
    const refused = await postRun(session, { code: QUICK });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toBe('RATE_LIMIT_EXCEEDED');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await listExecutionsOverHttp(session)).toHaveLength(LIMIT);

    expect((await postRun(session, { code: QUICK }, { token: session.candidateToken })).status).toBe(202);
    expect(await listExecutionsOverHttp(session)).toHaveLength(LIMIT + 1);
  });

  it('answers the 11th run-code of a user with an error and queues nothing', async () => {
    const session = await newSession();
    const ws = await joined(socketUrl(accessOf(session, session.candidateToken)), 'cand-1');
    for (let i = 0; i < LIMIT; i++) {
      ws.send({ action: 'run-code' });
      await ws.take('execution-queued', (m) => m.userId === 'cand-1', 10_000);
    }
    ws.send({ action: 'run-code' });
    expect(await ws.take('error', (m) => m.action === 'run-code', 10_000)).toMatchObject({ code: 'RATE_LIMIT_EXCEEDED' });
    expect(await listExecutionsOverHttp(session)).toHaveLength(LIMIT);
  });

  it('cannot be escaped by re-joining under another userId', async () => {
    const session = await newSession();
    const ws = await joined(socketUrl(accessOf(session, session.candidateToken)), 'cand-2');
    for (let i = 0; i < LIMIT; i++) {
      ws.send({ action: 'run-code' });
      await ws.take('execution-queued', (m) => m.userId === 'cand-2', 10_000);
    }
    ws.send({ action: 'join-session', userId: 'cand-2-again' });
    await ws.take('session-joined');
    ws.send({ action: 'run-code' });
    const answer = await ws.take(['error', 'execution-queued'], (m) => m.userId === 'cand-2-again' || m.action === 'run-code', 10_000);
    expect(answer).toMatchObject({ type: 'error', code: 'RATE_LIMIT_EXCEEDED' });
  });
});
