/**
 * The execution pipeline offline, wired like the CDK stack wires it in AWS:
 *   - one run queue per language and one shared dead-letter queue on the local SQS-compatible server
 *     (same maxReceiveCount and visibility timeout as infra), reached by the real SQSClient via SQS_ENDPOINT;
 *   - the dead-letter Lambda fed by one event-source poller on the DLQ (partial batch responses);
 *   - the watchdog Lambda on a timer (EventBridge schedule in AWS);
 *   - runners as local processes running runner/main.ts, started through the same launcher port and
 *     registry/lease logic as Fargate tasks.
 */
import { ENV, resetConfig } from '#aws/config.js';
import { resetClients } from '#aws/clients.js';
import { LANGUAGE_IDS } from '#contract/languages.js';
import { LIMITS } from '#contract/limits.js';
import { setLauncher } from '#aws/runners/launcher.js';
import { PIPELINE_FUNCTIONS } from '#contract/routes.js';
import { invoke } from './lambda.js';
import type { Logger } from './log.js';
import { LocalRunners } from './runners.js';
import { pollToHandler, startLocalSqs, type Poller } from './sqs/index.js';

export interface PipelineOptions {
  sqsPort?: number;
  host?: string;
  /** How often the watchdog runs (AWS: every minute). */
  watchdogIntervalMs?: number;
  runnerIdleMs?: number;
  runnerSlots?: number;
}

export interface LocalPipeline {
  sqsEndpoint: string;
  queueUrls: Record<string, string>;
  runners: LocalRunners;
  stop(): Promise<void>;
}

export const runQueueName = (language: string) => `run-${language}`;
/** Every run queue redrives here, as in infra/constructs/run-queues.ts. */
const DEAD_LETTER_NAME = 'run-dlq';

/** Call after the handler environment (table, endpoints) is configured: runners inherit it. */
export async function startPipeline(log: Logger, opts: PipelineOptions = {}): Promise<LocalPipeline> {
  const sqs = await startLocalSqs({
    port: opts.sqsPort ?? 0,
    host: opts.host,
    queues: [
      { name: DEAD_LETTER_NAME },
      ...LANGUAGE_IDS.map((id) => ({
        name: runQueueName(id),
        visibilityTimeoutSeconds: LIMITS.execution.visibilityTimeoutSeconds,
        deadLetter: { targetName: DEAD_LETTER_NAME, maxReceiveCount: LIMITS.execution.maxReceives },
      })),
    ],
  });
  const queueUrls = Object.fromEntries(LANGUAGE_IDS.map((id) => [id, sqs.queueUrl(runQueueName(id))]));
  process.env[ENV.runQueueUrls] = JSON.stringify(queueUrls);
  process.env[ENV.sqsEndpoint] = sqs.endpoint;
  resetConfig();
  resetClients();

  const runners = new LocalRunners({
    queueUrls,
    env: pick(process.env, [ENV.tableName, ENV.dynamoEndpoint, ENV.wsManagementEndpoint, ENV.region, ENV.sqsEndpoint, 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'POWERTOOLS_LOG_LEVEL', 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED']),
    idleMs: opts.runnerIdleMs,
    slots: opts.runnerSlots,
    log: (m) => log.info(m),
  });
  setLauncher(runners);

  const deadLetterPoller: Poller = pollToHandler({
    endpoint: sqs.endpoint,
    queueUrl: sqs.queueUrl(DEAD_LETTER_NAME),
    queueArn: sqs.queueArn(DEAD_LETTER_NAME),
    handler: (event) => invoke({ functionName: 'pipeline-dead-letter', entry: PIPELINE_FUNCTIONS.deadLetter.entry, event }) as never,
    onError: (err) => log.error('dead-letter handler failed', err),
  });

  let watchdogRunning: Promise<unknown> = Promise.resolve();
  const watchdog = setInterval(() => {
    watchdogRunning = invoke({ functionName: 'pipeline-watchdog', entry: PIPELINE_FUNCTIONS.watchdog.entry, event: { source: 'local.schedule' } }).catch(
      (err: unknown) => log.error('watchdog failed', err),
    );
  }, opts.watchdogIntervalMs ?? PIPELINE_FUNCTIONS.watchdog.everyMinutes * 60_000);
  log.info(`SQS (local) on ${sqs.endpoint}: ${LANGUAGE_IDS.length} run queues, one dead-letter queue`);

  return {
    sqsEndpoint: sqs.endpoint,
    queueUrls,
    runners,
    stop: async () => {
      clearInterval(watchdog);
      await watchdogRunning;
      await runners.stop();
      await deadLetterPoller.stop();
      await sqs.stop();
    },
  };
}

function pick(env: NodeJS.ProcessEnv, names: string[]): Record<string, string> {
  return Object.fromEntries(names.filter((n) => env[n] !== undefined).map((n) => [n, env[n]!]));
}
