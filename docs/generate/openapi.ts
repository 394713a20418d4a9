/**
 * Builds the OpenAPI 3.1 document of the HTTP API (docs/openapi.json) from the route table (shared/contract/routes.ts:
 * every route API Gateway serves) and the route descriptions (http-docs.ts: zod schemas of queries,
 * bodies and answers, converted with zod's own `toJSONSchema`). Pure: no I/O; `write-docs.ts` writes the
 * file and the unit test compares it with a fresh build.
 */
import * as z from 'zod/mini';
import { ERROR_STATUS, type ErrorCode } from '#contract/errors.js';
import { HTTP_DOCS, type RouteDoc } from './http-docs.js';
import { LIMITS } from '#contract/limits.js';
import { errorResponse } from '#contract/responses.js';
import { HTTP_FUNCTIONS, OPERATOR_ROUTES } from '#contract/routes.js';

type Json = Record<string, unknown>;

const statusOf = (code: ErrorCode): number => ERROR_STATUS[code];

/** JSON Schema 2020-12 (OpenAPI 3.1's dialect) of what a client sends (`input`) or receives (`output`). */
function jsonSchema(schema: z.ZodMiniType, io: 'input' | 'output'): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
  return rest;
}

/** The errors any route with this access can answer, before its own (docs/protocol.md §3, check order). */
export function impliedErrors(routeKey: string, doc: RouteDoc | undefined): ErrorCode[] {
  const auth = doc?.auth ?? (OPERATOR_ROUTES.includes(routeKey) ? 'operator' : routeKey.includes('{sessionId}') ? 'session' : 'public');
  const codes: ErrorCode[] = ['INTERNAL_ERROR'];
  if (auth === 'operator') codes.push('UNAUTHORIZED');
  if (auth === 'session') codes.push('INVALID_SESSION', 'UNAUTHORIZED', 'SESSION_NOT_FOUND');
  if (auth === 'session' && (doc?.roles === undefined || doc.roles.length < 3)) codes.push('FORBIDDEN');
  if (doc?.mutates) codes.push('SESSION_EXPIRED');
  if (doc?.body || doc?.query || doc?.headers) codes.push('VALIDATION_ERROR');
  if (doc?.body) codes.push('PAYLOAD_TOO_LARGE');
  return [...new Set([...codes, ...(doc?.errors ?? [])])];
}

const camel = (s: string) => s.replace(/[-_](\w)/g, (_m, c: string) => c.toUpperCase());
/** For routes nobody described yet: `GET /api/sessions/{sessionId}/notes` -> `getSessionsBySessionIdNotes`. */
function fallbackOperationId(method: string, path: string): string {
  const parts = path.split('/').filter((p) => p && p !== 'api');
  const words = parts.map((p) => (p.startsWith('{') ? `By${p.slice(1, -1)}` : p)).map((p) => camel(p.charAt(0).toUpperCase() + p.slice(1)));
  return method.toLowerCase() + words.join('');
}

function parameters(path: string, doc: RouteDoc | undefined): Json[] {
  const params: Json[] = [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: name === 'sessionId' ? { type: 'string', format: 'uuid' } : { type: 'string', minLength: 1 },
  }));
  if (doc?.query) {
    const q = jsonSchema(doc.query, 'input') as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, schema] of Object.entries(q.properties ?? {})) {
      params.push({ name, in: 'query', required: q.required?.includes(name) ?? false, schema });
    }
  }
  for (const h of doc?.headers ?? []) params.push({ name: h.name, in: 'header', required: false, description: h.description, schema: h.schema });
  return params;
}

function security(routeKey: string, doc: RouteDoc | undefined): Json[] {
  const auth = doc?.auth ?? (OPERATOR_ROUTES.includes(routeKey) ? 'operator' : routeKey.includes('{sessionId}') ? 'session' : 'public');
  if (auth === 'public') return [];
  return [auth === 'operator' ? { operatorApiKey: [] } : { sessionToken: [] }];
}

function errorResponses(codes: ErrorCode[]): Record<string, Json> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(statusOf(code), [...(byStatus.get(statusOf(code)) ?? []), code]);
  const out: Record<string, Json> = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    const retry = list.some((c) => c === 'RATE_LIMIT_EXCEEDED' || c === 'BUSY');
    out[String(status)] = {
      description: list.map((c) => `\`${c}\``).join(', '),
      ...(retry ? { headers: { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } } } : {}),
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  return out;
}

export function buildOpenApi(version: string): Json {
  const schemas: Record<string, Json> = { Error: jsonSchema(errorResponse, 'output') };
  // Request bodies are named *Body/*Input/*Ref and responses otherwise: one name, one direction.
  const ref = (name: string, schema: z.ZodMiniType, io: 'input' | 'output') => {
    schemas[name] ??= jsonSchema(schema, io);
    return { $ref: `#/components/schemas/${name}` };
  };
  const paths: Record<string, Record<string, Json>> = {};
  for (const [group, def] of Object.entries(HTTP_FUNCTIONS)) {
    for (const routeKey of def.routes as readonly string[]) {
      const [method, path] = routeKey.split(' ') as [string, string];
      const doc: RouteDoc | undefined = HTTP_DOCS[routeKey];
      const roles = doc?.roles ? ` Roles: ${doc.roles.join(', ')}.` : '';
      const operation: Json = {
        operationId: doc?.operationId ?? fallbackOperationId(method, path),
        tags: [group],
        summary: doc?.summary ?? routeKey,
        ...(doc?.description || roles ? { description: `${doc?.description ?? ''}${roles}`.trim() } : {}),
        security: security(routeKey, doc),
        parameters: parameters(path, doc),
      };
      if (doc?.body) {
        const bodies = [doc.body, ...(doc.body.alternatives ?? [])];
        const variants = bodies.map((b) => ref(b.name, b.schema, 'input'));
        // An absent body is read as `{}`: it is optional when `{}` is a valid body.
        const required = bodies.every((b) => ((schemas[b.name] as { required?: string[] }).required ?? []).length > 0);
        operation.requestBody = { required, content: { 'application/json': { schema: variants.length > 1 ? { oneOf: variants } : variants[0] } } };
      }
      const success = doc?.success ?? { status: 200, description: 'Success (not described yet: see docs/protocol.md)' };
      operation.responses = {
        [String(success.status)]: {
          description: success.description,
          ...(success.schema ? { content: { 'application/json': { schema: ref(success.schema.name, success.schema.schema, 'output') } } } : {}),
        },
        ...errorResponses(impliedErrors(routeKey, doc)),
      };
      (paths[path] ??= {})[method.toLowerCase()] = operation;
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Live coding interview backend — HTTP API',
      version,
      description:
        'Generated by `npm run contract` from shared/contract (route table, zod schemas). The prose contract, the WebSocket API and the rules behind these routes: docs/protocol.md, docs/websocket.md.',
    },
    servers: [
      { url: 'http://localhost:3001', description: 'The local stack (npm start)' },
      { url: '{httpApiUrl}', description: 'A deployment (stack output HttpApiUrl)', variables: { httpApiUrl: { default: 'https://example.execute-api.eu-west-1.amazonaws.com' } } },
    ],
    tags: Object.keys(HTTP_FUNCTIONS).map((name) => ({ name, description: `Served by ${HTTP_FUNCTIONS[name as keyof typeof HTTP_FUNCTIONS].entry}` })),
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: {
      securitySchemes: {
        operatorApiKey: {
          type: 'http',
          scheme: 'bearer',
          description:
            'An operator API key (`ik_…`, made with `npm run api-key`), or where the deployment is configured with a JWT issuer, a JWT from it (API Gateway JWT authorizer; then API keys are not accepted).',
        },
        sessionToken: {
          type: 'http',
          scheme: 'bearer',
          description: "A session's `interviewerToken` or `candidateToken`, or a review link's `reviewToken` (role reviewer, read-only).",
        },
      },
      headers: {
        RetryAfter: { description: 'Seconds to wait before trying again', schema: { type: 'integer', minimum: 0 } },
      },
      schemas: Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b))),
    },
    'x-limits': { requestBodyMaxBytes: LIMITS.httpBodyMaxBytes, codeMaxBytes: LIMITS.codeMaxBytes, stdinMaxBytes: LIMITS.stdinMaxBytes },
  };
}

