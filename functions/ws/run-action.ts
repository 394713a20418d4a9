/** `run-code`: runs the current document (or the given language) for the sender (docs/protocol.md §5, §6). */
import { errors } from '#contract/errors.js';
import { isActive } from '#core/access.js';
import { requestRun } from '#core/executions.js';
import { getSession } from '#aws/store/sessions.js';
import { listConnections } from '#aws/store/connections.js';
import { publish } from '#aws/publish.js';
import { reply, requireJoined, type WsContext } from './context.js';
import type { ActionOf } from '#contract/messages.js';

export async function runCode(ctx: WsContext, msg: ActionOf<'run-code'>): Promise<void> {
  const [session, connections] = await Promise.all([getSession(ctx.conn.sessionId), listConnections(ctx.conn.sessionId)]);
  if (!session) throw errors.sessionNotFound();
  const me = requireJoined(connections, ctx.connectionId);
  if (!isActive(session)) throw errors.sessionExpired();
  // The sender learns the execution id from `execution-queued`, broadcast to everyone including it.
  const { execution, replay, events } = await requestRun(
    session,
    { userId: me.userId!, role: ctx.conn.role },
    { language: msg.language, stdin: msg.stdin, mode: msg.mode, resendScope: ctx.connectionId },
  );
  // A resend of a run still pending: only its sender is told again which run it is.
  if (replay) await reply(ctx, { type: 'execution-queued', executionId: execution.executionId, language: execution.language, userId: execution.userId });
  await publish(events, { connections });
}
