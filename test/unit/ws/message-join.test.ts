import {
  conditionFailed,
  connectionItem,
  ddb,
  docItems,
  docWithLog,
  endedSession,
  givenConnections,
  givenDocument,
  givenRunners,
  givenSender,
  givenSession,
  launchRequests,
  pushed,
  pushedSizes,
  pushedTo,
  runnerItem,
  sent,
  SESSION_ID,
  stateItem,
  textFrom,
  useMockedDynamo,
  writes,
  yDoc,
  type Item,
} from '../fixtures.js';
import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { newConnectionId, send } from './events.js';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const KIB = 1024;

/** A session with Ann (interviewer) and Bob already joined, a lurker who never joined, and `me` connected. */
function givenRoom(me: string, mine: Item = {}): void {
  givenSession();
  givenSender(me);
  givenConnections([
    connectionItem('ann-1', { joined: true, userId: 'ann', username: 'Ann', role: 'interviewer', format: 'text' }),
    connectionItem('bob-1', { joined: true, userId: 'bob', username: 'Bob', format: 'yjs' }),
    connectionItem('lurker-1'),
    connectionItem(me, mine),
  ]);
}

describe('join-session', () => {
  useMockedDynamo();

  it("binds the asked userId to the joining role; an id bound to another role is not given out: the join gets a new one", async () => {
    const me = newConnectionId('me');
    givenRoom(me);
    givenDocument(docItems('x'));
    // DynamoDB refuses the binding: 'ann' is the interviewer's (condition: absent, or this role's).
    ddb.on(PutCommand).callsFake((input: { Item?: Item }) => {
      if (input.Item?.SK === 'U#ann') throw conditionFailed();
      return {};
    });
    await send(me, { action: 'join-session', userId: 'ann', username: 'Ann' });
    const joined = pushedTo(me).find((m) => m.type === 'session-joined');
    expect(joined.userId).not.toBe('ann');
    const bindings = sent(PutCommand).filter((p) => String(p.Item?.SK).startsWith('U#'));
    expect(bindings.map((b) => b.Item)).toEqual([
      expect.objectContaining({ PK: `S#${SESSION_ID}`, SK: 'U#ann', role: 'candidate' }),
      expect.objectContaining({ SK: `U#${joined.userId}`, role: 'candidate' }),
    ]);
    expect(bindings[0]).toMatchObject({ ConditionExpression: 'attribute_not_exists(SK) OR #role = :role', ExpressionAttributeValues: { ':role': 'candidate' } });
    expect(sent(UpdateCommand)[0]).toMatchObject({ ExpressionAttributeValues: { ':u': joined.userId } });
  });

  it("never gives a candidate another role's name as its userId (HTTP writes record the role as userId)", async () => {
    const me = newConnectionId('me');
    givenRoom(me);
    givenDocument(docItems('x'));
    await send(me, { action: 'join-session', userId: 'interviewer' });
    const joined = pushedTo(me).find((m) => m.type === 'session-joined');
    expect(joined.userId).not.toBe('interviewer');
    expect(sent(PutCommand).some((p) => p.Item?.SK === 'U#interviewer')).toBe(false);
  });

  it('marks the connection joined (conditionally) and answers session-joined with the text, version and users', async () => {
    const me = newConnectionId('me');
    givenRoom(me);
    givenDocument(docWithLog(['print(1)', 'print(2)'], 4).items);
    expect(await send(me, { action: 'join-session', userId: 'carla', username: 'Carla' })).toEqual({ statusCode: 200 });

    const [mark] = sent(UpdateCommand);
    expect(mark).toMatchObject({
      Key: { PK: `S#${SESSION_ID}`, SK: `C#${me}` },
      ConditionExpression: 'attribute_exists(SK)',
      ExpressionAttributeValues: { ':t': true, ':u': 'carla', ':n': 'Carla', ':f': 'text' },
    });
    expect(pushedTo(me)).toEqual([
      {
        type: 'session-joined',
        sessionId: SESSION_ID,
        userId: 'carla',
        role: 'candidate',
        language: 'python',
        currentCode: 'print(2)',
        version: 5,
        users: [
          { id: 'ann', username: 'Ann', role: 'interviewer' },
          { id: 'bob', username: 'Bob', role: 'candidate' },
          { id: 'carla', username: 'Carla', role: 'candidate' },
        ],
        userCount: 3,
      },
    ]);
  });

  it('tells the other joined users user-joined (not the lurker, not the sender) and records it in the history', async () => {
    const me = newConnectionId('me');
    givenRoom(me);
    givenDocument(docItems('x'));
    await send(me, { action: 'join-session', userId: 'carla', username: 'Carla' });
    const joined = { type: 'user-joined', userId: 'carla', username: 'Carla', role: 'candidate', userCount: 3 };
    expect(pushed().filter((p) => p.connectionId !== me)).toEqual([
      { connectionId: 'ann-1', message: joined },
      { connectionId: 'bob-1', message: joined },
    ]);
    expect(sent(PutCommand).filter((p) => p.Item?.type === 'user-joined').map((p) => p.Item)).toEqual([
      expect.objectContaining({ PK: `S#${SESSION_ID}`, userId: 'carla', detail: { username: 'Carla', role: 'candidate' } }),
    ]);
  });

  it('names an anonymous user: a generated userId and the role as username', async () => {
    const me = newConnectionId('anon');
    givenRoom(me);
    await send(me, { action: 'join-session' });
    const [joined] = pushedTo(me);
    expect(joined.userId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(joined.users).toContainEqual({ id: joined.userId, username: 'candidate', role: 'candidate' });
  });

  it('for format "yjs" with a stateVector, sends as yjsState exactly what the client lacks', async () => {
    const me = newConnectionId('yjs');
    givenRoom(me);
    const doc = docWithLog(['fn main() {}', 'fn main() { run() }', 'fn main() { run(); stop() }'], 1);
    givenDocument(doc.items);
    // The client already has the compacted state, not the two log updates.
    const stateBytes = doc.items.at(-1)!.state as Uint8Array;
    const client = new Y.Doc();
    Y.applyUpdate(client, stateBytes);
    await send(me, { action: 'join-session', format: 'yjs', stateVector: b64(Y.encodeStateVector(client)) });

    const [joined] = pushedTo(me);
    expect(joined).toMatchObject({ type: 'session-joined', currentCode: 'fn main() { run(); stop() }', version: 3 });
    const missing = Buffer.from(joined.yjsState, 'base64');
    Y.applyUpdate(client, missing);
    expect(client.getText('code').toString()).toBe('fn main() { run(); stop() }');
    expect(textFrom(missing)).not.toBe('fn main() { run(); stop() }'); // alone it is not the document: only the diff
    expect(missing.byteLength).toBeLessThan(stateBytes.byteLength + doc.updates.reduce((n, u) => n + u.byteLength, 0));
    expect(sent(UpdateCommand)[0]?.ExpressionAttributeValues?.[':f']).toBe('yjs');
  });

  it('for format "yjs" without a stateVector, sends the whole document as yjsState; text joins get none', async () => {
    const me = newConnectionId('fresh');
    givenRoom(me);
    givenDocument(docItems('let x = 1;'));
    await send(me, { action: 'join-session', format: 'yjs' });
    expect(textFrom(Buffer.from(pushedTo(me)[0].yjsState, 'base64'))).toBe('let x = 1;');

    const textClient = newConnectionId('text');
    givenRoom(textClient);
    await send(textClient, { action: 'join-session', format: 'text' });
    expect(pushedTo(textClient)[0]).not.toHaveProperty('yjsState');
  });

  it('re-joining (reconnect logic, second join) answers session-joined again but announces nobody', async () => {
    const me = newConnectionId('again');
    givenRoom(me, { joined: true, userId: 'carla', username: 'Carla', joinedAt: new Date().toISOString() });
    await send(me, { action: 'join-session', userId: 'carla', username: 'Carla' });
    expect(pushed().map((p) => [p.connectionId, p.message.type])).toEqual([[me, 'session-joined']]);
    expect(sent(PutCommand).filter((p) => p.Item?.type === 'user-joined')).toEqual([]);
  });

  it('warms a runner for the session language: a launch request when no runner is alive, nothing when one is', async () => {
    const cold = newConnectionId('cold');
    givenRoom(cold);
    await send(cold, { action: 'join-session' });
    expect(launchRequests()).toEqual([{ language: 'python', count: 1 }]);

    const warm = newConnectionId('warm');
    givenRoom(warm);
    givenRunners([runnerItem('r-1')]);
    await send(warm, { action: 'join-session' });
    expect(sent(QueryCommand).filter((q) => q.ExpressionAttributeValues?.[':pk'] === 'RUNNERS#python')).toHaveLength(2);
    expect(launchRequests()).toHaveLength(1); // still only the cold one's
  });

  it('answers SESSION_EXPIRED on an ended session and marks nothing', async () => {
    const me = newConnectionId('late');
    givenRoom(me);
    givenSession(endedSession());
    await send(me, { action: 'join-session' });
    expect(pushedTo(me)).toEqual([{ type: 'error', code: 'SESSION_EXPIRED', message: expect.any(String), action: 'join-session' }]);
    expect(writes()).toEqual([]);
  });

  it('answers an error and announces nothing when the connection vanished while joining (markJoined condition fails)', async () => {
    const me = newConnectionId('racing');
    givenRoom(me);
    ddb.on(UpdateCommand, { Key: { PK: `S#${SESSION_ID}`, SK: `C#${me}` } }).rejects(conditionFailed());
    await send(me, { action: 'join-session', userId: 'carla' });
    expect(pushed()).toEqual([{ connectionId: me, message: expect.objectContaining({ type: 'error', code: 'NOT_FOUND', action: 'join-session' }) }]);
    expect(sent(PutCommand).filter((p) => p.Item?.type === 'user-joined')).toEqual([]);
  });

  it('never pushes more than 128 KiB: a 100 KiB document full of quotes joins with a documentUrl instead', async () => {
    const code = '"'.repeat(100 * KIB); // 100 KiB of text, 200 KiB once JSON-escaped
    const me = newConnectionId('big');
    givenRoom(me);
    givenDocument(docItems(code, { version: 9 }));
    await send(me, { action: 'join-session' });
    const [joined] = pushedTo(me);
    expect(joined).toMatchObject({ type: 'session-joined', version: 9, documentUrl: `/api/sessions/${SESSION_ID}/code`, userCount: 3 });
    expect(joined).not.toHaveProperty('currentCode');

    const yjs = newConnectionId('big-yjs');
    givenRoom(yjs);
    await send(yjs, { action: 'join-session', format: 'yjs' });
    expect(pushedTo(yjs)[0]).toMatchObject({ documentUrl: `/api/sessions/${SESSION_ID}/code?format=yjs` });
    expect(pushedTo(yjs)[0]).not.toHaveProperty('yjsState');
    expect(Math.max(...pushedSizes())).toBeLessThanOrEqual(128 * KIB);
  });

  it('sends a document just under the limit inline', async () => {
    const code = 'x'.repeat(100 * KIB);
    const me = newConnectionId('fits');
    givenRoom(me);
    givenDocument([stateItem(Y.encodeStateAsUpdate(yDoc(code)), 2)]);
    await send(me, { action: 'join-session' });
    expect(pushedTo(me)[0].currentCode).toBe(code);
  });

  it('refuses a stateVector that is not a Yjs state vector with INVALID_MESSAGE, marking nothing', async () => {
    const me = newConnectionId('badsv');
    givenRoom(me);
    await send(me, { action: 'join-session', format: 'yjs', stateVector: b64(new Uint8Array([255, 255, 255, 255, 1, 2, 3])) });
    expect(pushedTo(me)).toEqual([expect.objectContaining({ type: 'error', code: 'INVALID_MESSAGE', action: 'join-session' })]);
    expect(sent(UpdateCommand)).toEqual([]);
  });
});
