/**
 * One participant's connection to a session (SPEC §5, §9): joins with `format:"yjs"`, keeps `doc`
 * (text `code`) and `awareness` in sync in both directions, and survives everything a WebSocket
 * through API Gateway goes through: idle and lifetime closes, dropped TCP connections, refused
 * updates, throttling and being offline for a while. Local edits are never lost: they live in `doc`,
 * and every (re)join ends with a `sync` that sends the server exactly what it lacks.
 */
import * as Y from 'yjs';
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness';
import { fromBase64, toBase64 } from 'lib0/buffer';
import { Emitter } from './events.js';
import { splitUpdate } from './chunks.js';
import { OPEN, Pacer, socketConstructor, type SocketConstructor, type SocketLike } from './socket.js';
import { colorFor, fetchParticipants, fetchYjsState, httpUrlFor, readSessionProblem } from './http.js';
import type { ConnectionEvents, ExecutionResult, ServerError, ServerMessage, Status, User } from './types.js';

export interface ConnectOptions {
  /** WebSocket base URL (`wsUrl` of `POST /api/sessions`, e.g. `ws://localhost:3001/ws`). */
  wsUrl: string;
  sessionId: string;
  token: string;
  username?: string;
  /** Keep the same identity across page loads (the server assigns one on the first join otherwise). */
  userId?: string;
  /** HTTP API base URL, for documents too large for a message. Default: the origin of `wsUrl`. */
  httpUrl?: string;
  /** Bring your own document (it must hold only the text `code`). */
  doc?: Y.Doc;
  /** A WebSocket implementation (default: the global one, else the `ws` package). */
  WebSocket?: SocketConstructor;
  timing?: Partial<Timing>;
}

export interface Timing {
  /** Local updates are merged and sent at most this often (25 messages/s, under the 50/s limit). */
  flushMs: number;
  /** Edit messages per second at most, big documents' pieces included. */
  editsPerSecond: number;
  /** Own awareness (cursor) at most this often: the server allows 10 cursor messages/s. */
  awarenessMs: number;
  /** While editing, a `sync` this often catches anything lost on the way (SPEC §5: every 30 s). */
  syncEveryMs: number;
  /** A `ping` after this long without sending anything: API Gateway closes idle sockets after 10 min. */
  keepaliveMs: number;
  /** While sending edits, a `ping` at most this often; no message back within pongTimeoutMs = dead socket. */
  livenessEveryMs: number;
  pongTimeoutMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** A sync this long after the last change seen (local or remote). */
  settleMs: number;
  /** Delay of the re-sync after an error answering an update (unless the error says how long to wait). */
  resyncDelayMs: number;
}

const DEFAULT_TIMING: Timing = {
  flushMs: 40,
  editsPerSecond: 40,
  awarenessMs: 150,
  syncEveryMs: 30_000,
  keepaliveMs: 4 * 60_000,
  livenessEveryMs: 5_000,
  pongTimeoutMs: 10_000,
  backoffBaseMs: 500,
  backoffMaxMs: 10_000,
  resyncDelayMs: 500,
  settleMs: 3_000,
};

/** A client frame may not exceed 32 KiB: base64 grows 4/3 and the JSON envelope needs a little room. */
const MAX_UPDATE_BYTES = 22 * 1024;

export function connect(options: ConnectOptions): Connection {
  return new Connection(options);
}

export class Connection extends Emitter<ConnectionEvents> {
  readonly doc: Y.Doc;
  readonly text: Y.Text;
  readonly awareness: Awareness;
  readonly sessionId: string;
  status: Status = 'connecting';
  userId: string | undefined;
  role: string | undefined;
  language: string | undefined;
  version = 0;
  users: User[] = [];

  private readonly opts: ConnectOptions;
  private readonly timing: Timing;
  private readonly httpUrl: string;
  private socket: SocketLike | undefined;
  private joined = false;
  private attempts = 0;
  private failedHandshakes = 0;
  private pending: Uint8Array[] = [];
  private readonly pacer: Pacer;
  private deletesSinceSync = false;
  private editedSinceSync = false;
  private lastSentAt = 0;
  private lastPingAt = 0;
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly intervals: ReturnType<typeof setInterval>[] = [];
  private readonly detach: (() => void)[] = [];

  constructor(options: ConnectOptions) {
    super();
    this.opts = { ...options };
    this.sessionId = options.sessionId;
    this.timing = { ...DEFAULT_TIMING, ...options.timing };
    this.httpUrl = options.httpUrl ?? httpUrlFor(options.wsUrl);
    this.doc = options.doc ?? new Y.Doc();
    this.text = this.doc.getText('code');
    this.awareness = new Awareness(this.doc);
    this.pacer = new Pacer(this.timing.editsPerSecond, (data) => this.send(data));

    const onUpdate = (update: Uint8Array, origin: unknown, _doc: Y.Doc, tr: Y.Transaction) => {
      this.settleLater();
      if (origin === this) return;
      this.pending.push(update);
      this.editedSinceSync = true;
      if (tr.deleteSet.clients.size > 0) this.deletesSinceSync = true;
      this.schedule('flush', this.timing.flushMs, () => this.flush());
    };
    this.doc.on('update', onUpdate);
    this.detach.push(() => this.doc.off('update', onUpdate));

    const onAwareness = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
      if (origin === this) return;
      if (![...added, ...updated, ...removed].includes(this.doc.clientID)) return;
      this.schedule('awareness', this.timing.awarenessMs, () => this.sendAwareness());
    };
    this.awareness.on('update', onAwareness);
    this.detach.push(() => this.awareness.off('update', onAwareness));
    this.awareness.setLocalStateField('user', { name: options.username ?? 'guest', ...colorFor(options.userId ?? String(this.doc.clientID)) });

    this.intervals.push(
      setInterval(() => {
        if (this.joined && this.editedSinceSync) this.requestSync();
      }, this.timing.syncEveryMs),
      setInterval(() => {
        if (this.joined && Date.now() - this.lastSentAt >= this.timing.keepaliveMs) this.ping();
      }, Math.min(this.timing.keepaliveMs, 60_000)),
    );
    this.watchNetwork();
    void this.open();
  }

  /** Resolves once joined (immediately when already connected). */
  whenConnected(): Promise<void> {
    if (this.status === 'connected') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const off = this.on('status', (status) => {
        if (status === 'connected') resolve();
        else if (status === 'ended' || status === 'closed') reject(new Error(`connection ${status}`));
        else return;
        off();
      });
    });
  }

  /** Runs the current document (SPEC §6); the results arrive as `execution` events. */
  run(options: { stdin?: string; mode?: 'run' | 'tests'; language?: string } = {}): void {
    this.requireConnected('run code');
    this.sendJson({
      action: 'run-code',
      ...(options.stdin ? { stdin: options.stdin } : {}),
      ...(options.language ? { language: options.language } : {}),
      ...(options.mode && options.mode !== 'run' ? { mode: options.mode } : {}),
    });
  }

  setLanguage(language: string): void {
    this.requireConnected('change the language');
    this.sendJson({ action: 'language-change', language });
  }

  /** Leaves the session for good: others see us go at once. */
  leave(): void {
    if (this.status === 'closed' || this.status === 'ended') return;
    if (this.joined) {
      this.flush();
      removeAwarenessStates(this.awareness, [this.doc.clientID], 'leave');
      this.sendJson({ action: 'awareness-update', update: toBase64(encodeAwarenessUpdate(this.awareness, [this.doc.clientID])) });
      this.sendJson({ action: 'leave-session' });
    }
    this.shutDown('closed');
  }

  private async open(): Promise<void> {
    if (this.finished() || this.socket) return;
    const Socket = await socketConstructor(this.opts.WebSocket);
    if (this.finished() || this.socket) return; // left, or another open() won, while `ws` loaded
    const url = `${this.opts.wsUrl}?sessionId=${encodeURIComponent(this.sessionId)}&token=${encodeURIComponent(this.opts.token)}`;
    const socket = new Socket(url);
    this.socket = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      this.failedHandshakes = 0;
      this.sendJson({
        action: 'join-session',
        format: 'yjs',
        stateVector: toBase64(Y.encodeStateVector(this.doc)),
        ...(this.opts.username ? { username: this.opts.username } : {}),
        ...(this.userId ?? this.opts.userId ? { userId: this.userId ?? this.opts.userId } : {}),
      });
    };
    socket.onmessage = (event) => {
      if (this.socket !== socket) return;
      this.clear('pong');
      void this.receive(String(event.data)).catch((err: unknown) => this.emit('error', { code: 'CLIENT_ERROR', message: (err as Error).message }));
    };
    socket.onerror = () => {
      // The close event follows with the details that matter (a browser hides the handshake status).
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      if (!opened) this.failedHandshakes += 1;
      this.lost();
    };
  }

  /** The socket is gone (closed, dropped, or presumed dead): go offline and come back with backoff. */
  private lost(): void {
    const old = this.socket;
    this.socket = undefined;
    if (old) forget(old);
    this.joined = false;
    this.pacer.clear();
    this.clear('pong');
    if (this.status === 'closed' || this.status === 'ended') return;
    this.setStatus('offline');
    const exp = Math.min(this.timing.backoffMaxMs, this.timing.backoffBaseMs * 2 ** this.attempts);
    this.attempts += 1;
    // Full jitter in the upper half: spread reconnects of a whole session after a server-side close.
    const delay = exp / 2 + Math.random() * (exp / 2);
    this.schedule('reconnect', delay, () => void this.reconnect());
  }

  private async reconnect(): Promise<void> {
    if (this.failedHandshakes >= 2) {
      // A refused handshake looks like any failure in a browser: ask HTTP whether the session still takes us.
      const problem = await readSessionProblem(this.httpUrl, this.sessionId, this.opts.token).catch(() => undefined);
      if (problem?.code === 'SESSION_EXPIRED') return this.end('expired');
      if (problem) {
        this.emit('error', problem);
        return this.shutDown('closed');
      }
    }
    if (this.status === 'offline') this.setStatus('connecting');
    await this.open();
  }

  private async receive(raw: string): Promise<void> {
    const msg = JSON.parse(raw) as ServerMessage;
    if ((msg.type === 'awareness-update' || msg.type === 'yjs-update') && this.joined && !this.users.some((u) => u.id === msg.userId)) {
      // Two joins at the same moment can miss each other's user-joined: ask who is here.
      this.schedule('presence', 200, () => void this.refreshPresence());
    }
    switch (msg.type) {
      case 'session-joined':
        return this.joinedSession(msg);
      case 'yjs-update':
        if (msg.update) Y.applyUpdate(this.doc, fromBase64(msg.update), this);
        else if (msg.documentUrl) Y.applyUpdate(this.doc, await fetchYjsState(this.httpUrl, msg.documentUrl, this.opts.token), this);
        return this.setVersion(msg.version);
      case 'sync-reply':
        return this.synced(msg);
      case 'awareness-update':
        return applyAwarenessUpdate(this.awareness, fromBase64(msg.update), this);
      case 'user-joined':
        this.users = [...this.users.filter((u) => u.id !== msg.userId), { id: msg.userId, username: msg.username, role: msg.role }];
        this.emit('presence', this.users);
        // The newcomer has no awareness of us yet.
        return this.schedule('awareness', this.timing.awarenessMs, () => this.sendAwareness());
      case 'user-left':
        this.users = this.users.filter((u) => u.id !== msg.userId);
        this.forgetAwarenessOf(msg.userId);
        return this.emit('presence', this.users);
      case 'language-update':
        this.language = msg.language;
        return this.emit('language', { language: msg.language, userId: msg.userId });
      case 'session-updated':
        if (msg.language && msg.language !== this.language) {
          this.language = msg.language;
          this.emit('language', { language: msg.language, userId: msg.userId });
        }
        return this.emit('session', { title: msg.title, language: msg.language, runsDisabled: msg.runsDisabled, editingLocked: msg.editingLocked, userId: msg.userId });
      case 'session-ended':
        return this.end(msg.reason ?? 'ended');
      case 'execution-queued':
      case 'execution-started':
        return this.emit('execution', { type: msg.type === 'execution-queued' ? 'queued' : 'started', executionId: msg.executionId, language: msg.language, userId: msg.userId });
      case 'execution-output':
        return this.emit('execution', { type: 'output', executionId: msg.executionId, stream: msg.stream, data: msg.data, seq: msg.seq });
      case 'execution-test-result': {
        const { type: _type, ...rest } = msg;
        return this.emit('execution', { type: 'test-result', ...(rest as Omit<Extract<ConnectionEvents['execution'], { type: 'test-result' }>, 'type'>) });
      }
      case 'execution-finished': {
        const { type: _type, ...execution } = msg;
        return this.emit('execution', { type: 'finished', execution: execution as ExecutionResult });
      }
      case 'error':
        return this.serverError(msg as unknown as ServerError);
      default:
        // pong, code-update/code-ack (text clients' messages) and future types: nothing to do.
        return;
    }
  }

  private async joinedSession(msg: ServerMessage): Promise<void> {
    this.userId = msg.userId;
    this.role = msg.role;
    this.language = msg.language;
    this.users = msg.users ?? [];
    if (msg.yjsState) Y.applyUpdate(this.doc, fromBase64(msg.yjsState), this);
    else if (msg.documentUrl) Y.applyUpdate(this.doc, await fetchYjsState(this.httpUrl, msg.documentUrl, this.opts.token), this);
    this.joined = true;
    this.attempts = 0;
    this.setVersion(msg.version);
    const user = this.awareness.getLocalState()?.user as Record<string, unknown> | undefined;
    this.awareness.setLocalStateField('user', { ...user, name: this.opts.username ?? msg.role, userId: msg.userId, ...colorFor(msg.userId) });
    this.setStatus('connected');
    this.emit('language', { language: msg.language });
    this.emit('presence', this.users);
    // Whatever we wrote while away (or lost on a dead socket) goes out after the server tells us its state.
    this.pending = [];
    this.requestSync();
    this.sendAwareness();
  }

  private synced(msg: ServerMessage): void {
    if (msg.update) Y.applyUpdate(this.doc, fromBase64(msg.update), this);
    else if (msg.documentUrl) {
      void fetchYjsState(this.httpUrl, msg.documentUrl, this.opts.token)
        .then((state) => Y.applyUpdate(this.doc, state, this))
        .catch((err: unknown) => this.emit('error', { code: 'CLIENT_ERROR', message: `fetching the document: ${(err as Error).message}` }));
    }
    this.setVersion(msg.version);
    const serverVector = Y.decodeStateVector(fromBase64(msg.stateVector));
    const ours = Y.decodeStateVector(Y.encodeStateVector(this.doc));
    const serverLacks = [...ours].some(([client, clock]) => (serverVector.get(client) ?? 0) < clock);
    // Deletions do not show in a state vector: send the delete set too after any local deletion.
    if (serverLacks || this.deletesSinceSync) this.sendUpdate(Y.encodeStateAsUpdate(this.doc, fromBase64(msg.stateVector)));
    this.deletesSinceSync = false;
    this.editedSinceSync = false;
  }

  private serverError(error: ServerError): void {
    this.emit('error', error);
    if (error.action === 'yjs-update' || error.action === 'sync') {
      if (error.action === 'yjs-update') this.deletesSinceSync = true; // what was refused may hold deletions
      const retryAfter = (error.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
      const delay = retryAfter ? retryAfter * 1000 + 100 : this.timing.resyncDelayMs;
      if (error.action === 'sync' && error.code === 'INVALID_MESSAGE') {
        // A server without `sync`: send the whole document (idempotent), so nothing written here is lost.
        this.schedule('resync', delay, () => this.sendUpdate(Y.encodeStateAsUpdate(this.doc)));
      } else {
        this.schedule('resync', delay, () => this.requestSync());
      }
    }
  }

  /**
   * One sync once a burst of activity (ours or others') has been quiet for a moment: a relay the server
   * could not deliver to us, or an update of ours it refused silently, is caught up within seconds
   * instead of at the next 30-second sync.
   */
  private settleLater(): void {
    this.editedSinceSync = true;
    this.clear('settle');
    this.schedule('settle', this.timing.settleMs, () => {
      if (this.editedSinceSync) this.requestSync();
    });
  }

  private requestSync(): void {
    if (!this.joined) return;
    this.sendJson({ action: 'sync', stateVector: toBase64(Y.encodeStateVector(this.doc)) });
  }

  private flush(): void {
    this.clear('flush');
    if (!this.joined || this.pending.length === 0) return;
    const merged = this.pending.length === 1 ? this.pending[0]! : Y.mergeUpdates(this.pending);
    this.pending = [];
    this.sendUpdate(merged);
  }

  private sendUpdate(update: Uint8Array): void {
    for (const piece of splitUpdate(update, MAX_UPDATE_BYTES)) {
      this.pacer.push(JSON.stringify({ action: 'yjs-update', update: toBase64(piece) }));
    }
    if (Date.now() - this.lastPingAt >= this.timing.livenessEveryMs) this.ping();
  }

  private sendAwareness(): void {
    if (!this.joined || !this.awareness.getLocalState()) return;
    this.sendJson({ action: 'awareness-update', update: toBase64(encodeAwarenessUpdate(this.awareness, [this.doc.clientID])) });
  }

  /** A ping whose answer proves the socket is alive: none within pongTimeoutMs and we reconnect. */
  private ping(): void {
    if (!this.sendJson({ action: 'ping' })) return;
    this.lastPingAt = Date.now();
    if (!this.timers.has('pong')) this.schedule('pong', this.timing.pongTimeoutMs, () => this.lost());
  }

  private async refreshPresence(): Promise<void> {
    const users = await fetchParticipants(this.httpUrl, this.sessionId, this.opts.token).catch(() => undefined);
    if (!users || this.finished()) return;
    this.users = users;
    this.emit('presence', this.users);
  }

  private forgetAwarenessOf(userId: string): void {
    const gone = [...this.awareness.getStates()]
      .filter(([client, state]) => client !== this.doc.clientID && (state.user as { userId?: string } | undefined)?.userId === userId)
      .map(([client]) => client);
    if (gone.length) removeAwarenessStates(this.awareness, gone, this);
  }

  private sendJson(message: Record<string, unknown>): boolean {
    return this.send(JSON.stringify(message));
  }

  private send(data: string): boolean {
    if (!this.socket || this.socket.readyState !== OPEN) return false;
    this.socket.send(data);
    this.lastSentAt = Date.now();
    return true;
  }

  private requireConnected(what: string): void {
    if (!this.joined) throw new Error(`Cannot ${what} while ${this.status}`);
  }

  private finished(): boolean {
    return this.status === 'closed' || this.status === 'ended';
  }

  private setVersion(version: unknown): void {
    if (typeof version === 'number' && version > this.version) {
      this.version = version;
      this.emit('version', version);
    }
  }

  private setStatus(status: Status): void {
    if (this.status === status) return;
    this.status = status;
    this.emit('status', status);
  }

  private end(reason: string): void {
    if (this.status === 'ended') return;
    this.shutDown('ended');
    this.emit('ended', { reason });
  }

  private shutDown(status: 'closed' | 'ended'): void {
    this.setStatus(status);
    this.joined = false;
    this.pacer.clear();
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.intervals.forEach(clearInterval);
    this.detach.splice(0).forEach((off) => off());
    this.awareness.destroy();
    const socket = this.socket;
    this.socket = undefined;
    if (socket) forget(socket, 1000, 'left');
  }

  /** Browsers say when the network goes away: do not wait for a dead socket to time out. */
  private watchNetwork(): void {
    const target = globalThis as { addEventListener?: (e: string, f: () => void) => void; removeEventListener?: (e: string, f: () => void) => void };
    if (typeof target.addEventListener !== 'function') return;
    const offline = () => {
      if (this.socket) this.lost();
    };
    const online = () => {
      if (this.status !== 'offline' || this.socket) return;
      this.attempts = 0;
      this.clear('reconnect');
      this.setStatus('connecting');
      void this.open();
    };
    target.addEventListener('offline', offline);
    target.addEventListener('online', online);
    this.detach.push(() => {
      target.removeEventListener?.('offline', offline);
      target.removeEventListener?.('online', online);
    });
  }

  private schedule(name: string, ms: number, fn: () => void): void {
    if (this.timers.has(name)) return;
    this.timers.set(
      name,
      setTimeout(() => {
        this.timers.delete(name);
        fn();
      }, ms),
    );
  }

  private clear(name: string): void {
    const timer = this.timers.get(name);
    if (timer) clearTimeout(timer);
    this.timers.delete(name);
  }
}

/** Stops listening to a socket and closes it. `ws` reports closing a socket mid-handshake as an error event: keep a listener. */
function forget(socket: SocketLike, code?: number, reason?: string): void {
  socket.onopen = socket.onmessage = socket.onclose = null;
  socket.onerror = () => undefined;
  if (socket.readyState <= OPEN) socket.close(code, reason);
}
