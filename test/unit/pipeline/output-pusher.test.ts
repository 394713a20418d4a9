/** runner/output-pusher.ts: live `execution-output` pushes, batched, numbered with `seq`, in order. */
import { connectionItem, mgmt, pushed, pushedTo, useMockedDynamo } from '../fixtures.js';
import { PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { describe, expect, it } from 'vitest';
import { OutputPusher } from '../../../runner/output-pusher.js';
import type { ConnectionItem } from '../../../shared/store/connections.js';

const EXEC = '01JP0000000000000000000001';
const viewers = (...ids: string[]) => ids.map((id) => connectionItem(id, { joined: true, userId: id }) as unknown as ConnectionItem);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('OutputPusher', () => {
  useMockedDynamo();

  it('merges consecutive chunks of one stream and numbers the batches from 0, per stream change', async () => {
    const pusher = new OutputPusher(EXEC, () => viewers('ann-1', 'bob-1'));
    pusher.push('stdout', 'a');
    pusher.push('stdout', 'b');
    pusher.push('stderr', 'warn\n');
    pusher.push('stdout', 'c');
    await pusher.drain();
    const expected = [
      { type: 'execution-output', executionId: EXEC, stream: 'stdout', data: 'ab', seq: 0 },
      { type: 'execution-output', executionId: EXEC, stream: 'stderr', data: 'warn\n', seq: 1 },
      { type: 'execution-output', executionId: EXEC, stream: 'stdout', data: 'c', seq: 2 },
    ];
    expect(pushedTo('ann-1')).toEqual(expected);
    expect(pushedTo('bob-1')).toEqual(expected);
  });

  it('flushes on its own after outputFlushMs, without waiting for drain', async () => {
    const pusher = new OutputPusher(EXEC, () => viewers('ann-1'));
    pusher.push('stdout', 'tick\n');
    expect(pushed()).toEqual([]);
    await sleep(120);
    expect(pushedTo('ann-1').map((m) => m.data)).toEqual(['tick\n']);
    await pusher.drain();
    expect(pushed()).toHaveLength(1); // nothing sent twice
  });

  it('flushes at once when outputFlushBytes (4 KiB) are pending', async () => {
    const pusher = new OutputPusher(EXEC, () => viewers('ann-1'));
    pusher.push('stdout', 'x'.repeat(4 * 1024));
    await sleep(0);
    await sleep(0);
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
    mgmt.on(PostToConnectionCommand, { ConnectionId: 'ann-1' }).rejectsOnce(Object.assign(new Error('boom'), { name: 'InternalServerErrorException' })).resolves({});
    const pusher = new OutputPusher(EXEC, () => connections);
    pusher.push('stdout', '1');
    pusher.flush();
    await sleep(5); // batch 0 has gone out
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
