/**
 * Scheduled every minute: any execution still QUEUED or RUNNING past its deadline (the sparse `watch`
 * index) ends as SYSTEM_ERROR, so nothing stays stuck even if a runner died and its message is still
 * waiting for redelivery. The update is conditional on the deadline seen, so a takeover wins the race.
 */
import { logger } from '../../shared/log.js';
import { broadcast, finishedMessage } from '../../shared/realtime/notify.js';
import { listConnections } from '../../shared/store/connections.js';
import { failExecution, overdueExecutions } from '../../shared/store/executions.js';

export const handler = async (): Promise<{ ended: number }> => {
  const overdue = await overdueExecutions();
  let ended = 0;
  for (const o of overdue) {
    const reason = o.status === 'QUEUED' ? 'no runner picked the run up in time' : 'the runner stopped responding';
    const failed = await failExecution(o.sessionId, o.executionId, reason, { onlyIfDeadline: o.watchDeadline });
    if (!failed) continue;
    ended++;
    logger.warn('watchdog ended an execution', { sessionId: o.sessionId, executionId: o.executionId, was: o.status });
    await broadcast(await listConnections(o.sessionId), finishedMessage(failed));
  }
  return { ended };
};
