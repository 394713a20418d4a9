/**
 * SQS event source on the launch queue: starts Fargate runners with RunTask. Requests were already
 * deduplicated by the launch lease (shared/aws/store/runner-registry.ts), but anyone allowed to send to the queue
 * (run-queuing functions, the watchdog, runner tasks) may ask for up to 10 tasks: each request is clamped
 * to what the per-language and deployment-wide caps leave (shared/aws/runners/capacity.ts). A request that
 * finds no room is dropped and gives the language's lease back: its runs wait in their queue and the next
 * ask (a new run, a saturated runner, the watchdog's tick) gets a runner once capacity frees. A failed
 * RunTask is reported as a batch item failure and retried by SQS; the watchdog covers the rest.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger } from '#telemetry/log.js';
import { emit } from '#telemetry/metrics.js';
import { traceHandler } from '#telemetry/tracing.js';
import { reserveRunners, shrinkReservation } from '#aws/runners/capacity.js';
import { RunTaskError, runTasks } from '#aws/runners/ecs-launch.js';
import { launchRequestSchema } from '#aws/runners/launch-queue.js';
import { clearLaunchLease } from '#aws/store/runner-registry.js';

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
  const { language, count } = parsed.data;
  const grant = await reserveRunners(language, count);
  if (grant.granted === 0) {
    // Without the lease the next ask is not answered "booting" for launchLeaseMs by runners never started.
    await clearLaunchLease(language);
    logger.warn('runner cap reached: runs wait in their queue until a runner frees', { language, requested: count, inFlight: grant.inFlight, ofLanguage: grant.ofLanguage });
    return;
  }
  let started: number;
  try {
    started = await runTasks(language, grant.granted);
  } catch (err) {
    // Tasks that did not start must not hold places under the cap while SQS retries the request.
    if (err instanceof RunTaskError && err.started > 0) emit('RunnerLaunches', err.started, { Language: language });
    await shrinkReservation(grant.bootId!, err instanceof RunTaskError ? err.started : 0).catch((e) =>
      logger.error('could not give back the places of tasks that did not start', { language, error: e as Error }),
    );
    throw err;
  }
  emit('RunnerLaunches', started, { Language: language });
  logger.info('runners started', { language, requested: count, started, inFlight: grant.inFlight + started });
}

export const handler = traceHandler(async (event: SQSEvent, context?: Context) =>
  processPartialResponse(event, record, processor, context ? { context } : undefined),
);
