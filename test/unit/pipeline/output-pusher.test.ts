/** runner/output-pusher.ts: live `execution-output` pushes, batched, numbered with `seq`, in order. */
import { connectionItem, mgmt, pushed, pushedTo, useMockedDynamo } from '../fixtures.js';
import { PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OutputPusher } from '../../../runner/output-pusher.js';
import { LIMITS } from '#contract/limits.js';
import type { ConnectionItem } from '#aws/store/connections.js';
import { useFunctionEnv } from '../env.js';
import { onlyRunnerPartitions } from './runner-partitions.js';

// Every DynamoDB key these runner paths touch is one the runner task's role may touch (IAM LeadingKeys).
onlyRunnerPartitions();

// runner/ code runs in the runner task: its container environment, as the stack sets it.
useFunctionEnv('runner-python');

const EXEC = '01JP0000000000000000000001';
const viewers = (...ids: string[]) => ids.map((id) => connectionItem(id, { joined: true, userId: id }) as unknown as ConnectionItem);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Resolves once the mocked Management API has received `n` posts: tests wait for what happened, never for
 * a guessed number of milliseconds (a busy machine may take longer). `fail(k)` makes the k-th post fail.
 */
function countPosts(fail: (k: number) => boolean = () => false) {
  let count = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  mgmt.on(PostToConnectionCommand).callsFake(async () => {
    count++;
    for (const w of waiters.filter((w) => count >= w.n)) w.resolve();
    if (fail(count)) throw Object.assign(new Error('boom'), { name: 'InternalServerErrorException' });
    return {};
  });
  return { seen: (n: number) => new Promise<void>((resolve) => (count >= n ? resolve() : waiters.push({ n, resolve }))) };
}

/** The first post to the Management API answers only when `release()` is called; `posts()` counts them all. */
function holdFirstPost() {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let count = 0;
  mgmt.on(PostToConnectionCommand).callsFake(async () => {
    if (++count === 1) await gate;
    return {};
  });
  return { release, posts: () => count };
}

describe('OutputPusher', () => {
  useMockedDynamo();
  afterEach(() => void vi.useRealTimers());

  it('makes one message per stream of a flush window, numbered from 0, each stream in its order', async () => {
    const pusher = new OutputPusher(EXEC, () => viewers('ann-1', 'bob-1'));
    pusher.push('stdout', 'a');
    pusher.push('stdout', 'b');
    pusher.push('stderr', 'warn\n');
    pusher.push('stdout', 'c');
    await pusher.drain();
    const expected = [
      { type: 'execution-output', executionId: EXEC, stream: 'stdout', data: 'abc', seq: 0 },
      { type: 'execution-output', executionId: EXEC, stream: 'stderr', data: 'warn\n', seq: 1 },
    ];
    expect(pushedTo('ann-1')).toEqual(expected);
    expect(pushedTo('bob-1')).toEqual(expected);
  });

  // A hostile program alternating 1-byte writes to stdout and stderr made one message per byte (to every
  // socket of the session) and held its runner slot for minutes while they went out.
  it('sends a bounded number of messages for output alternating between the streams byte by byte', async () => {
    vi.useFakeTimers();
    countPosts();
    const pusher = new OutputPusher(EXEC, () => viewers('ann-1', 'bob-1'));
    for (let i = 0; i < 33_000; i++) {
      pusher.push('stdout', 'a');
      pusher.push('stderr', 'b');
      if (i % 500 === 0) await vi.advanceTimersByTimeAsync(LIMITS.execution.outputFlushMs); // the program runs on
    }
    await pusher.drain();
    const got = pushedTo('ann-1');
    expect(got.filter((m) => m.stream === 'stdout').map((m) => m.data).join('')).toBe('a'.repeat(33_000));
    expect(got.filter((m) => m.stream === 'stderr').map((m) => m.data).join('')).toBe('b'.repeat(33_000));
    // 66,000 chunks: a few per flush window (or 4 KiB), not one per change of stream.
    expect(got.length).toBeLessThanOrEqual(2 * (66_000 / LIMITS.execution.outputFlushBytes + 66 + 2));
    expect(got.map((m) => m.seq)).toEqual(got.map((_, i) => i));
  });

  it('while a slow send is under way, gathers what arrives into one batch instead of queueing a message per flush', async () => {
    const { release, posts } = holdFirstPost();
    const pusher = new OutputPusher(EXEC, () => viewers('ann-1'));
    pusher.push('stdout', 'first');
    pusher.flush();
    for (let i = 0; i < 200; i++) {
      pusher.push(i % 2 ? 'stderr' : 'stdout', String(i % 10));
      pusher.flush(); // as the flush timer or the byte threshold would, many times over
    }
    release();
    await pusher.drain();
    const got = pushedTo('ann-1');
    expect(got.map((m) => m.stream)).toEqual(['stdout', 'stdout', 'stderr']);
    expect(got.map((m) => m.seq)).toEqual([0, 1, 2]);
    expect(got[1]!.data).toHaveLength(100);
  });

  it('sends what arrived during a fast send at the end of its window, not at once: one message per stream per window however fast the posts', async () => {
    vi.useFakeTimers();
    const { release, posts } = holdFirstPost();
    const pusher = new OutputPusher(EXEC, () => viewers('ann-1'));
    pusher.push('stdout', 'first');
    pusher.flush(); // the window opens with this batch
    pusher.push('stdout', 'second');
    pusher.push('stderr', 'third');
    await vi.advanceTimersByTimeAsync(10);
    release(); // the first post ends 10 ms into the window
    await vi.advanceTimersByTimeAsync(LIMITS.execution.outputFlushMs - 10 - 1);
    expect(posts()).toBe(1); // the rest waits for the window's end
    await vi.advanceTimersByTimeAsync(1);
    expect(posts()).toBe(3);
    await pusher.drain();
    expect(pushedTo('ann-1').map((m) => `${m.seq}:${m.stream}:${m.data}`)).toEqual(['0:stdout:first', '1:stdout:second', '2:stderr:third']);
  });

  it('sends what is pending at once when draining, whatever is left of the window', async () => {
    vi.useFakeTimers();
    const posts = countPosts();
    const pusher = new OutputPusher(EXEC, () => viewers('ann-1'));
    pusher.push('stdout', 'first');
    pusher.flush();
    await posts.seen(1);
    pusher.push('stdout', 'last');
    await pusher.drain(); // the clock never moves: no waiting for the window
    expect(pushedTo('ann-1').map((m) => m.data)).toEqual(['first', 'last']);
  });

  it('waits at most outputDrainMs for a send that does not end, then drops the rest and sends nothing more', async () => {
    vi.useFakeTimers();
    mgmt.on(PostToConnectionCommand).callsFake(() => new Promise(() => {})); // a post that never answers
    const pusher = new OutputPusher(EXEC, () => viewers('ann-1'));
    pusher.push('stdout', 'stuck');
    pusher.flush();
    pusher.push('stdout', 'after');
    let drained = false;
    const drain = pusher.drain().then(() => (drained = true));
    await vi.advanceTimersByTimeAsync(LIMITS.execution.outputDrainMs - 1);
    expect(drained).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await drain;
    expect(drained).toBe(true);
    pusher.push('stdout', 'later');
    pusher.flush();
    expect(pushed()).toHaveLength(1); // only the stuck post was ever attempted
  });

  it('flushes on its own after outputFlushMs, without waiting for drain', async () => {
    vi.useFakeTimers();
    const posts = countPosts();
    const pusher = new OutputPusher(EXEC, () => viewers('ann-1'));
    pusher.push('stdout', 'tick\n');
    await vi.advanceTimersByTimeAsync(LIMITS.execution.outputFlushMs - 1);
    expect(pushed()).toEqual([]);
    expect(vi.getTimerCount()).toBe(1); // the flush timer, not fired yet
    await vi.advanceTimersByTimeAsync(1);
    expect(vi.getTimerCount()).toBe(0);
    await posts.seen(1);
    expect(pushedTo('ann-1').map((m) => m.data)).toEqual(['tick\n']);
    await pusher.drain();
    expect(pushed()).toHaveLength(1); // nothing sent twice
  });

  it('flushes at once when outputFlushBytes (4 KiB) are pending', async () => {
    vi.useFakeTimers();
    const posts = countPosts();
    const pusher = new OutputPusher(EXEC, () => viewers('ann-1'));
    pusher.push('stdout', 'x'.repeat(4 * 1024));
    expect(vi.getTimerCount()).toBe(0); // no waiting for outputFlushMs: the clock never moves in this test
    await posts.seen(1);
    expect(pushedTo('ann-1').map((m) => m.data.length)).toEqual([4096]);
    await pusher.drain();
  });

  it('keeps order when an earlier batch is slow: a later batch starts only after it was sent', async () => {
    const events: string[] = [];
    mgmt.on(PostToConnectionCommand).callsFake(async (input: { Data: Uint8Array }) => {
      const { seq } = JSON.parse(Buffer.from(input.Data).toString('utf8'));
      events.push(`start ${seq}`);
      await sleep(seq === 0 ? 40 : 1);
      events.push(`end ${seq}`);
      return {};
    });
    const pusher = new OutputPusher(EXEC, () => viewers('ann-1'));
    pusher.push('stdout', 'first');
    pusher.flush();
    pusher.push('stdout', 'second');
    pusher.flush();
    pusher.push('stderr', 'third');
    await pusher.drain();
    expect(events).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
    expect(pushedTo('ann-1').map((m) => `${m.seq}:${m.data}`)).toEqual(['0:first', '1:second', '2:third']);
  });

  it('sends to whoever is connected when the batch goes out, and goes on after a failed post', async () => {
    let connections = viewers('ann-1');
    const posts = countPosts((k) => k === 1);
    const pusher = new OutputPusher(EXEC, () => connections);
    pusher.push('stdout', '1');
    pusher.flush();
    await posts.seen(1); // batch 0 has gone out (and failed)
    connections = viewers('ann-1', 'late-1');
    pusher.push('stdout', '2');
    await pusher.drain();
    expect(pushedTo('late-1').map((m) => m.seq)).toEqual([1]);
    expect(pushedTo('ann-1').map((m) => m.seq)).toEqual([0, 1]);
  });

  it('sends nothing when there was no output', async () => {
    await new OutputPusher(EXEC, () => viewers('ann-1')).drain();
    expect(pushed()).toEqual([]);
  });

  it('splits a chunk that would not fit in one message once JSON-escaped', async () => {
    const pusher = new OutputPusher(EXEC, () => viewers('ann-1'));
    pusher.push('stdout', '\u0000'.repeat(32 * 1024));
    await pusher.drain();
    expect(pushedTo('ann-1').map((m) => m.data).join('')).toHaveLength(32 * 1024);
  });
});
