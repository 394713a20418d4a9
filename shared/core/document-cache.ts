/**
 * The container's copies of recently used documents, each at a known version and holding exactly the
 * updates 1..version (versions have no holes, so a copy is caught up by applying the log items above
 * its version in order). An edit then costs its own update, not a decode of the whole state: loading
 * and re-encoding the document on every message is what made the relay CPU-bound.
 *
 * A copy is shared by every request of the container: callers read it, and only this module applies
 * stored updates to it. Anything a request computes speculatively happens on a copy of its own.
 */
import * as Y from 'yjs';
import type { LogUpdate, StoredDocument } from './records.js';
import { loadDoc, textOf, utf8Bytes } from './yjs-document.js';

export interface CachedDocument {
  readonly sessionId: string;
  readonly doc: Y.Doc;
  version: number;
  updatedAt: string;
  /** Compacted states known to exist, oldest first. */
  states: { version: number; parts: number }[];
  /** Bytes of updates applied since the newest known state. */
  bytesSinceState: number;
  /** Size of the newest known state: with bytesSinceState, a bound on the whole encoded state. */
  stateBytes: number;
  /** UTF-8 size of the text at `version`, computed when first asked. */
  textBytes?: number;
  /** A compaction of this document is under way in this container. */
  compacting?: boolean;
}

/** Sessions kept per container: a warm Lambda serves few live interviews at once. */
const MAX_DOCUMENTS = 64;
const cache = new Map<string, CachedDocument>();

export function cachedDocument(sessionId: string): CachedDocument | undefined {
  const hit = cache.get(sessionId);
  if (hit) {
    // Map keeps insertion order: re-inserting marks it most recently used.
    cache.delete(sessionId);
    cache.set(sessionId, hit);
  }
  return hit;
}

/** Replaces the copy of a session with one built from a fresh read. */
export function cacheStored(sessionId: string, stored: StoredDocument): CachedDocument {
  const entry: CachedDocument = {
    sessionId,
    doc: loadDoc(stored.state?.bytes, stored.updates.map((u) => u.update)),
    version: stored.version,
    updatedAt: stored.updatedAt,
    states: stored.state ? [{ version: stored.state.version, parts: stored.state.parts }] : [],
    bytesSinceState: stored.updates.reduce((n, u) => n + u.update.length, 0),
    stateBytes: stored.state?.bytes.length ?? 0,
  };
  forget(sessionId);
  cache.set(sessionId, entry);
  while (cache.size > MAX_DOCUMENTS) forget(cache.keys().next().value!);
  return entry;
}

/**
 * Applies stored updates (ascending) that follow the copy's version. Returns false when one is missing
 * (the read raced a purge, or items expired): the copy can no longer be trusted and is dropped.
 */
export function applyStored(entry: CachedDocument, updates: readonly LogUpdate[]): boolean {
  const next = updates.filter((u) => u.version > entry.version);
  if (next.length === 0) return true;
  if (next.some((u, i) => u.version !== entry.version + 1 + i)) {
    forget(entry.sessionId);
    return false;
  }
  entry.doc.transact(() => next.forEach((u) => Y.applyUpdate(entry.doc, u.update)));
  const last = next[next.length - 1]!;
  entry.version = last.version;
  entry.updatedAt = last.at;
  entry.bytesSinceState += next.reduce((n, u) => n + u.update.length, 0);
  entry.textBytes = undefined;
  return true;
}

/** An upper bound on the encoded state (Yjs keeps deleted items' structure): what the state limit checks. */
export const stateBytesBound = (entry: CachedDocument): number => entry.stateBytes + entry.bytesSinceState;

export function textBytesOf(entry: CachedDocument): number {
  entry.textBytes ??= utf8Bytes(textOf(entry.doc));
  return entry.textBytes;
}

export function forget(sessionId: string): void {
  cache.get(sessionId)?.doc.destroy();
  cache.delete(sessionId);
}

/** Tests: every container starts cold. */
export function resetDocumentCache(): void {
  for (const id of [...cache.keys()]) forget(id);
}

const writing = new Map<string, Promise<unknown>>();

/**
 * Runs `write` after every earlier write of this container to the same session has finished. Requests
 * of one warm container then never race each other for a version (the local stack runs every handler in
 * one process; a Lambda container runs one invocation at a time, where this costs nothing). Writers in
 * other containers still race, and the conditional append settles that.
 */
export function serialised<T>(sessionId: string, write: () => Promise<T>): Promise<T> {
  const previous = writing.get(sessionId) ?? Promise.resolve();
  const run = previous.then(write, write);
  const tail = run.catch(() => undefined);
  writing.set(sessionId, tail);
  void tail.then(() => writing.get(sessionId) === tail && writing.delete(sessionId));
  return run;
}
