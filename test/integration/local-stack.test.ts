/**
 * The local front itself, over real sockets: what API Gateway (HTTP API, WebSocket API, Management API)
 * does around the handlers. Two stacks are used:
 *   - the shared one from global-setup.ts, running the product's real handlers (whatever exists now);
 *   - fixture stacks started here (same DynamoDB Local) whose handlers are local/fixtures/*, so the
 *     front's own behaviour (handshake refusal, routing, quotas, event shapes) is tested deterministically.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { startLocalStack, type LocalStack } from '../../local/stack.js';
import type { WsQuotas } from '../../local/ws-front.js';
import { recorded, SLOW_GIVES_UP_MS } from '../../local/fixtures/ws-echo.js';
import { operatorHeaders } from './http.js';
import { LIMITS } from '#contract/limits.js';

const KIB = 1024;

function managementClient(endpoint: string): ApiGatewayManagementApiClient {
  return new ApiGatewayManagementApiClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}

/** Resolves once open; rejects with the HTTP status when the handshake is refused. */
function connect(url: string, protocols?: string[]): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error('refused'), { status: res.statusCode })));
    ws.once('error', reject);
  });
}

function nextMessage(ws: WebSocket): Promise<string> {
  return new Promise((resolve) => ws.once('message', (data) => resolve(data.toString())));
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

async function waitFor<T>(find: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function fixtureStack(wsQuotas: Partial<WsQuotas> = {}): Promise<LocalStack> {
  return startLocalStack({
    port: 0,
    ddbEndpoint: inject('ddbEndpoint'),
    quiet: true,
    wsQuotas,
    handlerEntries: {
      http: { meta: 'local/fixtures/http-echo.ts', sessions: 'local/fixtures/http-echo.ts' },
      ws: { connect: 'local/fixtures/ws-echo.ts', message: 'local/fixtures/ws-echo.ts', disconnect: 'local/fixtures/ws-echo.ts' },
    },
  });
}

describe('local stack with the real handlers (global setup)', () => {
  const httpUrl = inject('httpUrl');

  it("sends an unmatched route to the $default route's function, as the deployed HTTP API does: the contract's 404", async () => {
    const res = await fetch(`${httpUrl}/api/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'NOT_FOUND', message: 'Route GET /api/nope not found' });
    // A known path under another method is unmatched too.
    const wrongMethod = await fetch(`${httpUrl}/api/health`, { method: 'DELETE' });
    expect(wrongMethod.status).toBe(404);
    expect(await wrongMethod.json()).toMatchObject({ error: 'NOT_FOUND' });
  });

  it('routes GET /api/health to the meta handler module', async () => {
    const res = await fetch(`${httpUrl}/api/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok' });
  });

  it('the real management client gets GoneException for an unknown connection', async () => {
    const client = managementClient(inject('managementUrl'));
    await expect(
      client.send(new PostToConnectionCommand({ ConnectionId: 'AAAAAAAAAAAAAAA=', Data: 'x' })),
    ).rejects.toBeInstanceOf(GoneException);
  });

  describe('on a connection accepted by the real $connect handler', () => {
    let url: string;
    beforeAll(async () => {
      const res = await fetch(`${httpUrl}/api/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...operatorHeaders() },
        body: JSON.stringify({ title: 'local-stack front test' }),
      });
      expect(res.status).toBe(201);
      const session = (await res.json()) as { sessionId: string; interviewerToken: string };
      url = `${inject('wsUrl')}?sessionId=${session.sessionId}&token=${session.interviewerToken}`;
    });

    it('refuses the handshake with the status the real $connect returns (bad token 401, unknown session 404)', async () => {
      const badToken = url.replace(/token=[^&]+/, 'token=wrong');
      await expect(connect(badToken)).rejects.toMatchObject({ status: 401 });
      const unknown = url.replace(/sessionId=[^&]+/, 'sessionId=00000000-0000-4000-8000-000000000000');
      await expect(connect(unknown)).rejects.toMatchObject({ status: 404 });
    });

    it(`holds at most ${LIMITS.websocket.maxConnectionsPerSession} sockets per session: the next handshake is 429, and a socket that closes makes room`, async () => {
      const res = await fetch(`${httpUrl}/api/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...operatorHeaders() },
        body: JSON.stringify({ title: 'socket cap' }),
      });
      const session = (await res.json()) as { sessionId: string; candidateToken: string };
      const capped = `${inject('wsUrl')}?sessionId=${session.sessionId}&token=${session.candidateToken}`;
      const open: WebSocket[] = [];
      try {
        // One at a time (handshakes at once: socket-cap.test.ts).
        for (let i = 0; i < LIMITS.websocket.maxConnectionsPerSession; i++) open.push(await connect(capped));
        await expect(connect(capped)).rejects.toMatchObject({ status: 429 });
        const leaving = open.pop()!;
        leaving.close();
        await closed(leaving);
        // Room again once its $disconnect has removed it (the front runs it after the close).
        const deadline = Date.now() + 30_000;
        for (;;) {
          const next = await connect(capped).catch((err: { status?: number }) => {
            if (err.status !== 429 || Date.now() > deadline) throw err;
            return undefined;
          });
          if (next) {
            open.push(next);
            break;
          }
          await new Promise((r) => setTimeout(r, 50));
        }
        await expect(connect(capped)).rejects.toMatchObject({ status: 429 });
      } finally {
        for (const ws of open) ws.close();
      }
    }, 120_000);

    it('delivers what the real handlers push through WS_MANAGEMENT_ENDPOINT (ping -> pong)', async () => {
      const ws = await connect(url);
      const messages: Array<{ type: string }> = [];
      ws.on('message', (d) => messages.push(JSON.parse(d.toString()) as { type: string }));
      ws.send(JSON.stringify({ action: 'join-session', username: 'front-test' }));
      await waitFor(() => messages.find((m) => m.type === 'session-joined'));
      ws.send(JSON.stringify({ action: 'ping' }));
      await waitFor(() => messages.find((m) => m.type === 'pong'));
      ws.close();
    });

    it('closes with 1003 on a binary frame', async () => {
      const ws = await connect(url);
      const done = closed(ws);
      ws.send(Buffer.from([1, 2, 3]), { binary: true });
      expect((await done).code).toBe(1003);
    });

    it('closes with 1009 on a message over 128 KiB', async () => {
      const ws = await connect(url);
      const done = closed(ws);
      ws.send('x'.repeat(128 * KIB + 1));
      expect((await done).code).toBe(1009);
    });
  });
});

describe('HTTP API front (fixture handlers)', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await fixtureStack();
  });
  afterAll(() => stack?.stop());

  it('builds a payload 2.0 event with the route key, path parameters, query, cookies and lower-cased headers', async () => {
    const res = await fetch(`${stack.httpUrl}/api/sessions/abc-123?x=1&x=2&y=z`, {
      headers: { 'X-Custom': 'Value', Cookie: 'c1=v1; c2=v2' },
    });
    expect(res.status).toBe(200);
    const { event, context } = (await res.json()) as { event: any; context: any };
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /api/sessions/{sessionId}',
      rawPath: '/api/sessions/abc-123',
      rawQueryString: 'x=1&x=2&y=z',
      cookies: ['c1=v1', 'c2=v2'],
      queryStringParameters: { x: '1,2', y: 'z' },
      pathParameters: { sessionId: 'abc-123' },
      isBase64Encoded: false,
      requestContext: {
        routeKey: 'GET /api/sessions/{sessionId}',
        stage: '$default',
        http: { method: 'GET', path: '/api/sessions/abc-123', protocol: 'HTTP/1.1' },
      },
    });
    expect(event.headers['x-custom']).toBe('Value');
    expect(event.headers.cookie).toBeUndefined();
    expect(event.body).toBeUndefined();
    expect(typeof event.requestContext.timeEpoch).toBe('number');
    expect(context.functionName).toBe('http-sessions');
    expect(context.remaining).toBeGreaterThan(0);
  });

  it('passes JSON bodies as text and other bodies base64-encoded', async () => {
    const json = await fetch(`${stack.httpUrl}/api/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"title":"é"}',
    });
    const { event } = (await json.json()) as { event: any };
    expect(event).toMatchObject({ body: '{"title":"é"}', isBase64Encoded: false });

    const bin = await fetch(`${stack.httpUrl}/api/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array([0, 255]),
    });
    const { event: binEvent } = (await bin.json()) as { event: any };
    expect(binEvent).toMatchObject({ body: Buffer.from([0, 255]).toString('base64'), isBase64Encoded: true });
  });

  it("honours the handler's status, headers, cookies and base64 body", async () => {
    const res = await fetch(`${stack.httpUrl}/api/health?result=1`);
    expect(res.status).toBe(201);
    expect(res.headers.get('x-fixture')).toBe('yes');
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2']);
    expect(await res.text()).toBe('decoded body');
  });

  it('treats a result without statusCode as 200 JSON, like API Gateway', async () => {
    const res = await fetch(`${stack.httpUrl}/api/health?raw=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ plain: true });
  });

  it('answers 500 {"message":"Internal Server Error"} when the handler throws', async () => {
    const res = await fetch(`${stack.httpUrl}/api/health?throw=1`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ message: 'Internal Server Error' });
  });

  it('refuses a body over 10 MB with 413', async () => {
    const res = await fetch(`${stack.httpUrl}/api/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: 'x'.repeat(10 * 1024 * 1024 + 1),
    });
    expect(res.status).toBe(413);
  });

  it('answers CORS preflights with the allowed headers', async () => {
    const res = await fetch(`${stack.httpUrl}/api/sessions`, {
      method: 'OPTIONS',
      headers: { origin: 'http://example.test', 'access-control-request-method': 'POST' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-headers')).toBe('Authorization, Content-Type, Idempotency-Key');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('WebSocket front and management API (fixture handlers)', () => {
  let stack: LocalStack;
  let mgmt: ApiGatewayManagementApiClient;
  beforeAll(async () => {
    stack = await fixtureStack();
    mgmt = managementClient(stack.managementUrl);
  });
  afterAll(() => stack?.stop());

  /** Connects and learns the connection id from the fixture's echo of a MESSAGE event. */
  async function connected(query = ''): Promise<{ ws: WebSocket; connectionId: string }> {
    const ws = await connect(`${stack.wsUrl}${query}`);
    const echoed = nextMessage(ws);
    ws.send('echo');
    const event = JSON.parse(await echoed) as { requestContext: { connectionId: string } };
    return { ws, connectionId: event.requestContext.connectionId };
  }

  it('refuses the handshake with the status $connect returned', async () => {
    await expect(connect(`${stack.wsUrl}?refuse=403`)).rejects.toMatchObject({ status: 403 });
    await expect(connect(`${stack.wsUrl}?refuse=410`)).rejects.toMatchObject({ status: 410 });
    await expect(connect(`${stack.wsUrl}?throw=1`)).rejects.toMatchObject({ status: 500 });
  });

  it('builds the $connect event with query string, client-cased headers and an API Gateway-style id', async () => {
    const { ws, connectionId } = await connected('?sessionId=s1&token=t&a=1&a=2');
    const event = recorded.find((e) => e.requestContext.connectionId === connectionId && e.requestContext.eventType === 'CONNECT');
    expect(connectionId).toMatch(/^[A-Za-z0-9+/]{15}=$/);
    expect(event).toMatchObject({
      queryStringParameters: { sessionId: 's1', token: 't', a: '2' },
      multiValueQueryStringParameters: { a: ['1', '2'] },
      requestContext: { routeKey: '$connect', eventType: 'CONNECT', stage: 'local', identity: { sourceIp: '127.0.0.1' } },
    });
    expect(event?.headers?.['Sec-WebSocket-Version']).toBe('13');
    ws.close();
  });

  it('routes messages by $request.body.action, else $default, with a messageId and the raw body', async () => {
    const { ws, connectionId } = await connected();
    const bodies = ['{"action":"ping"}', '{"action":"not-a-route"}', 'not json'];
    for (const body of bodies) ws.send(body);
    const events = await waitFor(() => {
      const found = recorded.filter((e) => e.requestContext.connectionId === connectionId && bodies.includes(e.body ?? ''));
      return found.length === bodies.length ? found : undefined;
    });
    const routeOf = (body: string) => events.find((e) => e.body === body)?.requestContext;
    expect(routeOf('{"action":"ping"}')).toMatchObject({ routeKey: 'ping', eventType: 'MESSAGE' });
    expect(routeOf('{"action":"not-a-route"}')?.routeKey).toBe('$default');
    expect(routeOf('not json')?.routeKey).toBe('$default');
    expect(routeOf('not json')?.messageId).toMatch(/=$/);
    ws.close();
  });

  it('runs invocations of one connection concurrently (a slow message does not block a fast one)', async () => {
    const { ws } = await connected();
    const replies: string[] = [];
    ws.on('message', (d) => replies.push(d.toString()));
    // The fixture's "slow" answers only once the "fast" sent after it has been answered: a front that ran
    // one connection's invocations one at a time would leave it waiting, and it would answer
    // "slow without fast" first (after SLOW_GIVES_UP_MS), before "fast" is even invoked.
    ws.send('slow');
    ws.send('fast');
    await waitFor(() => (replies.length === 2 ? true : undefined), SLOW_GIVES_UP_MS + 30_000);
    expect(replies).toEqual(['fast', 'slow']);
    ws.close();
  }, SLOW_GIVES_UP_MS + 60_000);

  it('sends the client API Gateway\'s "Internal server error" message when a message handler throws', async () => {
    const { ws, connectionId } = await connected();
    const reply = nextMessage(ws);
    ws.send('throw');
    expect(JSON.parse(await reply)).toMatchObject({ message: 'Internal server error', connectionId });
    ws.close();
  });

  it('delivers PostToConnection from the real SDK (through the /@management base path) to the client', async () => {
    const { ws, connectionId } = await connected();
    const received = nextMessage(ws);
    await mgmt.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: '{"type":"hello"}' }));
    expect(await received).toBe('{"type":"hello"}');
    ws.close();
  });

  it('answers GetConnection, and DeleteConnection closes the socket; the id is then Gone', async () => {
    const { ws, connectionId } = await connected();
    const info = await mgmt.send(new GetConnectionCommand({ ConnectionId: connectionId }));
    expect(info.ConnectedAt).toBeInstanceOf(Date);
    expect(info.LastActiveAt!.getTime()).toBeGreaterThanOrEqual(info.ConnectedAt!.getTime());
    expect(info.Identity?.SourceIp).toBe('127.0.0.1');

    const done = closed(ws);
    await mgmt.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    await done;
    await expect(mgmt.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'x' }))).rejects.toBeInstanceOf(
      GoneException,
    );
    const disconnect = await waitFor(() =>
      recorded.find((e) => e.requestContext.connectionId === connectionId && e.requestContext.eventType === 'DISCONNECT'),
    );
    expect(disconnect.requestContext.routeKey).toBe('$disconnect');
  });

  it('refuses to post over 128 KiB with PayloadTooLargeException', async () => {
    const { ws, connectionId } = await connected();
    await expect(
      mgmt.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'x'.repeat(128 * KIB + 1) })),
    ).rejects.toBeInstanceOf(PayloadTooLargeException);
    ws.close();
  });

  it('reports the client close code to $disconnect', async () => {
    const { ws, connectionId } = await connected();
    ws.close(4001, 'bye');
    const event = await waitFor(() =>
      recorded.find((e) => e.requestContext.connectionId === connectionId && e.requestContext.eventType === 'DISCONNECT'),
    );
    expect(event.requestContext).toMatchObject({ eventType: 'DISCONNECT', disconnectStatusCode: 4001 });
  });

  it('accepts the subprotocol $connect answered with', async () => {
    const ws = await connect(`${stack.wsUrl}?protocol=yjs`, ['yjs']);
    expect(ws.protocol).toBe('yjs');
    ws.close();
  });

  it('closes with 1009 on a single frame over 32 KiB, without invoking the handler', async () => {
    const { ws, connectionId } = await connected();
    const done = closed(ws);
    const body = `frame-${'x'.repeat(40 * KIB)}`;
    ws.send(body);
    expect((await done).code).toBe(1009);
    // The front reports the close to $disconnect after any message it dispatched from that socket, and
    // both are invocations of this fixture (recorded as they start, in the order the front makes them):
    // once the DISCONNECT event is recorded, an invocation for the frame would be recorded before it.
    const events = await waitFor(() => {
      const mine = recorded.filter((e) => e.requestContext.connectionId === connectionId);
      return mine.some((e) => e.requestContext.eventType === 'DISCONNECT') ? mine : undefined;
    });
    expect(events.some((e) => e.body === body)).toBe(false);
  });

  it('accepts a 96 KiB message sent as three 32 KiB frames', async () => {
    const { ws, connectionId } = await connected();
    const part = 'y'.repeat(32 * KIB);
    ws.send(part, { fin: false });
    ws.send(part, { fin: false });
    ws.send(part, { fin: true });
    const event = await waitFor(() =>
      recorded.find((e) => e.requestContext.connectionId === connectionId && e.body?.startsWith('yyy')),
    );
    expect(event.body).toHaveLength(96 * KIB);
    ws.close();
  });

  it('closes with 1009 on a fragmented message over 128 KiB', async () => {
    const { ws } = await connected();
    const done = closed(ws);
    const part = 'z'.repeat(32 * KIB);
    for (let i = 0; i < 4; i++) ws.send(part, { fin: false });
    ws.send('z', { fin: true });
    expect((await done).code).toBe(1009);
  });
});

// Each quota with a stack of its own, the other one far away: the test's pacing then never races the
// quota it is not about, however busy the machine.
describe('WebSocket idle timeout (fixture handlers, short quota)', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await fixtureStack({ idleTimeoutMs: 3_000, connectionLifetimeMs: 120_000 });
  });
  afterAll(() => stack?.stop());

  it('closes an idle connection with 1001 Going away, and messages keep it alive', async () => {
    const ws = await connect(stack.wsUrl);
    const opened = Date.now();
    const done = closed(ws);
    const keepAlive = setInterval(() => ws.send('{"action":"ping"}'), 100);
    await new Promise((r) => setTimeout(r, 7_000));
    expect(ws.readyState).toBe(WebSocket.OPEN); // alive past two idle periods thanks to the messages
    clearInterval(keepAlive);
    const { code, reason } = await done;
    expect(code).toBe(1001);
    expect(reason).toBe('Going away');
    expect(Date.now() - opened).toBeLessThan(60_000); // closed by idleness, not by the lifetime
  });
});

describe('WebSocket lifetime (fixture handlers, short quota)', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await fixtureStack({ idleTimeoutMs: 120_000, connectionLifetimeMs: 1_500 });
  });
  afterAll(() => stack?.stop());

  it('closes a busy connection with 1001 when its lifetime is over', async () => {
    // Timed from before the handshake: the front starts the lifetime when it accepts the connection, so
    // however late this side sees 'open', the close cannot come less than 1.5 s after this.
    const connecting = Date.now();
    const ws = await connect(stack.wsUrl);
    const done = closed(ws);
    const keepAlive = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send('{"action":"ping"}'), 100);
    const { code } = await done;
    clearInterval(keepAlive);
    expect(code).toBe(1001);
    // Not before its lifetime (less 100 ms for timer jitter); the idle timeout (120 s) cannot be what closed it.
    expect(Date.now() - connecting).toBeGreaterThanOrEqual(1_400);
  });
});
