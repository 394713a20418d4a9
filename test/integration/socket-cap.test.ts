/**
 * The cap on open sockets per session (docs/protocol.md §4) when handshakes arrive at once: a local stack whose
 * DynamoDB sits behind a proxy that delays half of the requests by up to 200 ms, so that many `$connect`
 * invocations count the session's sockets before any of them has stored its own. None may keep the
 * session past the cap, and a handshake refused after it stored its socket must take it back.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { LIMITS } from '#contract/limits.js';
import { createSession, rng } from './clients.js';
import { stackBehindProxy } from './faulty-proxy.js';

const faulty = stackBehindProxy(
  {
    delayShare: 0.5,
    delayMs: [0, 200],
    dropShare: 0,
    random: rng(20261202),
  },
  'interview-socket-cap',
);

function connect(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error('refused'), { status: res.statusCode })));
    ws.once('error', reject);
  });
}

describe('open sockets per session, handshakes at once', () => {
  it('keeps no more than the cap open, and what a refused handshake stored is gone (one at a time, the rest fill up to the cap exactly)', async () => {
    const session = await createSession(faulty.stack.httpUrl, { title: 'socket burst' });
    const url = `${faulty.stack.wsUrl}?sessionId=${session.sessionId}&token=${session.candidateToken}`;
    const max = LIMITS.websocket.maxConnectionsPerSession;
    const open: WebSocket[] = [];
    try {
      const burst = await Promise.allSettled(Array.from({ length: max + 30 }, () => connect(url)));
      for (const r of burst) if (r.status === 'fulfilled') open.push(r.value);
      const refused = burst.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { status?: number }).status] : []));
      expect(refused.every((status) => status === 429)).toBe(true);
      expect(open.length).toBeLessThanOrEqual(max);
      // A socket a refused handshake failed to take back would still count, and stop this short of the cap.
      for (;;) {
        const next = await connect(url).catch((err: { status?: number }) => {
          if (err.status !== 429) throw err;
          return undefined;
        });
        if (!next) break;
        open.push(next);
      }
      expect(open.length).toBe(max);
      expect(faulty.proxy.stats.delayed).toBeGreaterThan(0);
    } finally {
      for (const ws of open) ws.close();
    }
  }, 240_000);
});
