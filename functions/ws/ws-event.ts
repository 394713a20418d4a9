/** The parts of API Gateway WebSocket events the handlers read, and the one-line-per-message log. */
import type { Context } from 'aws-lambda';
import { logger } from '#telemetry/log.js';
import { emitAll, type MetricEvent } from '#telemetry/metrics.js';

export interface WsEvent {
  requestContext: {
    connectionId: string;
    routeKey: string;
    eventType?: 'CONNECT' | 'MESSAGE' | 'DISCONNECT';
    requestId?: string;
    domainName?: string;
    stage?: string;
  };
  queryStringParameters?: Record<string, string | undefined> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
}

export interface WsResult {
  statusCode: number;
  body?: string;
}

/** Runs `fn` with request/connection ids on every log line and logs its outcome and latency. */
export async function withWsLogging(
  event: WsEvent,
  context: Context | undefined,
  fn: () => Promise<{ result: WsResult; errorCode?: string; sessionId?: string; action?: string }>,
): Promise<WsResult> {
  const started = performance.now();
  const { connectionId, routeKey, requestId } = event.requestContext;
  logger.appendKeys({ requestId: requestId ?? context?.awsRequestId, connectionId });
  if (context) logger.addContext(context);
  let outcome: Awaited<ReturnType<typeof fn>>;
  try {
    outcome = await fn();
  } catch (err) {
    logger.error('unhandled error', err as Error);
    outcome = { result: { statusCode: 500 }, errorCode: 'INTERNAL_ERROR' };
  }
  countEvent(routeKey, outcome);
  logger.info('message', {
    routeKey,
    ...(outcome.sessionId ? { sessionId: outcome.sessionId } : {}),
    statusCode: outcome.result.statusCode,
    latencyMs: Math.round((performance.now() - started) * 10) / 10,
    ...(outcome.errorCode ? { errorCode: outcome.errorCode } : {}),
  });
  logger.removeKeys(['requestId', 'connectionId']);
  return outcome.result;
}

/** Messages that change a document when they succeed (functions/ws/document-actions.ts). */
const EDIT_ACTIONS = new Set(['yjs-update', 'code-change']);

/**
 * The metrics of one WebSocket event, by route and outcome: connections opened/closed, messages by
 * action (`invalid` when none could be read), edits merged, BUSY answers and errors by code.
 */
function countEvent(routeKey: string, outcome: { result: WsResult; errorCode?: string; action?: string }): void {
  const { errorCode } = outcome;
  const events: MetricEvent[] = [];
  if (routeKey === '$connect') {
    if (outcome.result.statusCode === 200) events.push(['ConnectionsOpened', 1, {}]);
  } else if (routeKey === '$disconnect') {
    events.push(['ConnectionsClosed', 1, {}]);
  } else {
    const action = outcome.action ?? 'invalid';
    events.push(['Messages', 1, { Action: action }]);
    if (!errorCode && EDIT_ACTIONS.has(action)) events.push(['EditsMerged', 1, { Action: action }]);
    if (errorCode === 'BUSY') events.push(['BusyAnswers', 1, { Action: action }]);
  }
  if (errorCode) events.push(['Errors', 1, { Api: 'websocket', Code: errorCode }]);
  // A merged edit's two metrics share one EMF line (same dimensions).
  emitAll(events);
}
