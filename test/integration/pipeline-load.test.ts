/**
 * A burst: 50 runs submitted at once across 5 sessions (both roles of each, 5 runs each: under the
 * 10 runs/min per user of docs/protocol.md §4). Every run is stored, queued, picked up (the runners scale out under
 * the backlog) and finishes with its own output: none lost, none mixed up, none stuck.
 */
import { describe, expect, it } from 'vitest';
import type { NewSession } from './http.js';
import { listExecutionsOverHttp, newSession, sleep, submitRun, isFinal } from './pipeline-support.js';

const SESSIONS = 5;
const RUNS_PER_ROLE = 5;

const program = (index: number) => `import sys\nprint("run ${index}", sys.stdin.read())\n`;

async function allFinal(session: NewSession, count: number, timeoutMs: number): Promise<any[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const executions = await listExecutionsOverHttp(session);
    if (executions.length === count && executions.every((e) => isFinal(e.status))) return executions;
    if (Date.now() > deadline) {
      const pending = executions.filter((e) => !isFinal(e.status)).map((e) => `${e.executionId}:${e.status}`);
      throw new Error(`${session.sessionId}: ${executions.length}/${count} stored, not final: ${pending.join(', ')}`);
    }
    await sleep(250);
  }
}

describe('50 runs submitted at once', () => {
  it('all finish COMPLETED with their own output', async () => {
    const sessions = await Promise.all(Array.from({ length: SESSIONS }, () => newSession('python')));
    const submitted: { session: NewSession; index: number; executionId: Promise<string> }[] = [];
    let index = 0;
    for (const session of sessions) {
      for (const token of [session.interviewerToken, session.candidateToken]) {
        for (let r = 0; r < RUNS_PER_ROLE; r++, index++) {
          submitted.push({ session, index, executionId: submitRun(session, { code: program(index), stdin: `stdin-${index}` }, { token }) });
        }
      }
    }
    const ids = await Promise.all(submitted.map((s) => s.executionId));
    expect(new Set(ids).size).toBe(50);

    const finals = new Map<string, any>();
    for (const executions of await Promise.all(sessions.map((s) => allFinal(s, 2 * RUNS_PER_ROLE, 150_000)))) {
      for (const e of executions) finals.set(e.executionId, e);
    }
    for (const [i, s] of submitted.entries()) {
      const execution = finals.get(ids[i]!);
      expect(execution, `run ${s.index}`).toMatchObject({ sessionId: s.session.sessionId, status: 'COMPLETED', stdout: `run ${s.index} stdin-${s.index}\n` });
    }
  }, 240_000);
});
