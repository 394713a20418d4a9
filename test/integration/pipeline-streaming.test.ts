/**
 * `run-code` end to end on the local stack (docs/protocol.md §5, §6): a WebSocket client runs the session's current
 * document; the real queue, runner process and sandbox run it; every participant, whatever its format,
 * sees queued → started → output in seq order → finished, and the result is readable over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TextClient, YjsClient } from './clients.js';
import type { NewSession } from './http.js';
import { accessOf, eventsFor, finishedOn, getExecutionOverHttp, listExecutionsOverHttp, newSession } from './pipeline-support.js';

// Five lines with pauses longer than the runner's output flush interval (50 ms): the output has to
// stream in several `execution-output` pushes, not one at the end.
const STREAMING_PROGRAM = [
  'import sys, time',
  'name = sys.stdin.read().strip()',
  'for i in range(5):',
  '    print(f"line {i} for {name}")',
  '    time.sleep(0.15)',
].join('\n');
const EXPECTED_STDOUT = [0, 1, 2, 3, 4].map((i) => `line ${i} for Ada\n`).join('');

describe('run-code over WebSocket with three participants (2 text + 1 yjs)', () => {
  let session: NewSession;
  let runner: TextClient;
  let watcher: TextClient;
  let yjs: YjsClient;

  beforeAll(async () => {
    session = await newSession('python');
    runner = await TextClient.join(accessOf(session, session.candidateToken), 'candidate');
    watcher = await TextClient.join(accessOf(session), 'interviewer');
    yjs = await YjsClient.join(accessOf(session), { username: 'observer' });
    await runner.change(STREAMING_PROGRAM);
  });

  afterAll(async () => {
    await Promise.all([runner?.ws.close(), watcher?.ws.close(), yjs?.ws.close()]);
  });

  it('streams queued, started, ordered output and finished to everyone, and stores the same result', async () => {
    runner.ws.send({ action: 'run-code', stdin: 'Ada\n' });
    const queued = await runner.ws.take('execution-queued', () => true, 10_000);
    expect(queued).toMatchObject({ language: 'python', userId: runner.joined.userId });
    const id: string = queued.executionId;

    const participants = [runner.ws, watcher.ws, yjs.ws];
    const finishedEvents = await Promise.all(participants.map((ws) => finishedOn(ws, id, 30_000)));

    for (const ws of participants) {
      const events = eventsFor(ws, id);
      const types = events.map((e) => e.type);
      expect(types[0]).toBe('execution-queued');
      expect(types[1]).toBe('execution-started');
      expect(types.at(-1)).toBe('execution-finished');
      expect(types.slice(2, -1).every((t) => t === 'execution-output')).toBe(true);
      expect(events[1]).toEqual({ type: 'execution-started', executionId: id, language: 'python', userId: runner.joined.userId });

      const outputs = events.filter((e) => e.type === 'execution-output');
      expect(outputs.length).toBeGreaterThan(1);
      expect(outputs.map((o) => o.seq)).toEqual(outputs.map((_, i) => i));
      expect(outputs.every((o) => o.stream === 'stdout')).toBe(true);
      expect(outputs.map((o) => o.data).join('')).toBe(EXPECTED_STDOUT);
    }

    const finished = finishedEvents[0]!;
    expect(finished).toMatchObject({ executionId: id, sessionId: session.sessionId, status: 'COMPLETED', exitCode: 0, stdout: EXPECTED_STDOUT, stderr: '' });
    for (const other of finishedEvents.slice(1)) expect(other).toEqual(finished);

    const { type: _type, ...execution } = finished;
    const read = await getExecutionOverHttp(session, id);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(execution);
    const list = await listExecutionsOverHttp(session);
    expect(list[0]).toEqual(execution);
  });
});
