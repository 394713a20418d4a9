/**
 * SQS event source on the one shared dead-letter queue (every run queue and the launch queue redrive to
 * it after 3 failed deliveries):
 *  - a run message ends its execution as SYSTEM_ERROR and tells the session;
 *  - a launch request means RunTask failed 3 times for that language: nothing to end (the run's deadline
 *    and the watchdog do that), so it is logged as an error with the language.
 * Every invocation of this function is a dead letter, which is what the dead-letter alarm counts
 * (infra/constructs/observability.ts). Powertools batch processing reports partial failures, so one bad
 * record does not redeliver the whole batch.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger } from '#telemetry/log.js';
import { emit } from '#telemetry/metrics.js';
import { traceHandler } from '#telemetry/tracing.js';
import { publish } from '#aws/publish.js';
import { provide } from '#core/ports.js';
import * as documents from '#aws/store/documents.js';
// This function's composition root: only the ports its code reaches (test/unit/architecture.test.ts).
provide({ documents });
import { launchRequestSchema } from '#aws/runners/launch-queue.js';
import { parseRunMessage } from '#aws/runners/run-queue.js';
import { failExecution } from '#aws/store/executions.js';

const processor = new BatchProcessor(EventType.SQS);

function parseLaunchRequest(body: string) {
  try {
    const parsed = launchRequestSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

async function record(r: SQSRecord): Promise<void> {
  const msg = parseRunMessage(r.body);
  if (!msg) {
    const launch = parseLaunchRequest(r.body);
    if (launch) {
      emit('DeadLettered', 1, { Kind: 'launch' });
      logger.error('runner launch dead-lettered: RunTask failed on every delivery', { ...launch, messageId: r.messageId });
      return;
    }
    emit('DeadLettered', 1, { Kind: 'unreadable' });
    logger.warn('dropping an unreadable dead letter', { messageId: r.messageId });
    return; // nothing to mark; retrying would not make it readable
  }
  emit('DeadLettered', 1, { Kind: 'run' });
  const failed = await failExecution(msg.sessionId, msg.executionId, 'the run was dead-lettered after repeated failed deliveries');
  if (failed) {
    logger.warn('execution dead-lettered', { sessionId: msg.sessionId, executionId: msg.executionId });
    await publish([{ type: 'ExecutionFinished', sessionId: msg.sessionId, execution: failed }]);
  }
}

export const handler = traceHandler(async (event: SQSEvent, context?: Context) =>
  processPartialResponse(event, record, processor, context ? { context } : undefined),
);
