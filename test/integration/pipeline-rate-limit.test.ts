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

  // The window is a fixed calendar minute (shared/aws/store/rate-limit.ts): on a slow machine it may roll
  // over once while a test fills it, and then the refusal comes later, never sooner. So each test sends
  // until it is refused (at most 2 × LIMIT + 1) and checks at least LIMIT were let through before.

  it('refuses a role\'s POSTs past 10 a minute with 429 and Retry-After, stores nothing, and lets the other role run', async () => {
    const session = await newSession();
    let accepted = 0;
    let refused: Awaited<ReturnType<typeof postRun>> | undefined;
    for (let i = 0; i <= 2 * LIMIT && !refused; i++) {
      const res = await postRun(session, { code: QUICK });
      if (res.status === 202) accepted++;
      else refused = res;
    }
    expect(refused?.status).toBe(429);
    expect(refused?.body.error).toBe('RATE_LIMIT_EXCEEDED');
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(accepted).toBeGreaterThanOrEqual(LIMIT);
    expect(await listExecutionsOverHttp(session)).toHaveLength(accepted);

    expect((await postRun(session, { code: QUICK }, { token: session.candidateToken })).status).toBe(202);
    expect(await listExecutionsOverHttp(session)).toHaveLength(accepted + 1);
  });

  /**
   * Sends run-code until refused; returns how many were queued and the refusal. Each with its own stdin:
   * the same request again while its run is pending is a resend of that run, not another one (§5).
   */
  let sent = 0;
  async function runUntilRefused(ws: WsClient, userId: string): Promise<{ queued: number; refusal: Record<string, unknown> }> {
    let queued = 0;
    for (let i = 0; i <= 2 * LIMIT; i++) {
      ws.send({ action: 'run-code', stdin: `run ${sent++}` });
      const answer = await ws.take(['execution-queued', 'error'], (m) => m.userId === userId || m.action === 'run-code', 30_000);
      if (answer.type === 'error') return { queued, refusal: answer };
      queued++;
    }
    throw new Error(`${queued} run-code in a row were queued: no rate limit`);
  }

  it('answers a user\'s run-code past 10 a minute with an error and queues nothing', async () => {
    const session = await newSession();
    const ws = await joined(socketUrl(accessOf(session, session.candidateToken)), 'cand-1');
    const { queued, refusal } = await runUntilRefused(ws, 'cand-1');
    expect(refusal).toMatchObject({ code: 'RATE_LIMIT_EXCEEDED', details: { retryAfterSeconds: expect.any(Number) } });
    expect(queued).toBeGreaterThanOrEqual(LIMIT);
    expect(await listExecutionsOverHttp(session)).toHaveLength(queued);
  }, 120_000);

  it('cannot be escaped by re-joining under another userId', async () => {
    const session = await newSession();
    const ws = await joined(socketUrl(accessOf(session, session.candidateToken)), 'cand-2');
    let { refusal } = await runUntilRefused(ws, 'cand-2');
    // Re-join well inside the full window: with little of it left, wait for the next one and fill that.
    const left = (r: Record<string, unknown>) => Number((r.details as { retryAfterSeconds: number }).retryAfterSeconds);
    if (left(refusal) < 20) {
      await new Promise((resolve) => setTimeout(resolve, (left(refusal) + 1) * 1000));
      ({ refusal } = await runUntilRefused(ws, 'cand-2'));
    }
    expect(left(refusal)).toBeGreaterThanOrEqual(5);
    ws.send({ action: 'join-session', userId: 'cand-2-again' });
    await ws.take('session-joined');
    ws.send({ action: 'run-code', stdin: 'after re-joining' });
    const answer = await ws.take(['error', 'execution-queued'], (m) => m.userId === 'cand-2-again' || m.action === 'run-code', 30_000);
    expect(answer).toMatchObject({ type: 'error', code: 'RATE_LIMIT_EXCEEDED' });
  }, 240_000);
});
