/**
 * Scheduled every minute:
 *  - any execution still QUEUED or RUNNING past its deadline (the sparse `watch` index) ends as
 *    SYSTEM_ERROR, so nothing stays stuck even if a runner died and its message waits for redelivery.
 *    The update is conditional on the deadline seen, so a takeover wins the race;
 *  - a run QUEUED for longer than queuedNudgeMs makes sure a runner of its language is alive: the
 *    runner that would have served it may have died after the request found it warm (or the launcher
 *    found the deployment at its runner cap: this is how the run gets a runner once capacity frees).
 *    A launch that fails fails the invocation (after the rest of the pass), so the Errors alarm fires;
 *  - a socket whose session expired under it hears `session-ended {reason: "expired"}` and is closed,
 *    within a minute of the expiry, as an ended session's sockets are at once (API Gateway would keep it
 *    open up to 2 hours, and an idle client would learn it only on its next message).
 */
import type { LanguageId } from '#contract/languages.js';
import { LIMITS } from '#contract/limits.js';
import { logger } from '#telemetry/log.js';
import { traceHandler } from '#telemetry/tracing.js';
import { publish } from '#aws/publish.js';
import { provide } from '#core/ports.js';
import * as documents from '#aws/store/documents.js';
// This function's composition root: only the ports its code reaches (test/unit/architecture.test.ts).
provide({ documents });
import { ensureRunners } from '#aws/runners/launcher.js';
import { emit } from '#telemetry/metrics.js';
import { forgetLiveConnection, liveConnectionCounts } from '#aws/store/connections.js';
import type { ConnectionItem } from '#aws/store/connections.js';
import { getSession } from '#aws/store/sessions.js';
import { endSessionSockets } from '#aws/notify.js';
import { isActive } from '#core/records.js';
import { failExecution, overdueExecutions } from '#aws/store/executions.js';

export const handler = traceHandler(async (): Promise<{ ended: number; nudged: number }> => {
  const now = Date.now();
  let ended = 0;
  for (const o of await overdueExecutions(now)) {
    const reason = o.status === 'QUEUED' ? 'no runner picked the run up in time' : 'the runner stopped responding';
    const failed = await failExecution(o.sessionId, o.executionId, reason, { onlyIfDeadline: o.watchDeadline });
    if (!failed) continue;
    ended++;
    logger.warn('watchdog ended an execution', { sessionId: o.sessionId, executionId: o.executionId, was: o.status });
    await publish([{ type: 'ExecutionFinished', sessionId: o.sessionId, execution: failed }]);
  }

  // QUEUED runs carry deadline = createdAt + queuedTimeoutMs: those created over queuedNudgeMs ago.
  const waiting = await overdueExecutions(now + LIMITS.execution.queuedTimeoutMs - LIMITS.execution.queuedNudgeMs);
  const languages = new Set(waiting.filter((w) => w.status === 'QUEUED').map((w) => w.language as LanguageId));
  const failed: string[] = [];
  for (const language of languages) if ((await ensureRunners(language)) === 'failed') failed.push(language);
  // Every overdue run was handled above; failing the invocation now makes the function's Errors alarm
  // fire, which a logged error alone would not (the schedule does not retry: the next tick does).
  await emitGauges(now);
  if (failed.length > 0) throw new Error(`could not ask for runners of ${failed.join(', ')}: queued runs may wait until their deadline`);
  return { ended, nudged: languages.size };
});

/**
 * The minute's gauges, from one Query of the LIVE partition (shared/aws/store/connections.ts). Emitted only
 * when above zero: an idle stage publishes no metric at all (the dashboard fills gaps with 0), so the
 * gauges cost nothing while idle. A failed read is logged and skipped: it must not stop the tick's work.
 */
async function emitGauges(nowMs: number): Promise<void> {
  try {
    const { connections, sessions, outlived } = await liveConnectionCounts(nowMs);
    if (sessions > 0) emit('ActiveSessions', sessions, {});
    if (connections > 0) emit('ConnectedUsers', connections, {});
    await closeOutlived(outlived, nowMs).catch((err: unknown) => logger.error('could not close the sockets of expired sessions', { error: err as Error }));
  } catch (err) {
    logger.error('could not read the live connections for the gauges', { error: err as Error });
  }
}

/**
 * Sockets past their TTL. Their session expired: they hear `session-ended {reason: "expired"}` and are closed
 * (a message they send meanwhile gets the same answer: functions/ws/message.ts). A socket of a session still
 * active is past its own 2 hours: API Gateway closed it, and only its item was left behind.
 */
async function closeOutlived(outlived: { connectionId: string; sessionId: string }[], nowMs: number): Promise<void> {
  const bySession = new Map<string, string[]>();
  for (const o of outlived) bySession.set(o.sessionId, [...(bySession.get(o.sessionId) ?? []), o.connectionId]);
  for (const [sessionId, connectionIds] of bySession) {
    const session = await getSession(sessionId);
    if (!session || !isActive(session, nowMs)) {
      await endSessionSockets(connectionIds.map((connectionId) => ({ connectionId, sessionId }) as ConnectionItem), 'expired');
      logger.info('watchdog closed the sockets of an expired session', { sessionId, sockets: connectionIds.length });
    }
    await Promise.all(connectionIds.map((connectionId) => forgetLiveConnection(connectionId)));
  }
}
