/** functions/pipeline/launcher.ts: launch requests from the launch queue become ECS RunTask calls. */
import { ecsMock, sqsEvent, useMockedDynamo } from '../fixtures.js';
import { RunTaskCommand } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { resetConfig } from '../../../shared/config.js';
import { handler } from '../../../functions/pipeline/launcher.js';

const request = (language: string, count: number) => JSON.stringify({ language, count });
const runTasks = () => ecsMock.commandCalls(RunTaskCommand).map((c) => c.args[0].input);

describe('launcher function (launch queue → RunTask)', () => {
  useMockedDynamo();

  it('starts the requested Fargate tasks with the cluster, task definition and network of the environment', async () => {
    expect(await handler(sqsEvent(request('go', 2)))).toEqual({ batchItemFailures: [] });
    expect(runTasks()).toEqual([
      {
        cluster: 'arn:aws:ecs:eu-west-1:123456789012:cluster/runners',
        taskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/runner-go:3',
        launchType: 'FARGATE',
        count: 2,
        startedBy: 'launcher-go',
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-aaa', 'subnet-bbb'], securityGroups: ['sg-runner'], assignPublicIp: 'ENABLED' } },
      },
    ]);
  });

  it('reports a failed RunTask (error or failures) as a batch item failure, drops unreadable requests', async () => {
    ecsMock
      .on(RunTaskCommand, { taskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/runner-go:3' })
      .resolves({ failures: [{ reason: 'RESOURCE:ENI' }] });
    const res = await handler(sqsEvent(request('python', 1), request('go', 1), 'garbage', request('cobol', 1), request('python', 99), request('rust', 1)));
    // go: RunTask reported failures; rust: no task definition configured. Unreadable ones are dropped.
    expect(res.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['msg-2', 'msg-6']); // in completion order
    expect(runTasks().map((t) => t.taskDefinition)).toEqual([
      'arn:aws:ecs:eu-west-1:123456789012:task-definition/runner-python:3',
      'arn:aws:ecs:eu-west-1:123456789012:task-definition/runner-go:3',
    ]);
  });

  it('reads the ECS settings from the environment', async () => {
    const saved = process.env.RUNNER_SUBNETS;
    process.env.RUNNER_SUBNETS = 'subnet-zzz';
    resetConfig();
    try {
      await handler(sqsEvent(request('python', 1)));
      expect(runTasks()[0]?.networkConfiguration?.awsvpcConfiguration?.subnets).toEqual(['subnet-zzz']);
    } finally {
      process.env.RUNNER_SUBNETS = saved;
      resetConfig();
    }
  });
});
