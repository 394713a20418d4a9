/**
 * The shape of every HTTP Lambda: parse the API Gateway v2 event, dispatch on `routeKey`, map typed
 * domain errors to the contract's codes. Anything that is not an AppError is a bug: it is logged with
 * its stack and answered with a bare INTERNAL_ERROR (never a stack trace). One log line per request.
 */
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import { AppError, errors } from '#contract/errors.js';
import { LIMITS } from '#contract/limits.js';
import { logger } from '#telemetry/log.js';
import { emit } from '#telemetry/metrics.js';
import { traceHandler } from '#telemetry/tracing.js';
import { fieldProblems } from '#contract/schemas.js';
import { errorResult, internalError, type HttpResult } from './response.js';

export interface HttpRequest {
  routeKey: string;
  /** The request's own method and path (what `$default` names in its 404). */
  method: string;
  path: string;
  pathParameters: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  headers: Record<string, string | undefined>;
  /** The decoded body, if any. */
  body: string | undefined;
  sourceIp: string;
  requestId: string;
  /** Claims of a JWT verified by API Gateway's JWT authorizer, on routes that have one. */
  jwtClaims?: Record<string, unknown>;
}

export type RouteHandler = (req: HttpRequest) => Promise<HttpResult>;

export function httpHandler(routes: Record<string, RouteHandler>) {
  return traceHandler(async (event: APIGatewayProxyEventV2, context?: Context): Promise<HttpResult> => {
    const started = performance.now();
    const requestId = event.requestContext?.requestId ?? context?.awsRequestId ?? 'unknown';
    const sessionId = event.pathParameters?.sessionId;
    logger.appendKeys({ requestId, ...(sessionId ? { sessionId } : {}) });
    if (context) logger.addContext(context);
    let result: HttpResult;
    let errorCode: string | undefined;
    try {
      const route = routes[event.routeKey];
      if (!route) throw errors.notFound(`Route ${event.routeKey}`);
      result = await route(toRequest(event, requestId));
    } catch (err) {
      if (err instanceof AppError) {
        errorCode = err.code;
        result = errorResult(err);
      } else {
        errorCode = 'INTERNAL_ERROR';
        logger.error('unhandled error', err as Error);
        result = internalError();
      }
    }
    if (errorCode) {
      emit('Errors', 1, { Api: 'http', Code: errorCode });
      if (errorCode === 'BUSY') emit('BusyAnswers', 1, { Action: event.routeKey });
    }
    logger.info('request', {
      routeKey: event.routeKey,
      statusCode: result.statusCode,
      latencyMs: Math.round((performance.now() - started) * 10) / 10,
      ...(errorCode ? { errorCode } : {}),
    });
    logger.removeKeys(['requestId', 'sessionId', 'operator', 'apiKeyId']);
    return result;
  });
}

function toRequest(event: APIGatewayProxyEventV2, requestId: string): HttpRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) headers[k.toLowerCase()] = v;
  let body = event.body ?? undefined;
  if (body !== undefined && event.isBase64Encoded) body = Buffer.from(body, 'base64').toString('utf8');
  return {
    routeKey: event.routeKey,
    method: event.requestContext?.http?.method ?? 'GET',
    path: event.rawPath ?? '/',
    pathParameters: event.pathParameters ?? {},
    query: event.queryStringParameters ?? {},
    headers,
    body,
    sourceIp: event.requestContext?.http?.sourceIp ?? 'unknown',
    requestId,
    jwtClaims: (event.requestContext as { authorizer?: { jwt?: { claims?: Record<string, unknown> } } } | undefined)?.authorizer?.jwt?.claims,
  };
}

/**
 * Parses a JSON body with a schema. An absent or empty body counts as `{}` so that all-optional bodies
 * (e.g. `POST /api/sessions`) may be omitted.
 */
export function parseBody<S extends z.ZodMiniType>(req: HttpRequest, schema: S, maxBytes: number = LIMITS.httpBodyMaxBytes): z.infer<S> {
  return parseWith(schema, readJsonBody(req, maxBytes));
}

/**
 * The JSON body, unvalidated (`{}` when absent), for a route whose schema depends on the body (PUT
 * /question: a bank reference or an inline question). `maxBytes`: routes with larger bodies (questions).
 */
export function readJsonBody(req: HttpRequest, maxBytes: number = LIMITS.httpBodyMaxBytes): unknown {
  const raw = req.body ?? '';
  if (Buffer.byteLength(raw, 'utf8') > maxBytes) throw errors.payloadTooLarge('request body', maxBytes);
  if (raw.trim() === '') return {};
  try {
    return JSON.parse(raw);
  } catch {
    throw errors.validation([{ field: '(body)', message: 'Body is not valid JSON' }], 'Body is not valid JSON');
  }
}

export function parseQuery<S extends z.ZodMiniType>(req: HttpRequest, schema: S): z.infer<S> {
  return parseWith(schema, { ...req.query }, '(query)');
}

export function parseWith<S extends z.ZodMiniType>(schema: S, value: unknown, root = '(body)'): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const problems = fieldProblems(parsed.error, root);
    throw errors.validation(problems, `Invalid request: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** `Authorization: Bearer <token>` (docs/protocol.md §2). */
export function bearerToken(req: HttpRequest): string | undefined {
  const header = req.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}
