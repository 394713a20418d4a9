/**
 * The execution pipeline offline, wired like the CDK stack wires it in AWS:
 *   - one run queue + dead-letter queue per language on the local SQS-compatible server (same
 *     maxReceiveCount and visibility timeout as infra), reached by the real SQSClient via SQS_ENDPOINT;
 *   - the dead-letter Lambda fed by an event-source poller on every DLQ (partial batch responses);
 *   - the watchdog Lambda on a timer (EventBridge schedule in AWS);
 *   - runners as local processes running runner/main.ts, started through the same launcher port and
 *     registry/lease logic as Fargate tasks.
 */
import { ENV, resetConfig } from '../shared/config.js';
import { resetClients } from '../shared/clients.js';
import { LANGUAGE_IDS } from '../shared/languages.js';
import { LIMITS } from '../shared/limits.js';
import { setLauncher } from '../shared/runners/launcher.js';
import { PIPELINE_FUNCTIONS } from '../shared/routes.js';
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
const deadLetterName = (language: string) => `run-${language}-dlq`;

/** Call after the handler environment (table, endpoints) is configured: runners inherit it. */
export async function startPipeline(log: Logger, opts: PipelineOptions = {}): Promise<LocalPipeline> {
  const sqs = await startLocalSqs({
    port: opts.sqsPort ?? 0,
    host: opts.host,
    queues: LANGUAGE_IDS.flatMap((id) => [
      { name: deadLetterName(id) },
      {
        name: runQueueName(id),
        visibilityTimeoutSeconds: LIMITS.execution.visibilityTimeoutSeconds,
        deadLetter: { targetName: deadLetterName(id), maxReceiveCount: LIMITS.execution.maxReceives },
      },
    ]),
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

  const pollers: Poller[] = LANGUAGE_IDS.map((id) =>
    pollToHandler({
      endpoint: sqs.endpoint,
      queueUrl: sqs.queueUrl(deadLetterName(id)),
      queueArn: sqs.queueArn(deadLetterName(id)),
      handler: (event) => invoke({ functionName: 'pipeline-dead-letter', entry: PIPELINE_FUNCTIONS.deadLetter.entry, event }) as never,
      onError: (err) => log.error('dead-letter handler failed', err),
    }),
  );

  let watchdogRunning: Promise<unknown> = Promise.resolve();
  const watchdog = setInterval(() => {
    watchdogRunning = invoke({ functionName: 'pipeline-watchdog', entry: PIPELINE_FUNCTIONS.watchdog.entry, event: { source: 'local.schedule' } }).catch(
      (err: unknown) => log.error('watchdog failed', err),
    );
  }, opts.watchdogIntervalMs ?? PIPELINE_FUNCTIONS.watchdog.everyMinutes * 60_000);
  log.info(`SQS (local) on ${sqs.endpoint}: ${LANGUAGE_IDS.length} run queues with dead-letter queues`);

  return {
    sqsEndpoint: sqs.endpoint,
    queueUrls,
    runners,
    stop: async () => {
      clearInterval(watchdog);
      await watchdogRunning;
      await runners.stop();
      await Promise.all(pollers.map((p) => p.stop()));
      await sqs.stop();
    },
  };
}

function pick(env: NodeJS.ProcessEnv, names: string[]): Record<string, string> {
  return Object.fromEntries(names.filter((n) => env[n] !== undefined).map((n) => [n, env[n]!]));
}
