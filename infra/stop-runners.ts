/**
 * Stops the standalone runner tasks of one stage before its stack is deleted. RunTask tasks belong to no
 * CloudFormation resource, and while one lives (up to RUNNER_IDLE_MS after its last job) CloudFormation
 * cannot delete the cluster, the subnets or the security group: `cdk destroy` fails after a long wait.
 * The stage's cluster is found by the tags the app puts on every resource (infra/app.ts). Tasks of the
 * warm services are left to CloudFormation, which drains a service when it deletes it.
 */
import {
  DescribeClustersCommand,
  DescribeTasksCommand,
  ECSClient,
  paginateListClusters,
  paginateListTasks,
  StopTaskCommand,
  waitUntilTasksStopped,
} from '@aws-sdk/client-ecs';

/** Tags infra/app.ts puts on every resource of the app. */
export const PROJECT_TAG = { key: 'project', value: 'interview-backend' } as const;
export const STAGE_TAG_KEY = 'stage';

const DESCRIBE_BATCH = 100; // DescribeClusters and DescribeTasks take at most 100 ARNs

export interface StopRunnersOptions {
  readonly client: ECSClient;
  readonly stage: string;
  /** How long to wait for the stopped tasks to reach STOPPED (SIGTERM, then SIGKILL after the 120 s stop timeout). */
  readonly maxWaitSeconds?: number;
  readonly log?: (line: string) => void;
}

export interface StopRunnersResult {
  /** The stage's runner cluster, or undefined when there is none (stack never deployed or gone). */
  readonly cluster?: string;
  readonly stopped: string[];
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The ARN of the ECS cluster tagged with this project and stage. */
export async function findRunnerCluster(client: ECSClient, stage: string): Promise<string | undefined> {
  const arns: string[] = [];
  for await (const page of paginateListClusters({ client }, {})) arns.push(...(page.clusterArns ?? []));
  const matches: string[] = [];
  for (const batch of chunks(arns, DESCRIBE_BATCH)) {
    const { clusters = [] } = await client.send(new DescribeClustersCommand({ clusters: batch, include: ['TAGS'] }));
    for (const cluster of clusters) {
      const tags = new Map((cluster.tags ?? []).map((t) => [t.key, t.value]));
      if (tags.get(PROJECT_TAG.key) === PROJECT_TAG.value && tags.get(STAGE_TAG_KEY) === stage && cluster.clusterArn) matches.push(cluster.clusterArn);
    }
  }
  // One stack per stage and account/region, one cluster per stack: two would mean something foreign.
  if (matches.length > 1) throw new Error(`several clusters are tagged ${PROJECT_TAG.key}=${PROJECT_TAG.value}, ${STAGE_TAG_KEY}=${stage}: ${matches.join(', ')}`);
  return matches[0];
}

export async function stopRunnerTasks(options: StopRunnersOptions): Promise<StopRunnersResult> {
  const { client, stage } = options;
  const log = options.log ?? (() => {});
  const cluster = await findRunnerCluster(client, stage);
  if (!cluster) {
    log(`no runner cluster tagged ${STAGE_TAG_KEY}=${stage}: nothing to stop`);
    return { stopped: [] };
  }

  // RUNNING also lists PROVISIONING and PENDING tasks: everything that is not on its way out.
  const arns: string[] = [];
  for await (const page of paginateListTasks({ client }, { cluster, desiredStatus: 'RUNNING' })) arns.push(...(page.taskArns ?? []));
  const standalone: string[] = [];
  for (const batch of chunks(arns, DESCRIBE_BATCH)) {
    const { tasks = [] } = await client.send(new DescribeTasksCommand({ cluster, tasks: batch }));
    for (const task of tasks) if (task.taskArn && !task.group?.startsWith('service:')) standalone.push(task.taskArn);
  }
  if (standalone.length === 0) {
    log(`no runner task running in ${cluster}`);
    return { cluster, stopped: [] };
  }

  log(`stopping ${standalone.length} runner task(s) in ${cluster}`);
  for (const task of standalone) {
    await client.send(new StopTaskCommand({ cluster, task, reason: `npm run destroy: deleting stage ${stage}` }));
  }
  for (const batch of chunks(standalone, DESCRIBE_BATCH)) {
    await waitUntilTasksStopped({ client, maxWaitTime: options.maxWaitSeconds ?? 300 }, { cluster, tasks: batch });
  }
  log(`stopped ${standalone.length} runner task(s)`);
  return { cluster, stopped: standalone };
}
