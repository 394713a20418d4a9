/** `POST /api/sessions`, `GET|PATCH|DELETE /api/sessions/{sessionId}`. */
import { authorize } from '../../shared/domain/access.js';
import { createSession, endSession, patchSession, purgeSession, viewSession } from '../../shared/domain/sessions.js';
import { bearerToken, httpHandler, parseBody, parseQuery } from '../../shared/http/handler.js';
import { json } from '../../shared/http/response.js';
import { createSessionBody, patchSessionBody, purgeQuery } from '../../shared/schemas.js';

export const handler = httpHandler({
  'POST /api/sessions': async (req) => {
    const body = parseBody(req, createSessionBody);
    return json(201, await createSession(body, req.sourceIp));
  },

  'GET /api/sessions/{sessionId}': async (req) => {
    const { session } = await authorize(req.pathParameters.sessionId, bearerToken(req), { mutates: false, action: 'read the session' });
    return json(200, await viewSession(session));
  },

  'PATCH /api/sessions/{sessionId}': async (req) => {
    const body = parseBody(req, patchSessionBody);
    const { session, role } = await authorize(req.pathParameters.sessionId, bearerToken(req), { mutates: true, action: 'change the session' });
    const updated = await patchSession(session, role, body, role);
    return json(200, await viewSession(updated));
  },

  'DELETE /api/sessions/{sessionId}': async (req) => {
    const { purge } = parseQuery(req, purgeQuery);
    const { session, role } = await authorize(req.pathParameters.sessionId, bearerToken(req), {
      roles: ['interviewer'],
      mutates: false,
      action: 'end the session',
    });
    await endSession(session, role);
    if (purge === 'true') await purgeSession(session.sessionId);
    return json(200, { sessionId: session.sessionId, status: 'ended' });
  },
});
