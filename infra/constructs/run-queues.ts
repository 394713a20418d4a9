/**
 * One run queue per language (shared/contract/languages.ts). A run message is tiny (`{sessionId, executionId}`):
 * the execution item is the truth, the message only says "work waits here". Runners of a language read
 * only their queue, so a slow toolchain cannot hold up others.
 *
 * Plus the launch queue: `{language, count}` requests for more runners, consumed by the launcher function,
 * the only principal allowed to call ecs:RunTask (shared/aws/runners/launch-queue.ts).
 *
 * Every queue redrives to ONE shared dead-letter queue: a dead letter is rare, its body says what it was
 * (a run message names its execution, a launch request its language), and one DLQ means one event-source
 * mapping for the dead-letter function instead of nine: each mapping keeps Lambda's pollers long-polling
 * around the clock, which is billed as SQS requests even when nothing fails (docs/cost.md).
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LANGUAGE_IDS, type LanguageId } from '#contract/languages.js';
import { LIMITS } from '#contract/limits.js';

export class RunQueues extends Construct {
  readonly queues: Readonly<Record<LanguageId, Queue>>;
  /** Where every run queue and the launch queue redrive after LIMITS.execution.maxReceives deliveries. */
  readonly deadLetterQueue: Queue;
  readonly launchQueue: Queue;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const queues = {} as Record<LanguageId, Queue>;
    const { execution } = LIMITS;
    this.deadLetterQueue = new Queue(this, 'Dlq', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // For a standard queue the DLQ keeps a message until its *original* enqueue time + this: keep it
      // long enough to read what went wrong after the dead-letter function has handled it.
      retentionPeriod: Duration.days(14),
      // Lambda's advice for an event source: at least 6x the consumer's timeout (dead-letter fn: 10 s).
      visibilityTimeout: Duration.seconds(60),
    });
    const deadLetterQueue = { queue: this.deadLetterQueue, maxReceiveCount: execution.maxReceives };

    for (const language of LANGUAGE_IDS) {
      queues[language] = new Queue(this, `${language}-Queue`, {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        // The worker extends it while a job runs (runner/execution-job.ts).
        visibilityTimeout: Duration.seconds(execution.visibilityTimeoutSeconds),
        // Runs not started within queuedTimeoutMs (5 min) are ended by the watchdog anyway; an hour keeps
        // a message around for several redeliveries without hoarding stale work.
        retentionPeriod: Duration.hours(1),
        // Long polling by default: an idle runner costs one request per 20 s, not a busy loop.
        receiveMessageWaitTime: Duration.seconds(20),
        deadLetterQueue,
      });
    }
    this.queues = queues;

    this.launchQueue = new Queue(this, 'Launch-Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // 6x the launcher's timeout (15 s); also the retry delay of a failed RunTask, close to the launch
      // lease (LIMITS.execution.launchLeaseMs, 90 s) after which callers may ask again anyway.
      visibilityTimeout: Duration.seconds(90),
      // A launch request older than the queued-run timeout (5 min) serves no run any more.
      retentionPeriod: Duration.minutes(15),
      // A launch that failed 3 times is moot (the run's deadline and the watchdog end the run); the
      // dead-letter function logs it and the dead-letter alarm says RunTask keeps failing.
      deadLetterQueue,
    });
  }

  /** RUN_QUEUE_URLS: `{"python": "https://sqs...", ...}` as a CloudFormation-resolved JSON string. */
  urlsJson(): string {
    return Stack.of(this).toJsonString(Object.fromEntries(LANGUAGE_IDS.map((l) => [l, this.queues[l].queueUrl])));
  }
}
