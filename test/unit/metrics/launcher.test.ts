/** RunnerLaunches (issue 11): the tasks the launcher function actually started, by language. */
import { ecsMock, sqsEvent, useMockedDynamo } from '../fixtures.js';
import { RunTaskCommand } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { useFunctionEnv } from '../env.js';
import { captureMetrics, expectNoneCarries, summary } from './capture.js';

useFunctionEnv('pipeline-launcher');
const { handler } = await import('../../../functions/pipeline/launcher.js');

describe('launcher metrics', () => {
  useMockedDynamo();
  captureMetrics();

  it('RunnerLaunches{Language} with the number of tasks started', async () => {
    ecsMock.on(RunTaskCommand).callsFake((input: { count: number }) => ({ tasks: Array.from({ length: input.count }, (_, i) => ({ taskArn: `t-${i}` })), failures: [] }));
    expect(await handler(sqsEvent(JSON.stringify({ language: 'go', count: 2 })))).toEqual({ batchItemFailures: [] });
    expect(summary()).toEqual(['RunnerLaunches{Language=go}=2']);
    expectNoneCarries('t-0');
  });

  it('a RunTask that started 1 of 2 counts the one (it runs and is billed); an unreadable request counts nothing', async () => {
    ecsMock.on(RunTaskCommand).resolves({ tasks: [{ taskArn: 't-1' }], failures: [{ reason: 'RESOURCE:ENI' }] });
    const out = await handler(sqsEvent(JSON.stringify({ language: 'rust', count: 2 }), 'not json'));
    expect(out.batchItemFailures).toHaveLength(1);
    expect(summary()).toEqual(['RunnerLaunches{Language=rust}=1']);
  });
});
