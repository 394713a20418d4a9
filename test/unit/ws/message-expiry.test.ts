/**
 * A message on a socket whose session expired meanwhile (docs/protocol.md §4): API Gateway keeps the socket open up to
 * 2 hours, and the connection's items expire with the session. The message is answered SESSION_EXPIRED (naming its
 * action), the socket hears `session-ended` and is closed, and nothing is written to the document. Time is the
 * subject here, so the clock is a fake one: the container's cached sender (read on an earlier message) must not
 * keep the socket answering after the expiry.
 */
import { DeleteConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { DeleteCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ddb, givenSender, givenSession, mgmt, pushedTo, sessionItem, useMockedDynamo } from '../fixtures.js';
import { newConnectionId, send } from './events.js';

const nowSec = () => Math.floor(Date.now() / 1000);

afterEach(() => vi.useRealTimers());

describe('a message after the session expired under an open socket', () => {
  useMockedDynamo();

  it('a container that cached the sender before the expiry answers SESSION_EXPIRED, session-ended, and closes the socket', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const expires = nowSec() + 60;
    givenSession(sessionItem({ expiresAtEpoch: expires, expiresAt: new Date(expires * 1000).toISOString() }));
    const me = newConnectionId('expiry');
    givenSender(me, { ttl: expires });
    await send(me, { action: 'ping' });
    expect(pushedTo(me)).toEqual([expect.objectContaining({ type: 'pong' })]);

    vi.setSystemTime((expires + 5) * 1000);
    mgmt.resetHistory();
    await send(me, { action: 'code-change', code: 'too late', baseVersion: 1 });
    expect(pushedTo(me)).toEqual([
      expect.objectContaining({ type: 'error', code: 'SESSION_EXPIRED', action: 'code-change' }),
      { type: 'session-ended', reason: 'expired' },
    ]);
    expect(mgmt.commandCalls(DeleteConnectionCommand).map((c) => c.args[0].input)).toEqual([{ ConnectionId: me }]);
    expect(ddb.commandCalls(TransactWriteCommand)).toEqual([]);
    expect(ddb.commandCalls(DeleteCommand).map((c) => c.args[0].input.Key)).toContainEqual({ PK: `S#${sessionItem().sessionId}`, SK: `C#${me}` });
  });

  it('a container that never saw the socket reads its expired lookup and answers the same way', async () => {
    const expired = nowSec() - 30;
    givenSession(sessionItem({ expiresAtEpoch: expired, expiresAt: new Date(expired * 1000).toISOString() }));
    const me = newConnectionId('expiry');
    givenSender(me, { ttl: expired });
    await send(me, { action: 'ping' });
    expect(pushedTo(me)).toEqual([expect.objectContaining({ type: 'error', code: 'SESSION_EXPIRED', action: 'ping' }), { type: 'session-ended', reason: 'expired' }]);
    expect(mgmt.commandCalls(DeleteConnectionCommand)).toHaveLength(1);
  });

  it('a connection past its own 2 hours in a session still active is only closed (the client reconnects)', async () => {
    givenSession(sessionItem());
    const me = newConnectionId('expiry');
    givenSender(me, { ttl: nowSec() - 1 });
    await send(me, { action: 'ping' });
    expect(pushedTo(me)).toEqual([]);
    expect(mgmt.commandCalls(DeleteConnectionCommand).map((c) => c.args[0].input)).toEqual([{ ConnectionId: me }]);
  });
});
