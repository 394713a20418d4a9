/**
 * One participant's connection to a session (docs/protocol.md §5, §9, §10): joins with `format:"yjs"`, keeps `doc`
 * (text `code`), for interviewers `notesDoc` (its own text `code`), and `awareness` in sync in both directions, and survives everything a WebSocket
 * through API Gateway goes through: idle and lifetime closes, dropped TCP connections, refused
 * updates, throttling and being offline for a while. Local edits are never lost: they live in `doc`,
 * and every (re)join ends with a `sync` that sends the server exactly what it lacks.
 */
import * as Y from 'yjs';
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness';
import { fromBase64, toBase64 } from 'lib0/buffer';
import { DocSync } from './doc-sync.js';
import { Emitter } from './events.js';
import { DEFAULT_TIMING, type ConnectOptions, type Timing } from './options.js';
import { OPEN, Pacer, socketConstructor, type SocketLike } from './socket.js';
import { Timers } from './timers.js';
import { colorFor, fetchFinalDocument, fetchParticipants, fetchPointed, fetchYjsState, httpUrlFor, readSessionProblem } from './http.js';
import { activityEvent, executionEvent, watchNetwork } from './messages.js';
import type { ActivityKind, ConnectionEvents, DocName, Question, ServerError, ServerMessage, Status, User } from './types.js';

/**
 * The shared type of the notes document (docs/protocol.md §10). The server keeps notes as a second document with the
 * same single text named `code` (one write path and validator for both documents).
 */
export const NOTES_TEXT = 'code';
/** Activity reports per second: the server allows 5 per connection (docs/protocol.md §10); stay below it. */
const ACTIVITY_PER_SECOND = 4;

export type { ConnectOptions, Timing } from './options.js';

export function connect(options: ConnectOptions): Connection {
  return new Connection(options);
}

export class Connection extends Emitter<ConnectionEvents> {
  readonly doc: Y.Doc;
  readonly text: Y.Text;
  readonly awareness: Awareness;
  /** The interviewers' private notes: synced only when this connection's role is `interviewer`. */
  readonly notesDoc: Y.Doc;
  readonly notes: Y.Text;
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
  private readonly pacer: Pacer;
  private readonly sync: DocSync;
  private readonly notesSync: DocSync;
  private readonly activityPacer: Pacer;
  private lastSentAt = 0;
  /** The newest `session-updated` revision applied. */
  private settingsRevision = 0;
  private lastPingAt = 0;
  private readonly timers = new Timers();
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
    this.notesDoc = new Y.Doc();
    this.notes = this.notesDoc.getText(NOTES_TEXT);
    this.pacer = new Pacer(this.timing.editsPerSecond, (data) => this.send(data));
    // A report that waits behind a burst loses its worth: a few may queue, the rest are dropped.
    this.activityPacer = new Pacer(ACTIVITY_PER_SECOND, (data) => this.send(data), 20);

    const link = (isJoined: () => boolean, onVersion: (version: unknown) => void) => ({
      isJoined,
      sendJson: (message: Record<string, unknown>) => this.sendJson(message),
      sendEdit: (data: string) => {
        this.pacer.push(data);
        // An edit proves nothing about the socket: a ping's answer does (a silently dead TCP connection).
        if (Date.now() - this.lastPingAt >= this.timing.livenessEveryMs) this.ping();
      },
      fetchState: (url: string) => fetchYjsState(this.httpUrl, url, this.opts.token),
      onVersion,
    });
    this.sync = new DocSync(this.doc, link(() => this.joined, (version) => this.setVersion(version)), this.timers, this.timing);
    // Notes travel only to and from interviewer connections (others would get FORBIDDEN).
    this.notesSync = new DocSync(this.notesDoc, link(() => this.joined && this.role === 'interviewer', () => undefined), this.timers, this.timing, 'notes');
    this.detach.push(() => this.sync.destroy(), () => this.notesSync.destroy());

    const onAwareness = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
      if (origin === this) return;
      if (![...added, ...updated, ...removed].includes(this.doc.clientID)) return;
      this.timers.schedule('awareness', this.timing.awarenessMs, () => this.sendAwareness());
    };
    this.awareness.on('update', onAwareness);
    this.detach.push(() => this.awareness.off('update', onAwareness));
    this.awareness.setLocalStateField('user', { name: options.username ?? 'guest', ...colorFor(options.userId ?? String(this.doc.clientID)) });

    this.timers.every(Math.min(this.timing.keepaliveMs, 60_000), () => {
      if (this.joined && Date.now() - this.lastSentAt >= this.timing.keepaliveMs) this.ping();
    });
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

  /** Runs the current document (docs/protocol.md §6); the results arrive as `execution` events. */
  run(options: { stdin?: string; mode?: 'run' | 'tests'; language?: string } = {}): void {
    this.requireConnected('run code');
    this.sendJson({
      action: 'run-code',
      ...(options.stdin ? { stdin: options.stdin } : {}),
      ...(options.language ? { language: options.language } : {}),
      ...(options.mode && options.mode !== 'run' ? { mode: options.mode } : {}),
    });
  }

  /**
   * Reports what this participant's browser saw (docs/protocol.md §10: paste with its size, focus lost or gained);
   * interviewers get it as `activity` events. Dropped while not joined: a report is not an edit to keep.
   */
  reportActivity(kind: ActivityKind, chars?: number): void {
    if (!this.joined) return;
    this.activityPacer.push(JSON.stringify({ action: 'activity', kind, ...(chars !== undefined ? { chars } : {}) }));
  }

  setLanguage(language: string): void {
    this.requireConnected('change the language');
    this.sendJson({ action: 'language-change', language });
  }

  /** Leaves the session for good: others see us go at once. */
  leave(): void {
    if (this.status === 'closed' || this.status === 'ended') return;
    if (this.joined) {
      this.sync.flush();
      this.notesSync.flush();
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
      this.timers.clear('pong');
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
    this.activityPacer.clear();
    this.timers.clear('pong');
    if (this.status === 'closed' || this.status === 'ended') return;
    this.setStatus('offline');
    const exp = Math.min(this.timing.backoffMaxMs, this.timing.backoffBaseMs * 2 ** this.attempts);
    this.attempts += 1;
    // Full jitter in the upper half: spread reconnects of a whole session after a server-side close.
    const delay = exp / 2 + Math.random() * (exp / 2);
    this.timers.schedule('reconnect', delay, () => void this.reconnect());
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
      this.timers.schedule('presence', 200, () => void this.refreshPresence());
    }
    switch (msg.type) {
      case 'session-joined':
        return this.joinedSession(msg);
      case 'yjs-update':
        if (msg.doc === 'notes') return this.notesSync.receive(msg);
        await this.sync.receive(msg);
        return this.setVersion(msg.version);
      case 'sync-reply':
        return (msg.doc === 'notes' ? this.notesSync : this.sync).synced(msg);
      case 'awareness-update':
        return applyAwarenessUpdate(this.awareness, fromBase64(msg.update), this);
      case 'user-joined':
        this.users = [...this.users.filter((u) => u.id !== msg.userId), { id: msg.userId, username: msg.username, role: msg.role }];
        this.emit('presence', this.users);
        // The newcomer has no awareness of us yet.
        return this.timers.schedule('awareness', this.timing.awarenessMs, () => this.sendAwareness());
      case 'user-left':
        this.users = this.users.filter((u) => u.id !== msg.userId);
        this.forgetAwarenessOf(msg.userId);
        return this.emit('presence', this.users);
      case 'language-update':
        this.language = msg.language;
        return this.emit('language', { language: msg.language, userId: msg.userId });
      case 'session-updated':
        // Two changes' broadcasts can arrive out of order: an older one would undo the newer.
        if (typeof msg.revision === 'number') {
          if (msg.revision < this.settingsRevision) return;
          this.settingsRevision = msg.revision;
        }
        if (msg.language && msg.language !== this.language) {
          this.language = msg.language;
          this.emit('language', { language: msg.language, userId: msg.userId });
        }
        if (msg.editingLocked === false) this.sync.requestSync(); // edits refused while locked go out now
        return this.emit('session', { title: msg.title, language: msg.language, runsDisabled: msg.runsDisabled, editingLocked: msg.editingLocked, userId: msg.userId });
      case 'session-ended':
        return this.end(msg.reason ?? 'ended');
      case 'question-updated':
        // Over 128 KiB the message carries a digest and where to read the question (as this role sees it).
        if (msg.truncated && typeof msg.questionUrl === 'string') {
          return this.emit('question', await fetchPointed<Question>(this.httpUrl, msg.questionUrl, this.opts.token));
        }
        return this.emit('question', msg.question);
      case 'activity':
        return this.emit('activity', activityEvent(msg));
      case 'execution-queued':
      case 'execution-started':
      case 'execution-output':
      case 'execution-test-result':
      case 'execution-finished':
        return this.emit('execution', executionEvent(msg)!);
      case 'error':
        this.emit('error', msg as unknown as ServerError);
        if (msg.action === 'yjs-update' || msg.action === 'sync') {
          // An error may not say which document it answers: then both sync again (a sync is harmless).
          const doc = (msg.doc ?? msg.details?.doc) as DocName | undefined;
          if (doc !== 'notes') this.sync.refused(msg as unknown as ServerError);
          if (doc !== 'code' && this.role === 'interviewer') this.notesSync.refused(msg as unknown as ServerError);
        }
        return;
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
    await this.sync.receive({ update: msg.yjsState, documentUrl: msg.documentUrl });
    if (msg.role === 'interviewer') await this.notesSync.receive({ update: msg.notesYjsState, documentUrl: msg.notesDocumentUrl });
    this.joined = true;
    this.attempts = 0;
    this.setVersion(msg.version);
    const user = this.awareness.getLocalState()?.user as Record<string, unknown> | undefined;
    this.awareness.setLocalStateField('user', { ...user, name: this.opts.username ?? roleName(msg.role), userId: msg.userId, ...colorFor(msg.userId) });
    this.setStatus('connected');
    this.emit('language', { language: msg.language });
    this.emit('presence', this.users);
    // Whatever we wrote while away (or lost on a dead socket) goes out after the server tells us its state.
    this.sync.joined();
    this.notesSync.joined();
    this.sendAwareness();
  }

  private sendAwareness(): void {
    if (!this.joined || !this.awareness.getLocalState()) return;
    this.sendJson({ action: 'awareness-update', update: toBase64(encodeAwarenessUpdate(this.awareness, [this.doc.clientID])) });
  }

  /** A ping whose answer proves the socket is alive: none within pongTimeoutMs and we reconnect. */
  private ping(): void {
    if (!this.sendJson({ action: 'ping' })) return;
    this.lastPingAt = Date.now();
    if (!this.timers.has('pong')) this.timers.schedule('pong', this.timing.pongTimeoutMs, () => this.lost());
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
    const neverJoined = this.userId === undefined;
    this.shutDown('ended');
    this.emit('ended', { reason });
    if (neverJoined) void this.readFinalDocument();
  }

  /**
   * Opened (or reloaded) after the session ended: the socket refuses us, but the code stays readable for 7
   * days. It is read once over HTTP into `doc` (nothing is sent: the sync stopped with the connection),
   * so an editor bound to `text` shows it; `language` follows.
   */
  private async readFinalDocument(): Promise<void> {
    const final = await fetchFinalDocument(this.httpUrl, this.sessionId, this.opts.token).catch(() => undefined);
    if (!final) return;
    Y.applyUpdate(this.doc, final.state, this);
    this.language = final.language;
    this.setVersion(final.version);
    this.emit('language', { language: final.language });
    this.emit('final', { version: final.version });
  }

  private shutDown(status: 'closed' | 'ended'): void {
    this.setStatus(status);
    this.joined = false;
    this.pacer.clear();
    this.activityPacer.clear();
    this.timers.clearAll();
    this.detach.splice(0).forEach((off) => off());
    this.awareness.destroy();
    const socket = this.socket;
    this.socket = undefined;
    if (socket) forget(socket, 1000, 'left');
  }

  /** Offline: drop the socket at once; online: reconnect at once. */
  private watchNetwork(): void {
    const offline = () => {
      if (this.socket) this.lost();
    };
    const online = () => {
      if (this.status !== 'offline' || this.socket) return;
      this.attempts = 0;
      this.timers.clear('reconnect');
      this.setStatus('connecting');
      void this.open();
    };
    this.detach.push(watchNetwork(offline, online));
  }
}

/** The name others' editors show on our cursor when we chose none: the role, as a name ("Candidate"). */
const roleName = (role: unknown) => (typeof role === 'string' && role ? role.charAt(0).toUpperCase() + role.slice(1) : 'guest');

/** Stops listening to a socket and closes it. `ws` reports closing a socket mid-handshake as an error event: keep a listener. */
function forget(socket: SocketLike, code?: number, reason?: string): void {
  socket.onopen = socket.onmessage = socket.onclose = null;
  socket.onerror = () => undefined;
  if (socket.readyState <= OPEN) socket.close(code, reason);
}
