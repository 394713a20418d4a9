/**
 * "A lost or crashed worker ends as SYSTEM_ERROR, never stuck" (docs/protocol.md §6), with a real crash: the runner
 * process holding a long run is SIGKILLed mid-run (no cleanup, no deregistration, its message still in
 * flight). Its claim deadline (compile + wall + 30 s grace, ~40 s for python) passes, the watchdog ends
 * the run, and everyone is told. The watchdog runs every 60 s in the stack; the test invokes its handler
 * once the deadline has passed instead of waiting up to a minute more, on the same data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as watchdog } from '../../functions/pipeline/watchdog.js';
import { deregister, liveRunners } from '#aws/store/runner-registry.js';
import type { ExecutionItem } from '#aws/store/executions.js';
import { TextClient } from './clients.js';
import type { NewSession } from './http.js';
import {
  accessOf,
  claimingRunnerPid,
  finishedOn,
  getExecutionOverHttp,
  newSession,
  queueDrained,
  rawExecution,
  sleep,
  submitRun,
  waitForFinal,
} from './pipeline-support.js';

const LONG_RUN = 'import time\nprint("working", flush=True)\ntime.sleep(8)\nprint("done")\n';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('a runner killed mid-run', () => {
  let session: NewSession;
  let watcher: TextClient;
  let crashed: ExecutionItem;

  beforeAll(async () => {
    session = await newSession('python');
    watcher = await TextClient.join(accessOf(session), 'watcher');
  });
  afterAll(async () => {
    await watcher?.ws.close();
  });

  it('leaves the run SYSTEM_ERROR once its deadline passes, never RUNNING', async () => {
    const id = await submitRun(session, { code: LONG_RUN });
    await watcher.ws.take('execution-output', (m) => m.executionId === id && m.data.includes('working'), 30_000);

    const claimed = await rawExecution(session.sessionId, id);
    crashed = claimed;
    expect(claimed.status).toBe('RUNNING');
    const pid = claimingRunnerPid(claimed);
    process.kill(pid, 'SIGKILL');
    for (let i = 0; alive(pid) && i < 100; i++) await sleep(50);
    expect(alive(pid)).toBe(false);

    // Until the deadline the run is RUNNING: nobody may take it over or end it early.
    expect((await getExecutionOverHttp(session, id)).body.status).toBe('RUNNING');
    await sleep(Math.max(0, claimed.watchDeadline! - Date.now()) + 500);
    await watchdog();

    const ended = await getExecutionOverHttp(session, id);
    expect(ended.body).toMatchObject({ executionId: id, status: 'SYSTEM_ERROR' });
    expect(ended.body.stderr).toMatch(/^\[system\] /);
    expect(ended.body.finishedAt).not.toBeNull();
    const told = await finishedOn(watcher.ws, id, 30_000);
    expect(told).toMatchObject({ executionId: id, status: 'SYSTEM_ERROR' });
    expect(watcher.ws.received('execution-finished').filter((m) => m.executionId === id)).toHaveLength(1);
  }, 150_000);

  it('runs the next request of the session on a new runner', async () => {
    const id = await submitRun(session, { code: 'print("back")' });
    expect(await waitForFinal(session, id, 120_000)).toMatchObject({ status: 'COMPLETED', stdout: 'back\n' });
  }, 150_000);

  it('drops the crashed run\'s redelivered message on the next runner: the run stays SYSTEM_ERROR', async () => {
    // Clear what the SIGKILL left behind (the dead runner's registration) and warm a
    // runner as a join does, so that the message, visible again after its 60 s visibility timeout, is
    // received by a live runner (and the files after this one find a working python runner).
    await deregister('python', crashed.claimedBy!);
    const deadline = Date.now() + 120_000;
    while ((await liveRunners('python')).length === 0) {
      if (Date.now() > deadline) throw new Error('no python runner came back');
      const probe = await TextClient.join(accessOf(session), 'probe');
      await probe.ws.close();
      await sleep(2_000);
    }
    await queueDrained('python', 90_000);

    const after = await rawExecution(session.sessionId, crashed.executionId);
    expect(after).toMatchObject({ status: 'SYSTEM_ERROR', attempts: 1 });
    expect(watcher.ws.received('execution-started').filter((m) => m.executionId === crashed.executionId)).toHaveLength(1);
  }, 180_000);
});
