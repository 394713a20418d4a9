/**
 * Run requests and run messages that arrive more than once (docs/protocol.md §3 Idempotency-Key, §6 "a message
 * delivered twice runs once"): a retried POST returns the same execution, and a run message delivered
 * again (SQS is at-least-once) never runs the program a second time. The program prints a random number,
 * so a second run would be visible in the stored stdout and in a second `execution-started`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '#contract/limits.js';
import { sendRunMessage } from '#aws/runners/run-queue-send.js';
import { newExecutionItem, putExecution } from '#aws/store/executions.js';
import { newId } from '#contract/ids.js';
import { TextClient } from './clients.js';
import type { NewSession } from './http.js';
import {
  accessOf,
  eventsFor,
  finishedOn,
  listExecutionsOverHttp,
  newSession,
  postRun,
  queueDrained,
  rawExecution,
  submitRun,
  waitForFinal,
} from './pipeline-support.js';

const RANDOM_PROGRAM = 'import random\nprint(random.getrandbits(64))\n';

describe('Idempotency-Key', () => {
  it('returns the same execution for a retried POST and stores only one', async () => {
    const session = await newSession();
    const first = await postRun(session, { code: RANDOM_PROGRAM }, { key: 'retry-1' });
    const retry = await postRun(session, { code: RANDOM_PROGRAM }, { key: 'retry-1' });
    expect(first.status).toBe(202);
    expect(retry.status).toBe(202);
    expect(retry.body.executionId).toBe(first.body.executionId);

    await waitForFinal(session, first.body.executionId);
    const afterDone = await postRun(session, { code: RANDOM_PROGRAM }, { key: 'retry-1' });
    expect(afterDone.body.executionId).toBe(first.body.executionId);
    expect((await listExecutionsOverHttp(session)).map((e) => e.executionId)).toEqual([first.body.executionId]);
  });

  it('gives concurrent POSTs with one key one execution, and another key its own', async () => {
    const session = await newSession();
    const [a, b, c] = await Promise.all([
      postRun(session, { code: RANDOM_PROGRAM }, { key: 'double-click' }),
      postRun(session, { code: RANDOM_PROGRAM }, { key: 'double-click' }),
      postRun(session, { code: RANDOM_PROGRAM }, { key: 'another-click' }),
    ]);
    expect([a.status, b.status, c.status]).toEqual([202, 202, 202]);
    expect(b.body.executionId).toBe(a.body.executionId);
    expect(c.body.executionId).not.toBe(a.body.executionId);
    const ids = (await listExecutionsOverHttp(session)).map((e) => e.executionId);
    expect(ids.sort()).toEqual([a.body.executionId, c.body.executionId].sort());
  });

  it("is the caller's: another role's same key is another run, and the same key with another request is refused", async () => {
    const session = await newSession();
    const mine = await postRun(session, { code: RANDOM_PROGRAM, stdin: 'x' }, { key: 'k1', token: session.candidateToken });
    const theirs = await postRun(session, { code: RANDOM_PROGRAM, stdin: 'x' }, { key: 'k1', token: session.interviewerToken });
    expect([mine.status, theirs.status]).toEqual([202, 202]);
    expect(theirs.body.executionId).not.toBe(mine.body.executionId);
    const changed = await postRun(session, { code: RANDOM_PROGRAM, stdin: 'y' }, { key: 'k1', token: session.candidateToken });
    expect(changed.status).toBe(400);
    expect(changed.body).toMatchObject({ error: 'VALIDATION_ERROR', details: [expect.objectContaining({ field: 'Idempotency-Key' })] });
    const again = await postRun(session, { code: RANDOM_PROGRAM, stdin: 'x' }, { key: 'k1', token: session.candidateToken });
    expect(again.body.executionId).toBe(mine.body.executionId);
    expect((await listExecutionsOverHttp(session)).map((e) => e.executionId).sort()).toEqual([mine.body.executionId, theirs.body.executionId].sort());
  });
});

describe('a run message delivered twice runs once', () => {
  let session: NewSession;
  let watcher: TextClient;

  beforeAll(async () => {
    session = await newSession('python');
    watcher = await TextClient.join(accessOf(session), 'watcher'); // also warms the python runner
  });
  afterAll(async () => {
    await watcher?.ws.close();
  });

  const startedCount = (id: string) => eventsFor(watcher.ws, id).filter((e) => e.type === 'execution-started').length;

  it('ignores a copy delivered after the execution finished', async () => {
    const id = await submitRun(session, { code: RANDOM_PROGRAM });
    const finished = await finishedOn(watcher.ws, id);
    const before = await rawExecution(session.sessionId, id);

    await sendRunMessage('python', { sessionId: session.sessionId, executionId: id });
    await queueDrained('python', 30_000); // the runner received the copy and deleted it

    const after = await rawExecution(session.sessionId, id);
    expect(after.attempts).toBe(1);
    expect(after).toEqual(before);
    expect(after.stdout).toBe(finished.stdout);
    expect(startedCount(id)).toBe(1);
    expect(eventsFor(watcher.ws, id).filter((e) => e.type === 'execution-finished')).toHaveLength(1);
  }, 120_000);

  it('runs once when two copies arrive at once, for an inserted execution and for a POSTed one', async () => {
    // One QUEUED execution stored directly (as the handler stores it) and sent twice...
    const insertedId = newId();
    const item = newExecutionItem({
      sessionId: session.sessionId,
      executionId: insertedId,
      language: 'python',
      userId: 'interviewer',
      code: RANDOM_PROGRAM,
      stdin: '',
      ttl: Math.floor(Date.now() / 1000) + 3600,
    });
    expect(await putExecution(item)).toBe(true);
    const copy = { sessionId: session.sessionId, executionId: insertedId };
    await Promise.all([sendRunMessage('python', copy), sendRunMessage('python', copy)]);
    // ...and one requested over HTTP (already queued once) with an extra copy right behind it.
    const postedId = await submitRun(session, { code: RANDOM_PROGRAM });
    await sendRunMessage('python', { sessionId: session.sessionId, executionId: postedId });

    const finished = await Promise.all([finishedOn(watcher.ws, insertedId), finishedOn(watcher.ws, postedId)]);
    // A copy that found the job claimed is retried after the claim's deadline (compile + wall + grace,
    // ~41 s for python): wait until every copy was handled before counting runs.
    await queueDrained('python', 75_000);

    for (const [i, id] of [insertedId, postedId].entries()) {
      expect(finished[i]!.status).toBe('COMPLETED');
      expect(finished[i]!.stdout).toMatch(/^\d+\n$/);
      expect(startedCount(id)).toBe(1);
      expect(eventsFor(watcher.ws, id).filter((e) => e.type === 'execution-finished')).toHaveLength(1);
      const outputs = eventsFor(watcher.ws, id).filter((e) => e.type === 'execution-output');
      expect(outputs.map((o) => o.data).join('')).toBe(finished[i]!.stdout);
      const stored = await rawExecution(session.sessionId, id);
      expect(stored.attempts).toBe(1);
      expect(stored.stdout).toBe(finished[i]!.stdout);
    }
  }, 150_000);
});

// A runner's two slots share one kernel, and /proc/<pid>/cmdline is readable across uids: a candidate's
// test run could put a hidden test's stdin in a command line for a plain run of theirs to read. One
// session's runs therefore never overlap in one runner; a second waits for the first, holding its slot.
describe('runs of one session on one runner', () => {
  it('run one after the other, not at once, and all complete', async () => {
    // More runs than a language can have runners (maxRunnersPerLanguage): however many python runners
    // earlier files left alive, at least two of these land on the same one.
    const count = LIMITS.execution.maxRunnersPerLanguage + 1;
    const session = await newSession();
    const program = 'import time\ntime.sleep(0.5)\nprint("done")\n';
    const ids = await Promise.all(Array.from({ length: count }, () => submitRun(session, { code: program })));
    const finals = await Promise.all(ids.map((id) => waitForFinal(session, id, 90_000)));
    expect(finals.map((f) => [f.status, f.stdout])).toEqual(finals.map(() => ['COMPLETED', 'done\n']));
    const items = await Promise.all(ids.map((id) => rawExecution(session.sessionId, id)));
    const byRunner = new Map<string, { start: number; end: number }[]>();
    items.forEach((item, i) => {
      const spans = byRunner.get(item.claimedBy!) ?? [];
      spans.push({ start: Date.parse(finals[i].startedAt), end: Date.parse(finals[i].finishedAt) });
      byRunner.set(item.claimedBy!, spans);
    });
    const shared = [...byRunner.values()].filter((spans) => spans.length >= 2);
    expect(shared.length).toBeGreaterThan(0);
    for (const spans of shared) {
      spans.sort((a, b) => a.start - b.start);
      for (let i = 1; i < spans.length; i++) expect(spans[i]!.start).toBeGreaterThanOrEqual(spans[i - 1]!.end);
    }
  }, 150_000);
});
