/**
 * The fan-out rules of docs/aws-notes.md, seen through edits: a GoneException deletes *that* recipient, throttling
 * is retried with backoff (at most 5 attempts), any other failure is logged and never fails the sender,
 * every post is awaited with bounded concurrency, and nothing over 128 KiB is ever sent.
 */
import {
  connectionItem,
  docItems,
  givenConnections,
  givenDocument,
  givenSender,
  givenSession,
  goneException,
  mgmt,
  pushed,
  pushedSizes,
  pushedTo,
  sent,
  SESSION_ID,
  throttled,
  useMockedDynamo,
  type Item,
} from '../fixtures.js';
import { PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { logger } from '#telemetry/log.js';
import { REPLY } from '#aws/push.js';
import { useFunctionEnv } from '../env.js';
import { newConnectionId, send } from './events.js';

// Every post here is made by the message function: its environment, as the stack sets it.
useFunctionEnv('ws-message');

const postsTo = (connectionId: string) =>
  mgmt.commandCalls(PostToConnectionCommand).filter((c) => c.args[0].input.ConnectionId === connectionId).length;

function givenRoom(me: string, others: Item[]): void {
  givenSession();
  givenSender(me);
  givenConnections([...others, connectionItem(me, { joined: true, userId: 'carla', format: 'text' })]);
  givenDocument(docItems('a = 1'));
}

const ann = connectionItem('ann-1', { joined: true, userId: 'ann', format: 'text' });
const bob = connectionItem('bob-1', { joined: true, userId: 'bob', format: 'text' });

describe('pushing to sockets', () => {
  useMockedDynamo();
  // Backoff delays are Math.random() * 50 * 2^attempt: zero them so retries do not slow the suite.
  beforeEach(() => void vi.spyOn(Math, 'random').mockReturnValue(0));
  afterEach(() => vi.restoreAllMocks());

  it('deletes the C# and CONN# items of a gone recipient (not the sender), and the sender still gets its ack', async () => {
    const me = newConnectionId('author');
    givenRoom(me, [ann, bob]);
    mgmt.on(PostToConnectionCommand, { ConnectionId: 'ann-1' }).rejects(goneException());
    expect(await send(me, { action: 'code-change', code: 'a = 2' })).toEqual({ statusCode: 200 });

    expect(sent(DeleteCommand).map((d) => d.Key)).toEqual([
      { PK: 'CONN#ann-1', SK: 'CONN' },
      { PK: `S#${SESSION_ID}`, SK: 'C#ann-1' },
    ]);
    expect(pushedTo(me)).toEqual([{ type: 'code-ack', version: 2, code: expect.any(String) }]);
    expect(pushedTo('bob-1')).toEqual([expect.objectContaining({ type: 'code-update', code: 'a = 2' })]);
    expect(postsTo('ann-1')).toBe(1); // gone is final: no retry
  });

  it('retries a throttled post with backoff until it is delivered', async () => {
    const me = newConnectionId('author');
    givenRoom(me, [ann, bob]);
    mgmt
      .on(PostToConnectionCommand, { ConnectionId: 'ann-1' })
      .rejectsOnce(throttled())
      .rejectsOnce(Object.assign(new Error('Too Many Requests'), { name: 'TooManyRequestsException', $metadata: { httpStatusCode: 429 } }))
      .resolves({});
    await send(me, { action: 'code-change', code: 'a = 3' });
    expect(postsTo('ann-1')).toBe(3);
    expect(pushedTo('ann-1')).toHaveLength(3); // the same message each time
    expect(new Set(pushedTo('ann-1').map((m) => JSON.stringify(m))).size).toBe(1);
    expect(sent(DeleteCommand)).toEqual([]);
    expect(pushedTo(me)).toEqual([{ type: 'code-ack', version: 2, code: expect.any(String) }]);
  });

  it('gives up on a recipient after 5 throttled attempts, deleting nothing and still serving the others', async () => {
    const me = newConnectionId('author');
    givenRoom(me, [ann, bob]);
    mgmt.on(PostToConnectionCommand, { ConnectionId: 'ann-1' }).rejects(throttled());
    expect(await send(me, { action: 'code-change', code: 'a = 4' })).toEqual({ statusCode: 200 });
    expect(postsTo('ann-1')).toBe(5);
    expect(sent(DeleteCommand)).toEqual([]);
    expect(pushedTo('bob-1')).toHaveLength(1);
    expect(pushedTo(me)).toEqual([{ type: 'code-ack', version: 2, code: expect.any(String) }]);
  });

  it('logs any other failure once and moves on: no retry, no delete, no error to the sender', async () => {
    const me = newConnectionId('author');
    givenRoom(me, [ann, bob]);
    mgmt.on(PostToConnectionCommand, { ConnectionId: 'ann-1' }).rejects(Object.assign(new Error('boom'), { name: 'InternalServerErrorException', $metadata: { httpStatusCode: 500 } }));
    await send(me, { action: 'code-change', code: 'a = 5' });
    expect(postsTo('ann-1')).toBe(1);
    expect(sent(DeleteCommand)).toEqual([]);
    expect(pushedTo(me)).toEqual([{ type: 'code-ack', version: 2, code: expect.any(String) }]);
  });

  it('awaits the whole fan-out before returning, at most 16 posts in flight', async () => {
    const me = newConnectionId('crowd');
    const crowd = Array.from({ length: 40 }, (_, i) => connectionItem(`viewer-${i}`, { joined: true, userId: `v${i}`, format: 'text' }));
    givenRoom(me, crowd);
    let inFlight = 0;
    let peak = 0;
    mgmt.on(PostToConnectionCommand).callsFake(async () => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return {};
    });
    await send(me, { action: 'code-change', code: 'a = 6' });
    expect(inFlight).toBe(0);
    expect(pushed().filter((p) => p.connectionId.startsWith('viewer-'))).toHaveLength(40);
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(16);
  });

  it('never pushes over 128 KiB: a text client gets a documentUrl instead of a 100 KiB text full of quotes', async () => {
    const me = newConnectionId('quotes');
    givenSession();
    givenSender(me, {});
    givenConnections([ann, connectionItem('yjs-1', { joined: true, userId: 'yan', format: 'yjs' }), connectionItem(me, { joined: true, userId: 'carla', format: 'yjs' })]);
    const base = '"'.repeat(100 * 1024 - 4);
    const items = docItems(base, { version: 6 });
    givenDocument(items);
    const client = new Y.Doc();
    Y.applyUpdate(client, items[0]!.state as Uint8Array);
    const before = Y.encodeStateVector(client);
    client.getText('code').insert(0, '"');
    const update = Buffer.from(Y.encodeStateAsUpdate(client, before)).toString('base64');
    await send(me, { action: 'yjs-update', update });

    expect(pushedTo('ann-1')).toEqual([
      { type: 'code-update', version: 7, userId: 'carla', timestamp: expect.any(String), documentUrl: `/api/sessions/${SESSION_ID}/code` },
    ]);
    expect(pushedTo('yjs-1')).toEqual([{ type: 'yjs-update', update, version: 7, userId: 'carla' }]); // small: sent inline
    expect(Math.max(...pushedSizes())).toBeLessThanOrEqual(128 * 1024);
  });
});

describe('error replies that carry the document', () => {
  useMockedDynamo();

  it('still answers a stale code-change on a 100 KiB document of quotes with VERSION_CONFLICT under 128 KiB', async () => {
    const me = newConnectionId('stale-big');
    givenSession();
    givenSender(me);
    givenConnections([connectionItem(me, { joined: true, userId: 'carla', format: 'text' })]);
    givenDocument(docItems('"'.repeat(100 * 1024), { version: 8 }));
    await send(me, { action: 'code-change', code: 'mine', baseVersion: 7 });
    expect(pushedTo(me)).toEqual([expect.objectContaining({ type: 'error', code: 'VERSION_CONFLICT', details: expect.objectContaining({ currentVersion: 8 }) })]);
    expect(Math.max(...pushedSizes())).toBeLessThanOrEqual(128 * 1024);
  });
});

describe('replies to the sender (code-ack, error): the client waits for them', () => {
  useMockedDynamo();
  beforeEach(() => void vi.spyOn(Math, 'random').mockReturnValue(0));
  afterEach(() => vi.restoreAllMocks());

  const serverError = () => Object.assign(new Error('Internal server error'), { name: 'InternalServerErrorException', $metadata: { httpStatusCode: 500 } });
  const networkError = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

  it('retries a throttled code-ack until it is delivered', async () => {
    const me = newConnectionId('acked');
    givenRoom(me, [ann]);
    mgmt.on(PostToConnectionCommand, { ConnectionId: me }).rejectsOnce(throttled()).rejectsOnce(throttled()).resolves({});
    await send(me, { action: 'code-change', code: 'a = 7' });
    expect(postsTo(me)).toBe(3);
    expect(new Set(pushedTo(me).map((m) => JSON.stringify(m))).size).toBe(1); // the same reply each time
    expect(pushedTo(me)[0]).toMatchObject({ type: 'code-ack', version: 2 });
    expect(pushedTo('ann-1')).toHaveLength(1);
  });

  it('retries an error reply after a 500 and a dropped connection to the Management API', async () => {
    const me = newConnectionId('refused');
    givenRoom(me, []);
    mgmt.on(PostToConnectionCommand, { ConnectionId: me }).rejectsOnce(serverError()).rejectsOnce(networkError()).resolves({});
    await send(me, { action: 'no-such-action' });
    expect(postsTo(me)).toBe(3);
    expect(pushedTo(me).at(-1)).toMatchObject({ type: 'error', code: 'INVALID_MESSAGE' });
  });

  it(`logs a reply lost after ${REPLY.attempts} attempts as an ERROR (alarmed), and still answers API Gateway 200`, async () => {
    const error = vi.spyOn(logger, 'error');
    const me = newConnectionId('lost');
    givenRoom(me, [ann]);
    mgmt.on(PostToConnectionCommand, { ConnectionId: me }).rejects(throttled());
    expect(await send(me, { action: 'code-change', code: 'a = 8' })).toEqual({ statusCode: 200 });
    expect(postsTo(me)).toBe(REPLY.attempts);
    expect(error).toHaveBeenCalledWith('reply to the sender lost', expect.objectContaining({ connectionId: me, attempts: REPLY.attempts }));
  });

  it('does not retry a reply to a sender that is gone (410): it deletes that connection', async () => {
    const me = newConnectionId('left');
    givenRoom(me, []);
    mgmt.on(PostToConnectionCommand, { ConnectionId: me }).rejects(goneException());
    await send(me, { action: 'ping' });
    expect(postsTo(me)).toBe(1);
    expect(sent(DeleteCommand).map((d) => d.Key)).toEqual([
      { PK: `CONN#${me}`, SK: 'CONN' },
      { PK: `S#${SESSION_ID}`, SK: `C#${me}` },
    ]);
  });
});
