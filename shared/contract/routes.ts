/**
 * The route tables: which Lambda (one per route group) serves which API Gateway route key, for the HTTP
 * API and the WebSocket API, plus the pipeline functions no route calls. infra/ wires API Gateway from
 * them, the local front (local/routes.ts) matches requests against them and builds the same `routeKey`
 * + `pathParameters`, and each handler dispatches on `event.routeKey`.
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
  /**
   * Whether it can switch the session's language (PATCH, a restore) and so asks for a runner of the new
   * language (sqs:SendMessage on the launch queue only). Implied by `runs`.
   */
  warms?: boolean;
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
      // Review links (docs/protocol.md §10; functions/http/review-links.ts): no push, the table only.
      'POST /api/sessions/{sessionId}/review-links',
      'GET /api/sessions/{sessionId}/review-links',
      'DELETE /api/sessions/{sessionId}/review-links/{linkId}',
    ],
    table: 'readWrite',
    pushes: true,
    warms: true,
  },
  code: {
    entry: 'functions/http/code.ts',
    // The notes (docs/protocol.md §10; functions/http/notes.ts) share the code's write path, grants and pushes.
    routes: ['GET /api/sessions/{sessionId}/code', 'PUT /api/sessions/{sessionId}/code', 'GET /api/sessions/{sessionId}/notes', 'PUT /api/sessions/{sessionId}/notes'],
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
    warms: true,
  },
  activity: {
    entry: 'functions/http/activity.ts',
    // The timeline (docs/protocol.md §10; functions/http/timeline.ts) reads the history and the document logs.
    routes: ['GET /api/sessions/{sessionId}/participants', 'GET /api/sessions/{sessionId}/history', 'GET /api/sessions/{sessionId}/timeline'],
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
  /** The operators' question bank and a session's question (docs/protocol.md §8): pushes question-updated and starter code. */
  questions: {
    entry: 'functions/http/questions.ts',
    routes: [
      'POST /api/questions',
      'GET /api/questions',
      'GET /api/questions/{questionId}',
      'PUT /api/questions/{questionId}',
      'DELETE /api/questions/{questionId}',
      'PUT /api/sessions/{sessionId}/question',
      'GET /api/sessions/{sessionId}/question',
    ],
    table: 'readWrite',
    pushes: true,
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
 * The HTTP API's `$default` route: whatever no route above matches (an unknown path, a method a path does
 * not take) goes to this function, which answers 404 `NOT_FOUND` in the contract's error shape rather than
 * API Gateway's own `{"message":"Not Found"}`. The cheapest function: no table, no grants.
 */
export const HTTP_DEFAULT_ROUTE_FUNCTION: HttpFunctionName = 'meta';

/**
 * The HTTP API's CORS policy, for API Gateway (infra/constructs/http-api.ts) and the local front alike.
 * 429 answers carry Retry-After (docs/protocol.md §3): a browser client must be able to read it.
 */
export const HTTP_CORS = {
  allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
  allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key'],
  exposeHeaders: ['Retry-After'],
  maxAgeSeconds: 3600,
} as const;

/**
 * Routes only operators may call (docs/protocol.md §2): the handler authenticates an API key or, where the deployment
 * has a JWT issuer, API Gateway's JWT authorizer guards them (infra/constructs/http-api.ts).
 */
export const OPERATOR_ROUTES: readonly string[] = [
  'POST /api/sessions',
  'GET /api/sessions',
  'POST /api/questions',
  'GET /api/questions',
  'GET /api/questions/{questionId}',
  'PUT /api/questions/{questionId}',
  'DELETE /api/questions/{questionId}',
];

/**
 * The WebSocket route table (docs/protocol.md §5). API Gateway selects routes with `$request.body.action`; every
 * action route and `$default` go to one message function (a live session then warms one Lambda, not
 * nine), `$connect` and `$disconnect` have their own. infra/ wires the routes from this table and the
 * local front builds `requestContext.routeKey` with the same rule.
 */
export const WS_ACTIONS = [
  'join-session',
  'code-change',
  'yjs-update',
  'sync',
  'awareness-update',
  'cursor-update',
  'language-change',
  'run-code',
  'ping',
  'leave-session',
  'activity',
] as const;

export const WS_ROUTE_SELECTION_EXPRESSION = '$request.body.action';

export const WS_FUNCTIONS = {
  connect: { entry: 'functions/ws/connect.ts', routes: ['$connect'] },
  disconnect: { entry: 'functions/ws/disconnect.ts', routes: ['$disconnect'] },
  message: { entry: 'functions/ws/message.ts', routes: [...WS_ACTIONS, '$default'] },
} as const;
