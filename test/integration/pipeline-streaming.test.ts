/**
 * `run-code` end to end on the local stack (docs/protocol.md §5, §6): a WebSocket client runs the session's current
 * document; the real queue, runner process and sandbox run it; every participant, whatever its format,
 * sees queued → started → output in seq order → finished, and the result is readable over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TextClient, YjsClient } from './clients.js';
import type { NewSession } from './http.js';
import { accessOf, eventsFor, finishedOn, getExecutionOverHttp, listExecutionsOverHttp, newSession } from './pipeline-support.js';

// Five lines with pauses far longer than the runner's output flush interval (50 ms): the output has to
// stream in several `execution-output` pushes, not one at the end. Half a second apart, so that only a
// runner stalled for the whole two seconds between the first line and the last could send one push.
const STREAMING_PROGRAM = [
  'import sys, time',
  'name = sys.stdin.read().strip()',
  'for i in range(5):',
  '    print(f"line {i} for {name}")',
  '    time.sleep(0.5)',
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
    const queued = await runner.ws.take('execution-queued', () => true, 30_000);
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
  }, 120_000);
});

// A hostile program alternating 1-byte writes to stdout and stderr used to make one execution-output per
// byte, posted to every socket; its slot stayed held (and its claim could lapse, so the program ran twice)
// while they went out, and other sessions' runs waited.
const ALTERNATING_PROGRAM = ['import os', 'for i in range(20000):', "    os.write(1, b'a')", "    os.write(2, b'b')"].join('\n');

describe('output alternating between stdout and stderr byte by byte', () => {
  let session: NewSession;
  let candidate: TextClient;
  let interviewer: TextClient;

  beforeAll(async () => {
    session = await newSession('python');
    candidate = await TextClient.join(accessOf(session, session.candidateToken), 'candidate');
    interviewer = await TextClient.join(accessOf(session), 'interviewer');
    await candidate.change(ALTERNATING_PROGRAM);
  });

  afterAll(async () => {
    await Promise.all([candidate?.ws.close(), interviewer?.ws.close()]);
  });

  it('streams it in a few messages per flush window, runs it once, and frees the runner for the next run', async () => {
    // When each socket received its last execution-output: every batch the pusher started lies between
    // the run-code sent here and that moment.
    const lastOutputAt = new Map<unknown, number>();
    for (const ws of [candidate.ws, interviewer.ws]) ws.onMessage((m) => m.type === 'execution-output' && lastOutputAt.set(ws, Date.now()));
    const sentAt = Date.now();
    candidate.ws.send({ action: 'run-code' });
    const id: string = (await candidate.ws.take('execution-queued', () => true, 30_000)).executionId;
    const [finished] = await Promise.all([candidate.ws, interviewer.ws].map((ws) => finishedOn(ws, id, 60_000)));
    expect(finished).toMatchObject({ status: 'COMPLETED', stdout: 'a'.repeat(20_000), stderr: 'b'.repeat(20_000) });

    for (const ws of [candidate.ws, interviewer.ws]) {
      const events = eventsFor(ws, id);
      expect(events.filter((e) => e.type === 'execution-started')).toHaveLength(1);
      const outputs = events.filter((e) => e.type === 'execution-output');
      expect(outputs.filter((o) => o.stream === 'stdout').map((o) => o.data).join('')).toBe('a'.repeat(20_000));
      expect(outputs.filter((o) => o.stream === 'stderr').map((o) => o.data).join('')).toBe('b'.repeat(20_000));
      expect(outputs.map((o) => o.seq)).toEqual(outputs.map((_, i) => i));
      // At most one message per stream per flush window (50 ms) or per 4 KiB (plus the drain's last
      // batches and a split per 16 Ki characters), however slow the machine made the program and the
      // posts: the old pusher made one per change of stream.
      const windows = Math.ceil((lastOutputAt.get(ws)! - sentAt) / 50) + Math.ceil(40_000 / 4096) + 3;
      expect(outputs.length).toBeLessThanOrEqual(2 * windows + Math.ceil(40_000 / 16_384));
    }

    await candidate.change("print('next')\n");
    candidate.ws.send({ action: 'run-code' });
    const next: string = (await candidate.ws.take('execution-queued', (m) => m.executionId !== id, 30_000)).executionId;
    expect(await finishedOn(candidate.ws, next, 30_000)).toMatchObject({ status: 'COMPLETED', stdout: 'next\n' });
  }, 240_000);
});
