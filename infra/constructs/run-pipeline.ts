/**
 * The execution pipeline (docs/protocol.md §6, docs/execution.md): a run request is stored, then a message goes to
 * its language's queue; Fargate runners of that language (started on demand) run it in the sandbox and
 * push the output; the dead-letter function and the watchdog end whatever gets lost.
 *
 *   POST /executions, run-code ──SendMessage──▶ run queue <lang> ──▶ runner tasks <lang> ──▶ table + pushes
 *      │ (no live runner)                                   ▲        │ 3 failed deliveries (any queue)
 *      └──▶ launch queue ──▶ launcher fn ──RunTask──▶ cluster  shared DLQ ──▶ dead-letter fn ──▶ SYSTEM_ERROR
 *   every minute: watchdog ──▶ `watch` index: overdue QUEUED/RUNNING ──▶ SYSTEM_ERROR
 */
import { CfnOutput } from 'aws-cdk-lib';
import type { WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { ENV } from '#aws/config.js';
import { LANGUAGE_IDS } from '#contract/languages.js';
import type { StageSettings } from '../stage.js';
import { PipelineFunctions } from './pipeline-functions.js';
import type { ProjectFunction } from './project-function.js';
import { RunQueues } from './run-queues.js';
import { RunnerCluster, type RunnerClusterProps } from './runners.js';

/** What the API constructs need from the pipeline: the grants of a function that queues runs. */
export interface RunGrants {
  grantRuns(fn: ProjectFunction): void;
  grantWarming(fn: ProjectFunction): void;
}

export interface RunPipelineProps extends Pick<RunnerClusterProps, 'cpu' | 'memoryMiB' | 'warmRunners' | 'maxRunnersPerLanguage' | 'image' | 'containerInsights'> {
  readonly stage: StageSettings;
  readonly table: ITable;
  readonly webSocket: WebSocketStage;
}

/**
 * Named for what it is, the pipeline that runs code, not after the domain's Execution (a run's record).
 * The stack creates it with the construct id 'Execution' as before: logical ids derive from construct
 * ids, not class names, so a deployed stack keeps its queues, cluster and functions.
 */
export class RunPipeline extends Construct implements RunGrants {
  readonly queues: RunQueues;
  readonly runners: RunnerCluster;
  readonly pipeline: PipelineFunctions;

  constructor(scope: Construct, id: string, props: RunPipelineProps) {
    super(scope, id);
    const { stage, table, webSocket } = props;

    this.queues = new RunQueues(this, 'Queues');
    this.runners = new RunnerCluster(this, 'Runners', {
      stage,
      table,
      webSocket,
      queues: this.queues.queues,
      launchQueue: this.queues.launchQueue,
      cpu: props.cpu,
      memoryMiB: props.memoryMiB,
      warmRunners: props.warmRunners,
      maxRunnersPerLanguage: props.maxRunnersPerLanguage,
      image: props.image,
      containerInsights: props.containerInsights,
    });
    this.pipeline = new PipelineFunctions(this, 'Pipeline', {
      stage,
      table,
      webSocket,
      deadLetterQueue: this.queues.deadLetterQueue,
      launchQueue: this.queues.launchQueue,
      runners: this.runners,
    });

    new CfnOutput(this, 'RunnerClusterName', { key: 'RunnerClusterName', value: this.runners.cluster.clusterName, description: 'ECS cluster of the runners' });
    new CfnOutput(this, 'RunQueueUrls', { key: 'RunQueueUrls', value: this.queues.urlsJson(), description: 'Run queue URL per language (JSON)' });
  }

  /**
   * For functions that queue runs (`runs: true` in the route tables): SendMessage on every run queue
   * (RUN_QUEUE_URLS) and on the launch queue (LAUNCH_QUEUE_URL) to ask for runners. No ECS permission:
   * only the launcher function calls RunTask.
   */
  grantRuns(fn: ProjectFunction): void {
    // SendMessage only: grantSendMessages would add GetQueueAttributes and GetQueueUrl, which nothing calls.
    for (const language of LANGUAGE_IDS) this.queues.queues[language].grant(fn.fn, 'sqs:SendMessage');
    fn.fn.addEnvironment(ENV.runQueueUrls, this.queues.urlsJson());
    this.grantWarming(fn);
  }

  /**
   * For functions that can switch a session's language (`warms: true`: PATCH, a restore): SendMessage on
   * the launch queue (LAUNCH_QUEUE_URL) and the per-language cap, so `ensureRunners` asks for a runner of
   * the new language. Without them it logs once and the first run waits for a cold Fargate start.
   */
  grantWarming(fn: ProjectFunction): void {
    this.queues.launchQueue.grant(fn.fn, 'sqs:SendMessage');
    fn.fn.addEnvironment(ENV.launchQueueUrl, this.queues.launchQueue.queueUrl);
    fn.fn.addEnvironment(ENV.maxRunners, String(this.runners.maxRunnersPerLanguage));
  }
}
