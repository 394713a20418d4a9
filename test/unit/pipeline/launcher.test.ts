/**
 * functions/pipeline/launcher.ts: launch requests from the launch queue become ECS RunTask calls, clamped
 * by the per-language and the deployment-wide caps, counted against the runner registry.
 */
import { conditionFailed, ddb, ecsMock, runnerItem, sent, sqsEvent, useMockedDynamo, type Item } from '../fixtures.js';
import { RunTaskCommand } from '@aws-sdk/client-ecs';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { resetConfig } from '#aws/config.js';
import { handler } from '../../../functions/pipeline/launcher.js';
import { LANGUAGE_IDS } from '#contract/languages.js';
import { LIMITS } from '#contract/limits.js';
import { LEDGER_KEY, type Boot } from '#aws/runners/capacity.js';
import { functionEnv } from '../env.js';

const env = functionEnv('pipeline-launcher');
const taskDefinitions = JSON.parse(env.RUNNER_TASK_DEFINITIONS!) as Record<string, string>;
const MAX_IN_FLIGHT = Number(env.MAX_RUNNERS_IN_FLIGHT);
const MAX_PER_LANGUAGE = Number(env.MAX_RUNNERS_PER_LANGUAGE);

const request = (language: string, count: number) => JSON.stringify({ language, count });
const runTasks = () => ecsMock.commandCalls(RunTaskCommand).map((c) => c.args[0].input);
const ledgerWrites = () => sent(PutCommand).filter((p) => p.Item?.PK === LEDGER_KEY.PK && p.Item?.SK === LEDGER_KEY.SK);

/** Live runners per language, as the registry Query (one per language) finds them. */
let live: Record<string, number> = {};
function givenLive(counts: Record<string, number>): void {
  live = counts;
}
function givenLedger(boots: Omit<Boot, 'id'>[], version = 1): void {
  ddb.on(GetCommand, { Key: LEDGER_KEY }).resolves({ Item: { ...LEDGER_KEY, version, boots: boots.map((b, i) => ({ id: `b-${i}`, ...b })) } });
}

/** The ledger item as the table keeps it, its version condition enforced: concurrent records race for real. */
function ledgerInTable(): () => Item | undefined {
  let stored: Item | undefined;
  ddb.on(GetCommand, { Key: LEDGER_KEY }).callsFake(() => ({ Item: stored }));
  ddb.on(PutCommand).callsFake((input: { Item: Item; ExpressionAttributeValues?: Record<string, number> }) => {
    if ((stored?.version as number | undefined) !== input.ExpressionAttributeValues?.[':v']) throw conditionFailed();
    stored = input.Item;
    return {};
  });
  return () => stored;
}

describe('launcher function (launch queue → RunTask)', () => {
  useMockedDynamo();
  beforeEach(() => {
    live = {};
    ddb.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: Record<string, string> }) => {
      const language = input.ExpressionAttributeValues[':pk']!.replace('RUNNERS#', '');
      return { Items: Array.from({ length: live[language] ?? 0 }, (_, i): Item => runnerItem(`${language}-${i}`, { PK: `RUNNERS#${language}`, language, heartbeatAt: Date.now() })) };
    });
    ecsMock.on(RunTaskCommand).callsFake((input: { count: number }) => ({ tasks: Array.from({ length: input.count }, (_, i) => ({ taskArn: `t-${i}` })), failures: [] }));
  });

  it('starts the requested Fargate tasks with the cluster, task definition and network the stack gives it', async () => {
    expect(await handler(sqsEvent(request('go', 2)))).toEqual({ batchItemFailures: [] });
    expect(runTasks()).toEqual([
      {
        cluster: env.RUNNER_CLUSTER_ARN,
        taskDefinition: taskDefinitions.go,
        launchType: 'FARGATE',
        count: 2,
        startedBy: 'launcher-go',
        propagateTags: 'TASK_DEFINITION', // cost allocation by the stack's project/stage tags
        networkConfiguration: {
          awsvpcConfiguration: { subnets: env.RUNNER_SUBNETS!.split(','), securityGroups: [env.RUNNER_SECURITY_GROUPS], assignPublicIp: 'ENABLED' },
        },
      },
    ]);
  });

  it('counts every language in the registry with consistent reads, and records the tasks it starts as booting', async () => {
    const before = Date.now();
    await handler(sqsEvent(request('python', 1)));
    const queries = sent(QueryCommand);
    expect(queries.map((q) => q.ExpressionAttributeValues?.[':pk']).sort()).toEqual(LANGUAGE_IDS.map((l) => `RUNNERS#${l}`).sort());
    for (const q of queries) expect(q.ConsistentRead).toBe(true);
    expect(sent(GetCommand).filter((g) => g.Key?.SK === LEDGER_KEY.SK)).toEqual([{ TableName: env.TABLE_NAME, Key: LEDGER_KEY, ConsistentRead: true }]);
    const [write] = ledgerWrites();
    expect(write?.ConditionExpression).toBe('attribute_not_exists(PK)'); // first launch of the deployment
    expect(write?.Item?.boots).toEqual([{ id: expect.any(String), language: 'python', count: 1, until: expect.any(Number) }]);
    expect(write?.Item?.boots[0].until).toBeGreaterThanOrEqual(before + LIMITS.execution.launchLeaseMs);
    expect(write?.Item?.version).toBe(1);
  });

  it(`clamps a request to what the language may still have (MAX_RUNNERS_PER_LANGUAGE ${MAX_PER_LANGUAGE}, live + booting)`, async () => {
    givenLive({ go: MAX_PER_LANGUAGE - 2 });
    givenLedger([{ language: 'go', count: 1, until: Date.now() + 60_000 }]);
    await handler(sqsEvent(request('go', 10)));
    expect(runTasks().map((t) => t.count)).toEqual([1]);
  });

  it(`clamps a request to the deployment-wide cap (MAX_RUNNERS_IN_FLIGHT ${MAX_IN_FLIGHT}): live runners of every language and booting tasks count`, async () => {
    givenLive({ python: 3, java: 2, rust: 1, c: MAX_IN_FLIGHT - 9 });
    givenLedger(
      [
        { language: 'cpp', count: 1, until: Date.now() + 60_000 },
        { language: 'javascript', count: 5, until: Date.now() - 1 }, // expired: booted or never will
      ],
      7,
    );
    expect(await handler(sqsEvent(request('go', 10)))).toEqual({ batchItemFailures: [] });
    expect(runTasks().map((t) => [t.taskDefinition, t.count])).toEqual([[taskDefinitions.go, 2]]);
    const [write] = ledgerWrites();
    expect(write).toMatchObject({ ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': 7 } });
    expect(write?.Item?.boots.map((b: Boot) => [b.language, b.count])).toEqual([
      ['cpp', 1],
      ['go', 2],
    ]);
  });

  it('at the cap starts nothing, keeps the runs queued (no retry, no dead letter) and gives the language its lease back', async () => {
    givenLive({ python: MAX_IN_FLIGHT });
    expect(await handler(sqsEvent(request('go', 1)))).toEqual({ batchItemFailures: [] });
    expect(runTasks()).toEqual([]);
    expect(ledgerWrites()).toEqual([]);
    expect(sent(DeleteCommand).map((d) => d.Key)).toEqual([{ PK: 'LEASE#go', SK: 'LEASE' }]);
  });

  it('never overshoots when another launcher invocation took the last place first (compare-and-set on the ledger)', async () => {
    givenLive({ python: MAX_IN_FLIGHT - 1 });
    // First read: nothing booting; the write loses the race to an invocation that started one task.
    ddb
      .on(GetCommand, { Key: LEDGER_KEY })
      .resolvesOnce({})
      .resolves({ Item: { ...LEDGER_KEY, version: 1, boots: [{ id: 'other', language: 'rust', count: 1, until: Date.now() + 60_000 }] } });
    ddb.on(PutCommand).rejectsOnce(conditionFailed()).resolves({});
    await handler(sqsEvent(request('go', 1)));
    expect(runTasks()).toEqual([]);
    expect(ledgerWrites()).toHaveLength(1); // the lost one; the second look found no room
  });

  it('a ledger write whose answer was lost (the retry finds the version it wrote) is not booked twice', async () => {
    let stored: Item | undefined;
    let lost = false;
    ddb.on(GetCommand, { Key: LEDGER_KEY }).callsFake(() => ({ Item: stored && structuredClone(stored) }));
    ddb.on(PutCommand).callsFake((input: { Item: Item; ExpressionAttributeValues?: Record<string, number> }) => {
      if ((stored?.version as number | undefined) !== input.ExpressionAttributeValues?.[':v']) throw conditionFailed();
      // Stored with its map attributes in another order, as DynamoDB may return them.
      stored = { ...input.Item, boots: (input.Item.boots as Boot[]).map(({ until, count, language, id }) => ({ until, count, language, id })) };
      if (!lost) {
        lost = true;
        throw conditionFailed(); // the SDK's retry meets the write its first attempt made
      }
      return {};
    });
    await handler(sqsEvent(request('go', 2)));
    expect(runTasks().map((t) => t.count)).toEqual([2]);
    expect((stored?.boots as Boot[]).map((b) => [b.language, b.count])).toEqual([['go', 2]]);
    expect(stored?.version).toBe(1);
  });

  it('processes the requests of one batch under one cap', async () => {
    givenLive({ python: MAX_IN_FLIGHT - 3 });
    ledgerInTable();
    await handler(sqsEvent(request('go', 2), request('rust', 2), request('java', 2)));
    expect(runTasks().reduce((n, t) => n + (t.count ?? 0), 0)).toBe(3);
  });

  it('reports a failed RunTask as a batch item failure and gives back the places of the tasks that did not start', async () => {
    ecsMock.on(RunTaskCommand, { taskDefinition: taskDefinitions.go }).resolves({ tasks: [{ taskArn: 't-1' }], failures: [{ reason: 'RESOURCE:ENI' }] });
    const ledger = ledgerInTable();
    const res = await handler(sqsEvent(request('python', 1), request('go', 2), 'garbage', request('cobol', 1), request('python', 99)));
    // go: RunTask reported failures (1 of 2 started). Unreadable ones are dropped.
    expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['msg-2']);
    expect(runTasks().map((t) => t.taskDefinition).sort()).toEqual([taskDefinitions.go, taskDefinitions.python].sort());
    expect((ledger()?.boots as Boot[]).map((b) => [b.language, b.count]).sort()).toEqual([
      ['go', 1],
      ['python', 1],
    ]);
  });

  it('reads the ECS settings and the cap from the environment', async () => {
    const saved = { ...process.env };
    process.env.RUNNER_SUBNETS = 'subnet-zzz';
    process.env.MAX_RUNNERS_IN_FLIGHT = '1';
    resetConfig();
    try {
      givenLive({ java: 1 });
      await handler(sqsEvent(request('python', 1)));
      expect(runTasks()).toEqual([]);
      givenLive({});
      await handler(sqsEvent(request('python', 1)));
      expect(runTasks()[0]?.networkConfiguration?.awsvpcConfiguration?.subnets).toEqual(['subnet-zzz']);
    } finally {
      process.env = saved;
      resetConfig();
    }
  });
});
