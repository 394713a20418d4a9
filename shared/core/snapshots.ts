/** Snapshots (docs/protocol.md §3): save the current code, list, read, and restore (interviewer only). */
import { errors } from '#contract/errors.js';
import { isSortableId, newId } from '#contract/ids.js';
import { stores } from './ports.js';
import type { SessionItem, Snapshot, SnapshotWithCode } from './records.js';
import { getCode, replaceCode, type WriteResult } from './code.js';
import { documentChanged, languageChanged, type SessionEvent } from './events.js';
import { utf8Bytes } from './yjs-document.js';

export async function createSnapshot(session: SessionItem, label: string | undefined, createdBy: string): Promise<Snapshot> {
  const { code, version } = await getCode(session.sessionId, session.version);
  const snapshot: SnapshotWithCode = {
    snapshotId: newId(),
    label: label && label.length > 0 ? label : `Snapshot at version ${version}`,
    language: session.language,
    createdAt: new Date().toISOString(),
    createdBy,
    size: utf8Bytes(code),
    version,
    code,
  };
  await stores.snapshots.putSnapshot(session.sessionId, session.ttl, snapshot);
  const { code: _omit, ...publicView } = snapshot;
  return publicView;
}


export async function readSnapshot(sessionId: string, snapshotId: string | undefined): Promise<SnapshotWithCode> {
  const snapshot = isSortableId(snapshotId) ? await stores.snapshots.getSnapshot(sessionId, snapshotId) : undefined;
  if (!snapshot) throw errors.notFound('Snapshot');
  return snapshot;
}

/** Puts the snapshot's code (and language) back as a new version everyone sees. */
export async function restoreSnapshot(
  session: SessionItem,
  snapshotId: string | undefined,
  userId: string,
): Promise<WriteResult & { snapshot: SnapshotWithCode; events: SessionEvent[] }> {
  const snapshot = await readSnapshot(session.sessionId, snapshotId);
  const result = await replaceCode(session, snapshot.code, {
    userId,
    knownVersion: session.version,
    ...(snapshot.language !== session.language ? { language: snapshot.language } : {}),
    history: { type: 'snapshot-restored', detail: { snapshotId: snapshot.snapshotId, label: snapshot.label } },
  });
  const events = [...documentChanged(session.sessionId, userId, result), ...languageChanged(session, snapshot, userId)];
  return { ...result, snapshot, events };
}
