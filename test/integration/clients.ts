/**
 * Test clients of the product's HTTP and WebSocket contract (docs/protocol.md §3, §5), used by the realtime
 * integration tests and bench/realtime.ts:
 *   - `createSession` / `api`: the HTTP API;
 *   - `WsClient`: a raw socket with an inbox of server messages (`take` consumes them in order);
 *   - `YjsClient`: a Y.Doc kept in sync the way a browser editor does (yjs-update both ways);
 *   - `TextClient`: a plain-text editor (code-change out, code-update / code-ack in).
 */
import { request } from 'node:http';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { localOperatorKey } from '../../local/operator-key.js';

export const KIB = 1024;
export const TEXT = 'code'; // the Y.Text the server edits (shared/core/yjs-document.ts)
const REMOTE = 'remote';

export interface ServerMessage {
  type: string;
  [field: string]: any;
}

export interface CreatedSession {
  sessionId: string;
  interviewerToken: string;
  candidateToken: string;
  wsUrl: string;
  language: string;
}

/** Where a client of one session talks to. */
export interface SessionAccess {
  httpUrl: string;
  wsUrl: string;
  sessionId: string;
  token: string;
}

let sourceCounter = Math.floor(Math.random() * 200);

/**
 * POST /api/sessions as an operator: the local stack's key (INTERVIEW_API_KEY, else `local-dev-key`)
 * unless `operatorKey` is given. Each call comes from its own loopback address (127.0.0.0/8).
 */
export function createSession(httpUrl: string, body: Record<string, unknown> = {}, operatorKey: string = localOperatorKey()): Promise<CreatedSession> {
  const n = sourceCounter++;
  const localAddress = `127.${10 + (Math.floor(n / 250) % 200)}.${n % 250}.${1 + (process.pid % 250)}`;
  const url = new URL('/api/sessions', httpUrl.replace('localhost', '127.0.0.1'));
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${operatorKey}` };
    const req = request(url, { method: 'POST', localAddress, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        if (res.statusCode !== 201) reject(new Error(`POST /api/sessions -> ${res.statusCode} ${text}`));
        else resolve(JSON.parse(text) as CreatedSession);
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** One HTTP call with a Bearer token; the body parsed as JSON. */
export async function api(httpUrl: string, method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${httpUrl}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

export async function getCode(s: SessionAccess, format?: 'yjs'): Promise<{ code: string; version: number; yjsState?: string }> {
  const res = await api(s.httpUrl, 'GET', `/api/sessions/${s.sessionId}/code${format ? `?format=${format}` : ''}`, s.token);
  if (res.status !== 200) throw new Error(`GET /code -> ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export const socketUrl = (s: SessionAccess) =>
  `${s.wsUrl}?sessionId=${encodeURIComponent(s.sessionId)}&token=${encodeURIComponent(s.token)}`;

export const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
export const unb64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

export async function eventually<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Match = (m: ServerMessage) => boolean;

/** A WebSocket with an inbox: every server message is logged and queued until a test `take`s it. */
export class WsClient {
  readonly log: ServerMessage[] = [];
  /** Size in bytes of every message received, in order (API Gateway never delivers more than 128 KiB). */
  readonly sizes: number[] = [];
  private readonly inbox: ServerMessage[] = [];
  private readonly waiters = new Set<{ match: Match; resolve: (m: ServerMessage) => void }>();
  private readonly listeners: Array<(m: ServerMessage) => void> = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('message', (data) => {
      const text = data.toString();
      this.sizes.push(Buffer.byteLength(text));
      const message = JSON.parse(text) as ServerMessage;
      this.log.push(message);
      for (const l of this.listeners) l(message);
      for (const w of this.waiters) {
        if (w.match(message)) {
          this.waiters.delete(w);
          return w.resolve(message);
        }
      }
      this.inbox.push(message);
    });
  }

  /** Resolves once open; rejects with `{status}` when the handshake is refused. */
  static connect(url: string): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once('open', () => resolve(new WsClient(ws)));
      ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`handshake refused: ${res.statusCode}`), { status: res.statusCode })));
      ws.once('error', reject);
    });
  }

  onMessage(listener: (m: ServerMessage) => void): void {
    this.listeners.push(listener);
  }

  send(message: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(message));
  }

  sendRaw(text: string): void {
    this.ws.send(text);
  }

  /** One message in frames of at most `frameBytes` (API Gateway's frame quota is 32 KiB). */
  sendFragmented(text: string, frameBytes = 32 * KIB): void {
    const data = Buffer.from(text);
    for (let at = 0; at < data.length; at += frameBytes) {
      this.ws.send(data.subarray(at, at + frameBytes), { fin: at + frameBytes >= data.length, binary: false });
    }
  }

  /** Consumes the first queued (or next arriving) message of `type` that matches. */
  take(type: string | string[], match: Match = () => true, timeoutMs = 30_000): Promise<ServerMessage> {
    const types = Array.isArray(type) ? type : [type];
    const full: Match = (m) => types.includes(m.type) && match(m);
    const index = this.inbox.findIndex(full);
    if (index >= 0) return Promise.resolve(this.inbox.splice(index, 1)[0]!);
    return new Promise((resolve, reject) => {
      const waiter = { match: full, resolve: (m: ServerMessage) => (clearTimeout(timer), resolve(m)) };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no ${type} message within ${timeoutMs} ms; got ${JSON.stringify(this.log.map((m) => m.type))}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  received(type: string): ServerMessage[] {
    return this.log.filter((m) => m.type === type);
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
    return this.closed;
  }
}

/** A browser-like Yjs editor: local edits go out as yjs-update, remote ones are applied with origin 'remote'. */
export class YjsClient {
  readonly doc: Y.Doc;
  joined!: ServerMessage;
  /** Every update this client sent, in order. */
  readonly sent: Uint8Array[] = [];

  private constructor(readonly ws: WsClient, private readonly access: SessionAccess, doc?: Y.Doc) {
    this.doc = doc ?? new Y.Doc();
    this.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === REMOTE) return;
      this.sent.push(update);
      ws.send({ action: 'yjs-update', update: b64(update) });
    });
    ws.onMessage((m) => {
      if (m.type === 'yjs-update' && m.update) Y.applyUpdate(this.doc, unb64(m.update), REMOTE);
      else if (m.type === 'yjs-update' && m.documentUrl) void this.fetchDocument(m.documentUrl);
    });
  }

  /** Connects and joins with format "yjs"; `doc` (with its state vector) models a client that has part of the history. */
  static async join(access: SessionAccess, opts: { username?: string; doc?: Y.Doc; sendStateVector?: boolean } = {}): Promise<YjsClient> {
    const client = new YjsClient(await WsClient.connect(socketUrl(access)), access, opts.doc);
    client.ws.send({
      action: 'join-session',
      format: 'yjs',
      ...(opts.username ? { username: opts.username } : {}),
      ...(opts.sendStateVector ? { stateVector: b64(Y.encodeStateVector(client.doc)) } : {}),
    });
    client.joined = await client.ws.take('session-joined');
    if (client.joined.yjsState) Y.applyUpdate(client.doc, unb64(client.joined.yjsState), REMOTE);
    else if (client.joined.documentUrl) await client.fetchDocument(client.joined.documentUrl);
    return client;
  }

  get ytext(): Y.Text {
    return this.doc.getText(TEXT);
  }

  /**
   * Yjs sync steps 1 and 2 over JSON (docs/protocol.md §5 `sync`): take what the server has, then send what it
   * lacks (an update a BUSY refused, or a relay that never arrived) as one yjs-update.
   */
  async sync(): Promise<ServerMessage> {
    this.ws.send({ action: 'sync', stateVector: b64(Y.encodeStateVector(this.doc)) });
    const reply = await this.ws.take('sync-reply', () => true, 45_000);
    if (reply.update) Y.applyUpdate(this.doc, unb64(reply.update), REMOTE);
    else if (reply.documentUrl) await this.fetchDocument(reply.documentUrl);
    const missing = Y.encodeStateAsUpdate(this.doc, unb64(reply.stateVector));
    if (Y.decodeUpdate(missing).structs.length > 0) this.ws.send({ action: 'yjs-update', update: b64(missing) });
    return reply;
  }

  text(): string {
    return this.ytext.toString();
  }

  /** The server's whole state over HTTP: what a client does when a push would exceed 128 KiB. */
  async fetchDocument(documentUrl: string): Promise<void> {
    const res = await api(this.access.httpUrl, 'GET', documentUrl, this.access.token);
    Y.applyUpdate(this.doc, unb64(res.body.yjsState), REMOTE);
  }
}

/**
 * A plain-text editor. It keeps the text at the highest version it knows: a `code-update` replaces the
 * text only if its version is higher (pushes may arrive out of order). It sends each change with the
 * version it was made on, so the server merges it with what others wrote since; the ack carries the
 * merged text at its version. One change in flight at a time (acks carry no request id).
 */
export class TextClient {
  text = '';
  version = 0;
  joined!: ServerMessage;

  private constructor(readonly ws: WsClient, private readonly access: SessionAccess) {
    ws.onMessage((m) => {
      if (m.type !== 'code-update' || m.version <= this.version) return;
      this.version = m.version;
      if (typeof m.code === 'string') this.text = m.code;
      else void getCode(this.access).then((c) => c.version >= this.version && ((this.text = c.code), (this.version = c.version)));
    });
  }

  static async join(access: SessionAccess, username?: string): Promise<TextClient> {
    const client = new TextClient(await WsClient.connect(socketUrl(access)), access);
    client.ws.send({ action: 'join-session', format: 'text', ...(username ? { username } : {}) });
    client.joined = await client.ws.take('session-joined');
    if (client.joined.version > client.version) {
      client.text = client.joined.currentCode;
      client.version = client.joined.version;
    }
    return client;
  }

  /**
   * Sends the whole new text (made on the text at `this.version`) and waits for its code-ack.
   * `versioned: false` sends no baseVersion: the server replaces the whole text (last writer wins).
   */
  async change(next: string, { versioned = true }: { versioned?: boolean } = {}): Promise<number> {
    const base = this.version;
    this.text = next;
    this.ws.send({ action: 'code-change', code: next, ...(versioned ? { baseVersion: base } : {}) });
    // A generous bound: on a loaded 2-core machine a write queued behind others' can take seconds.
    const ack = await this.ws.take(['code-ack', 'error'], (m) => m.type === 'code-ack' || m.action === 'code-change', 45_000);
    if (ack.type === 'error') throw new Error(`code-change refused: ${ack.code} ${ack.message}`);
    if (ack.version >= this.version) {
      this.version = ack.version;
      this.text = typeof ack.code === 'string' ? ack.code : next;
    }
    return ack.version;
  }
}

/** Deterministic PRNG (mulberry32), so a failing run can be replayed from its seed. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A small random edit of a text of length `length`: delete up to 3 characters and/or insert up to 4. */
export function randomEdit(random: () => number, length: number): { at: number; remove: number; insert: string } {
  const at = Math.floor(random() * (length + 1));
  const remove = random() < 0.35 ? Math.min(length - at, 1 + Math.floor(random() * 3)) : 0;
  const alphabet = 'abcdefghijklmnopqrstuvwxyz {}();\n';
  const n = remove > 0 && random() < 0.5 ? 0 : 1 + Math.floor(random() * 4);
  let insert = '';
  for (let i = 0; i < n; i++) insert += alphabet[Math.floor(random() * alphabet.length)];
  if (remove === 0 && insert === '') insert = 'x';
  return { at, remove, insert };
}

export const applyEdit = (text: string, e: { at: number; remove: number; insert: string }) =>
  text.slice(0, e.at) + e.insert + text.slice(e.at + e.remove);
