/**
 * The shared document's operations: read the text, replace it (text clients, `PUT /code`, snapshot
 * restore) and merge a Yjs update (Yjs clients). Every write is an append conditioned on the version it
 * was computed against; unversioned writers retry on a lost race, versioned ones get VERSION_CONFLICT.
 */
import type * as Y from 'yjs';
import { AppError, errors } from '../errors.js';
import { LIMITS } from '../limits.js';
import type { LanguageId } from '../languages.js';
import { logger } from '../log.js';
import { appendUpdate, compactDocument, readDocument, type StoredDocument } from '../store/documents.js';
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
  code: string;
  changed: boolean;
}

export interface ReplaceOptions {
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

/** Replaces the whole text with `next`, stored as a minimal Yjs edit. */
export async function replaceCode(session: SessionRef, next: string, opts: ReplaceOptions): Promise<WriteResult> {
  assertCodeSize(next);
  let loaded = opts.preloaded;
  for (let attempt = 0; attempt < LIMITS.document.writeAttempts; attempt++) {
    loaded ??= await loadDocument(session.sessionId);
    const { stored, doc } = loaded;
    loaded = undefined;
    if (opts.baseVersion !== undefined && opts.baseVersion !== stored.version) {
      throw errors.versionConflict(stored.version, textOf(doc));
    }
    const update = replaceText(doc, next);
    if (!update && !opts.language && !opts.history) {
      return { version: stored.version, code: next, changed: false };
    }
    const outcome = await appendUpdate({
      session,
      expectedVersion: stored.version,
      update: update ?? new Uint8Array([0, 0]), // an empty Yjs update keeps the log contiguous
      userId: opts.userId,
      language: opts.language,
      history: opts.history,
    });
    if (outcome.ok) {
      await maybeCompact(session, stored, doc, outcome.version);
      doc.destroy();
      return { version: outcome.version, update, code: next, changed: update !== undefined };
    }
    doc.destroy();
    await afterLostRace(session.sessionId, opts.baseVersion, attempt);
  }
  throw new Error(`replaceCode: gave up after ${LIMITS.document.writeAttempts} lost races`);
}

/** Merges a client's Yjs update: validated on a scratch copy, size-checked, then appended. */
export async function mergeUpdate(
  session: SessionRef,
  update: Uint8Array,
  userId: string,
  preloaded?: LoadedDocument,
): Promise<WriteResult> {
  let loaded = preloaded;
  for (let attempt = 0; attempt < LIMITS.document.writeAttempts; attempt++) {
    loaded ??= await loadDocument(session.sessionId);
    const { stored, doc } = loaded;
    loaded = undefined;
    let scratch: Y.Doc;
    try {
      scratch = applyToScratch(encodeState(doc), update);
    } catch (err) {
      doc.destroy();
      if (err instanceof InvalidUpdate) throw new AppError('INVALID_MESSAGE', 'Invalid Yjs update', [{ field: 'update', message: err.message }]);
      throw err;
    }
    const code = textOf(scratch);
    if (utf8Bytes(code) > LIMITS.codeMaxBytes) {
      doc.destroy();
      scratch.destroy();
      throw errors.payloadTooLarge('code', LIMITS.codeMaxBytes);
    }
    const outcome = await appendUpdate({ session, expectedVersion: stored.version, update, userId });
    doc.destroy();
    if (outcome.ok) {
      await maybeCompact(session, stored, scratch, outcome.version);
      scratch.destroy();
      return { version: outcome.version, update, code, changed: true };
    }
    scratch.destroy();
    await afterLostRace(session.sessionId, undefined, attempt);
  }
  throw new Error(`mergeUpdate: gave up after ${LIMITS.document.writeAttempts} lost races`);
}

/** After a failed append: tell an ended session from a lost race; back off before retrying. */
async function afterLostRace(sessionId: string, baseVersion: number | undefined, attempt: number): Promise<void> {
  const current = await getSession(sessionId);
  if (!current) throw errors.sessionNotFound();
  if (current.status !== 'active' || current.expiresAtEpoch * 1000 <= Date.now()) throw errors.sessionExpired();
  if (baseVersion !== undefined) {
    // A write cancelled by a concurrent transaction (TransactionConflict) may leave the version where
    // the client saw it: only a moved version is a conflict, otherwise try again.
    const view = await getCode(sessionId);
    if (view.version !== baseVersion) throw errors.versionConflict(view.version, view.code);
  }
  const delay = Math.random() * Math.min(200, 5 * 2 ** attempt);
  await new Promise((r) => setTimeout(r, delay));
}

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
    await compactDocument(session, state, version, versions);
  } catch (err) {
    logger.warn('compaction failed; the next writer retries', { sessionId: session.sessionId, error: err as Error });
  }
}
