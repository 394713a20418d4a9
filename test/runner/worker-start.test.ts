/**
 * A runner whose sandbox cannot start (here: a work root that is a file) must not leave its queue's runs
 * QUEUED until the watchdog's 5-minute deadline: it ends them as SYSTEM_ERROR at once, saying why, and
 * exits with the "cannot start" error main.ts turns into a plain sentence.
 */
import { ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectionItem, ddb, EXECUTION_ID, executionItem, givenConnections, SESSION_ID, sqsMock, transactItems, useMockedDynamo } from '../unit/fixtures.js';
import { useFunctionEnv } from '../unit/env.js';
import { RunnerStartError, Worker } from '../../runner/worker.js';

useFunctionEnv('runner-python');
const dir = mkdtempSync(join(tmpdir(), 'worker-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a runner that cannot start', () => {
  useMockedDynamo();

  it('fails the queued runs with SYSTEM_ERROR at once and exits with the reason', async () => {
    const notADir = join(dir, 'work-root');
    writeFileSync(notADir, 'a file where the work root should be');
    process.env.RUNNER_WORK_ROOT = notADir;
    const message: Message = { MessageId: 'm-1', ReceiptHandle: 'r-1', Body: JSON.stringify({ sessionId: SESSION_ID, executionId: EXECUTION_ID }) };
    sqsMock.on(ReceiveMessageCommand).resolvesOnce({ Messages: [message] }).resolves({ Messages: [] });
    ddb.on(UpdateCommand).resolves({ Attributes: executionItem({ status: 'RUNNING', claimedBy: 'w-1', code: 'print(1)\n', stdin: '' }) });
    givenConnections([connectionItem('ann-1', { joined: true, userId: 'ann' })]);
    try {
      const worker = new Worker({ language: 'python', queueUrl: process.env.RUN_QUEUE_URL!, workerId: 'w-1', idleMs: 60_000 });
      const t0 = Date.now();
      await expect(worker.run()).rejects.toBeInstanceOf(RunnerStartError);
      expect(Date.now() - t0).toBeLessThan(15_000);
    } finally {
      delete process.env.RUNNER_WORK_ROOT;
    }
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
    const stored = JSON.stringify(transactItems());
    expect(stored).toContain('SYSTEM_ERROR');
    expect(stored).toContain('the python runner cannot start');
    expect(stored).toContain("work root");
  });
});
