/**
 * `activity` (docs/protocol.md §10): a participant's browser reports a paste (with its size) or that the editor lost
 * or regained focus. Client-reported, and said so wherever it is shown. Stored in the history (and so
 * in the timeline) and relayed to interviewer connections only.
 */
import type { ActionOf } from '#contract/messages.js';
import { fanOut } from '#aws/push.js';
import { listConnections } from '#aws/store/connections.js';
import { appendHistory } from '#aws/store/history.js';
import { requireJoined, type WsContext } from './context.js';
import { limitRate } from './document-actions.js';
import { interviewerRecipients } from './notes-actions.js';

export async function activity(ctx: WsContext, msg: ActionOf<'activity'>): Promise<void> {
  limitRate(ctx, 'activity');
  const connections = await listConnections(ctx.conn.sessionId);
  const me = requireJoined(connections, ctx.connectionId);
  const at = new Date().toISOString();
  const username = me.username ?? me.userId!;
  const detail = { kind: msg.kind, ...(msg.chars !== undefined ? { chars: msg.chars } : {}), username, role: ctx.conn.role };
  await Promise.all([
    appendHistory(ctx.conn.sessionId, ctx.conn.sessionTtl, 'activity', detail, me.userId!),
    fanOut(interviewerRecipients(connections, ctx.connectionId), {
      type: 'activity',
      userId: me.userId!,
      username,
      kind: msg.kind,
      ...(msg.chars !== undefined ? { chars: msg.chars } : {}),
      at,
    }),
  ]);
}
