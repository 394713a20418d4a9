/**
 * The events API Gateway WebSocket APIs send to Lambda proxy integrations ($connect, message routes,
 * $disconnect), built from what the local front knows about a connection. Shapes follow the events AWS
 * delivers: header names keep the client's casing (unlike HTTP API 2.0 events), $connect carries the
 * query string and headers, later events only the connection's context.
 */
import type { IncomingMessage } from 'node:http';
import { apiGatewayTime } from './lambda.js';
import { apiGatewayId } from './ids.js';

export const LOCAL_WS_API_ID = 'local-ws';

/** What a connection keeps from its handshake for the events that follow it. */
export interface ConnectionContext {
  connectionId: string;
  connectedAt: number;
  domainName: string;
  stage: string;
  sourceIp: string;
  userAgent: string;
}

export interface WsRequestContext {
  routeKey: string;
  eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT';
  messageId?: string;
  extendedRequestId: string;
  requestTime: string;
  requestTimeEpoch: number;
  messageDirection: 'IN';
  stage: string;
  connectedAt: number;
  requestId: string;
  domainName: string;
  connectionId: string;
  apiId: string;
  identity: { sourceIp: string; userAgent: string };
  disconnectStatusCode?: number;
  disconnectReason?: string;
}

export interface WsEvent {
  requestContext: WsRequestContext;
  isBase64Encoded: false;
  body?: string;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  queryStringParameters?: Record<string, string>;
  multiValueQueryStringParameters?: Record<string, string[]>;
}

export function connectionContext(req: IncomingMessage, stage: string): ConnectionContext {
  return {
    connectionId: apiGatewayId(),
    connectedAt: Date.now(),
    domainName: req.headers.host ?? 'localhost',
    stage,
    sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
    userAgent: req.headers['user-agent'] ?? '',
  };
}

function requestContext(
  conn: ConnectionContext,
  routeKey: string,
  eventType: WsRequestContext['eventType'],
): WsRequestContext {
  const now = Date.now();
  return {
    routeKey,
    eventType,
    extendedRequestId: apiGatewayId(),
    requestTime: apiGatewayTime(now),
    requestTimeEpoch: now,
    messageDirection: 'IN',
    stage: conn.stage,
    connectedAt: conn.connectedAt,
    requestId: apiGatewayId(),
    domainName: conn.domainName,
    connectionId: conn.connectionId,
    apiId: LOCAL_WS_API_ID,
    identity: { sourceIp: conn.sourceIp, userAgent: conn.userAgent },
  };
}

export function connectEvent(req: IncomingMessage, conn: ConnectionContext): WsEvent {
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    (multiValueHeaders[req.rawHeaders[i]!] ??= []).push(req.rawHeaders[i + 1]!);
  }
  // API Gateway adds these to the handshake it forwards.
  multiValueHeaders['X-Forwarded-For'] ??= [conn.sourceIp];
  multiValueHeaders['X-Forwarded-Proto'] ??= ['http'];
  const headers = Object.fromEntries(Object.entries(multiValueHeaders).map(([k, v]) => [k, v.join(',')]));

  const url = new URL(req.url ?? '/', 'http://local');
  const multiQuery: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) (multiQuery[k] ??= []).push(v);
  const hasQuery = Object.keys(multiQuery).length > 0;
  return {
    headers,
    multiValueHeaders,
    ...(hasQuery
      ? {
          // The single-value map keeps the last value of a repeated parameter, as API Gateway does.
          queryStringParameters: Object.fromEntries(Object.entries(multiQuery).map(([k, v]) => [k, v.at(-1)!])),
          multiValueQueryStringParameters: multiQuery,
        }
      : {}),
    requestContext: requestContext(conn, '$connect', 'CONNECT'),
    isBase64Encoded: false,
  };
}

export function messageEvent(conn: ConnectionContext, routeKey: string, body: string): WsEvent {
  return {
    requestContext: { ...requestContext(conn, routeKey, 'MESSAGE'), messageId: apiGatewayId() },
    body,
    isBase64Encoded: false,
  };
}

export function disconnectEvent(conn: ConnectionContext, statusCode: number, reason: string): WsEvent {
  return {
    headers: { Host: conn.domainName, 'X-Forwarded-For': conn.sourceIp },
    multiValueHeaders: { Host: [conn.domainName], 'X-Forwarded-For': [conn.sourceIp] },
    requestContext: {
      ...requestContext(conn, '$disconnect', 'DISCONNECT'),
      disconnectStatusCode: statusCode,
      disconnectReason: reason,
    },
    isBase64Encoded: false,
  };
}
