/**
 * Typed builders of API Gateway WebSocket events ($connect, messages, $disconnect) and the handlers'
 * entry points as a client uses them. Import after ../fixtures.js (which sets the environment).
 */
import type { WsEvent } from '../../../functions/ws/ws-event.js';
import { selectWsRoute } from '../../../local/routes.js';
import { handler as connectHandler } from '../../../functions/ws/connect.js';
import { handler as disconnectHandler } from '../../../functions/ws/disconnect.js';
import { handler as messageHandler } from '../../../functions/ws/message.js';

export interface WsEventInput {
  connectionId: string;
  /** A client frame: serialised with JSON.stringify. */
  body?: unknown;
  /** A client frame sent as is (not JSON, arrays...): wins over `body`. */
  rawBody?: string;
  base64?: boolean;
}

let requestCounter = 0;

const wsContext = (connectionId: string, routeKey: string, eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT') => ({
  connectionId,
  routeKey,
  eventType,
  requestId: `ws-req-${++requestCounter}`,
  domainName: 'ws.example.test',
  stage: 'prod',
});

/** `$connect` with `?sessionId=&token=` as API Gateway delivers it. */
export const wsConnectEvent = (connectionId: string, query: Record<string, string | undefined>): WsEvent => ({
  requestContext: wsContext(connectionId, '$connect', 'CONNECT'),
  queryStringParameters: query,
  isBase64Encoded: false,
});

/** One client frame; the route is chosen the way API Gateway does (`$request.body.action`). */
export function wsMessageEvent(input: WsEventInput): WsEvent {
  let body = input.rawBody ?? JSON.stringify(input.body ?? {});
  const routeKey = selectWsRoute(body);
  if (input.base64) body = Buffer.from(body, 'utf8').toString('base64');
  return { requestContext: wsContext(input.connectionId, routeKey, 'MESSAGE'), body, isBase64Encoded: input.base64 ?? false };
}

export const wsDisconnectEvent = (connectionId: string): WsEvent => ({
  requestContext: wsContext(connectionId, '$disconnect', 'DISCONNECT'),
  isBase64Encoded: false,
});

let connectionCounter = 0;
/**
 * A connection id never used before in this process: the message handler caches senders and rate
 * buckets per connection id in module state, so every test uses fresh ones.
 */
export const newConnectionId = (label = 'conn'): string => `${label}-${++connectionCounter}=`;

/** Sends one client frame on a connection; the handler always answers 200 (errors are pushed). */
export const send = (connectionId: string, body: unknown) => messageHandler(wsMessageEvent({ connectionId, body }));
export const sendRaw = (connectionId: string, rawBody: string) => messageHandler(wsMessageEvent({ connectionId, rawBody }));
export const connect = (connectionId: string, query: Record<string, string | undefined>) =>
  connectHandler(wsConnectEvent(connectionId, query));
export const disconnect = (connectionId: string) => disconnectHandler(wsDisconnectEvent(connectionId));
