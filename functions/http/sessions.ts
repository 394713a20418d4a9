/** `POST|GET /api/sessions` (operators), `GET|PATCH|DELETE /api/sessions/{sessionId}` (session tokens). */
import { authorize, isActive } from '#core/access.js';
import { authenticateOperator } from '#core/operators.js';
import { createSession, endSession, listSessions, patchSession, purgeSession, viewSession } from '#core/sessions.js';
import { bearerToken, httpHandler, parseBody, parseQuery } from './http-handler.js';
import { json } from './response.js';
import { reviewLinkRoutes } from './review-links.js';
import { emit } from '#telemetry/metrics.js';
import { config } from '#aws/config.js';
import { publish } from '#aws/publish.js';
import { languageChanged } from '#core/events.js';
import { createSessionBody, listSessionsQuery, patchSessionBody, purgeQuery } from '#contract/schemas.js';
import { listConnections } from '#aws/store/connections.js';
import { attachToNewSession, readQuestion } from '#core/questions.js';
import { placeStarterCode } from '#core/starter-code.js';
import '#aws/wiring.js'; // the composition root: core's storage ports get their DynamoDB adapters

export const handler = httpHandler({
  // POST/GET/DELETE /review-links (docs/protocol.md §10): who may read the session.
  ...reviewLinkRoutes,
  // The credential is checked before the body or query: an anonymous caller learns nothing else.
  'POST /api/sessions': async (req) => {
    const operator = await authenticateOperator(bearerToken(req), req.jwtClaims);
    const body = parseBody(req, createSessionBody);
    // Looked up first: an unknown questionId is 404 and creates nothing.
    const question = body.questionId !== undefined ? await readQuestion(operator, body.questionId) : undefined;
    const created = await createSession(body, operator);
    if (question) await attachToNewSession(created.sessionId, question, 'interviewer');
    emit('SessionsCreated', 1, {});
    // Where clients connect is the deployment's to say (config), not the use-case's.
    return json(201, { ...created, wsUrl: config().wsUrl });
  },

  'GET /api/sessions': async (req) => {
    const operator = await authenticateOperator(bearerToken(req), req.jwtClaims);
    return json(200, await listSessions(operator, parseQuery(req, listSessionsQuery)));
  },

  'GET /api/sessions/{sessionId}': async (req) => {
    const { session } = await authorize(req.pathParameters.sessionId, bearerToken(req), { mutates: false, action: 'read the session' });
    return json(200, await viewSession(session));
  },

  'PATCH /api/sessions/{sessionId}': async (req) => {
    const body = parseBody(req, patchSessionBody);
    const { session, role } = await authorize(req.pathParameters.sessionId, bearerToken(req), { mutates: true, action: 'change the session' });
    // `before` is the session this change was judged against (read again if another change got in first).
    const { before, after: updated } = await patchSession(session, role, body, role);
    const switched = updated.language !== before.language;
    const [connections, placed] = await Promise.all([
      listConnections(session.sessionId),
      switched ? placeStarterCode(updated, role) : undefined,
    ]);
    await publish(
      [
        { type: 'SessionUpdated', sessionId: session.sessionId, userId: role, session: updated },
        ...languageChanged(before, updated, role),
        ...(placed ?? []),
      ],
      { connections },
    );
    return json(200, await viewSession(updated, connections));
  },

  'DELETE /api/sessions/{sessionId}': async (req) => {
    const { purge } = parseQuery(req, purgeQuery);
    const { session, role } = await authorize(req.pathParameters.sessionId, bearerToken(req), {
      roles: ['interviewer'],
      // Not `mutates` (ending an ended session is a no-op 200), but a change: never a reviewer's.
      mutates: false,
      reviewers: false,
      action: 'end the session',
    });
    // Counted once, by the call that ended it (endSession names an ended-late session `expired` too).
    const { ended, events } = await endSession(session, role);
    if (ended) emit('SessionsEnded', 1, { Reason: isActive(session) ? 'ended-by-interviewer' : 'expired' });
    await publish(events);
    if (purge === 'true') await purgeSession(session.sessionId);
    return json(200, { sessionId: session.sessionId, status: 'ended' });
  },
});
