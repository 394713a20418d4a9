import { conditionFailed, ddb, ecsMock, givenRunners, runnerItem, sent, useMockedDynamo } from '../fixtures.js';
import { RunTaskCommand } from '@aws-sdk/client-ecs';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { resetConfig } from '../../../shared/config.js';
import { ecsLauncher, ensureRunners, setLauncher } from '../../../shared/runners/launcher.js';

const NOW = 1_760_000_000_000;
const runTasks = () => ecsMock.commandCalls(RunTaskCommand).map((c) => c.args[0].input);

describe('ensureRunners(language)', () => {
  useMockedDynamo();
  afterEach(() => {
    setLauncher(ecsLauncher);
  });

  it('is "warm" when a runner heartbeat is fresh: no lease, no launch', async () => {
    givenRunners([runnerItem('r-1', { heartbeatAt: NOW - 1_000 })]);
    expect(await ensureRunners('python', 1, NOW)).toBe('warm');
    expect(sent(QueryCommand)).toEqual([
      expect.objectContaining({
        KeyConditionExpression: 'PK = :pk',
        FilterExpression: 'heartbeatAt > :fresh',
        ExpressionAttributeValues: { ':pk': 'RUNNERS#python', ':fresh': NOW - 60_000 },
      }),
    ]);
    expect(sent(PutCommand)).toEqual([]);
    expect(runTasks()).toEqual([]);
  });

  it('takes the launch lease and starts one Fargate task when no runner is alive', async () => {
    expect(await ensureRunners('python', 1, NOW)).toBe('launched');
    expect(sent(PutCommand)).toEqual([
      expect.objectContaining({
        Item: expect.objectContaining({ PK: 'LEASE#python', SK: 'LEASE', launchedAt: NOW }),
        ConditionExpression: 'attribute_not_exists(PK) OR launchedAt < :cutoff',
        ExpressionAttributeValues: { ':cutoff': NOW - 90_000 },
      }),
    ]);
    expect(runTasks()).toEqual([
      {
        cluster: 'arn:aws:ecs:eu-west-1:123456789012:cluster/runners',
        taskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/runner-python:3',
        launchType: 'FARGATE',
        count: 1,
        startedBy: 'launcher-python',
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-aaa', 'subnet-bbb'], securityGroups: ['sg-runner'], assignPublicIp: 'ENABLED' } },
      },
    ]);
  });

  it('launches only the missing runners, capped at maxRunnersPerLanguage (4)', async () => {
    givenRunners([runnerItem('r-1', { heartbeatAt: NOW })]);
    expect(await ensureRunners('python', 3, NOW)).toBe('launched');
    expect(runTasks().map((t) => t.count)).toEqual([2]);
    ecsMock.resetHistory();
    expect(await ensureRunners('python', 50, NOW)).toBe('launched');
    expect(runTasks().map((t) => t.count)).toEqual([3]);
  });

  it('is "booting" when another request holds the lease: no second launch', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());
    expect(await ensureRunners('python', 1, NOW)).toBe('booting');
    expect(runTasks()).toEqual([]);
  });

  it('starts exactly one task when 8 requests ensure runners at once (lease dedupe)', async () => {
    ddb.on(PutCommand).resolvesOnce({}).rejects(conditionFailed());
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => ensureRunners('python', 1, NOW)));
    expect(outcomes.filter((o) => o === 'launched')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'booting')).toHaveLength(7);
    expect(sent(PutCommand)).toHaveLength(8);
    expect(runTasks()).toHaveLength(1);
  });

  it('is "failed" and never throws when RunTask fails or reports failures', async () => {
    ecsMock.on(RunTaskCommand).rejectsOnce(new Error('AccessDenied')).resolves({ failures: [{ reason: 'RESOURCE:ENI' }] });
    await expect(ensureRunners('python', 1, NOW)).resolves.toBe('failed');
    await expect(ensureRunners('python', 1, NOW)).resolves.toBe('failed');
    expect(runTasks()).toHaveLength(2);
  });

  it('is "failed" without calling ECS when the language has no task definition, or the store is down', async () => {
    expect(await ensureRunners('rust', 1, NOW)).toBe('failed');
    expect(runTasks()).toEqual([]);
    ddb.on(QueryCommand).rejects(new Error('ProvisionedThroughputExceeded'));
    await expect(ensureRunners('python', 1, NOW)).resolves.toBe('failed');
  });

  it('uses the registered launcher instead of ECS (the local stack swaps one in)', async () => {
    const launched: [string, number][] = [];
    setLauncher({ launch: async (language, count) => void launched.push([language, count]) });
    expect(await ensureRunners('go', 1, NOW)).toBe('launched');
    expect(launched).toEqual([['go', 1]]);
    expect(runTasks()).toEqual([]);
  });

  it('reads the ECS settings from the environment', async () => {
    const saved = process.env.RUNNER_SUBNETS;
    process.env.RUNNER_SUBNETS = 'subnet-zzz';
    resetConfig();
    try {
      await ensureRunners('go', 1, NOW);
      expect(runTasks()[0]?.networkConfiguration?.awsvpcConfiguration?.subnets).toEqual(['subnet-zzz']);
    } finally {
      process.env.RUNNER_SUBNETS = saved;
      resetConfig();
    }
  });
});
