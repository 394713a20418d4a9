/**
 * The generated contract files (docs/openapi.json, docs/websocket.md) are what `npm run contract` builds
 * from shared/contract now, the OpenAPI document is valid OpenAPI 3.1 by a maintained validator, and it
 * covers every route API Gateway serves and every route the README and docs/protocol.md name.
 */
import { readFileSync } from 'node:fs';
import { compileErrors, validate } from '@readme/openapi-parser';
import { describe, expect, it } from 'vitest';
import { ERROR_STATUS } from '#contract/errors.js';
import { actionSchemas } from '#contract/messages.js';
import { buildOpenApi } from '../../../docs/generate/openapi.js';
import { HTTP_FUNCTIONS, WS_ACTIONS } from '#contract/routes.js';
import { SERVER_MESSAGES } from '#contract/server-messages.js';
import { contractDocs } from '../../../docs/generate/write-docs.js';

const root = new URL('../../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

type OpenApi = { paths: Record<string, Record<string, { security: unknown[]; responses: Record<string, unknown> }>>; components: { schemas: { Error: { properties: { error: { enum: string[] } } } } } };
const openapi = () => JSON.parse(read('docs/openapi.json')) as OpenApi;

const routeTable = Object.values(HTTP_FUNCTIONS).flatMap((f) => f.routes as readonly string[]);
const documented = (doc: OpenApi) => Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
const documentedBlank = (doc: OpenApi) => documented(doc).map((key) => routeKey(...(key.split(' ') as [string, string])));

/** A route with its parameters blanked: `{sessionId}`, `{id}` and shell variables like `$SID2` all read `{}`. */
const routeKey = (method: string, path: string) => `${method} ${path.replace(/\{\w+\}|\$[A-Z][A-Z0-9_]*/g, '{}')}`;

/** Routes a Markdown page names: as prose (`GET /api/sessions/{id}/code`) or as curl commands. */
function routesNamedIn(markdown: string): string[] {
  const found = new Set<string>();
  for (const [, method, path] of markdown.matchAll(/\b(GET|POST|PUT|PATCH|DELETE) (\/api\/[A-Za-z0-9_{}/-]*[A-Za-z0-9_}])/g)) found.add(routeKey(method!, path!));
  for (const [line] of markdown.matchAll(/curl [^\n]*\$API\/api\/[^\n]*/g)) {
    const path = /\$API(\/api\/[A-Za-z0-9_$/-]*)/.exec(line)![1]!.replace(/\/$/, '');
    const method = /-X (\w+)/.exec(line)?.[1] ?? (/ -d /.test(line) ? 'POST' : 'GET');
    found.add(routeKey(method, path));
  }
  return [...found].sort();
}

describe('generated contract files', () => {
  it('are up to date with shared/contract (run `npm run contract` after changing a route or schema)', () => {
    for (const [path, content] of Object.entries(contractDocs())) expect(read(path), `${path} is stale: run npm run contract`).toBe(content);
  });

  it('docs/openapi.json is valid OpenAPI 3.1', async () => {
    const result = await validate(structuredClone(openapi()) as never);
    expect(result.valid ? '' : compileErrors(result)).toBe('');
    expect(result).toMatchObject({ valid: true, specification: 'OpenAPI', warnings: [] });
  });

  it('the validator does refuse a broken document (it is not a rubber stamp)', async () => {
    const broken = structuredClone(openapi()) as unknown as { paths: Record<string, Record<string, { parameters: unknown[] }>> };
    broken.paths['/api/sessions/{sessionId}']!.get!.parameters = []; // the path parameter is no longer declared
    const result = await validate(broken as never);
    expect(result.valid).toBe(false);
  });

  it('has exactly the routes of the route table, each with security and an error response', () => {
    const doc = buildOpenApi('test');
    expect(documented(doc as unknown as OpenApi).sort()).toEqual([...routeTable].sort());
    for (const [path, ops] of Object.entries((doc as unknown as OpenApi).paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.responses['500'], `${method} ${path}`).toBeDefined();
        const publicRoute = path === '/api/health' || path === '/api/languages';
        expect(op.security.length, `${method} ${path} security`).toBe(publicRoute ? 0 : 1);
      }
    }
  });

  it('covers every route the README names', () => {
    const routes = documentedBlank(openapi());
    const named = routesNamedIn(read('README.md'));
    expect(named.length).toBeGreaterThan(5);
    expect(named.filter((r) => !routes.includes(r))).toEqual([]);
  });

  it('covers every route docs/protocol.md names', () => {
    const routes = documentedBlank(openapi());
    const named = routesNamedIn(read('docs/protocol.md'));
    expect(named.length).toBeGreaterThan(20);
    expect(named.filter((r) => !routes.includes(r))).toEqual([]);
  });

  it('lists every error code of the catalogue in the error body schema', () => {
    const codes = openapi().components.schemas.Error.properties.error.enum;
    for (const code of Object.keys(ERROR_STATUS)) expect(codes).toContain(code);
  });

  it('docs/websocket.md has every routed action with its schema and every server message', () => {
    const page = read('docs/websocket.md');
    expect(Object.keys(actionSchemas).sort()).toEqual([...WS_ACTIONS].sort());
    for (const action of WS_ACTIONS) expect(page).toContain(`### action \`${action}\``);
    for (const type of Object.keys(SERVER_MESSAGES)) expect(page).toContain(`### message \`${type}\``);
  });
});
