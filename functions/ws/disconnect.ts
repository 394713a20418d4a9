/** `$disconnect`: forget the connection and tell the others the user left (once, even after leave-session). */
import type { Context } from 'aws-lambda';
import { traceHandler } from '#telemetry/tracing.js';
import { forgetSender } from './context.js';
import { departed } from './presence-actions.js';
import { forgetConnection } from './rate.js';
import { withWsLogging, type WsEvent, type WsResult } from './ws-event.js';
import { forgetLiveConnection, getConnectionLookup } from '#aws/store/connections.js';
import '#aws/wiring.js'; // the composition root: core's storage ports get their DynamoDB adapters

export const handler = traceHandler((event: WsEvent, context?: Context): Promise<WsResult> =>
  withWsLogging(event, context, async () => {
    const { connectionId } = event.requestContext;
    forgetSender(connectionId);
    forgetConnection(connectionId);
    // The gauges' item goes whatever the lookup says: leave-session and a push to a gone socket removed
    // the presence, not the open socket this $disconnect reports.
    const [lookup] = await Promise.all([getConnectionLookup(connectionId), forgetLiveConnection(connectionId)]);
    if (!lookup) return { result: { statusCode: 200 } }; // already removed (leave-session, gone on push)
    await departed(lookup.sessionId, lookup.sessionTtl, connectionId);
    return { result: { statusCode: 200 }, sessionId: lookup.sessionId };
  }));
