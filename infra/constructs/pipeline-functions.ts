/**
 * The functions of the execution pipeline that no route calls (shared/contract/routes.ts PIPELINE_FUNCTIONS):
 * the launcher on the launch queue (the only principal that may call ecs:RunTask), the dead-letter
 * function on the shared DLQ and the scheduled watchdog. The last two make sure every execution
 * reaches a final status (docs/protocol.md §6) even when a runner dies or never starts.
 */
import { Duration } from 'aws-cdk-lib';
import type { WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULT_MAX_RUNNERS_IN_FLIGHT, ENV } from '#aws/config.js';
import { PIPELINE_FUNCTIONS } from '#contract/routes.js';
import { WATCH_INDEX } from '#aws/table.js';
import type { StageSettings } from '../stage.js';
import { ProjectFunction } from './project-function.js';
import type { RunnerCluster } from './runners.js';

export type PipelineFunctionName = keyof typeof PIPELINE_FUNCTIONS;

export interface PipelineFunctionsProps {
  readonly stage: StageSettings;
  readonly table: ITable;
  /** Both functions push `execution-finished` to the session's sockets. */
  readonly webSocket: WebSocketStage;
  /** The one dead-letter queue every run queue and the launch queue redrive to. */
  readonly deadLetterQueue: IQueue;
  /** Launch requests `{language, count}` for the launcher. */
  readonly launchQueue: IQueue;
  /** The launcher starts these runners. */
  readonly runners: RunnerCluster;
}

export class PipelineFunctions extends Construct {
  readonly functions: Readonly<Record<PipelineFunctionName, ProjectFunction>>;
  readonly watchdogSchedule: Rule;

  constructor(scope: Construct, id: string, props: PipelineFunctionsProps) {
    super(scope, id);
    const { stage, table, webSocket } = props;

    const deadLetter = new ProjectFunction(this, 'Pipeline-deadLetter', {
      entry: PIPELINE_FUNCTIONS.deadLetter.entry,
      description: 'Ends dead-lettered runs as SYSTEM_ERROR (SQS event source on the shared DLQ)',
      stage,
      serviceName: 'interview-pipeline-dead-letter',
      // The DLQs' visibility timeout (60 s) is 6x this, as Lambda advises for SQS event sources.
      timeout: Duration.seconds(10),
    })
      .bindTable(table, 'readWrite')
      .bindWebSocket(webSocket, ['POST']);
    // Partial batch responses (Powertools BatchProcessor): one failing record does not redeliver the rest.
    deadLetter.fn.addEventSource(new SqsEventSource(props.deadLetterQueue, { batchSize: 10, reportBatchItemFailures: true }));

    const launcher = new ProjectFunction(this, 'Pipeline-launcher', {
      entry: PIPELINE_FUNCTIONS.launcher.entry,
      description: 'Starts Fargate runners (RunTask) for the requests on the launch queue',
      stage,
      serviceName: 'interview-pipeline-launcher',
      // The launch queue's visibility timeout (90 s) is 6x this.
      timeout: Duration.seconds(15),
    });
    props.runners.grantRunTask(launcher);
    // The deployment-wide cap (-c maxRunnersInFlight) is enforced here, against the runner registry:
    // the launcher counts live and booting runners and records the tasks it starts (shared/aws/runners/capacity.ts).
    launcher.bindTable(table, 'readWrite');
    launcher.fn.addEnvironment(ENV.maxRunnersInFlight, String(maxRunnersInFlight(this)));
    launcher.fn.addEnvironment(ENV.maxRunners, String(props.runners.maxRunnersPerLanguage));
    // A failed RunTask is a batch item failure: SQS retries that request alone, then dead-letters it.
    launcher.fn.addEventSource(new SqsEventSource(props.launchQueue, { batchSize: 10, reportBatchItemFailures: true }));

    const { everyMinutes } = PIPELINE_FUNCTIONS.watchdog;
    const watchdog = new ProjectFunction(this, 'Pipeline-watchdog', {
      entry: PIPELINE_FUNCTIONS.watchdog.entry,
      description: `Ends overdue executions as SYSTEM_ERROR (every ${everyMinutes} min, watch index)`,
      stage,
      serviceName: 'interview-pipeline-watchdog',
      // Must finish before the next tick starts another pass over the same overdue items.
      timeout: Duration.seconds(Math.min(50, everyMinutes * 60 - 10)),
    })
      .bindTable(table, 'readWrite', { indexes: [WATCH_INDEX] })
      // DELETE: it closes the sockets of sessions that expired under them (functions/pipeline/watchdog.ts).
      .bindWebSocket(webSocket, ['POST', 'DELETE']);
    // A run still QUEUED makes the watchdog ask for a runner of its language (ensureRunners): it sends
    // launch requests like any run-queuing function, so it needs the queue, its URL and the per-language cap.
    watchdog.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [props.launchQueue.queueArn] }));
    watchdog.fn.addEnvironment(ENV.launchQueueUrl, props.launchQueue.queueUrl);
    watchdog.fn.addEnvironment(ENV.maxRunners, String(props.runners.maxRunnersPerLanguage));
    this.watchdogSchedule = new Rule(this, 'WatchdogSchedule', {
      description: `Runs the execution watchdog every ${everyMinutes} minute(s)`,
      schedule: Schedule.rate(Duration.minutes(everyMinutes)),
      // No retries: the next tick is a retry, and its query sees the same overdue items.
      targets: [new LambdaFunction(watchdog.fn, { retryAttempts: 0 })],
    });

    this.functions = { deadLetter, launcher, watchdog };
  }
}

/**
 * `-c maxRunnersInFlight=N`: runner tasks alive or booting across all languages, enforced by the launcher.
 * Read here rather than threaded through the stack props: only the launcher uses it.
 */
export function maxRunnersInFlight(scope: Construct): number {
  const raw = scope.node.tryGetContext('maxRunnersInFlight') as string | number | undefined;
  if (raw === undefined) return DEFAULT_MAX_RUNNERS_IN_FLIGHT;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`-c maxRunnersInFlight=${String(raw)}: expected a positive integer`);
  return value;
}
