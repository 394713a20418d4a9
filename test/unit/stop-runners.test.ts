/**
 * infra/stop-runners.ts (`npm run destroy`): finds the stage's runner cluster by its tags and stops its
 * standalone tasks (not the warm services'), then waits for them, before `cdk destroy` runs.
 */
import {
  DescribeClustersCommand,
  DescribeTasksCommand,
  ECSClient,
  ListClustersCommand,
  ListTasksCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { stopRunnerTasks } from '../../infra/stop-runners.js';

const ecs = mockClient(ECSClient);
const client = new ECSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });

const arn = (name: string) => `arn:aws:ecs:eu-west-1:123456789012:cluster/${name}`;
const task = (id: string) => `arn:aws:ecs:eu-west-1:123456789012:task/c/${id}`;
const tags = (stage: string, project = 'interview-backend') => [
  { key: 'project', value: project },
  { key: 'stage', value: stage },
];

beforeEach(() => {
  ecs.reset();
  // Two pages of clusters: the stage's own, another stage's, and a foreign one with the same stage tag.
  ecs.on(ListClustersCommand).resolvesOnce({ clusterArns: [arn('dev'), arn('prod')], nextToken: 'p2' }).resolves({ clusterArns: [arn('other')] });
  ecs.on(DescribeClustersCommand).resolves({
    clusters: [
      { clusterArn: arn('dev'), tags: tags('dev') },
      { clusterArn: arn('prod'), tags: tags('prod') },
      { clusterArn: arn('other'), tags: tags('dev', 'someone-else') },
    ],
  });
  ecs.on(StopTaskCommand).resolves({});
});

describe('stopRunnerTasks', () => {
  it('stops every standalone task of the stage\'s cluster (all pages), leaves service tasks, waits until they are STOPPED', async () => {
    ecs.on(ListTasksCommand).resolvesOnce({ taskArns: [task('a'), task('svc')], nextToken: 't2' }).resolves({ taskArns: [task('b')] });
    ecs
      .on(DescribeTasksCommand)
      .resolvesOnce({
        tasks: [
          { taskArn: task('a'), group: 'family:Interview-dev-runner-python', lastStatus: 'RUNNING' },
          { taskArn: task('svc'), group: 'service:Interview-dev-python-Warm', lastStatus: 'RUNNING' },
          { taskArn: task('b'), group: 'family:Interview-dev-runner-go', lastStatus: 'PENDING' },
        ],
      })
      // The waiter's poll: both stopped.
      .resolves({ tasks: [{ taskArn: task('a'), lastStatus: 'STOPPED' }, { taskArn: task('b'), lastStatus: 'STOPPED' }] });

    const lines: string[] = [];
    const result = await stopRunnerTasks({ client, stage: 'dev', log: (l) => lines.push(l) });

    expect(result).toEqual({ cluster: arn('dev'), stopped: [task('a'), task('b')] });
    expect(ecs.commandCalls(DescribeClustersCommand)[0]!.args[0].input).toEqual({ clusters: [arn('dev'), arn('prod'), arn('other')], include: ['TAGS'] });
    expect(ecs.commandCalls(ListTasksCommand).map((c) => c.args[0].input)).toEqual([
      expect.objectContaining({ cluster: arn('dev'), desiredStatus: 'RUNNING' }),
      expect.objectContaining({ cluster: arn('dev'), desiredStatus: 'RUNNING', nextToken: 't2' }),
    ]);
    expect(ecs.commandCalls(StopTaskCommand).map((c) => c.args[0].input)).toEqual([
      { cluster: arn('dev'), task: task('a'), reason: 'npm run destroy: deleting stage dev' },
      { cluster: arn('dev'), task: task('b'), reason: 'npm run destroy: deleting stage dev' },
    ]);
    // The waiter asked about exactly the stopped tasks, after they were stopped.
    expect(ecs.commandCalls(DescribeTasksCommand).at(-1)!.args[0].input).toEqual({ cluster: arn('dev'), tasks: [task('a'), task('b')] });
    expect(lines.at(-1)).toBe('stopped 2 runner task(s)');
  });

  it('stops nothing when no task runs', async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    expect(await stopRunnerTasks({ client, stage: 'prod' })).toEqual({ cluster: arn('prod'), stopped: [] });
    expect(ecs.commandCalls(StopTaskCommand)).toEqual([]);
  });

  it('does nothing when the stage has no cluster (never deployed, already deleted)', async () => {
    expect(await stopRunnerTasks({ client, stage: 'pr-7' })).toEqual({ stopped: [] });
    expect(ecs.commandCalls(ListTasksCommand)).toEqual([]);
  });

  it('fails when a task does not stop in time instead of letting cdk destroy fail later', async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: [task('a')] });
    ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: task('a'), group: 'family:x', lastStatus: 'RUNNING' }] });
    await expect(stopRunnerTasks({ client, stage: 'dev', maxWaitSeconds: 1 })).rejects.toThrow();
    expect(ecs.commandCalls(StopTaskCommand)).toHaveLength(1);
  });
});
