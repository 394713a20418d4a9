/**
 * API Gateway's routing, emulated for the local fronts from the route tables (shared/contract/routes.ts):
 * the HTTP API's match of method + path to a route key with path parameters, and the WebSocket API's
 * route selection on `$request.body.action`.
 */
import { HTTP_FUNCTIONS, WS_ACTIONS, type HttpFunctionName } from '#contract/routes.js';

export interface RouteMatch {
  fn: HttpFunctionName;
  routeKey: string;
  pathParameters: Record<string, string>;
}

interface CompiledRoute {
  fn: HttpFunctionName;
  routeKey: string;
  method: string;
  regex: RegExp;
  params: string[];
}

const compiled: CompiledRoute[] = Object.entries(HTTP_FUNCTIONS).flatMap(([fn, def]) =>
  def.routes.map((routeKey) => {
    const [method, path] = routeKey.split(' ') as [string, string];
    const params: string[] = [];
    const pattern = path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{(\w+)\\?\}|\{(\w+)\}/g, (_m, a, b) => {
      params.push(a ?? b);
      return '([^/]+)';
    });
    return { fn: fn as HttpFunctionName, routeKey, method, regex: new RegExp(`^${pattern}/?$`), params };
  }),
);

/** Matches a method + path like API Gateway does for explicit routes; undefined when no route matches. */
export function matchRoute(method: string, path: string): RouteMatch | undefined {
  for (const r of compiled) {
    if (r.method !== method) continue;
    const m = r.regex.exec(path);
    if (!m) continue;
    const pathParameters: Record<string, string> = {};
    r.params.forEach((p, i) => {
      pathParameters[p] = decodeSegment(m[i + 1]!);
    });
    return { fn: r.fn, routeKey: r.routeKey, pathParameters };
  }
  return undefined;
}

/** A malformed percent-encoding stays as sent: the handler then refuses it (e.g. INVALID_SESSION). */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * API Gateway's route selection: a JSON object body whose `action` names a route selects it; anything
 * else (not JSON, no/unknown action) goes to `$default`.
 */
export function selectWsRoute(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const action = (parsed as { action?: unknown }).action;
      if (typeof action === 'string' && (WS_ACTIONS as readonly string[]).includes(action)) return action;
    }
  } catch {
    // not JSON: API Gateway routes it to $default, and so do we
  }
  return '$default';
}
