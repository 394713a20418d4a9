/** RunTask for the ECS launcher: only the launcher function (functions/pipeline/launcher.ts) bundles the ECS client. */
import { ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs';
import { countingMiddleware, onResetClients } from '#aws/clients.js';
import { config } from '#aws/config.js';
import { traceClient } from '#telemetry/tracing.js';
import type { LanguageId } from '#contract/languages.js';

let client: ECSClient | undefined;
onResetClients(() => (client = undefined));

function ecs(): ECSClient {
  if (!client) {
    client = traceClient(new ECSClient({ region: config().region }));
    client.middlewareStack.add(countingMiddleware('ecs'), { step: 'initialize', name: 'countCalls' });
  }
  return client;
}

/** RunTask refused some or all tasks; `started` of them did start (they count against the cap). */
export class RunTaskError extends Error {
  constructor(
    message: string,
    readonly started: number,
  ) {
    super(message);
    this.name = 'RunTaskError';
  }
}

/** Starts `count` runner tasks; resolves with the number started, or throws RunTaskError if any was refused. */
export async function runTasks(language: LanguageId, count: number): Promise<number> {
  const c = config().runners;
  const taskDefinition = c.taskDefinitions[language];
  if (!c.clusterArn || !taskDefinition) throw new Error(`no runner task definition configured for ${language}`);
  const out = await ecs().send(
    new RunTaskCommand({
      cluster: c.clusterArn,
      taskDefinition,
      launchType: 'FARGATE',
      count,
      startedBy: `launcher-${language}`.slice(0, 36),
      // The task definition carries the stack's tags (project, stage): copied to the task, Cost Explorer
      // can attribute the runners' Fargate hours to their stage (docs/cost.md).
      propagateTags: 'TASK_DEFINITION',
      networkConfiguration: {
        // Public subnets, no NAT gateway: the task needs egress to AWS APIs only (see docs/execution.md).
        awsvpcConfiguration: { subnets: c.subnets, securityGroups: c.securityGroups, assignPublicIp: 'ENABLED' },
      },
    }),
  );
  const started = out.tasks?.length ?? 0;
  if (out.failures?.length) throw new RunTaskError(`RunTask failed: ${out.failures.map((f) => f.reason).join(', ')}`, started);
  return started;
}
