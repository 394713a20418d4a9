/**
 * SQS event source on every language's dead-letter queue: a run message delivered 3 times without
 * finishing ends its execution as SYSTEM_ERROR and tells the session. Powertools batch processing
 * reports partial failures, so one bad record does not redeliver the whole batch.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger } from '../../shared/log.js';
import { broadcast, finishedMessage } from '../../shared/realtime/notify.js';
import { parseRunMessage } from '../../shared/runners/run-queue.js';
import { listConnections } from '../../shared/store/connections.js';
import { failExecution } from '../../shared/store/executions.js';

const processor = new BatchProcessor(EventType.SQS);

async function record(r: SQSRecord): Promise<void> {
  const msg = parseRunMessage(r.body);
  if (!msg) {
    logger.warn('dropping an unreadable dead letter', { messageId: r.messageId });
    return; // nothing to mark; retrying would not make it readable
  }
  const failed = await failExecution(msg.sessionId, msg.executionId, 'the run was dead-lettered after repeated failed deliveries');
  if (failed) {
    logger.warn('execution dead-lettered', { sessionId: msg.sessionId, executionId: msg.executionId });
    await broadcast(await listConnections(msg.sessionId), finishedMessage(failed));
  }
}

export const handler = async (event: SQSEvent, context?: Context) =>
  processPartialResponse(event, record, processor, context ? { context } : undefined);
