/**
 * The HTTP route table: which Lambda (one per route group) serves which API Gateway route key.
 * infra/ wires API Gateway routes from it, the local front (local/) matches requests against it and
 * builds the same `routeKey` + `pathParameters`, and each handler dispatches on `event.routeKey`.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpFunctionDef {
  /** Handler module, relative to the repository root; it exports `handler`. */
  entry: string;
  /** API Gateway route keys, e.g. `GET /api/sessions/{sessionId}`. */
  routes: readonly string[];
  /** What the function needs from the table: least-privilege grants follow from this. */
  table: 'none' | 'read' | 'readWrite';
  /** Whether it pushes to WebSocket connections (execute-api:ManageConnections). */
  pushes: boolean;
  /** Whether it queues runs and asks for runners (sqs:SendMessage on the run queues and the launch queue). */
  runs?: boolean;
}

export const HTTP_FUNCTIONS = {
  meta: {
    entry: 'functions/http/meta.ts',
    routes: ['GET /api/health', 'GET /api/languages'],
    table: 'none',
    pushes: false,
  },
  sessions: {
    entry: 'functions/http/sessions.ts',
    routes: [
      'POST /api/sessions',
      'GET /api/sessions',
      'GET /api/sessions/{sessionId}',
      'PATCH /api/sessions/{sessionId}',
      'DELETE /api/sessions/{sessionId}',
    ],
    table: 'readWrite',
    pushes: true,
  },
  code: {
    entry: 'functions/http/code.ts',
    routes: ['GET /api/sessions/{sessionId}/code', 'PUT /api/sessions/{sessionId}/code'],
    table: 'readWrite',
    pushes: true,
  },
  snapshots: {
    entry: 'functions/http/snapshots.ts',
    routes: [
      'POST /api/sessions/{sessionId}/snapshots',
      'GET /api/sessions/{sessionId}/snapshots',
      'GET /api/sessions/{sessionId}/snapshots/{snapshotId}',
      'POST /api/sessions/{sessionId}/snapshots/{snapshotId}/restore',
    ],
    table: 'readWrite',
    pushes: true,
  },
  activity: {
    entry: 'functions/http/activity.ts',
    routes: ['GET /api/sessions/{sessionId}/participants', 'GET /api/sessions/{sessionId}/history'],
    table: 'read',
    pushes: false,
  },
  executions: {
    entry: 'functions/http/executions.ts',
    routes: [
      'POST /api/sessions/{sessionId}/executions',
      'GET /api/sessions/{sessionId}/executions',
      'GET /api/sessions/{sessionId}/executions/{executionId}',
    ],
    table: 'readWrite',
    pushes: true,
    runs: true,
  },
} as const satisfies Record<string, HttpFunctionDef>;

/**
 * Functions of the execution pipeline that no route calls: the dead-letter handler (SQS event source on
 * every language's DLQ, partial batch failures), the launcher (SQS event source on the launch queue:
 * starts Fargate runners) and the watchdog (scheduled). Dead-letter and watchdog read/write the table
 * and push `execution-finished`.
 */
export const PIPELINE_FUNCTIONS = {
  deadLetter: { entry: 'functions/pipeline/dead-letter.ts' },
  /** SQS event source on the launch queue: the only function that calls ecs:RunTask. */
  launcher: { entry: 'functions/pipeline/launcher.ts' },
  watchdog: { entry: 'functions/pipeline/watchdog.ts', everyMinutes: 1 },
} as const;

export type HttpFunctionName = keyof typeof HTTP_FUNCTIONS;

/**
 * Routes only operators may call (SPEC §2): the handler authenticates an API key or, where the deployment
 * has a JWT issuer, API Gateway's JWT authorizer guards them (infra/constructs/http-api.ts).
 */
export const OPERATOR_ROUTES: readonly string[] = ['POST /api/sessions', 'GET /api/sessions'];

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

/**
 * Matches a method + path like API Gateway does for explicit routes.
 * Returns `methodNotAllowed` when the path exists under another method (the local front answers 404 either
 * way, as API Gateway does, but it helps the error message).
 */
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
