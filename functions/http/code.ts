/** `GET|PUT /api/sessions/{sessionId}/code`. */
import { authorize } from '#core/access.js';
import { errors } from '#contract/errors.js';
import { currentDocument, replaceCode } from '#core/code.js';
import { encodeState, textOf } from '#core/yjs-document.js';
import { bearerToken, httpHandler, parseBody, parseQuery } from './http-handler.js';
import { json } from './response.js';
import { notesRoutes } from './notes.js';
import { emit } from '#telemetry/metrics.js';
import { documentChanged } from '#core/events.js';
import { publish } from '#aws/publish.js';
import { getCodeQuery, putCodeBody } from '#contract/schemas.js';
import { listConnections } from '#aws/store/connections.js';
import { provide } from '#core/ports.js';
import * as sessions from '#aws/store/sessions.js';
import * as reviewLinks from '#aws/store/review-links.js';
import * as documents from '#aws/store/documents.js';
// This function's composition root: only the ports its code reaches (test/unit/architecture.test.ts).
provide({ sessions, reviewLinks, documents });

export const handler = httpHandler({
  // GET/PUT /notes (docs/protocol.md §10): the interviewers' notes are a second document on this write path.
  ...notesRoutes,
  'GET /api/sessions/{sessionId}/code': async (req) => {
    const { format } = parseQuery(req, getCodeQuery);
    const { session } = await authorize(req.pathParameters.sessionId, bearerToken(req), { mutates: false, action: 'read the code' });
    // The session item just read carries the current version: a copy at that version needs no read.
    const entry = await currentDocument(session.sessionId, session.version);
    return json(200, {
      code: textOf(entry.doc),
      language: session.language,
      version: entry.version,
      updatedAt: entry.updatedAt,
      // `?format=yjs`: the whole Yjs state, for clients whose document is too large for a WebSocket message.
      ...(format === 'yjs' ? { yjsState: Buffer.from(encodeState(entry.doc)).toString('base64') } : {}),
    });
  },

  'PUT /api/sessions/{sessionId}/code': async (req) => {
    const body = parseBody(req, putCodeBody);
    const { session, role } = await authorize(req.pathParameters.sessionId, bearerToken(req), { mutates: true, action: 'edit the code' });
    // Refused at once on the item just read; the append's own condition also holds it against a lock set since.
    const lockable = role !== 'interviewer';
    if (lockable && session.editingLocked === true) throw errors.editingLocked();
    const [connections, result] = await Promise.all([
      listConnections(session.sessionId),
      replaceCode({ ...session, lockable }, body.code, { baseVersion: body.baseVersion, userId: role, knownVersion: session.version }),
    ]);
    emit('EditsMerged', 1, { Action: req.routeKey });
    await publish(documentChanged(session.sessionId, role, result), { connections });
    return json(200, { version: result.version });
  },
});
