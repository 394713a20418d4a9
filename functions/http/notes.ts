/** `GET|PUT /api/sessions/{sessionId}/notes` (docs/protocol.md §10): interviewers read and write, reviewers read. */
import { authorize } from '#core/access.js';
import { getNotes, putNotes } from '#core/notes.js';
import { getCodeQuery, putNotesBody } from '#contract/schemas.js';
import { listConnections } from '#aws/store/connections.js';
import { emit } from '#telemetry/metrics.js';
import { relayNotes } from '../ws/notes-actions.js';
import { bearerToken, parseBody, parseQuery, type RouteHandler } from './http-handler.js';
import { json } from './response.js';

/** Routes served by the code function (functions/http/code.ts): the same write path, grants and pushes. One function per route group keeps the per-function alarms within the idle budget (docs/cost.md). */
export const notesRoutes = {
  'GET /api/sessions/{sessionId}/notes': async (req) => {
    const { format } = parseQuery(req, getCodeQuery);
    const { session } = await authorize(req.pathParameters.sessionId, bearerToken(req), {
      roles: ['interviewer'],
      mutates: false,
      action: 'read the notes',
    });
    // `?format=yjs`: the whole Yjs state, for a client whose notes did not fit in a WebSocket message.
    return json(200, await getNotes(session, { yjs: format === 'yjs' }));
  },

  'PUT /api/sessions/{sessionId}/notes': async (req) => {
    const body = parseBody(req, putNotesBody);
    const { session, role } = await authorize(req.pathParameters.sessionId, bearerToken(req), {
      roles: ['interviewer'],
      mutates: true,
      action: 'edit the notes',
    });
    const [connections, result] = await Promise.all([
      listConnections(session.sessionId),
      putNotes(session, body.notes, body.baseVersion, role),
    ]);
    emit('EditsMerged', 1, { Action: req.routeKey });
    await relayNotes(session.sessionId, connections, result, role);
    return json(200, { version: result.version });
  },
} satisfies Record<string, RouteHandler>;
