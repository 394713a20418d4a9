import {
  commandNames,
  connectionItem,
  ddb,
  givenConnections,
  givenSender,
  givenSession,
  lookupItem,
  pushed,
  sent,
  SESSION_ID,
  TABLE,
  useMockedDynamo,
  writes,
  type Item,
} from '../fixtures.js';
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { disconnect, newConnectionId, send } from './events.js';

/** The connection item DynamoDB hands back (ReturnValues ALL_OLD) when the handler deletes it. */
function givenStoredConnection(id: string, fields: Item): void {
  ddb.on(DeleteCommand, { Key: { PK: `S#${SESSION_ID}`, SK: `C#${id}` } }).resolves({ Attributes: connectionItem(id, fields) });
}

describe('$disconnect', () => {
  useMockedDynamo();

  it('deletes the connection and its lookup, and tells the others user-left with the new userCount', async () => {
    const me = newConnectionId('me');
    givenSender(me);
    givenStoredConnection(me, { joined: true, userId: 'cand', username: 'Carla' });
    givenConnections([
      connectionItem('ann-1', { joined: true, userId: 'ann', username: 'Ann', role: 'interviewer' }),
      connectionItem('bob-1', { joined: true, userId: 'bob', username: 'Bob' }),
      connectionItem('lurker-1'),
    ]);
    expect(await disconnect(me)).toEqual({ statusCode: 200 });

    expect(sent(DeleteCommand).map((d) => d.Key)).toEqual([
      { PK: 'LIVE', SK: `C#${me}` }, // the gauges' item (shared/telemetry/metrics.ts)
      { PK: `CONN#${me}`, SK: 'CONN' },
      { PK: `S#${SESSION_ID}`, SK: `C#${me}` },
    ]);
    const left = { type: 'user-left', userId: 'cand', userCount: 2 };
    expect(pushed()).toEqual([
      { connectionId: 'ann-1', message: left },
      { connectionId: 'bob-1', message: left },
    ]);
    expect(sent(PutCommand).map((p) => p.Item)).toEqual([
      expect.objectContaining({ PK: `S#${SESSION_ID}`, type: 'user-left', userId: 'cand', detail: { username: 'Carla' } }),
    ]);
  });

  it('says nothing while the same user is still here in another tab', async () => {
    const me = newConnectionId('tab');
    givenSender(me);
    givenStoredConnection(me, { joined: true, userId: 'cand' });
    givenConnections([connectionItem('other-tab', { joined: true, userId: 'cand' }), connectionItem('ann-1', { joined: true, userId: 'ann' })]);
    await disconnect(me);
    expect(sent(DeleteCommand)).toHaveLength(3); // the gauges' item, the lookup, the connection
    expect(pushed()).toEqual([]);
    expect(sent(PutCommand)).toEqual([]);
  });

  it('only deletes a connection that never joined: nobody knew it was there', async () => {
    const me = newConnectionId('silent');
    givenSender(me);
    givenStoredConnection(me, {});
    givenConnections([connectionItem('ann-1', { joined: true, userId: 'ann' })]);
    await disconnect(me);
    expect(commandNames()).toEqual(['GetCommand', 'DeleteCommand', 'DeleteCommand', 'DeleteCommand']);
    expect(pushed()).toEqual([]);
  });

  it('only forgets the open socket for a connection already removed (after leave-session, or deleted on a 410)', async () => {
    const me = newConnectionId('gone');
    givenConnections([connectionItem('ann-1', { joined: true, userId: 'ann' })]);
    expect(await disconnect(me)).toEqual({ statusCode: 200 });
    expect(commandNames()).toEqual(['GetCommand', 'DeleteCommand']);
    expect(sent(DeleteCommand).map((d) => d.Key)).toEqual([{ PK: 'LIVE', SK: `C#${me}` }]);
    expect(pushed()).toEqual([]);
  });

  it('reads the lookup $connect wrote with a strongly consistent read (an eventual one may miss it: a ghost for 2 h)', async () => {
    const me = newConnectionId('fresh');
    givenSender(me);
    givenStoredConnection(me, { joined: true, userId: 'cand' });
    await disconnect(me);
    expect(sent(GetCommand)).toEqual([{ TableName: TABLE, Key: { PK: `CONN#${me}`, SK: 'CONN' }, ConsistentRead: true }]);
  });

  it('treats a lookup past its ttl as already removed', async () => {
    const me = newConnectionId('stale');
    givenSender(me, { ttl: Math.floor(Date.now() / 1000) - 1 });
    await disconnect(me);
    expect(sent(DeleteCommand).map((d) => d.Key)).toEqual([{ PK: 'LIVE', SK: `C#${me}` }]);
  });

  it('forgets the cached sender: a late frame of the closed connection reads the lookup again and is dropped', async () => {
    givenSession();
    const me = newConnectionId('late');
    ddb.on(GetCommand, { Key: { PK: `CONN#${me}`, SK: 'CONN' } })
      .resolvesOnce({ Item: lookupItem(me) }) // the first ping
      .resolvesOnce({ Item: lookupItem(me) }) // $disconnect
      .resolves({}); // deleted by then
    await send(me, { action: 'ping' });
    expect(pushed().map((p) => p.message.type)).toEqual(['pong']);
    await disconnect(me);
    // (no resetHistory here: it would also rewind the resolvesOnce sequence above)
    await send(me, { action: 'ping' });
    expect(sent(GetCommand).map((g) => g.Key)).toEqual(Array(3).fill({ PK: `CONN#${me}`, SK: 'CONN' }));
    expect(pushed().map((p) => p.message.type)).toEqual(['pong']);
  });
});
