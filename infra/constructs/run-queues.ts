/**
 * One run queue per language (shared/languages.ts), each with its own dead-letter queue. A run message
 * is tiny (`{sessionId, executionId}`): the execution item is the truth, the message only says "work
 * waits here". Runners of a language read only their queue, so a slow toolchain cannot hold up others.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LANGUAGE_IDS, type LanguageId } from '../../shared/languages.js';
import { LIMITS } from '../../shared/limits.js';

export class RunQueues extends Construct {
  readonly queues: Readonly<Record<LanguageId, Queue>>;
  readonly deadLetterQueues: Readonly<Record<LanguageId, Queue>>;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const queues = {} as Record<LanguageId, Queue>;
    const deadLetterQueues = {} as Record<LanguageId, Queue>;
    const { execution } = LIMITS;

    for (const language of LANGUAGE_IDS) {
      const dlq = new Queue(this, `${language}-Dlq`, {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        // For a standard queue the DLQ keeps a message until its *original* enqueue time + this: keep it
        // long enough to read what went wrong after the dead-letter function has handled it.
        retentionPeriod: Duration.days(14),
        // Lambda's advice for an event source: at least 6x the consumer's timeout (dead-letter fn: 10 s).
        visibilityTimeout: Duration.seconds(60),
      });
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
        deadLetterQueue: { queue: dlq, maxReceiveCount: execution.maxReceives },
      });
      deadLetterQueues[language] = dlq;
    }
    this.queues = queues;
    this.deadLetterQueues = deadLetterQueues;
  }

  /** RUN_QUEUE_URLS: `{"python": "https://sqs...", ...}` as a CloudFormation-resolved JSON string. */
  urlsJson(): string {
    return Stack.of(this).toJsonString(Object.fromEntries(LANGUAGE_IDS.map((l) => [l, this.queues[l].queueUrl])));
  }
}
