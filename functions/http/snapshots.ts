/** Snapshot routes: create, list, read, restore (docs/protocol.md §3). */
import { authorize } from '#core/access.js';
import { createSnapshot, readSnapshot, restoreSnapshot } from '#core/snapshots.js';
import { listSnapshots } from '#aws/store/snapshots.js';
import { bearerToken, httpHandler, parseBody } from './http-handler.js';
import { json } from './response.js';
import { placeStarterCode } from '#core/starter-code.js';
import { publish } from '#aws/publish.js';
import { createSnapshotBody } from '#contract/schemas.js';
import { listConnections } from '#aws/store/connections.js';
import '#aws/wiring.js'; // the composition root: core's storage ports get their DynamoDB adapters

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
    const [connections, result] = await Promise.all([
      listConnections(session.sessionId),
      restoreSnapshot(session, req.pathParameters.snapshotId, role),
    ]);
    // A restore that switched language onto an empty or starter-code snapshot: that language's starter code.
    const placed = result.snapshot.language !== session.language ? await placeStarterCode({ ...session, language: result.snapshot.language }, role) : [];
    await publish([...result.events, ...placed], { connections });
    return json(200, { version: result.version });
  },
});
