/**
 * The interviewers' private notes (docs/protocol.md §10): the session's second document, written through the one
 * document write path (shared/core/code.ts) under its own document id, version counter and key range.
 * Everything the code's integrity guarantees say holds for the notes as well. Who may read them is
 * decided by the callers (HTTP access rules, the WebSocket role checks): this module never relays.
 */
import { AppError, errors } from '#contract/errors.js';
import { documentId } from '#contract/documents.js';
import type { SessionItem } from './records.js';
import { currentDocument, replaceCode, type SessionRef, type WriteResult } from './code.js';
import { encodeState, textOf } from './yjs-document.js';

export const notesRef = (session: Pick<SessionItem, 'sessionId' | 'ttl'>): SessionRef => ({
  sessionId: documentId(session.sessionId, 'notes'),
  ttl: session.ttl,
});

export interface NotesView {
  notes: string;
  version: number;
  updatedAt: string;
  yjsState?: string;
}

/** The notes at their newest version (the session item's `notesVersion` spares the catch-up read). */
export async function getNotes(session: SessionItem, opts: { yjs?: boolean } = {}): Promise<NotesView> {
  const entry = await currentDocument(documentId(session.sessionId, 'notes'), session.notesVersion ?? 0);
  return {
    notes: textOf(entry.doc),
    version: entry.version,
    // Never written: the notes are as old as the session.
    updatedAt: entry.version === 0 ? session.createdAt : entry.updatedAt,
    ...(opts.yjs ? { yjsState: Buffer.from(encodeState(entry.doc)).toString('base64') } : {}),
  };
}

/** Makes the notes exactly `notes`; a stale `baseVersion` is VERSION_CONFLICT with the current notes. */
export async function putNotes(session: SessionItem, notes: string, baseVersion: number | undefined, userId: string): Promise<WriteResult> {
  try {
    return await replaceCode(notesRef(session), notes, { baseVersion, userId, knownVersion: session.notesVersion ?? 0 });
  } catch (err) {
    if (err instanceof AppError && err.code === 'VERSION_CONFLICT') {
      const { currentVersion, code } = err.details as { currentVersion: number; code: string };
      throw new AppError('VERSION_CONFLICT', 'The notes have changed since baseVersion', { currentVersion, notes: code });
    }
    throw err;
  }
}

/** Interviewers only, on every path that writes or reads the notes over a socket. */
export function assertNotesRole(role: string, what = 'use the notes'): void {
  if (role !== 'interviewer') throw errors.forbidden(what);
}
