/**
 * SQS event source on the launch queue: starts Fargate runners with RunTask. Requests were already
 * deduplicated by the launch lease (shared/runners/registry.ts), so each record is one launch. A
 * failed RunTask is reported as a batch item failure and retried by SQS; the watchdog covers the rest.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger } from '../../shared/log.js';
import { runTasks } from '../../shared/runners/ecs-launch.js';
import { launchRequestSchema } from '../../shared/runners/launch-queue.js';

const processor = new BatchProcessor(EventType.SQS);

async function record(r: SQSRecord): Promise<void> {
  let body: unknown;
  try {
    body = JSON.parse(r.body);
  } catch {
    body = undefined;
  }
  const parsed = launchRequestSchema.safeParse(body);
  if (!parsed.success) {
    logger.warn('dropping an unreadable launch request', { messageId: r.messageId });
    return;
  }
  await runTasks(parsed.data.language, parsed.data.count);
  logger.info('runners started', parsed.data);
}

export const handler = async (event: SQSEvent, context?: Context) =>
  processPartialResponse(event, record, processor, context ? { context } : undefined);
