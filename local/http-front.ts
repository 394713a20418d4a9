/**
 * The HTTP API front: turns a node:http request into the API Gateway HTTP API payload format 2.0 event,
 * invokes the handler module that shared/contract/routes.ts maps the route to, and writes the handler's result back
 * the way API Gateway interprets a 2.0 response. Also answers what API Gateway itself answers without a
 * Lambda: oversize bodies (413), handler failures (500) and CORS preflights; unmatched routes go to `$default`.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { HTTP_CORS, HTTP_DEFAULT_ROUTE_FUNCTION, HTTP_FUNCTIONS, type HttpFunctionName } from '#contract/routes.js';
import { matchRoute, type RouteMatch } from './routes.js';
import { apiGatewayTime, invoke } from './lambda.js';
import { apiGatewayId } from './ids.js';
import type { Logger } from './log.js';

/** API Gateway HTTP API payload quota (10 MB); the handlers enforce the product's smaller limits. */
export const HTTP_API_MAX_BODY_BYTES = 10 * 1024 * 1024;
export const LOCAL_API_ID = 'local';

/** The stack's CORS policy (HTTP_CORS), answered the way API Gateway answers it. */
const CORS_ALLOW_HEADERS = HTTP_CORS.allowHeaders.join(', ');
const CORS_ALLOW_METHODS = HTTP_CORS.allowMethods.join(', ');
const CORS_EXPOSE_HEADERS = HTTP_CORS.exposeHeaders.join(', ');
const CORS_MAX_AGE_SECONDS = String(HTTP_CORS.maxAgeSeconds);

/** Handler module per function: HTTP_FUNCTIONS' entries unless a test substitutes fixtures. */
export type HttpEntries = Record<HttpFunctionName, string>;
export const defaultHttpEntries = (): HttpEntries =>
  Object.fromEntries(Object.entries(HTTP_FUNCTIONS).map(([fn, def]) => [fn, def.entry])) as HttpEntries;

/** Request content types API Gateway passes as text; any other body arrives base64-encoded. */
const TEXT_TYPES = /^(text\/|application\/(json|javascript|xml|x-www-form-urlencoded)|[^;]*\+(json|xml))/i;

export function createHttpFront(
  log: Logger,
  entries: HttpEntries = defaultHttpEntries(),
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const method = (req.method ?? 'GET').toUpperCase();
    const origin = req.headers.origin;
    if (origin) {
      res.setHeader('access-control-allow-origin', '*');
      res.setHeader('access-control-expose-headers', CORS_EXPOSE_HEADERS);
    }

    if (method === 'OPTIONS' && origin && req.headers['access-control-request-method']) {
      res.writeHead(204, {
        'access-control-allow-headers': CORS_ALLOW_HEADERS,
        'access-control-allow-methods': CORS_ALLOW_METHODS,
        'access-control-max-age': CORS_MAX_AGE_SECONDS,
      });
      res.end();
      return;
    }

    // No route: API Gateway's `$default` route (shared/contract/routes.ts) answers, as deployed.
    const route = matchRoute(method, rawPathOf(req, url)) ?? { fn: HTTP_DEFAULT_ROUTE_FUNCTION, routeKey: '$default', pathParameters: {} };

    const body = await readBody(req);
    if (body === 'too-large') {
      res.setHeader('connection', 'close');
      return sendJson(res, 413, { message: 'Request Entity Too Large' });
    }

    const event = toEventV2(req, url, method, route, body);
    const entry = entries[route.fn];
    const started = Date.now();
    let result: unknown;
    try {
      result = await invoke({ functionName: `http-${route.fn}`, entry, event });
    } catch (err) {
      // API Gateway hides the failure from the client; the Lambda's log (here: ours) has the stack.
      log.error(`${route.routeKey} failed in ${entry}`, err);
      return sendJson(res, 500, { message: 'Internal Server Error' });
    }
    writeResult(res, result);
    log.info(`${method} ${url.pathname} -> ${res.statusCode} (${Date.now() - started} ms)`);
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  if (Number(req.headers['content-length'] ?? 0) > HTTP_API_MAX_BODY_BYTES) {
    req.resume(); // discard it; the 413 is sent without reading 10 MB first
    return 'too-large';
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > HTTP_API_MAX_BODY_BYTES) {
      req.resume();
      return 'too-large';
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * The path as the client sent it. `new URL()` resolves `.` and `..` segments (`%2e%2e` too), which API
 * Gateway does not: `DELETE …/review-links/%2e%2e` became `DELETE /api/sessions/{id}`, ending the
 * session (and purging it with `?purge=true`), where AWS passes `..` to the revoke route as a link id.
 */
function rawPathOf(req: IncomingMessage, url: URL): string {
  const target = req.url ?? '/';
  return target.startsWith('/') ? target.split(/[?#]/, 1)[0]! : url.pathname;
}

function toEventV2(req: IncomingMessage, url: URL, method: string, route: RouteMatch, body: Buffer): APIGatewayProxyEventV2 {
  // Payload 2.0: header names lower-cased, repeated headers joined by commas, cookies split out.
  const headers: Record<string, string> = {};
  let cookies: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    const value = req.rawHeaders[i + 1]!;
    if (name === 'cookie') cookies = cookies.concat(value.split(/;\s*/).filter(Boolean));
    else headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;

  const now = Date.now();
  const rawPath = rawPathOf(req, url);
  const contentType = headers['content-type'] ?? '';
  const isText = TEXT_TYPES.test(contentType);
  const domainName = headers.host ?? 'localhost';
  const requestId = apiGatewayId();
  headers['x-forwarded-for'] ??= req.socket.remoteAddress ?? '127.0.0.1';
  headers['x-forwarded-proto'] ??= 'http';
  headers['x-amzn-trace-id'] ??= `Root=1-${Math.floor(now / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;

  return {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath,
    rawQueryString: url.search.slice(1),
    ...(cookies.length ? { cookies } : {}),
    headers,
    ...(url.search.length > 1 ? { queryStringParameters: query } : {}),
    ...(Object.keys(route.pathParameters).length ? { pathParameters: route.pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: LOCAL_API_ID,
      domainName,
      domainPrefix: domainName.split('.')[0]!,
      http: {
        method,
        path: rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: route.routeKey,
      stage: '$default',
      time: apiGatewayTime(now),
      timeEpoch: now,
    },
    ...(body.length ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !isText,
  };
}

/** API Gateway's reading of a 2.0 response, including the "no statusCode means 200 JSON" shortcut. */
function writeResult(res: ServerResponse, result: unknown): void {
  const structured =
    result !== null && typeof result === 'object' && 'statusCode' in result
      ? (result as APIGatewayProxyStructuredResultV2)
      : { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(result) };
  for (const [name, value] of Object.entries(structured.headers ?? {})) res.setHeader(name, String(value));
  if (structured.cookies?.length) res.setHeader('set-cookie', structured.cookies);
  res.statusCode = structured.statusCode ?? 200;
  const body = structured.body ?? '';
  res.end(structured.isBase64Encoded ? Buffer.from(body, 'base64') : body);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
