/** `GET /api/sessions/{sessionId}/timeline` (docs/protocol.md §10): playback for interviewers and reviewers. */
import { authorize } from '#core/access.js';
import { timelinePage } from '#core/timeline.js';
import { LIMITS } from '#contract/limits.js';
import { timelineQuery } from '#contract/schemas.js';
import { bearerToken, parseQuery, type RouteHandler } from './http-handler.js';
import { json } from './response.js';

/** Routes served by the activity function (functions/http/activity.ts): read-only, beside the history. One function per route group keeps the per-function alarms within the idle budget (docs/cost.md). */
export const timelineRoutes = {
  'GET /api/sessions/{sessionId}/timeline': async (req) => {
    const query = parseQuery(req, timelineQuery);
    const { session } = await authorize(req.pathParameters.sessionId, bearerToken(req), {
      roles: ['interviewer'],
      mutates: false,
      action: 'read the timeline',
    });
    return json(200, await timelinePage(session.sessionId, query.cursor, query.limit ?? LIMITS.timeline.defaultPageSize));
  },
} satisfies Record<string, RouteHandler>;
