/** `GET /participants` (both roles) and `GET /history` (interviewer): read-only views of a session. */
import { authorize } from '#core/access.js';
import { errors } from '#contract/errors.js';
import { bearerToken, httpHandler, parseQuery } from './http-handler.js';
import { json } from './response.js';
import { timelineRoutes } from './timeline.js';
import { LIMITS } from '#contract/limits.js';
import { historyQuery } from '#contract/schemas.js';
import { listConnections } from '#aws/store/connections.js';
import { participantsOf } from '#core/records.js';
import { isValidHistoryCursor, listHistory } from '#aws/store/history.js';
import { provide } from '#core/ports.js';
import * as sessions from '#aws/store/sessions.js';
import * as reviewLinks from '#aws/store/review-links.js';
import * as timeline from '#aws/store/timeline.js';
// This function's composition root: only the ports its code reaches (test/unit/architecture.test.ts).
provide({ sessions, reviewLinks, timeline });

export const handler = httpHandler({
  // GET /timeline (docs/protocol.md §10): playback reads the history and the document logs.
  ...timelineRoutes,
  'GET /api/sessions/{sessionId}/participants': async (req) => {
    const { session } = await authorize(req.pathParameters.sessionId, bearerToken(req), { mutates: false, action: 'list participants' });
    const users = participantsOf(await listConnections(session.sessionId));
    return json(200, { users, userCount: users.length });
  },

  'GET /api/sessions/{sessionId}/history': async (req) => {
    const query = parseQuery(req, historyQuery);
    const { session } = await authorize(req.pathParameters.sessionId, bearerToken(req), {
      roles: ['interviewer'],
      mutates: false,
      action: 'read the history',
    });
    if (query.cursor !== undefined && !isValidHistoryCursor(query.cursor)) {
      throw errors.validation([{ field: 'cursor', message: 'Unknown cursor' }], 'Invalid cursor');
    }
    const page = await listHistory(session.sessionId, query.limit ?? LIMITS.history.defaultPageSize, query.cursor);
    return json(200, page);
  },
});
