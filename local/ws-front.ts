/**
 * The WebSocket API front on `/ws`: runs the $connect handler before completing the handshake, turns each
 * text message into a MESSAGE event routed with API Gateway's selection rule, reports every close to the
 * $disconnect handler, and holds API Gateway's quotas (frame 32 KB, message 128 KB, idle 10 min,
 * lifetime 2 h, no binary frames). Live connections are what the local management API pushes to.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { WS_FUNCTIONS } from '#contract/routes.js';
import { selectWsRoute } from './routes.js';
import { LIMITS } from '#contract/limits.js';
import { invoke } from './lambda.js';
import { guardFrameSize } from './frame-guard.js';
import { connectEvent, connectionContext, disconnectEvent, messageEvent, type ConnectionContext } from './ws-events.js';
import type { Logger } from './log.js';

export interface WsQuotas {
  frameMaxBytes: number;
  messageMaxBytes: number;
  idleTimeoutMs: number;
  connectionLifetimeMs: number;
}

/** Handler module per WebSocket function: WS_FUNCTIONS' entries unless a test substitutes fixtures. */
export type WsEntries = Record<keyof typeof WS_FUNCTIONS, string>;
export const defaultWsEntries = (): WsEntries => ({
  connect: WS_FUNCTIONS.connect.entry,
  disconnect: WS_FUNCTIONS.disconnect.entry,
  message: WS_FUNCTIONS.message.entry,
});

export interface LiveConnection extends ConnectionContext {
  lastActiveAt: number;
  socket: WebSocket;
}

/** Close codes API Gateway uses; `disconnectReason` texts are ours (AWS's wording is not documented). */
const GOING_AWAY = 1001;
const UNSUPPORTED_DATA = 1003;
const MESSAGE_TOO_BIG = 1009;

export class WsFront {
  /** Connections whose $connect succeeded: the only ones the management API can reach (as in AWS). */
  readonly connections = new Map<string, LiveConnection>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly wss: WebSocketServer;
  private readonly quotas: WsQuotas;

  constructor(
    private readonly log: Logger,
    private readonly stage: string,
    quotas: Partial<WsQuotas> = {},
    private readonly entries: WsEntries = defaultWsEntries(),
  ) {
    this.quotas = { ...LIMITS.websocket, ...quotas };
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      // The whole-message quota: `ws` closes with 1009 itself when a message grows past it.
      maxPayload: this.quotas.messageMaxBytes,
      // API Gateway does not negotiate permessage-deflate; frames are measured uncompressed.
      perMessageDeflate: false,
      // The subprotocol is the one the $connect handler answered with (Sec-WebSocket-Protocol header).
      handleProtocols: (_protocols, req) => chosenProtocol.get(req) ?? false,
    });
  }

  /** Handles an HTTP upgrade on the WebSocket path. */
  async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // Until `ws` owns the socket, a client dropping mid-handshake must not crash the server.
    const onHandshakeError = (err: Error) => this.log.info(`WS handshake aborted: ${err.message}`);
    socket.on('error', onHandshakeError);
    if (req.headers.upgrade?.toLowerCase() !== 'websocket' || !req.headers['sec-websocket-key']) {
      return refuse(socket, 400);
    }
    const conn = connectionContext(req, this.stage);
    let result: unknown;
    try {
      result = await this.run('connect', connectEvent(req, conn));
    } catch (err) {
      this.log.error(`$connect failed for ${conn.connectionId}`, err);
      return refuse(socket, 500, JSON.stringify({ message: 'Internal server error' }));
    }
    const { statusCode, headers, body } = asResult(result);
    if (statusCode < 200 || statusCode > 299) {
      this.log.info(`WS $connect refused ${conn.connectionId} -> ${statusCode}`);
      return refuse(socket, statusCode, body);
    }
    if (socket.destroyed) {
      // The client gave up while $connect ran: AWS still reports the connection as gone.
      this.track(this.run('disconnect', disconnectEvent(conn, 1006, 'Client went away during $connect')).then(() => {}));
      return;
    }
    const protocol = Object.entries(headers).find(([k]) => k.toLowerCase() === 'sec-websocket-protocol')?.[1];
    if (protocol !== undefined) chosenProtocol.set(req, String(protocol));
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      socket.off('error', onHandshakeError);
      this.accept(ws, socket, conn);
    });
  }

  private accept(socket: WebSocket, raw: Duplex, ctx: ConnectionContext): void {
    const conn: LiveConnection = { ...ctx, lastActiveAt: ctx.connectedAt, socket };
    this.connections.set(conn.connectionId, conn);
    this.log.info(`WS connected ${conn.connectionId}`);
    const serverClose: { code?: number; reason?: string } = {};
    const closeBy = (code: number, reason: string) => {
      if (socket.readyState !== WebSocket.OPEN) return;
      serverClose.code = code;
      serverClose.reason = reason;
      socket.close(code, reason);
    };

    const stopGuard = guardFrameSize(raw, this.quotas.frameMaxBytes, (len) =>
      closeBy(MESSAGE_TOO_BIG, `Frame of ${len} bytes exceeds ${this.quotas.frameMaxBytes}`),
    );
    let idle = setTimeout(() => closeBy(GOING_AWAY, 'Going away'), this.quotas.idleTimeoutMs);
    const lifetime = setTimeout(() => closeBy(GOING_AWAY, 'Going away'), this.quotas.connectionLifetimeMs);

    socket.on('message', (data: RawData, isBinary: boolean) => {
      // After a quota closed the connection, messages still parsed from the socket are dropped, as AWS does.
      if (socket.readyState !== WebSocket.OPEN) return;
      if (isBinary) return closeBy(UNSUPPORTED_DATA, 'Binary frames are not supported');
      conn.lastActiveAt = Date.now();
      clearTimeout(idle);
      idle = setTimeout(() => closeBy(GOING_AWAY, 'Going away'), this.quotas.idleTimeoutMs);
      this.track(this.dispatch(conn, rawToString(data)));
    });

    socket.on('error', (err) => {
      // `ws` reports protocol violations here (e.g. 1009 past maxPayload) and closes the connection itself.
      const code = (err as { code?: string }).code;
      if (code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        serverClose.code = MESSAGE_TOO_BIG;
        serverClose.reason = 'Message too big';
      } else this.log.error(`WS ${conn.connectionId} socket error`, err);
    });

    socket.on('close', (code: number, reason: Buffer) => {
      clearTimeout(idle);
      clearTimeout(lifetime);
      stopGuard();
      this.connections.delete(conn.connectionId);
      const status = serverClose.code ?? code;
      const why = serverClose.reason ?? (code === 1006 ? 'Client-side close without close frame' : reason.toString() || 'Client-side close frame status code');
      this.log.info(`WS disconnected ${conn.connectionId} (${status} ${why})`);
      this.track(
        this.run('disconnect', disconnectEvent(conn, status, why)).then(
          () => {},
          (err) => this.log.error(`$disconnect failed for ${conn.connectionId}`, err),
        ),
      );
    });
  }

  /** One MESSAGE invocation. Invocations of one connection run concurrently, as Lambda does. */
  private async dispatch(conn: LiveConnection, body: string): Promise<void> {
    const routeKey = selectWsRoute(body);
    const event = messageEvent(conn, routeKey, body);
    try {
      // Without route responses (our API has none), API Gateway discards the integration's result.
      await this.run('message', event);
    } catch (err) {
      this.log.error(`WS route ${routeKey} failed for ${conn.connectionId}`, err);
      // What API Gateway sends the client when the integration fails.
      if (conn.socket.readyState === WebSocket.OPEN) {
        conn.socket.send(
          JSON.stringify({ message: 'Internal server error', connectionId: conn.connectionId, requestId: event.requestContext.requestId }),
        );
      }
    }
  }

  /** Closes a connection from the server side (management API DELETE, shutdown). */
  disconnect(connectionId: string, code = 1000, reason = 'Connection closed by the server'): boolean {
    const conn = this.connections.get(connectionId);
    if (!conn) return false;
    conn.socket.close(code, reason);
    return true;
  }

  /** Closes every connection, then waits for the invocations they trigger ($disconnect included). */
  async close(): Promise<void> {
    const closed = [...this.connections.values()].map(
      (c) => new Promise<void>((done) => {
        c.socket.once('close', () => done());
        c.socket.close(GOING_AWAY, 'Going away');
        setTimeout(() => {
          c.socket.terminate();
          done();
        }, 2_000).unref();
      }),
    );
    await Promise.all(closed);
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
    this.wss.close();
  }

  private run(fn: keyof WsEntries, event: unknown): Promise<unknown> {
    return invoke({ functionName: `ws-${fn}`, entry: this.entries[fn], event });
  }

  private track(p: Promise<void>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }
}

const chosenProtocol = new WeakMap<IncomingMessage, string>();

function asResult(result: unknown): { statusCode: number; headers: Record<string, unknown>; body?: string } {
  // A $connect integration that returns nothing (or no statusCode) is a success for API Gateway.
  const r = (result ?? {}) as { statusCode?: number; headers?: Record<string, unknown>; body?: unknown };
  return {
    statusCode: typeof r.statusCode === 'number' ? r.statusCode : 200,
    headers: r.headers ?? {},
    body: typeof r.body === 'string' ? r.body : undefined,
  };
}

/** Refuses a handshake with a plain HTTP response, which a WebSocket client reports as that status. */
function refuse(socket: Duplex, status: number, body = ''): void {
  if (socket.destroyed) return;
  const payload = Buffer.from(body);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Connection: close\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${payload.length}\r\n\r\n${payload.toString()}`,
  );
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as Buffer).toString('utf8');
}
