/**
 * Edits are never lost: two clients type 40 edits/s each for 10 s while one's connection is cut three
 * times — closed by the server, dropped at the TCP level, and silently black-holed — and both end with
 * every edit, identical to each other and to the server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Connection, type ServerError } from '../../client/src/index.js';
import { listConnections } from '#aws/store/connections.js';
import { inject } from 'vitest';
import { CutProxy } from './proxy.js';
import { codeOf, createSession, httpUrl, until, wsUrl } from './support.js';

const open: Connection[] = [];
const proxies: CutProxy[] = [];
afterEach(async () => {
  open.splice(0).forEach((c) => c.leave());
  await Promise.all(proxies.splice(0).map((p) => p.stop()));
});

/** Faster failure detection than the defaults (which are for real networks), still patient with a busy machine. */
const timing = { livenessEveryMs: 1_000, pongTimeoutMs: 10_000, keepaliveMs: 2_000, backoffBaseMs: 100, backoffMaxMs: 1_000, settleMs: 1_000 };

function typeInto(c: Connection, prefix: string, perSecond: number, seconds: number): Promise<string[]> {
  const tokens: string[] = [];
  return new Promise((done) => {
    const total = perSecond * seconds;
    const timer = setInterval(() => {
      const token = `${prefix}${tokens.length};`;
      const at = Math.floor(Math.random() * (c.text.length + 1));
      // Never split another token: insert at a token boundary.
      const text = c.text.toString();
      const boundary = text.lastIndexOf(';', at - 1) + 1;
      c.text.insert(boundary, token);
      tokens.push(token);
      if (tokens.length >= total) {
        clearInterval(timer);
        done(tokens);
      }
    }, 1000 / perSecond);
  });
}

describe('client library under connection failures', () => {
  it('keeps every edit of two clients typing 40 edits/s for 10 s through three connection cuts', async () => {
    const s = await createSession({ language: 'javascript' });
    const proxy = await new CutProxy({ host: '127.0.0.1', port: Number(new URL(wsUrl()).port) }).start();
    proxies.push(proxy);
    const errors: ServerError[] = [];
    const a = connect({ wsUrl: wsUrl(), sessionId: s.sessionId, token: s.interviewerToken, username: 'A', timing });
    const b = connect({ wsUrl: `ws://127.0.0.1:${proxy.port}/ws`, httpUrl: httpUrl(), sessionId: s.sessionId, token: s.candidateToken, username: 'B', timing });
    open.push(a, b);
    a.on('error', (e) => errors.push(e));
    b.on('error', (e) => errors.push(e));
    await Promise.all([a.whenConnected(), b.whenConnected()]);
    a.text.delete(0, a.text.length);

    let reconnects = 0;
    b.on('status', (st) => st === 'connected' && reconnects++);
    const typing = Promise.all([typeInto(a, 'a', 40, 10), typeInto(b, 'b', 40, 10)]);
    const cuts = (async () => {
      const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
      await wait(2_000);
      // 1. API Gateway closes the connection (as after 2 h, or on DeleteConnection).
      const closed = await Promise.all(
        (await listConnections(s.sessionId))
          .filter((c) => c.userId === b.userId)
          .map(async (c) => (await fetch(`${inject('managementUrl')}/@connections/${encodeURIComponent(c.connectionId)}`, { method: 'DELETE' })).status),
      );
      expect(closed).toContain(204);
      await until(() => reconnects >= 1, 'reconnect after a server-side close');
      await wait(1_500);
      // 2. The TCP connection dies (both directions reset).
      proxy.reset();
      await until(() => reconnects >= 2, 'reconnect after a dropped TCP connection');
      await wait(1_500);
      // 3. The network silently stops carrying packets: only the heartbeat notices (an edit's liveness
      //    ping, or the keepalive ping when idle), and the edit made meanwhile still arrives.
      proxy.blackhole();
      b.text.insert(0, 'b-during-blackhole;');
      await until(() => reconnects >= 3, 'reconnect after a silent drop', 60_000);
    })();
    const [[aTokens, bTypedTokens]] = await Promise.all([typing, cuts]);
    const bTokens = [...bTypedTokens, 'b-during-blackhole;'];

    const complete = (c: Connection) => [...aTokens, ...bTokens].every((t) => c.text.toString().includes(t));
    await until(() => complete(a) && complete(b) && a.text.toString() === b.text.toString(), 'every edit in both documents', 60_000);
    await until(async () => (await codeOf(s.sessionId, s.interviewerToken)) === a.text.toString(), 'the server holds the same text', 30_000);
    expect(a.text.length).toBe([...aTokens, ...bTokens].join('').length);
    expect(reconnects).toBeGreaterThanOrEqual(3);
    // Pacing keeps both under the server's 50 edits/s: nobody was refused for speed.
    expect(errors.filter((e) => e.code === 'RATE_LIMIT_EXCEEDED')).toEqual([]);
  });
});
