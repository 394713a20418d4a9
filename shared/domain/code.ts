/**
 * The shared document's operations: read the text, replace it (text clients, `PUT /code`, snapshot
 * restore) and merge a Yjs update (Yjs clients). Every write is an append conditioned on the version it
 * was computed against; unversioned writers retry on a lost race, versioned ones get VERSION_CONFLICT.
 */
import * as Y from 'yjs';
import { AppError, errors } from '../errors.js';
import { LIMITS } from '../limits.js';
import type { LanguageId } from '../languages.js';
import { logger } from '../log.js';
import { appendReserved, appendUpdate, compactDocument, readDocument, readUpdatesAfter, type StoredDocument } from '../store/documents.js';
import type { HistoryType } from '../store/history.js';
import { getSession, type SessionItem } from '../store/sessions.js';

/** What a document write needs to know about its session. */
export type SessionRef = Pick<SessionItem, 'sessionId' | 'ttl'>;
import { applyToScratch, encodeState, InvalidUpdate, loadDoc, replaceText, textOf, utf8Bytes } from './yjs-document.js';

export interface CodeView {
  code: string;
  version: number;
  updatedAt: string;
}

export interface LoadedDocument {
  stored: StoredDocument;
  doc: Y.Doc;
}

export function materialise(stored: StoredDocument): LoadedDocument {
  return { stored, doc: loadDoc(stored.state, stored.updates.map((u) => u.update)) };
}

export async function loadDocument(sessionId: string): Promise<LoadedDocument> {
  return materialise(await readDocument(sessionId));
}

export async function getCode(sessionId: string): Promise<CodeView> {
  const { stored, doc } = await loadDocument(sessionId);
  const view = { code: textOf(doc), version: stored.version, updatedAt: stored.updatedAt };
  doc.destroy();
  return view;
}

export interface WriteResult {
  version: number;
  /** The Yjs update that was stored (absent when the text was already equal). */
  update?: Uint8Array;
  /** The document's text after the write, as of `textVersion` (what text clients are sent). */
  code: string;
  /** ≥ version: the newest version `code` includes (a re-read may have seen later writes). */
  textVersion: number;
  changed: boolean;
}

/**
 * The text to tell text clients after a write. Usually the writer's own copy is the document at its
 * version exactly. But under contention a version can be reserved before its item lands
 * (appendReserved): if the copy has a hole below our version, or we appended under a reserved
 * version, re-read the document, so that whoever writes last tells everyone the complete text.
 */
async function settle(sessionId: string, stored: StoredDocument, result: Omit<WriteResult, 'textVersion'>, reserved: boolean): Promise<WriteResult> {
  const have = new Set(stored.updates.map((u) => u.version));
  let complete = !reserved;
  for (let v = stored.stateVersion + 1; complete && v < result.version; v++) complete = have.has(v);
  if (complete) return { ...result, textVersion: result.version };
  const fresh = await getCode(sessionId);
  return { ...result, code: fresh.code, textVersion: Math.max(fresh.version, result.version) };
}

/** Lost races after which a `mergeWhenBusy` replace is merged instead of retried. */
const MERGE_AFTER_LOSSES = 6;

export interface ReplaceOptions {
  /**
   * WebSocket text clients: after MERGE_AFTER_LOSSES lost races, merge the edit like a Yjs update rather
   * than keep retrying (HTTP `PUT /code` stays strict: its result is exactly one writer's text).
   */
  mergeWhenBusy?: boolean;
  baseVersion?: number;
  userId: string;
  language?: LanguageId;
  history?: { type: HistoryType; detail: Record<string, unknown> };
  /** A document already read by the caller (saves a read on the first attempt). */
  preloaded?: LoadedDocument;
}

export function assertCodeSize(code: string): void {
  if (utf8Bytes(code) > LIMITS.codeMaxBytes) throw errors.payloadTooLarge('code', LIMITS.codeMaxBytes);
}

/**
 * Replaces the whole text with `next`, stored as a minimal Yjs edit. The edit is computed on a copy of
 * the document: an edit that lost the race is never stored, so nothing may build on it.
 */
export async function replaceCode(session: SessionRef, next: string, opts: ReplaceOptions): Promise<WriteResult> {
  assertCodeSize(next);
  let loaded = opts.preloaded ?? (await loadDocument(session.sessionId));
  try {
    for (let attempt = 0; attempt < LIMITS.document.writeAttempts; attempt++) {
      const { stored, doc } = loaded;
      if (opts.baseVersion !== undefined && opts.baseVersion !== stored.version) {
        throw errors.versionConflict(stored.version, textOf(doc));
      }
      const work = copyOf(doc);
      const update = replaceText(work, next);
      if (!update && !opts.language && !opts.history) {
        work.destroy();
        return { version: stored.version, code: next, textVersion: stored.version, changed: false };
      }
      const input = {
        session,
        expectedVersion: stored.version,
        update: update ?? new Uint8Array([0, 0]), // an empty Yjs update still takes its version
        userId: opts.userId,
        language: opts.language,
        history: opts.history,
      };
      // A text client in a session busy with Yjs writers could lose every race: after a few, its edit
      // (computed on the document as just caught up) is merged like a Yjs update instead.
      const merge = opts.mergeWhenBusy === true && opts.baseVersion === undefined && !opts.language && attempt >= MERGE_AFTER_LOSSES;
      const outcome = merge ? ((await appendReserved(input)) ?? { ok: false as const }) : await appendUpdate(input);
      if (outcome.ok) {
        if (!merge) await maybeCompact(session, stored, work, outcome.version);
        const code = textOf(work);
        work.destroy();
        return settle(session.sessionId, stored, { version: outcome.version, update, code, changed: update !== undefined }, merge);
      }
      work.destroy();
      loaded = await afterLostRace(session.sessionId, loaded, attempt, opts.baseVersion);
    }
  } finally {
    loaded.doc.destroy();
  }
  throw new Error(`replaceCode: gave up after ${LIMITS.document.writeAttempts} lost races`);
}

/**
 * Merges a client's Yjs update: validated on a scratch copy and size-checked, then appended. The first
 * try is the usual transaction on the version we read (2 DynamoDB calls in all with the read); if
 * another writer won that version, the update is appended under a reserved version instead: Yjs
 * updates commute, so it needs no particular place, and a busy session never drops an edit.
 */
export async function mergeUpdate(
  session: SessionRef,
  update: Uint8Array,
  userId: string,
  preloaded?: LoadedDocument,
): Promise<WriteResult> {
  const loaded = preloaded ?? (await loadDocument(session.sessionId));
  let scratch: Y.Doc | undefined;
  try {
    scratch = validated(loaded.doc, update);
    const code = textOf(scratch);
    if (utf8Bytes(code) > LIMITS.codeMaxBytes) throw errors.payloadTooLarge('code', LIMITS.codeMaxBytes);
    const first = await appendUpdate({ session, expectedVersion: loaded.stored.version, update, userId });
    if (first.ok) {
      await maybeCompact(session, loaded.stored, scratch, first.version);
      return settle(session.sessionId, loaded.stored, { version: first.version, update, code, changed: true }, false);
    }
    const reserved = await appendReserved({ session, expectedVersion: loaded.stored.version, update, userId });
    if (!reserved?.ok) {
      throw (await getSession(session.sessionId)) ? errors.sessionExpired() : errors.sessionNotFound();
    }
    return settle(session.sessionId, loaded.stored, { version: reserved.version, update, code, changed: true }, true);
  } finally {
    scratch?.destroy();
    loaded.doc.destroy();
  }
}

function validated(doc: Y.Doc, update: Uint8Array): Y.Doc {
  try {
    return applyToScratch(encodeState(doc), update);
  } catch (err) {
    if (err instanceof InvalidUpdate) throw new AppError('INVALID_MESSAGE', 'Invalid Yjs update', [{ field: 'update', message: err.message }]);
    throw err;
  }
}

const copyOf = (doc: Y.Doc): Y.Doc => loadDoc(encodeState(doc), []);

/**
 * After a failed append, catch up: read only the log items above the version we had and apply them.
 * (If a compaction folded some of them away meanwhile, our copy lacks them: an edit computed on it is
 * still a valid concurrent Yjs edit, and maybeCompact refuses to compact from a stale state.) New items mean we lost the race: retry at
 * once, or report VERSION_CONFLICT to a versioned writer. None means the session stopped being active,
 * a concurrent transaction touched the session item (TransactionConflict), or a version was reserved
 * whose item is not written yet (appendReserved): take the session's version as the one to build on —
 * the missing update is a concurrent Yjs edit, which merges with ours whatever the order.
 */
async function afterLostRace(sessionId: string, loaded: LoadedDocument, attempt: number, baseVersion?: number): Promise<LoadedDocument> {
  const newer = await readUpdatesAfter(sessionId, loaded.stored.version);
  if (newer.length > 0) {
    loaded.doc.transact(() => newer.forEach((u) => Y.applyUpdate(loaded.doc, u.update)));
    const last = newer[newer.length - 1]!;
    const stored: StoredDocument = {
      ...loaded.stored,
      updates: [...loaded.stored.updates, ...newer],
      version: last.version,
      updatedAt: last.at,
      logBytes: loaded.stored.logBytes + newer.reduce((n, u) => n + u.update.length, 0),
    };
    await sleep(Math.random() * Math.min(50, 2 * 2 ** attempt)); // spread the next round of contenders
    return { stored, doc: loaded.doc };
  }
  const current = await getSession(sessionId);
  if (!current) throw errors.sessionNotFound();
  if (current.status !== 'active' || current.expiresAtEpoch * 1000 <= Date.now()) throw errors.sessionExpired();
  if (current.version > loaded.stored.version) {
    if (baseVersion !== undefined) throw errors.versionConflict(current.version, textOf(loaded.doc));
    return { stored: { ...loaded.stored, version: current.version }, doc: loaded.doc };
  }
  await sleep(Math.random() * Math.min(200, 5 * 2 ** attempt));
  return loaded;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Compacts when the log has grown: `doc` already holds state + log + the update just appended (version
 * `version`), so its encoding includes everything up to `version`. Runs inline but only every
 * ~compactAfterUpdates writes; a failure is logged and left for the next writer.
 */
async function maybeCompact(session: SessionRef, stored: StoredDocument, doc: Y.Doc, version: number): Promise<void> {
  const count = stored.updates.length + 1;
  if (count < LIMITS.document.compactAfterUpdates && stored.logBytes < LIMITS.document.compactAfterBytes) return;
  const state = encodeState(doc);
  if (state.length > LIMITS.document.maxStateBytes) {
    logger.warn('document state too large to compact into one item', { sessionId: session.sessionId, bytes: state.length });
    return;
  }
  try {
    const versions = [...stored.updates.map((u) => u.version), version];
    await compactDocument(session, state, version, versions, stored.stateVersion);
  } catch (err) {
    logger.warn('compaction failed; the next writer retries', { sessionId: session.sessionId, error: err as Error });
  }
}
