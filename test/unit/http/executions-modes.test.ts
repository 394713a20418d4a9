/**
 * `POST /executions` with the interviewer's `runsDisabled` and with `mode:"tests"` (docs/protocol.md §3, §8): a
 * refused run writes and counts nothing; a test run is one execution carrying the question revision it
 * was queued with, counted once by the run rate limit; no question is NOT_FOUND.
 */
import {
  call,
  CANDIDATE_TOKEN,
  docItems,
  INTERVIEWER_TOKEN,
  runMessages,
  SESSION_ID,
  sessionItem,
  useMockedDynamo,
  writes,
} from '../fixtures.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../../functions/http/executions.js';
import type { SessionItem } from '#aws/store/sessions.js';
import { MemoryTable } from '../memory-table.js';

useMockedDynamo();
let table: MemoryTable;
const given = (overrides: Partial<SessionItem> = {}) => table.set(sessionItem(overrides));
beforeEach(() => {
  table = new MemoryTable();
  for (const item of docItems('print(input())\n')) table.set(item);
});

const run = (token: string, body: unknown, headers: Record<string, string> = {}) =>
  call(handler, { routeKey: 'POST /api/sessions/{sessionId}/executions', sessionId: SESSION_ID, token, body, headers });
const executions = () => table.list(`S#${SESSION_ID}`, 'X#');
const runCounters = () => [...table.items.values()].filter((i) => String(i.PK).startsWith('RL#run#'));

describe('runsDisabled', () => {
  it("refuses a candidate's run in both modes with RUNS_DISABLED: nothing written, nothing counted, nothing queued", async () => {
    given({ runsDisabled: true, questionRevision: 1, questionTestCount: 2 });
    for (const body of [{}, { stdin: '1' }, { mode: 'run' }, { mode: 'tests' }]) {
      expect(await run(CANDIDATE_TOKEN, body)).toMatchObject({ status: 403, body: { error: 'RUNS_DISABLED' } });
    }
    expect(writes()).toEqual([]);
    expect(runMessages()).toEqual([]);
  });

  it('the interviewer still runs', async () => {
    given({ runsDisabled: true });
    expect(await run(INTERVIEWER_TOKEN, { stdin: '1' })).toMatchObject({ status: 202, body: { status: 'QUEUED' } });
    expect(executions()).toHaveLength(1);
  });
});

describe('mode:"tests"', () => {
  it('is one execution that names the revision it was queued with, counted once', async () => {
    given({ questionRevision: 3, questionTestCount: 2 });
    const res = await run(CANDIDATE_TOKEN, { mode: 'tests' }, { 'idempotency-key': 'tests-1' });
    expect(res).toMatchObject({ status: 202, body: { status: 'QUEUED' } });
    expect(executions()).toEqual([expect.objectContaining({ executionId: res.body.executionId, mode: 'tests', questionRevision: 3, code: 'print(input())\n' })]);
    expect(runCounters().map((c) => c.count)).toEqual([1]);
    expect(runMessages()).toHaveLength(1);
    // The same key again: the same execution, not counted twice; still QUEUED, it is handed to the queue
    // again (the same message: a runner's claim runs it once).
    expect((await run(CANDIDATE_TOKEN, { mode: 'tests' }, { 'idempotency-key': 'tests-1' })).body.executionId).toBe(res.body.executionId);
    expect(runCounters().map((c) => c.count)).toEqual([1]);
    expect(runMessages()).toHaveLength(2);
    expect(new Set(runMessages().map((m) => m.MessageBody)).size).toBe(1);
  });

  it('a plain run carries no mode', async () => {
    given({ questionRevision: 3, questionTestCount: 2 });
    await run(CANDIDATE_TOKEN, { stdin: '5' });
    expect(executions()[0]).not.toHaveProperty('mode');
    expect(executions()[0]).not.toHaveProperty('questionRevision');
  });

  it('without a question is NOT_FOUND; a question without tests, a stdin or an unknown mode is VALIDATION_ERROR', async () => {
    given();
    expect(await run(CANDIDATE_TOKEN, { mode: 'tests' })).toMatchObject({ status: 404, body: { error: 'NOT_FOUND' } });
    given({ questionRevision: 1, questionTestCount: 0 });
    expect(await run(CANDIDATE_TOKEN, { mode: 'tests' })).toMatchObject({ status: 400, body: { error: 'VALIDATION_ERROR', details: [{ field: 'mode' }] } });
    given({ questionRevision: 1, questionTestCount: 2 });
    expect(await run(CANDIDATE_TOKEN, { mode: 'tests', stdin: 'x' })).toMatchObject({ status: 400, body: { details: [{ field: 'stdin' }] } });
    expect(await run(CANDIDATE_TOKEN, { mode: 'quiz' })).toMatchObject({ status: 400, body: { error: 'VALIDATION_ERROR' } });
    expect(writes()).toEqual([]);
  });
});
