import { LIMITS } from '#contract/limits.js';
import { conditionFailed, ddb, givenRunners, LAUNCH_QUEUE, launchRequests, runnerItem, sent, sqsMock, TABLE, useMockedDynamo } from '../fixtures.js';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { logger } from '#telemetry/log.js';
import { resetConfig } from '#aws/config.js';
import { ensureRunners, queueLauncher, setLauncher } from '#aws/runners/launcher.js';

const NOW = 1_760_000_000_000;

describe('ensureRunners(language)', () => {
  useMockedDynamo();
  afterEach(() => setLauncher(queueLauncher));

  it('is "warm" when a runner heartbeat is fresh: no lease, no launch', async () => {
    givenRunners([runnerItem('r-1', { heartbeatAt: NOW - 1_000 })]);
    expect(await ensureRunners('python', 1, NOW)).toBe('warm');
    expect(sent(QueryCommand)).toEqual([
      expect.objectContaining({
        KeyConditionExpression: 'PK = :pk',
        FilterExpression: 'heartbeatAt > :fresh',
        ExpressionAttributeValues: { ':pk': 'RUNNERS#python', ':fresh': NOW - LIMITS.execution.runnerStaleMs },
        // Heartbeats are written by other processes: an eventually consistent read may miss a new runner.
        ConsistentRead: true,
      }),
    ]);
    expect(sent(PutCommand)).toEqual([]);
    expect(launchRequests()).toEqual([]);
  });

  it('takes the launch lease and queues one launch request when no runner is alive', async () => {
    expect(await ensureRunners('python', 1, NOW)).toBe('launched');
    expect(sent(PutCommand)).toEqual([
      expect.objectContaining({
        Item: expect.objectContaining({ PK: 'LEASE#python', SK: 'LEASE', launchedAt: NOW }),
        ConditionExpression: 'attribute_not_exists(PK) OR launchedAt < :cutoff',
        ExpressionAttributeValues: { ':cutoff': NOW - 90_000 },
      }),
    ]);
    expect(sqsMock.commandCalls(SendMessageCommand).map((c) => c.args[0].input)).toEqual([
      { QueueUrl: LAUNCH_QUEUE, MessageBody: JSON.stringify({ language: 'python', count: 1 }) },
    ]);
  });

  it('asks only for the missing runners, capped at maxRunnersPerLanguage (4)', async () => {
    givenRunners([runnerItem('r-1', { heartbeatAt: NOW })]);
    expect(await ensureRunners('python', 3, NOW)).toBe('launched');
    expect(await ensureRunners('python', 50, NOW)).toBe('launched');
    expect(launchRequests()).toEqual([
      { language: 'python', count: 2 },
      { language: 'python', count: 3 },
    ]);
  });

  it('is "booting" when another request holds the lease: no second launch', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());
    expect(await ensureRunners('python', 1, NOW)).toBe('booting');
    expect(launchRequests()).toEqual([]);
  });

  it('launches exactly once when 8 requests ensure runners at once (lease dedupe)', async () => {
    ddb.on(PutCommand).resolvesOnce({}).rejects(conditionFailed());
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => ensureRunners('python', 1, NOW)));
    expect(outcomes.filter((o) => o === 'launched')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'booting')).toHaveLength(7);
    expect(sent(PutCommand)).toHaveLength(8);
    expect(launchRequests()).toEqual([{ language: 'python', count: 1 }]);
  });

  it('is "failed" and never throws when the launch queue or the store is unreachable', async () => {
    sqsMock.on(SendMessageCommand).rejects(new Error('AccessDenied'));
    await expect(ensureRunners('python', 1, NOW)).resolves.toBe('failed');
    ddb.on(QueryCommand).rejects(new Error('ProvisionedThroughputExceeded'));
    await expect(ensureRunners('python', 1, NOW)).resolves.toBe('failed');
  });

  it('gives its launch lease back when the launch fails, so the next request is not told "booting" for 90 s', async () => {
    sqsMock.on(SendMessageCommand).rejectsOnce(new Error('AccessDenied')).resolves({});
    expect(await ensureRunners('python', 1, NOW)).toBe('failed');
    // Only its own lease (same launchedAt): a newer one taken meanwhile by another request stays.
    expect(sent(DeleteCommand)).toEqual([
      { TableName: TABLE, Key: { PK: 'LEASE#python', SK: 'LEASE' }, ConditionExpression: 'launchedAt = :at', ExpressionAttributeValues: { ':at': NOW } },
    ]);
    // The lease is free again (DynamoDB would accept the conditional put): the retry launches.
    expect(await ensureRunners('python', 1, NOW + 1_000)).toBe('launched');
    expect(launchRequests()).toEqual([{ language: 'python', count: 1 }, { language: 'python', count: 1 }]); // refused, then sent
  });

  it('keeps the lease when the launch succeeded or another request holds it', async () => {
    expect(await ensureRunners('python', 1, NOW)).toBe('launched');
    ddb.on(PutCommand).rejects(conditionFailed());
    expect(await ensureRunners('python', 1, NOW)).toBe('booting');
    expect(sent(DeleteCommand)).toEqual([]);
  });

  it('still answers "failed" when giving the lease back fails too', async () => {
    sqsMock.on(SendMessageCommand).rejects(new Error('AccessDenied'));
    ddb.on(DeleteCommand).rejects(new Error('ProvisionedThroughputExceeded'));
    await expect(ensureRunners('python', 1, NOW)).resolves.toBe('failed');
  });

  it('is "failed" without any call when no launch queue is configured, and says so once (a WARN, not an ERROR per join)', async () => {
    const saved = process.env.LAUNCH_QUEUE_URL;
    delete process.env.LAUNCH_QUEUE_URL;
    resetConfig();
    const warned: string[] = [];
    const errored: string[] = [];
    const warn = vi.spyOn(logger, 'warn').mockImplementation(((m: string) => void warned.push(m)) as typeof logger.warn);
    const error = vi.spyOn(logger, 'error').mockImplementation(((m: string) => void errored.push(m)) as typeof logger.error);
    try {
      expect(await ensureRunners('go', 1, NOW)).toBe('failed');
      expect(await ensureRunners('python', 1, NOW)).toBe('failed');
      expect(sqsMock.commandCalls(SendMessageCommand)).toEqual([]);
      expect(ddb.calls()).toEqual([]); // no registry read, no lease taken and given back
      expect(warned).toEqual(['runners cannot be started here: no launch queue (LAUNCH_QUEUE_URL) and no local launcher']);
      expect(errored).toEqual([]);
    } finally {
      warn.mockRestore();
      error.mockRestore();
      process.env.LAUNCH_QUEUE_URL = saved;
      resetConfig();
    }
  });

  it('uses the registered launcher instead (the local stack swaps one in)', async () => {
    const launched: [string, number][] = [];
    setLauncher({ launch: async (language, count) => void launched.push([language, count]) });
    expect(await ensureRunners('go', 1, NOW)).toBe('launched');
    expect(launched).toEqual([['go', 1]]);
    expect(launchRequests()).toEqual([]);
  });
});
