/** Review links (docs/protocol.md §10): the interviewer creates, lists and revokes read-only tokens for reviewers. */
import { authorize, type AccessRule } from '#core/access.js';
import { createReviewLink, reviewLinksOf, revokeLink } from '#core/review-links.js';
import { createReviewLinkBody } from '#contract/schemas.js';
import { bearerToken, parseBody, type RouteHandler } from './http-handler.js';
import { json } from './response.js';

/** Reviewers may not see or mint other links: the list is the interviewer's, like the tokens. */
const rule = (action: string, mutates: boolean): AccessRule => ({ roles: ['interviewer'], reviewers: false, mutates, action });

/** Routes served by the sessions function (functions/http/sessions.ts): access to a session is its business. One function per route group keeps the per-function alarms within the idle budget (docs/cost.md). */
export const reviewLinkRoutes = {
  'POST /api/sessions/{sessionId}/review-links': async (req) => {
    const body = parseBody(req, createReviewLinkBody);
    // A review link is for after the interview too: it does not need the session to be active.
    const { session, role } = await authorize(req.pathParameters.sessionId, bearerToken(req), rule('create review links', false));
    return json(201, await createReviewLink(session, body.expiresInHours, role));
  },

  'GET /api/sessions/{sessionId}/review-links': async (req) => {
    const { session } = await authorize(req.pathParameters.sessionId, bearerToken(req), rule('list review links', false));
    return json(200, { reviewLinks: await reviewLinksOf(session.sessionId) });
  },

  'DELETE /api/sessions/{sessionId}/review-links/{linkId}': async (req) => {
    const { session } = await authorize(req.pathParameters.sessionId, bearerToken(req), rule('revoke review links', false));
    return json(200, await revokeLink(session.sessionId, req.pathParameters.linkId));
  },
} satisfies Record<string, RouteHandler>;
