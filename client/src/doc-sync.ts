/**
 * Keeps the server's copy of the document complete (docs/protocol.md §5): local updates are merged and sent in
 * frame-sized pieces, and a `sync` (state vectors both ways) after every (re)join, after any error
 * answering an update, once activity settles and every 30 s while the session is edited. Whatever was
 * lost on the way — a closed socket, a refused or throttled write, a relay not delivered — is in `doc`,
 * and the next sync sends exactly what the server lacks.
 */
import * as Y from 'yjs';
import { fromBase64, toBase64 } from 'lib0/buffer';
import { splitUpdate } from './chunks.js';
import { MAX_UPDATE_BYTES, type Timing } from './options.js';
import type { Timers } from './timers.js';
import type { DocName, ServerError, ServerMessage } from './types.js';

/** What the sync needs from the connection around it. */
export interface SyncLink {
  /** Joined: messages may be sent. */
  isJoined(): boolean;
  sendJson(message: Record<string, unknown>): boolean;
  /** Queues an edit message behind the rate pacer. */
  sendEdit(data: string): void;
  /** The full state behind a `documentUrl`. */
  fetchState(documentUrl: string): Promise<Uint8Array>;
  onVersion(version: unknown): void;
}

/**
 * One per document of the session: `code`, and for interviewers `notes` (docs/protocol.md §10), whose messages carry
 * `doc:"notes"`. Both share the connection's timers (their names are prefixed) and its edit pacer.
 */
export class DocSync {
  private pending: Uint8Array[] = [];
  private deletesSinceSync = false;
  private editedSinceSync = false;
  private readonly off: () => void;
  /** Added to every message: nothing for `code` (the protocol's default, understood by older servers). */
  private readonly docField: Record<string, string>;
  private readonly timer: (name: string) => string;

  constructor(
    private readonly doc: Y.Doc,
    private readonly link: SyncLink,
    private readonly timers: Timers,
    private readonly timing: Timing,
    readonly name: DocName = 'code',
  ) {
    this.docField = name === 'code' ? {} : { doc: name };
    this.timer = (timerName) => (name === 'code' ? timerName : `${name}:${timerName}`);
    const onUpdate = (update: Uint8Array, origin: unknown, _doc: Y.Doc, tr: Y.Transaction) => {
      this.settleLater();
      if (origin === this) return;
      this.pending.push(update);
      if (tr.deleteSet.clients.size > 0) this.deletesSinceSync = true;
      this.timers.schedule(this.timer('flush'), this.timing.flushMs, () => this.flush());
    };
    doc.on('update', onUpdate);
    this.off = () => doc.off('update', onUpdate);
    timers.every(timing.syncEveryMs, () => {
      if (this.editedSinceSync) this.requestSync();
    });
  }

  /** Applies a server update (from a message, or fetched when it was too large for one). */
  async receive(msg: Record<string, unknown>): Promise<void> {
    if (typeof msg.update === 'string') Y.applyUpdate(this.doc, fromBase64(msg.update), this);
    else if (typeof msg.documentUrl === 'string') Y.applyUpdate(this.doc, await this.link.fetchState(msg.documentUrl), this);
  }

  /** After a (re)join: what was queued is covered by the sync (it is all in `doc`). */
  joined(): void {
    this.pending = [];
    this.requestSync();
  }

  requestSync(): void {
    if (!this.link.isJoined()) return;
    this.link.sendJson({ action: 'sync', ...this.docField, stateVector: toBase64(Y.encodeStateVector(this.doc)) });
  }

  /** `sync-reply`: take what we lack, send what the server lacks. */
  async synced(msg: ServerMessage): Promise<void> {
    await this.receive(msg);
    const serverVector = fromBase64(msg.stateVector);
    const theirs = Y.decodeStateVector(serverVector);
    const ours = Y.decodeStateVector(Y.encodeStateVector(this.doc));
    const serverLacks = [...ours].some(([client, clock]) => (theirs.get(client) ?? 0) < clock);
    // Deletions do not show in a state vector: send the delete set too after any local deletion.
    if (serverLacks || this.deletesSinceSync) this.sendUpdate(Y.encodeStateAsUpdate(this.doc, serverVector));
    this.deletesSinceSync = false;
    this.editedSinceSync = false;
    this.link.onVersion(msg.version);
  }

  /** An `error` answering `yjs-update` or `sync`: sync again once the server says it may be retried. */
  refused(error: ServerError): void {
    if (error.action === 'yjs-update') this.deletesSinceSync = true; // what was refused may hold deletions
    // The interviewer locked the editor (docs/protocol.md §8): retrying now would be refused again. The edit stays in
    // `doc` and goes out with the sync the connection requests when the lock is lifted.
    if (error.code === 'EDITING_LOCKED') return;
    const retryAfter = (error.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
    const delay = retryAfter ? retryAfter * 1000 + 100 : this.timing.resyncDelayMs;
    if (error.action === 'sync' && error.code === 'INVALID_MESSAGE') {
      // A server without `sync`: send the whole document (idempotent), so nothing written here is lost.
      this.timers.schedule(this.timer('resync'), delay, () => this.sendUpdate(Y.encodeStateAsUpdate(this.doc)));
    } else {
      this.timers.schedule(this.timer('resync'), delay, () => this.requestSync());
    }
  }

  /** Sends what is queued now (before leaving, for instance). */
  flush(): void {
    this.timers.clear(this.timer('flush'));
    if (!this.link.isJoined() || this.pending.length === 0) return;
    const merged = this.pending.length === 1 ? this.pending[0]! : Y.mergeUpdates(this.pending);
    this.pending = [];
    this.sendUpdate(merged);
  }

  destroy(): void {
    this.off();
  }

  private sendUpdate(update: Uint8Array): void {
    for (const piece of splitUpdate(update, MAX_UPDATE_BYTES)) {
      this.link.sendEdit(JSON.stringify({ action: 'yjs-update', ...this.docField, update: toBase64(piece) }));
    }
  }

  /**
   * One sync once a burst of activity (ours or others') has been quiet for a moment: a relay the server
   * could not deliver to us, or an update of ours it lost, is caught up within seconds.
   */
  private settleLater(): void {
    this.editedSinceSync = true;
    this.timers.reschedule(this.timer('settle'), this.timing.settleMs, () => {
      if (this.editedSinceSync) this.requestSync();
    });
  }
}
