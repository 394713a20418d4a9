/**
 * Every client message (docs/protocol.md §5): the action routes and `$default`. Parse → validate with the action's
 * schema → run the action. Anything wrong gets an `error` message with the contract's code and changes
 * nothing; the Lambda itself always answers 200 so API Gateway does not report the route as failed.
 */
import type { Context } from 'aws-lambda';
import { traceHandler } from '#telemetry/tracing.js';
import { AppError, errors } from '#contract/errors.js';
import { logger } from '#telemetry/log.js';
import { fieldProblems } from '#contract/schemas.js';
import { outlived, reply, senderOf, type WsContext } from './context.js';
import { isActive } from '#core/access.js';
import { stores } from '#core/ports.js';
import { endSessionSockets } from '#aws/notify.js';
import { closeConnection } from '#aws/push.js';
import type { ConnectionItem } from '#aws/store/connections.js';
import { activity } from './activity-action.js';
import { codeChange, sync, yjsUpdate } from './document-actions.js';
import { byDocument, notesCodeChange, notesSync, notesYjsUpdate } from './notes-actions.js';
import { actionSchemas, documentUrl, type ActionName } from '#contract/messages.js';
import { shrink } from '#aws/notify.js';
import {
  awarenessUpdate,
  cursorUpdate,
  joinSession,
  languageChange,
  leaveSession,
  ping,
} from './presence-actions.js';
import { runCode } from './run-action.js';
import { withWsLogging, type WsEvent, type WsResult } from './ws-event.js';
import '#aws/wiring.js'; // the composition root: core's storage ports get their DynamoDB adapters

type Runner = (ctx: WsContext, msg: any) => Promise<unknown>;

const ACTIONS: Record<ActionName, Runner> = {
  'join-session': joinSession,
  // `doc:"notes"` (docs/protocol.md §10): the same operations on the interviewers' notes.
  'code-change': byDocument(codeChange, notesCodeChange),
  'yjs-update': byDocument(yjsUpdate, notesYjsUpdate),
  sync: byDocument(sync, notesSync),
  'awareness-update': awarenessUpdate,
  'cursor-update': cursorUpdate,
  'language-change': languageChange,
  'run-code': runCode,
  ping,
  'leave-session': leaveSession,
  activity,
};

/** `onAction` learns the action as soon as it is known, so even a refused message's error names it. */
function parseMessage(body: string | null | undefined, onAction: (a: ActionName) => void): { action: ActionName; msg: unknown } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body ?? '');
  } catch {
    throw new AppError('INVALID_MESSAGE', 'Messages must be JSON objects with an "action" field');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new AppError('INVALID_MESSAGE', 'Messages must be JSON objects with an "action" field');
  }
  const action = (parsed as { action?: unknown }).action;
  if (typeof action !== 'string' || !Object.hasOwn(actionSchemas, action)) {
    throw new AppError('INVALID_MESSAGE', `Unknown action ${JSON.stringify(action ?? null)}`, { actions: Object.keys(actionSchemas) });
  }
  onAction(action as ActionName);
  const result = actionSchemas[action as ActionName].safeParse(parsed);
  if (!result.success) {
    const problems = fieldProblems(result.error);
    throw new AppError('INVALID_MESSAGE', `Invalid ${action}: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, problems);
  }
  return { action: action as ActionName, msg: result.data };
}

export const handler = traceHandler((event: WsEvent, context?: Context): Promise<WsResult> =>
  withWsLogging(event, context, async () => {
    const connectionId = event.requestContext.connectionId;
    const conn = await senderOf(connectionId).catch((err) => (err instanceof AppError ? undefined : Promise.reject(err)));
    if (!conn) return { result: { statusCode: 200 }, errorCode: 'NOT_FOUND' }; // connection already gone: nobody to tell
    const ctx: WsContext = { connectionId, conn };
    if (outlived(conn)) return afterItsTime(ctx, event);
    let action: string | undefined;
    try {
      const parsed = parseMessage(
        event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : event.body,
        (a) => (action = a),
      );
      action = parsed.action;
      await ACTIONS[parsed.action](ctx, parsed.msg);
      return { result: { statusCode: 200 }, sessionId: conn.sessionId, action };
    } catch (caught) {
      // A bug or an outage: logged with its stack; the sender still gets an answer, never the details.
      if (!(caught instanceof AppError)) logger.error('unhandled error', caught as Error);
      const err = caught instanceof AppError ? caught : new AppError('INTERNAL_ERROR', 'Something went wrong on our side; it has been logged');
      const base = { type: 'error' as const, code: err.code, message: err.message, ...(action ? { action } : {}) };
      // A VERSION_CONFLICT carries the whole document: past 128 KiB the client fetches it over HTTP.
      await reply(ctx, shrink(
        { ...base, ...(err.details !== undefined ? { details: err.details } : {}) },
        { ...base, details: { ...(err.details as object), code: undefined, documentUrl: documentUrl(conn.sessionId, 'text') } },
      ));
      return { result: { statusCode: 200 }, errorCode: err.code, sessionId: conn.sessionId, action };
    }
  }));

/**
 * A message on a connection whose item is past its TTL. Its session expired under the open socket (API
 * Gateway keeps it up to 2 hours): the action is refused with SESSION_EXPIRED, then the socket hears
 * `session-ended` and is closed, as an ended session's are. Otherwise the connection outlived its own 2
 * hours (API Gateway is about to close it anyway): closed, and the client reconnects.
 */
async function afterItsTime(ctx: WsContext, event: WsEvent): Promise<{ result: WsResult; errorCode?: string; sessionId?: string; action?: string }> {
  const session = await stores.sessions.getSession(ctx.conn.sessionId);
  if (session && isActive(session)) {
    await closeConnection(ctx.connectionId);
    return { result: { statusCode: 200 }, errorCode: 'NOT_FOUND', sessionId: ctx.conn.sessionId };
  }
  const action = actionNamed(event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : event.body);
  const err = errors.sessionExpired();
  await reply(ctx, { type: 'error', code: err.code, message: err.message, ...(action ? { action } : {}) });
  await endSessionSockets([{ connectionId: ctx.connectionId, sessionId: ctx.conn.sessionId } as ConnectionItem], 'expired');
  return { result: { statusCode: 200 }, errorCode: err.code, sessionId: ctx.conn.sessionId, ...(action ? { action } : {}) };
}

/** The action a message names, when it is one of ours (for the error's `action`); nothing else is read. */
function actionNamed(body: string | null | undefined): ActionName | undefined {
  try {
    const action = (JSON.parse(body ?? '') as { action?: unknown } | null)?.action;
    return typeof action === 'string' && Object.hasOwn(actionSchemas, action) ? (action as ActionName) : undefined;
  } catch {
    return undefined;
  }
}
