/**
 * `$connect`: `?sessionId=&token=` (browsers cannot set headers on a WebSocket handshake). A refused
 * handshake answers with the contract's status (400/401/404/410, and 429 when the session already holds
 * `LIMITS.websocket.maxConnectionsPerSession` sockets, counted before and again after its socket is
 * stored); nothing can be pushed yet (the
 * connection does not exist until this returns 200), so the client's first message is join-session.
 */
import type { Context } from 'aws-lambda';
import { traceHandler } from '#telemetry/tracing.js';
import { authorize } from '#core/access.js';
import { AppError, errors } from '#contract/errors.js';
import { LIMITS, epochSeconds } from '#contract/limits.js';
import { withWsLogging, type WsEvent, type WsResult } from './ws-event.js';
import { countConnections, deleteConnection, forgetLiveConnection, putConnection } from '#aws/store/connections.js';
import { provide } from '#core/ports.js';
import * as sessions from '#aws/store/sessions.js';
import * as reviewLinks from '#aws/store/review-links.js';
// This function's composition root: only the ports its code reaches (test/unit/architecture.test.ts).
provide({ sessions, reviewLinks });

export const handler = traceHandler((event: WsEvent, context?: Context): Promise<WsResult> =>
  withWsLogging(event, context, async () => {
    const q = event.queryStringParameters ?? {};
    try {
      const { session, role } = await authorize(q.sessionId, q.token, { mutates: true, action: 'connect' });
      const { maxConnectionsPerSession: max, connectionsFullRetryAfterSeconds } = LIMITS.websocket;
      if ((await countConnections(session.sessionId)) >= max) throw errors.tooManyConnections(max, connectionsFullRetryAfterSeconds);
      const nowMs = Date.now();
      // The connection item lives no longer than the session nor API Gateway's 2 h connection lifetime.
      const ttl = Math.min(session.expiresAtEpoch, epochSeconds(nowMs + LIMITS.websocket.connectionLifetimeMs));
      const stored = await putConnection(
        { sessionId: session.sessionId, connectionId: event.requestContext.connectionId, role, connectedAt: new Date(nowMs).toISOString(), ttl },
        session.ttl,
        nowMs,
      );
      if (!stored) throw errors.sessionExpired(); // it ended since it was read
      // Counted again with this socket stored: handshakes at the same instant all passed the check
      // above, and those that now find the session over its cap take their socket back. The last one
      // kept saw every kept socket, so none is kept past the cap (a burst may keep fewer: they retry).
      if ((await countConnections(session.sessionId)) > max) {
        const { connectionId } = event.requestContext;
        await Promise.all([deleteConnection(session.sessionId, connectionId), forgetLiveConnection(connectionId)]);
        throw errors.tooManyConnections(max, connectionsFullRetryAfterSeconds);
      }
      return { result: { statusCode: 200 }, sessionId: session.sessionId };
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      return {
        result: { statusCode: err.status, body: JSON.stringify({ error: err.code, message: err.message, details: err.details }) },
        errorCode: err.code,
      };
    }
  }));
