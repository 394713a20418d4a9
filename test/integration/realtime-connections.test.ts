/**
 * Connection lifecycle over real sockets (docs/protocol.md §5, docs/aws-notes.md "GoneException"): dead connections are
 * removed, departures are announced, and ending a session kicks everyone out for good.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import {
  api,
  createSession,
  eventually,
  socketUrl,
  TextClient,
  WsClient,
  YjsClient,
  type CreatedSession,
  type SessionAccess,
} from './clients.js';

const httpUrl = inject('httpUrl');
const wsUrl = inject('wsUrl');
const TableName = inject('tableName');
const ddb = DynamoDBDocumentClient.from(
  new DynamoDBClient({ endpoint: inject('ddbEndpoint'), region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
);
afterAll(() => ddb.destroy());

async function newSession(title: string): Promise<{ created: CreatedSession; access: SessionAccess }> {
  const created = await createSession(httpUrl, { title });
  return { created, access: { httpUrl, wsUrl, sessionId: created.sessionId, token: created.interviewerToken } };
}

const participants = async (s: SessionAccess): Promise<string[]> => {
  const res = await api(httpUrl, 'GET', `/api/sessions/${s.sessionId}/participants`, s.token);
  expect(res.status).toBe(200);
  return (res.body.users as Array<{ id: string }>).map((u) => u.id);
};

const item = async (PK: string, SK: string) => (await ddb.send(new GetCommand({ TableName, Key: { PK, SK }, ConsistentRead: true }))).Item;

/** How many of a session's sockets have a `LIVE` item: written by $connect, deleted only by $disconnect. */
async function liveSockets(sessionId: string): Promise<number> {
  let count = 0;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await ddb.send(new QueryCommand({
      TableName,
      KeyConditionExpression: 'PK = :pk',
      FilterExpression: 'sessionId = :s',
      ExpressionAttributeValues: { ':pk': 'LIVE', ':s': sessionId },
      ConsistentRead: true,
      ExclusiveStartKey,
    }));
    count += page.Count ?? 0;
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return count;
}

describe('dead connections', () => {
  it('a connection the front no longer knows is deleted (item and lookup) at the next fan-out, not the sender', async () => {
    const { access } = await newSession('stale connection');
    const sender = await YjsClient.join(access, { username: 'sender' });
    const peer = await YjsClient.join(access, { username: 'peer' });

    // A client that vanished without $disconnect ever running: its items are still in the table.
    const ghost = 'GhostConnAAAAAA=';
    const ttl = Math.floor(Date.now() / 1000) + 3600;
    const sessionPk = `S#${access.sessionId}`;
    await ddb.send(new PutCommand({
      TableName,
      Item: {
        PK: sessionPk, SK: `C#${ghost}`, sessionId: access.sessionId, connectionId: ghost, role: 'candidate',
        connectedAt: new Date().toISOString(), joined: true, userId: 'ghost-user', username: 'ghost', format: 'yjs', joinedAt: new Date().toISOString(), ttl,
      },
    }));
    await ddb.send(new PutCommand({
      TableName,
      Item: { PK: `CONN#${ghost}`, SK: 'CONN', connectionId: ghost, sessionId: access.sessionId, role: 'candidate', sessionTtl: ttl, ttl },
    }));
    expect(await participants(access)).toContain('ghost-user');

    const relayed = peer.ws.take('yjs-update');
    sender.ytext.insert(0, '// fan-out reaches a dead connection\n');
    await relayed; // the live peer still got the edit

    await eventually(async () => (await item(sessionPk, `C#${ghost}`)) === undefined, 30_000, 'the ghost connection item to be deleted');
    expect(await item(`CONN#${ghost}`, 'CONN')).toBeUndefined();
    expect(await participants(access)).not.toContain('ghost-user');
    // The AWS chat sample's bug deletes the sender's connection on GoneException: ours are intact.
    expect(await participants(access)).toEqual(expect.arrayContaining([sender.joined.userId, peer.joined.userId]));
    await Promise.all([sender.ws.close(), peer.ws.close()]);
  }, 120_000);

  it('a client whose TCP connection dies without a close frame leaves the participants, and others get user-left', async () => {
    const { access } = await newSession('dropped socket');
    const stays = await TextClient.join(access, 'stays');
    const drops = await YjsClient.join(access, { username: 'drops' });
    await stays.ws.take('user-joined', (m) => m.userId === drops.joined.userId);
    expect(await participants(access)).toContain(drops.joined.userId);

    drops.ws.ws.terminate(); // destroys the socket: no close frame is sent

    const left = await stays.ws.take('user-left', () => true, 30_000);
    expect(left).toMatchObject({ userId: drops.joined.userId, userCount: 1 });
    expect(await participants(access)).toEqual([stays.joined.userId]);
    await stays.ws.close();
  });

  it('leave-session tells the others and closes the connection', async () => {
    const { access } = await newSession('leave');
    const stays = await TextClient.join(access, 'stays');
    const leaves = await TextClient.join(access, 'leaves');
    leaves.ws.send({ action: 'leave-session' });
    expect(await stays.ws.take('user-left', () => true, 30_000)).toMatchObject({ userId: leaves.joined.userId, userCount: 1 });
    await leaves.ws.closed;
    expect(await participants(access)).toEqual([stays.joined.userId]);
    // The departure is announced once, even though $disconnect follows leave-session. Judge only once
    // that $disconnect has run: it deletes the socket's LIVE item, after which a second announcement
    // would take two DynamoDB calls and a push. Three GET /participants one after the other (each an
    // invocation reading the session's connections from DynamoDB), then a ping round trip on the
    // stayer's own socket, take longer than that however slow the machine: both slow down together.
    await eventually(async () => (await liveSockets(access.sessionId)) === 1, 30_000, 'the $disconnect of the socket that left');
    for (let i = 0; i < 3; i++) expect(await participants(access)).toEqual([stays.joined.userId]);
    stays.ws.send({ action: 'ping' });
    await stays.ws.take('pong');
    expect(stays.ws.received('user-left')).toHaveLength(1);
    await stays.ws.close();
  }, 180_000);
});

describe('ending a session', () => {
  it('DELETE sends session-ended to every socket, closes them, and refuses reconnects with 410', async () => {
    const { created, access } = await newSession('ended');
    const candidate: SessionAccess = { ...access, token: created.candidateToken };
    const interviewer = await YjsClient.join(access, { username: 'interviewer' });
    const joinedCandidate = await TextClient.join(candidate, 'candidate');
    const notJoined = await WsClient.connect(socketUrl(candidate)); // connected, never sent join-session

    const res = await api(httpUrl, 'DELETE', `/api/sessions/${access.sessionId}`, access.token);
    expect(res).toEqual({ status: 200, body: { sessionId: access.sessionId, status: 'ended' } });

    for (const ws of [interviewer.ws, joinedCandidate.ws, notJoined]) {
      const ended = await ws.take('session-ended', () => true, 30_000);
      expect(ended.reason).toEqual(expect.any(String));
      await ws.closed;
      // session-ended is the last thing the socket received before it closed.
      expect(ws.log.at(-1)?.type).toBe('session-ended');
    }
    await expect(WsClient.connect(socketUrl(access))).rejects.toMatchObject({ status: 410 });
    await expect(WsClient.connect(socketUrl(candidate))).rejects.toMatchObject({ status: 410 });
    expect(await participants(access)).toEqual([]);
  }, 120_000);
});
