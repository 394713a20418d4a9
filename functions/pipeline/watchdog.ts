/**
 * Scheduled every minute:
 *  - any execution still QUEUED or RUNNING past its deadline (the sparse `watch` index) ends as
 *    SYSTEM_ERROR, so nothing stays stuck even if a runner died and its message waits for redelivery.
 *    The update is conditional on the deadline seen, so a takeover wins the race;
 *  - a run QUEUED for longer than queuedNudgeMs makes sure a runner of its language is alive: the
 *    runner that would have served it may have died after the request found it warm (or the launcher
 *    found the deployment at its runner cap: this is how the run gets a runner once capacity frees).
 *    A launch that fails fails the invocation (after the rest of the pass), so the Errors alarm fires.
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
import { liveConnectionCounts } from '#aws/store/connections.js';
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
    const { connections, sessions } = await liveConnectionCounts(nowMs);
    if (sessions > 0) emit('ActiveSessions', sessions, {});
    if (connections > 0) emit('ConnectedUsers', connections, {});
  } catch (err) {
    logger.error('could not read the live connections for the gauges', { error: err as Error });
  }
}
