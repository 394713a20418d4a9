/** Snapshot routes: create, list, read, restore (SPEC §3). */
import { authorize } from '../../shared/domain/access.js';
import { createSnapshot, listSnapshots, readSnapshot, restoreSnapshot } from '../../shared/domain/snapshots.js';
import { bearerToken, httpHandler, parseBody } from '../../shared/http/handler.js';
import { json } from '../../shared/http/response.js';
import { materialise } from '../../shared/domain/code.js';
import { broadcast, broadcastDocumentChange } from '../../shared/realtime/notify.js';
import { createSnapshotBody } from '../../shared/schemas.js';
import { readSessionState } from '../../shared/store/session-state.js';

export const handler = httpHandler({
  'POST /api/sessions/{sessionId}/snapshots': async (req) => {
    const body = parseBody(req, createSnapshotBody);
    const { session, role } = await authorize(req.pathParameters.sessionId, bearerToken(req), { mutates: true, action: 'create snapshots' });
    return json(201, await createSnapshot(session, body.label, role));
  },

  'GET /api/sessions/{sessionId}/snapshots': async (req) => {
    const { session } = await authorize(req.pathParameters.sessionId, bearerToken(req), { mutates: false, action: 'list snapshots' });
    return json(200, { snapshots: await listSnapshots(session.sessionId) });
  },

  'GET /api/sessions/{sessionId}/snapshots/{snapshotId}': async (req) => {
    const { session } = await authorize(req.pathParameters.sessionId, bearerToken(req), { mutates: false, action: 'read snapshots' });
    return json(200, await readSnapshot(session.sessionId, req.pathParameters.snapshotId));
  },

  'POST /api/sessions/{sessionId}/snapshots/{snapshotId}/restore': async (req) => {
    const { session, role } = await authorize(req.pathParameters.sessionId, bearerToken(req), {
      roles: ['interviewer'],
      mutates: true,
      action: 'restore snapshots',
    });
    const state = await readSessionState(session.sessionId);
    const result = await restoreSnapshot(session, req.pathParameters.snapshotId, role, materialise(state.document));
    await Promise.all([
      broadcastDocumentChange(state.connections, {
        sessionId: session.sessionId,
        update: result.update,
        code: result.code,
        version: result.textVersion,
        userId: role,
      }),
      result.snapshot.language !== session.language
        ? broadcast(state.connections, { type: 'language-update', language: result.snapshot.language, userId: role })
        : undefined,
    ]);
    return json(200, { version: result.version });
  },
});
