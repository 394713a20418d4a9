/**
 * The documents of a session (docs/protocol.md §10): the shared `code` and the interviewers' private `notes`. Both
 * are one Yjs `Y.Text` named "code" (one client class syncs either) and go through the same write path
 * (shared/core/code.ts → shared/aws/store/documents.ts): same versions, same integrity, same `sync`.
 *
 * The write path, the container's cache and its per-document queues are keyed by a DOCUMENT ID: the
 * session id itself for the code (as before notes existed: every key and cache entry stays the same),
 * `<sessionId>~notes` for the notes. `parseDocumentId` is how the store finds the session's partition
 * and the document's own key range and version counter.
 */
import { LIMITS } from './limits.js';

export const DOC_NAMES = ['code', 'notes'] as const;
export type DocName = (typeof DOC_NAMES)[number];

const NOTES_SUFFIX = '~notes';

export const documentId = (sessionId: string, doc: DocName = 'code'): string =>
  doc === 'code' ? sessionId : `${sessionId}${NOTES_SUFFIX}`;

export function parseDocumentId(id: string): { sessionId: string; doc: DocName } {
  return id.endsWith(NOTES_SUFFIX) ? { sessionId: id.slice(0, -NOTES_SUFFIX.length), doc: 'notes' } : { sessionId: id, doc: 'code' };
}

/** UTF-8 bytes a document's text may hold (docs/protocol.md §4: code 100 KiB; §10: notes 64 KiB). */
export const maxTextBytes = (id: string): number => (parseDocumentId(id).doc === 'notes' ? LIMITS.notesMaxBytes : LIMITS.codeMaxBytes);

/** The document's name in error messages. */
export const textLabel = (id: string): DocName => parseDocumentId(id).doc;
