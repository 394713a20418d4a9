/**
 * The WebSocket route table (SPEC §5). API Gateway selects routes with `$request.body.action`; every
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
] as const;
export type WsAction = (typeof WS_ACTIONS)[number];

export const WS_ROUTE_SELECTION_EXPRESSION = '$request.body.action';

export const WS_FUNCTIONS = {
  connect: { entry: 'functions/ws/connect.ts', routes: ['$connect'] },
  disconnect: { entry: 'functions/ws/disconnect.ts', routes: ['$disconnect'] },
  message: { entry: 'functions/ws/message.ts', routes: [...WS_ACTIONS, '$default'] },
} as const;

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
