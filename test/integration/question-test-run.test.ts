/**
 * A `mode:"tests"` run end to end on the local stack (docs/protocol.md §8): a two-test question, one test hidden,
 * run by the candidate over the WebSocket and over HTTP, against the real runner. Every raw frame the
 * candidate receives and every answer it gets is searched for the hidden test's stdin and expected
 * output; the interviewer sees them. A wrong program fails the hidden test too, still without details.
 */
import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { socketUrl, WsClient } from './clients.js';
import { call, createSession } from './http.js';
import { accessOf } from './pipeline-support.js';

const SOLUTION = 'import sys\na, b = map(int, sys.stdin.read().split())\nprint(a + b)\n';
const WRONG = 'import sys\na, b = map(int, sys.stdin.read().split())\nprint(a - b)\n';

async function rawSocket(url: string) {
  const client = await WsClient.connect(url);
  const frames: string[] = [];
  client.ws.on('message', (data) => frames.push(data.toString()));
  client.send({ action: 'join-session' });
  await client.take('session-joined');
  return { client, frames };
}

describe('a mode:"tests" run', () => {
  it('runs both tests, streams a verdict per test, and never shows the candidate the hidden data', async () => {
    const a = randomInt(1e8, 9e8);
    const b = randomInt(1e8, 9e8);
    const hiddenStdin = `${a} ${b}\n`;
    const hiddenExpected = `${a + b}\n`;
    const session = await createSession({ language: 'python' });
    const path = `/api/sessions/${session.sessionId}`;
    const question = {
      title: 'Sum',
      prompt: 'Print the sum.',
      tests: [
        { name: 'visible', stdin: '1 2\n', expectedStdout: '3\n', hidden: false },
        { name: 'hidden', stdin: hiddenStdin, expectedStdout: hiddenExpected, hidden: true },
      ],
    };
    expect((await call('PUT', `${path}/question`, { token: session.interviewerToken, body: question })).status).toBe(200);
    const candidate = await rawSocket(socketUrl(accessOf(session, session.candidateToken)));
    const interviewer = await rawSocket(socketUrl(accessOf(session, session.interviewerToken)));
    expect((await call('PUT', `${path}/code`, { token: session.candidateToken, body: { code: SOLUTION } })).status).toBe(200);

    candidate.client.send({ action: 'run-code', mode: 'tests' });
    const finished = await candidate.client.take('execution-finished', () => true, 90_000);
    expect(finished).toMatchObject({ status: 'COMPLETED', summary: { passed: 2, total: 2 } });
    expect(finished.tests).toEqual([
      expect.objectContaining({ name: 'visible', hidden: false, status: 'PASSED', stdout: '3\n' }),
      { name: 'hidden', hidden: true, status: 'PASSED', durationMs: expect.any(Number) },
    ]);
    const results = candidate.client.received('execution-test-result');
    expect(results.map((r) => [r.index, r.name, r.hidden, r.status])).toEqual([[0, 'visible', false, 'PASSED'], [1, 'hidden', true, 'PASSED']]);
    const forInterviewer = await interviewer.client.take('execution-finished', () => true, 30_000);
    expect(forInterviewer.tests[1]).toMatchObject({ name: 'hidden', expectedStdout: hiddenExpected, stdout: hiddenExpected });

    // A wrong program, over HTTP this time: the hidden test fails, still by name only.
    await call('PUT', `${path}/code`, { token: session.candidateToken, body: { code: WRONG } });
    const queued = await call('POST', `${path}/executions`, { token: session.candidateToken, body: { mode: 'tests' } });
    expect(queued.status).toBe(202);
    const failed = await candidate.client.take('execution-finished', (m) => m.executionId === queued.body.executionId, 90_000);
    expect(failed).toMatchObject({ status: 'FAILED', summary: { passed: 0, total: 2 } });
    expect(failed.tests[1]).toEqual({ name: 'hidden', hidden: true, status: 'FAILED', durationMs: expect.any(Number) });

    const httpViews = await Promise.all([
      call('GET', `${path}/executions`, { token: session.candidateToken }),
      call('GET', `${path}/executions/${queued.body.executionId}`, { token: session.candidateToken }),
      call('GET', `${path}/question`, { token: session.candidateToken }),
    ]);
    const candidateBytes = [...candidate.frames, ...httpViews.map((r) => JSON.stringify(r.body))].join('\n');
    for (const secret of [hiddenStdin.trim(), hiddenExpected.trim(), String(a - b)]) expect(candidateBytes).not.toContain(secret);
    expect(interviewer.frames.join('\n')).toContain(hiddenExpected.trim());
    await Promise.all([candidate.client.close(), interviewer.client.close()]);
  }, 240_000);
});
