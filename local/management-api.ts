/**
 * The API Gateway Management API (`@connections`) served locally, so handlers push with the real
 * ApiGatewayManagementApiClient pointed at `WS_MANAGEMENT_ENDPOINT=http://localhost:3001/@management`.
 * Like the AWS endpoint (`https://{api}.execute-api.{region}.amazonaws.com/{stage}`), the endpoint has a
 * base path and the SDK appends `/@connections/{connectionId}` to it. Wire format = AWS's restJson1:
 * errors carry `x-amzn-errortype` so the SDK throws GoneException / PayloadTooLargeException.
 * Requests are not authenticated (AWS checks SigV4 + execute-api:ManageConnections; IAM is infra's job),
 * so they are taken from this machine only: with `npm start -- --host 0.0.0.0` the API is reachable from
 * the network, and anyone there could otherwise post to, read or close any socket whose id they learn.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { recordCall } from '#aws/clients.js';
import type { PushTransport } from '#aws/push.js';
import { sendJson } from './http-front.js';
import type { WsFront } from './ws-front.js';

export const MANAGEMENT_BASE_PATH = '/@management';

/** Returns false when the request is not under the management base path. */
export function handleManagementRequest(
  front: WsFront,
  messageMaxBytes: number,
  req: IncomingMessage,
  res: ServerResponse,
): boolean {
  const path = (req.url ?? '/').split('?')[0]!;
  if (path !== MANAGEMENT_BASE_PATH && !path.startsWith(`${MANAGEMENT_BASE_PATH}/`)) return false;
  if (!isLoopback(req.socket.remoteAddress)) {
    // What API Gateway answers a request without valid credentials.
    sendJson(res, 403, { message: 'Forbidden' });
    return true;
  }
  const match = /^\/@connections\/([^/]+)$/.exec(path.slice(MANAGEMENT_BASE_PATH.length));
  if (!match) {
    sendJson(res, 404, { message: 'Not Found' });
    return true;
  }
  const connectionId = decodeURIComponent(match[1]!);
  const method = req.method ?? 'GET';
  if (method === 'POST') void post(front, messageMaxBytes, connectionId, req, res);
  else if (method === 'GET') get(front, connectionId, res);
  else if (method === 'DELETE') {
    if (front.disconnect(connectionId)) {
      res.writeHead(204);
      res.end();
    } else gone(res, connectionId);
  } else sendJson(res, 404, { message: 'Not Found' });
  return true;
}

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 addresses (how a dual-stack server reports IPv4 peers). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

async function post(front: WsFront, max: number, connectionId: string, req: IncomingMessage, res: ServerResponse) {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= max) chunks.push(chunk);
  }
  // AWS refuses a message over the 128 KB quota outright; it never reaches the client.
  if (size > max) {
    return sendError(res, 413, 'PayloadTooLargeException', `Message of ${size} bytes exceeds the ${max} byte limit`);
  }
  const conn = front.connections.get(connectionId);
  if (!conn || conn.socket.readyState !== conn.socket.OPEN) return gone(res, connectionId);
  // API Gateway delivers the posted bytes as a text message (the SDK sends the raw data as the body).
  conn.socket.send(Buffer.concat(chunks), { binary: false });
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{}');
}

function get(front: WsFront, connectionId: string, res: ServerResponse) {
  const conn = front.connections.get(connectionId);
  if (!conn) return gone(res, connectionId);
  sendJson(res, 200, {
    connectedAt: new Date(conn.connectedAt).toISOString(),
    lastActiveAt: new Date(conn.lastActiveAt).toISOString(),
    identity: { sourceIp: conn.sourceIp, userAgent: conn.userAgent },
  });
}

function gone(res: ServerResponse, connectionId: string) {
  sendError(res, 410, 'GoneException', `Connection ${connectionId} is gone`);
}

function sendError(res: ServerResponse, status: number, type: string, message: string) {
  sendJson(res, status, { message }, { 'x-amzn-errortype': type });
}

/**
 * The same operations for handlers running in this process (shared/aws/push.ts PushTransport):
 * what the HTTP endpoint above does, without the HTTP request. Calls are still counted as Management API
 * calls for the benches.
 */
export function directPushTransport(front: WsFront, messageMaxBytes: number): PushTransport {
  const fail = (name: string, message: string, status: number) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
  return {
    post: async (connectionId, data) => {
      recordCall('apigatewaymanagementapi', 'PostToConnectionCommand');
      if (data.byteLength > messageMaxBytes) throw fail('PayloadTooLargeException', `Message of ${data.byteLength} bytes exceeds the ${messageMaxBytes} byte limit`, 413);
      const conn = front.connections.get(connectionId);
      if (!conn || conn.socket.readyState !== conn.socket.OPEN) throw fail('GoneException', `Connection ${connectionId} is gone`, 410);
      conn.socket.send(data, { binary: false });
    },
    close: async (connectionId) => {
      recordCall('apigatewaymanagementapi', 'DeleteConnectionCommand');
      if (!front.disconnect(connectionId)) throw fail('GoneException', `Connection ${connectionId} is gone`, 410);
    },
  };
}
