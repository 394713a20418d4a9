import {
  commandNames,
  connectionItem,
  ddb,
  docItems,
  givenConnections,
  givenDocument,
  givenSender,
  givenSession,
  pushed,
  useMockedDynamo,
  writes,
} from '../fixtures.js';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../../functions/ws/message.js';
import { newConnectionId, send, sendRaw, wsMessageEvent } from './events.js';

/** A joined sender in a session with one other joined user. */
function givenJoined(): string {
  const me = newConnectionId('parse');
  givenSession();
  givenSender(me);
  givenConnections([connectionItem(me, { joined: true, userId: 'carla' }), connectionItem('ann-1', { joined: true, userId: 'ann' })]);
  givenDocument(docItems('a = 1'));
  return me;
}

/** The only thing a bad frame may cause: one `error` push to its sender. */
function expectOnlyAnError(me: string, code = 'INVALID_MESSAGE') {
  const all = pushed();
  expect(all).toHaveLength(1);
  expect(all[0]!.connectionId).toBe(me);
  expect(all[0]!.message).toMatchObject({ type: 'error', code, message: expect.any(String) });
  expect(writes()).toEqual([]);
  return all[0]!.message;
}

describe('message frames that are not valid actions', () => {
  useMockedDynamo();

  it.each([
    ['not JSON', 'hello there'],
    ['truncated JSON', '{"action":"code-change","code":"x"'],
    ['a JSON array', '[{"action":"ping"}]'],
    ['JSON null', 'null'],
    ['a JSON string', '"ping"'],
    ['a JSON number', '42'],
    ['an empty frame', ''],
  ])('answers %s with INVALID_MESSAGE (routed to $default), changing nothing', async (_, raw) => {
    const me = givenJoined();
    expect(wsMessageEvent({ connectionId: me, rawBody: raw }).requestContext.routeKey).toBe('$default');
    expect(await sendRaw(me, raw)).toEqual({ statusCode: 200 });
    const error = expectOnlyAnError(me);
    expect(error).not.toHaveProperty('action');
    expect(commandNames()).toEqual(['GetCommand']); // the sender lookup, nothing else
  });

  it('answers an unknown or missing action with INVALID_MESSAGE listing the actions', async () => {
    const me = givenJoined();
    await send(me, { action: 'delete-everything' });
    await send(me, { code: 'no action' });
    await send(me, { action: 42 });
    const errors = pushed().map((p) => p.message);
    expect(errors).toHaveLength(3);
    for (const e of errors) {
      expect(e).toMatchObject({ type: 'error', code: 'INVALID_MESSAGE' });
      expect(e.details.actions).toEqual(expect.arrayContaining(['join-session', 'code-change', 'yjs-update', 'run-code', 'leave-session']));
    }
    expect(writes()).toEqual([]);
  });

  it.each([
    ['code of the wrong type', { action: 'code-change', code: 42 }, 'code'],
    ['a missing code', { action: 'code-change' }, 'code'],
    ['a negative baseVersion', { action: 'code-change', code: 'x', baseVersion: -1 }, 'baseVersion'],
    ['a fractional baseVersion', { action: 'code-change', code: 'x', baseVersion: 1.5 }, 'baseVersion'],
    ['an unknown field', { action: 'code-change', code: 'x', admin: true }, '(body)'],
    ['an update outside the base64 alphabet', { action: 'yjs-update', update: '!!!!' }, 'update'],
    ['an update of a length that is not a multiple of 4', { action: 'yjs-update', update: 'QUJD' + 'R' }, 'update'],
    ['an empty update', { action: 'awareness-update', update: '' }, 'update'],
    ['a cursor line 0', { action: 'cursor-update', position: { lineNumber: 0, column: 1 } }, 'position.lineNumber'],
    ['a cursor without column', { action: 'cursor-update', position: { lineNumber: 3 } }, 'position.column'],
    ['an unknown join format', { action: 'join-session', format: 'xml' }, 'format'],
    ['a userId with spaces', { action: 'join-session', userId: 'robert tables' }, 'userId'],
    ['a language that is not a string', { action: 'language-change', language: ['python'] }, 'language'],
  ])('answers %s with INVALID_MESSAGE naming the field, changing nothing', async (_, body, field) => {
    const me = givenJoined();
    await send(me, body);
    const error = expectOnlyAnError(me);
    expect(error.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
  });

  it('refuses base64 that does not round-trip (garbage in the padding bits) before reading anything', async () => {
    const me = givenJoined();
    await send(me, { action: 'yjs-update', update: 'QR==' }); // decodes to "A", which encodes as "QQ=="
    const error = expectOnlyAnError(me);
    expect(error).toMatchObject({ action: 'yjs-update', details: [{ field: 'update', message: expect.any(String) }] });
    expect(commandNames()).toEqual(['GetCommand']);
  });

  it('accepts a frame that API Gateway delivered base64-encoded', async () => {
    const me = givenJoined();
    await handler(wsMessageEvent({ connectionId: me, body: { action: 'ping' }, base64: true }));
    expect(pushed().map((p) => p.message.type)).toEqual(['pong']);
  });

  it('drops a frame from a connection it does not know (no lookup): nobody to answer', async () => {
    givenSession();
    const res = await send(newConnectionId('unknown'), { action: 'code-change', code: 'x' });
    expect(res).toEqual({ statusCode: 200 });
    expect(commandNames()).toEqual(['GetCommand']);
    expect(pushed()).toEqual([]);
  });

  it('answers INTERNAL_ERROR without the cause when the store fails, and the invocation still succeeds', async () => {
    const me = givenJoined();
    ddb.on(QueryCommand).rejects(new Error('connect ECONNREFUSED 10.0.0.7:443 (secret-table-name)'));
    expect(await send(me, { action: 'code-change', code: 'x' })).toEqual({ statusCode: 200 });
    const error = expectOnlyAnError(me, 'INTERNAL_ERROR');
    expect(error.action).toBe('code-change');
    expect(JSON.stringify(error)).not.toMatch(/ECONNREFUSED|secret/);
  });

  it('answers ping with pong {timestamp}, even before join-session, at the cost of the sender lookup only', async () => {
    const me = newConnectionId('pinger');
    givenSender(me);
    const before = Date.now();
    await send(me, { action: 'ping', nonce: 7 });
    const [pong] = pushed();
    expect(pong).toEqual({ connectionId: me, message: { type: 'pong', timestamp: expect.any(String) } });
    expect(Date.parse(pong!.message.timestamp)).toBeGreaterThanOrEqual(before - 1);
    expect(commandNames()).toEqual(['GetCommand']);
  });
});
