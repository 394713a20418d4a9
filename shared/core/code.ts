/**
 * The shared document's operations. There is one way in: an append that moves the version from N to
 * N+1 in one conditional transaction (shared/aws/store/documents.ts). What differs is what a writer does
 * when it loses that race:
 *
 * - a Yjs update (and a text client's edit merged from its base version) commutes with whatever won:
 *   it simply tries again on the version the failed condition returned — nothing to recompute;
 * - a replace (PUT /code, restore, a text client without baseVersion) is "make the text exactly this":
 *   it waits, catches up on the log tail, recomputes its edit and tries again;
 * - a conditional PUT (baseVersion) is refused with VERSION_CONFLICT and changes nothing.
 *
 * Every loop has a bounded budget; past it the client gets BUSY and nothing changed. Retries after a
 * lost response reuse the write's id, and the store recognises the write's own earlier success.
 */
import { createHash } from 'node:crypto';
import * as Y from 'yjs';
import { AppError, errors } from '#contract/errors.js';
import { LIMITS } from '#contract/limits.js';
import { maxTextBytes, textLabel } from '#contract/documents.js';
import type { LanguageId } from '#contract/languages.js';
import { logger } from '#telemetry/log.js';
import { stores } from './ports.js';
import type { AppendInput, AppendOutcome, HistoryType, SessionItem } from './records.js';
import { applyStored, cachedDocument, cacheStored, serialised, stateBytesBound, textBytesOf, type CachedDocument } from './document-cache.js';
import { encodeState, holdsUpdate, InvalidUpdate, inspectUpdate, loadDoc, replaceText, textOf, utf8Bytes } from './yjs-document.js';

/** What a document write needs to know about its session. */
export type SessionRef = Pick<SessionItem, 'sessionId' | 'ttl'> & {
  /** The writer is refused while the interviewer has locked the editor (a candidate, docs/protocol.md §8). */
  lockable?: boolean;
};

export interface CodeView {
  code: string;
  version: number;
  updatedAt: string;
}

/**
 * The session's document at its newest version (the container's copy, caught up with one small Query
 * of the log tail; none when `knownVersion`, read from the session item, says it is current). The
 * result is shared: read it, never change it.
 */
export async function currentDocument(sessionId: string, knownVersion?: number): Promise<CachedDocument> {
  const entry = cachedDocument(sessionId);
  if (entry) {
    if (knownVersion !== undefined && entry.version >= knownVersion) return entry;
    if (applyStored(entry, await stores.documents.readUpdatesAfter(sessionId, entry.version))) return entry;
  }
  const stored = await stores.documents.readDocument(sessionId);
  return cacheStored(sessionId, stored!);
}

export async function getCode(sessionId: string, knownVersion?: number): Promise<CodeView> {
  const entry = await currentDocument(sessionId, knownVersion);
  return { code: textOf(entry.doc), version: entry.version, updatedAt: entry.updatedAt };
}

export interface WriteResult {
  /** The version this write created (or the current one when nothing changed). */
  version: number;
  /** The Yjs update that was stored (absent when the text was already equal). */
  update?: Uint8Array;
  changed: boolean;
}

/** `id`: the document the text is for (the notes have their own, smaller bound); default the code. */
export function assertCodeSize(code: string, id?: string): void {
  const max = id === undefined ? LIMITS.codeMaxBytes : maxTextBytes(id);
  if (utf8Bytes(code) > max) throw errors.payloadTooLarge(id === undefined ? 'code' : textLabel(id), max);
}

/** Refuses a write that would take the whole encoded state past its bound (the text limit alone does not). */
function assertStateRoom(entry: CachedDocument, update: Uint8Array): void {
  if (stateBytesBound(entry) + update.length > LIMITS.document.maxStateBytes) {
    throw new AppError('PAYLOAD_TOO_LARGE', `The document's history exceeds ${LIMITS.document.maxStateBytes} bytes; no further edits are accepted`, {
      limit: LIMITS.document.maxStateBytes,
    });
  }
}

/** The text at the newest version the container knows after this write (what text clients are sent). */
export async function textAfter(sessionId: string, version: number): Promise<CodeView> {
  return getCode(sessionId, version);
}

// ---- Yjs updates (and merged text edits) ----------------------------------------------------------

/**
 * Merges a client's Yjs update. It is checked without the document (it must decode and touch nothing
 * but the `code` text); the text limit is checked against the container's copy plus what the update
 * inserts, and exactly (on a scratch copy) only when that bound is over the limit.
 */
export async function mergeUpdate(session: SessionRef, update: Uint8Array, userId: string): Promise<WriteResult> {
  const { insertedBytes } = checked(update);
  const entry = cachedDocument(session.sessionId) ?? (await currentDocument(session.sessionId));
  assertStateRoom(entry, update);
  if (insertedBytes > 0 && textBytesOf(entry) + insertedBytes > maxTextBytes(session.sessionId)) await assertFits(session.sessionId, update);
  const appended = await appendCommuting(session, update, userId, entry.version);
  if (!appended.stored) return { version: appended.version, changed: false };
  await afterWrite(session, appended.version, update);
  return { version: appended.version, update, changed: true };
}

function checked(update: Uint8Array): { insertedBytes: number } {
  try {
    return inspectUpdate(update);
  } catch (err) {
    if (err instanceof InvalidUpdate) throw new AppError('INVALID_MESSAGE', 'Invalid Yjs update', [{ field: 'update', message: err.message }]);
    throw err;
  }
}

/** The exact check: the update applied to a scratch copy of the current document. */
async function assertFits(sessionId: string, update: Uint8Array): Promise<void> {
  const entry = await currentDocument(sessionId);
  const scratch = loadDoc(encodeState(entry.doc), [update]);
  const bytes = utf8Bytes(textOf(scratch));
  scratch.destroy();
  if (bytes > maxTextBytes(sessionId)) throw errors.payloadTooLarge(textLabel(sessionId), maxTextBytes(sessionId));
}

/**
 * A text client's edit against `baseVersion`: the change from the document at that version to `code`,
 * made as a Yjs edit on that old state, merges with whatever others wrote since (exactly as a Yjs
 * client's offline edit would). VERSION_CONFLICT only when that version is out of reach.
 */
export async function mergeTextEdit(session: SessionRef, code: string, baseVersion: number, userId: string): Promise<WriteResult> {
  assertCodeSize(code, session.sessionId);
  const base = await documentAt(session.sessionId, baseVersion);
  try {
    // A resend of the same change (a client that got no ack may resend: every action is safe to repeat)
    // must not apply twice. Made under a client id derived from the base, the author and the text, it is
    // the very same Yjs update, which the document already holds: no second copy of the insert.
    base.clientID = textEditClientId(session.sessionId, baseVersion, userId, code);
    const update = replaceText(base, code);
    if (!update) {
      const { version } = await currentDocument(session.sessionId);
      return { version, changed: false };
    }
    const entry = cachedDocument(session.sessionId) ?? (await currentDocument(session.sessionId));
    const { insertedBytes } = checked(update);
    assertStateRoom(entry, update);
    if (insertedBytes > 0 && textBytesOf(entry) + insertedBytes > maxTextBytes(session.sessionId)) await assertFits(session.sessionId, update);
    const appended = await appendCommuting(session, update, userId, Math.max(entry.version, baseVersion));
    if (!appended.stored) return { version: appended.version, changed: false };
    await afterWrite(session, appended.version, update);
    return { version: appended.version, update, changed: true };
  } finally {
    base.destroy();
  }
}

/**
 * The Yjs client id of a text client's edit: the same (document, base version, author, text) always gives
 * the same id, so the same edit. A clash with another client's id is as unlikely as between Yjs's own
 * random 32-bit ids.
 */
export function textEditClientId(documentId: string, baseVersion: number, userId: string, code: string): number {
  return createHash('sha256').update(`${documentId}\0${baseVersion}\0${userId}\0`).update(code, 'utf8').digest().readUInt32BE(0);
}

/** A private copy of the document exactly at `version`. */
async function documentAt(sessionId: string, version: number): Promise<Y.Doc> {
  const entry = await currentDocument(sessionId);
  if (version > entry.version) throw errors.versionConflict(entry.version, textOf(entry.doc));
  if (version === entry.version) return loadDoc(encodeState(entry.doc), []);
  const stored = await stores.documents.readDocument(sessionId, { atVersion: version, maxItems: LIMITS.document.baseVersionReachItems });
  if (!stored || stored.version !== version) {
    const now = await currentDocument(sessionId);
    throw errors.versionConflict(now.version, textOf(now.doc));
  }
  return loadDoc(stored.state?.bytes, stored.updates.map((u) => u.update));
}

/**
 * Appends an update that commutes. Updates waiting in this container for the same session go out
 * together (group commit): one author's pending updates are merged (`Y.mergeUpdates`) into one log item
 * and one transaction, so a busy session costs a transaction per round trip, not per keystroke. Every
 * waiting writer learns the version that holds its update.
 */
function appendCommuting(session: SessionRef, update: Uint8Array, userId: string, guess: number): Promise<Appended> {
  return new Promise((resolve, reject) => {
    let queue = pendingAppends.get(session.sessionId);
    if (!queue) {
      queue = [];
      pendingAppends.set(session.sessionId, queue);
      queue.push({ update, userId, lockable: session.lockable === true, guess, resolve, reject });
      void drain(session, queue);
    } else queue.push({ update, userId, lockable: session.lockable === true, guess, resolve, reject });
  });
}

interface PendingAppend {
  update: Uint8Array;
  userId: string;
  /** Batched only with writers of the same standing: a candidate's update never rides an interviewer's append. */
  lockable: boolean;
  guess: number;
  resolve: (appended: Appended) => void;
  reject: (err: unknown) => void;
}

const pendingAppends = new Map<string, PendingAppend[]>();
/** A merged log item stays well below DynamoDB's 400 KB item limit. */
const BATCH_MAX_BYTES = 192 * 1024;

/** The one drainer of a session's queue in this container; the queue leaves the map when it is empty. */
async function drain(session: SessionRef, queue: PendingAppend[]): Promise<void> {
  while (queue.length > 0) {
    const author = queue[0]!.userId;
    const lockable = queue[0]!.lockable;
    const batch: PendingAppend[] = [];
    let bytes = 0;
    for (let i = 0; i < queue.length; ) {
      const p = queue[i]!;
      if (p.userId === author && p.lockable === lockable && (batch.length === 0 || bytes + p.update.length <= BATCH_MAX_BYTES)) {
        batch.push(p);
        bytes += p.update.length;
        queue.splice(i, 1);
      } else i++;
    }
    try {
      const update = batch.length === 1 ? batch[0]!.update : Y.mergeUpdates(batch.map((p) => p.update));
      const appended = await appendWithRetries({ ...session, lockable }, update, author, Math.max(...batch.map((p) => p.guess)));
      batch.forEach((p) => p.resolve(appended));
    } catch (err) {
      batch.forEach((p) => p.reject(err));
    }
  }
  pendingAppends.delete(session.sessionId);
}

/** A commuting append's result: the version that holds the update, and whether this write stored it. */
interface Appended {
  version: number;
  /** false: the document already held all of it (a re-sent update), and nothing was written. */
  stored: boolean;
}

/** One commuting append: after a lost race it only needs the version the race left. */
async function appendWithRetries(session: SessionRef, update: Uint8Array, userId: string, guess: number): Promise<Appended> {
  let expected = guess;
  const writeId = stores.documents.newWriteId();
  const budget = writeBudget();
  for (let attempt = 0; budget.left(attempt); attempt++) {
    const tried = await serialised(session.sessionId, async () => {
      // The container's copy is current for what this container wrote: start from it. What it already
      // holds (the first copy of a re-sent update landed meanwhile) is not written again. Sound on a
      // stale copy too: the stored document only grows, so it holds whatever the copy holds.
      const cached = cachedDocument(session.sessionId);
      if (cached && holdsUpdate(cached.doc, update)) return { kind: 'held' as const, version: cached.version };
      expected = Math.max(expected, cached?.version ?? 0);
      return { kind: 'tried' as const, outcome: await appendAndAdvance({ session, expectedVersion: expected, update, userId, writeId }) };
    });
    if (tried.kind === 'held') return { version: tried.version, stored: false };
    const { outcome } = tried;
    if (outcome.ok) return { version: outcome.version, stored: true };
    if (outcome.reason === 'moved') {
      // The first miss is usually a stale copy, not contention: try the returned version at once.
      if (attempt > 0) await backoff(attempt);
      expected = outcome.currentVersion;
      // Lost to its own author: quite possibly to another copy of this very update (a sync re-sent it
      // while this one was on its way, and another container stored it). Only then is the copy worth a
      // catch-up read, so that the next try can see the update is already held.
      if (outcome.wonBy === userId) await currentDocument(session.sessionId, outcome.currentVersion);
      continue;
    }
    refuseInactive(outcome);
    await backoff(attempt);
  }
  throw errors.busy(LIMITS.document.busyRetryAfterSeconds);
}

// ---- replacements ---------------------------------------------------------------------------------

export interface ReplaceOptions {
  /** HTTP's conditional write: stale → VERSION_CONFLICT, nothing changed. */
  baseVersion?: number;
  userId: string;
  /** Also switch the session language in the same transaction (snapshot restore). */
  language?: LanguageId;
  history?: { type: HistoryType; detail: Record<string, unknown> };
  /** The session's version as the caller just read it: spares the catch-up read when the copy is current. */
  knownVersion?: number;
}

/**
 * Makes the text exactly `next` (last writer wins), stored as a minimal Yjs edit so that unchanged text
 * keeps its identity. The edit is computed on a copy of the caught-up document; on a lost race the
 * writer backs off, catches up and computes again.
 */
export async function replaceCode(session: SessionRef, next: string, opts: ReplaceOptions): Promise<WriteResult> {
  assertCodeSize(next, session.sessionId);
  const writeId = stores.documents.newWriteId();
  let knownVersion = opts.knownVersion;
  const budget = writeBudget();
  for (let attempt = 0; budget.left(attempt); attempt++) {
    if (attempt > 0) await backoff(attempt);
    const tried = await serialised(session.sessionId, async () => {
      // First try on the container's copy as it is, when nothing says it is stale: the append's
      // condition checks it, and a lost race returns the version to catch up to.
      const cached = attempt === 0 && knownVersion === undefined ? cachedDocument(session.sessionId) : undefined;
      const optimistic = cached && (opts.baseVersion === undefined || opts.baseVersion === cached.version) ? cached : undefined;
      const entry = optimistic ?? (await currentDocument(session.sessionId, knownVersion));
      if (opts.baseVersion !== undefined && opts.baseVersion !== entry.version) {
        throw errors.versionConflict(entry.version, textOf(entry.doc));
      }
      const work = loadDoc(encodeState(entry.doc), []);
      const computed = replaceText(work, next);
      work.destroy();
      if (!computed && !opts.language && !opts.history) return { kind: 'unchanged' as const, version: entry.version };
      // An empty Yjs update still takes its version: the language switch and history entry need one.
      const update = computed ?? new Uint8Array([0, 0]);
      assertStateRoom(entry, update);
      const outcome = await appendAndAdvance({
        session,
        expectedVersion: entry.version,
        update,
        userId: opts.userId,
        writeId,
        language: opts.language,
        history: opts.history,
      });
      return { kind: 'tried' as const, outcome, update, computed };
    });
    if (tried.kind === 'unchanged') return { version: tried.version, changed: false };
    const { outcome, update, computed } = tried;
    if (outcome.ok) {
      await afterWrite(session, outcome.version, update);
      return { version: outcome.version, update: computed, changed: computed !== undefined };
    }
    refuseInactive(outcome);
    if (outcome.reason === 'moved') {
      knownVersion = outcome.currentVersion;
      if (opts.baseVersion !== undefined) {
        const now = await currentDocument(session.sessionId, knownVersion);
        throw errors.versionConflict(now.version, textOf(now.doc));
      }
    }
  }
  throw errors.busy(LIMITS.document.busyRetryAfterSeconds);
}

// ---- shared by both paths -------------------------------------------------------------------------

/** Transient failures before any answer (throttling, a dropped connection): the same write again. */
const TRANSIENT_TRIES = 3;

async function appendOnce(input: AppendInput): Promise<AppendOutcome> {
  const nowMs = Date.now(); // fixed across retries: the retried request must be identical
  for (let attempt = 1; ; attempt++) {
    try {
      return await stores.documents.appendUpdate({ ...input, nowMs });
    } catch (err) {
      if (attempt >= TRANSIENT_TRIES) {
        if (stores.documents.isContentionError(err)) throw errors.busy(LIMITS.document.busyRetryAfterSeconds);
        throw err;
      }
      logger.warn('document append failed; retrying the same write', { sessionId: input.session.sessionId, error: err as Error });
      await backoff(attempt);
    }
  }
}

/** Appends, and advances the container's copy when it was exactly one version behind (no read). */
async function appendAndAdvance(input: AppendInput): Promise<AppendOutcome> {
  const outcome = await appendOnce(input);
  const entry = cachedDocument(input.session.sessionId);
  if (outcome.ok && entry?.version === outcome.version - 1) {
    applyStored(entry, [{ version: outcome.version, update: input.update, at: outcome.at }]);
  }
  return outcome;
}

function refuseInactive(outcome: Exclude<AppendOutcome, { ok: true }>): void {
  if (outcome.reason === 'missing') throw errors.sessionNotFound();
  if (outcome.reason === 'inactive') throw errors.sessionExpired();
  if (outcome.reason === 'locked') throw errors.editingLocked();
}

function writeBudget(): { left(attempt: number): boolean } {
  const deadline = Date.now() + LIMITS.document.writeBudgetMs;
  return { left: (attempt) => attempt < LIMITS.document.writeAttempts && (attempt === 0 || Date.now() < deadline) };
}

/** The jittered wait before a write's next try (and before its catch-up read): doubling from 4 ms, capped. */
export const backoff = (attempt: number) =>
  new Promise((r) => setTimeout(r, Math.random() * Math.min(LIMITS.document.writeBackoffMaxMs, 4 * 2 ** attempt)));

/**
 * After a successful write: advance the container's copy when it was exactly one version behind (no
 * read), and compact when enough was written since the newest state. Every successful writer checks,
 * whatever try it won on.
 */
async function afterWrite(session: SessionRef, version: number, update: Uint8Array): Promise<void> {
  const entry = cachedDocument(session.sessionId);
  if (!entry) return;
  if (entry.version === version - 1) applyStored(entry, [{ version, update, at: new Date().toISOString() }]);
  const sinceState = version - (entry.states[entry.states.length - 1]?.version ?? 0);
  if (sinceState < LIMITS.document.compactAfterUpdates && entry.bytesSinceState < LIMITS.document.compactAfterBytes) return;
  if (entry.compacting) return;
  entry.compacting = true;
  try {
    await compact(session, entry);
  } catch (err) {
    // The log is complete without it: the next writer compacts.
    logger.warn('compaction failed; the next writer retries', { sessionId: session.sessionId, error: err as Error });
  } finally {
    entry.compacting = false;
  }
}

/**
 * Stores the copy's state (versions 1..entry.version) and drops the state before the previous one:
 * a reader that has just passed the newest state still finds the previous one complete.
 */
async function compact(session: SessionRef, entry: CachedDocument): Promise<void> {
  if (!applyStored(entry, await stores.documents.readUpdatesAfter(session.sessionId, entry.version))) return;
  const version = entry.version;
  const state = encodeState(entry.doc);
  const parts = await stores.documents.writeState(session, version, state);
  entry.states.push({ version, parts });
  entry.stateBytes = state.length;
  entry.bytesSinceState = 0;
  const stale = entry.states.splice(0, Math.max(0, entry.states.length - 2));
  if (stale.length > 0) await stores.documents.deleteStates(session.sessionId, stale);
}
