/**
 * A session that expires under open sockets (docs/protocol.md §4: "an ended or expired session refuses connects,
 * edits and runs (SESSION_EXPIRED)"). API Gateway keeps a socket up to 2 hours whatever the session does, so the
 * next message on it must be answered: SESSION_EXPIRED for the action, then `session-ended` and a close, as
 * when the interviewer ends it. Time is not waited for: the test moves the stored expiry (the session's
 * `expiresAtEpoch` and its connections' TTL, which the connect handler sets to the session's expiry) into the
 * past in DynamoDB Local, which is all that passing time changes in the table. The sockets send nothing before
 * that: a handler that saw one keeps its sender's real expiry in memory (as a Lambda container would, the
 * case test/unit/ws/message-expiry.test.ts covers with a fake clock), so here it reads the expired one.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { handler as watchdog } from '../../functions/pipeline/watchdog.js';
import { api, createSession, getCode, socketUrl, TextClient, WsClient, type SessionAccess } from './clients.js';

const httpUrl = inject('httpUrl');
const wsUrl = inject('wsUrl');
const TableName = inject('tableName');
const ddb = DynamoDBDocumentClient.from(
  new DynamoDBClient({ endpoint: inject('ddbEndpoint'), region: process.env.AWS_REGION ?? 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
);
afterAll(() => ddb.destroy());

/** What the clock does to a session at its expiry, done now. */
async function expire(sessionId: string): Promise<void> {
  const past = Math.floor(Date.now() / 1000) - 1;
  await ddb.send(new UpdateCommand({ TableName, Key: { PK: `S#${sessionId}`, SK: 'META' }, UpdateExpression: 'SET expiresAtEpoch = :p', ExpressionAttributeValues: { ':p': past } }));
  const { Items = [] } = await ddb.send(
    new QueryCommand({ TableName, KeyConditionExpression: 'PK = :pk AND begins_with(SK, :c)', ExpressionAttributeValues: { ':pk': `S#${sessionId}`, ':c': 'C#' } }),
  );
  expect(Items.length).toBeGreaterThan(0);
  for (const item of Items) {
    const connectionId = String(item.SK).slice(2);
    for (const Key of [{ PK: `S#${sessionId}`, SK: `C#${connectionId}` }, { PK: `CONN#${connectionId}`, SK: 'CONN' }, { PK: 'LIVE', SK: `C#${connectionId}` }]) {
      await ddb.send(new UpdateCommand({ TableName, Key, UpdateExpression: 'SET #ttl = :p', ExpressionAttributeNames: { '#ttl': 'ttl' }, ExpressionAttributeValues: { ':p': past } }));
    }
  }
}

let access: SessionAccess;
let first: WsClient;
let second: WsClient;

beforeAll(async () => {
  const created = await createSession(httpUrl, { title: 'expires under open sockets' });
  access = { httpUrl, wsUrl, sessionId: created.sessionId, token: created.candidateToken };
  expect((await api(httpUrl, 'PUT', `/api/sessions/${created.sessionId}/code`, access.token, { code: 'kept as it was\n' })).status).toBe(200);
  first = await WsClient.connect(socketUrl(access));
  second = await WsClient.connect(socketUrl(access));
  await expire(created.sessionId);
});
afterAll(async () => {
  await Promise.all([first?.close(), second?.close()]);
});

describe('a session that expires under open sockets', () => {
  it('a ping hears SESSION_EXPIRED, then session-ended, and the socket closes', async () => {
    first.send({ action: 'ping' });
    expect(await first.take('error')).toMatchObject({ code: 'SESSION_EXPIRED', action: 'ping' });
    expect(await first.take('session-ended')).toMatchObject({ reason: 'expired' });
    await first.closed;
    expect(first.received('pong')).toEqual([]);
  });

  it('an edit is refused the same way and changes nothing', async () => {
    const before = await getCode(access);
    expect(before.code).toBe('kept as it was\n');
    second.send({ action: 'code-change', code: 'too late\n', baseVersion: before.version });
    expect(await second.take('error')).toMatchObject({ code: 'SESSION_EXPIRED', action: 'code-change' });
    expect(await second.take('session-ended')).toMatchObject({ reason: 'expired' });
    await second.closed;
    expect(await getCode(access)).toMatchObject({ code: before.code, version: before.version });
    expect((await api(httpUrl, 'GET', `/api/sessions/${access.sessionId}`, access.token)).body.status).toBe('expired');
  });
});

describe('a session that expires under idle sockets', () => {
  it('the watchdog (every minute) tells each joined socket session-ended {reason: expired} and closes it, without a message from them', async () => {
    const created = await createSession(httpUrl, { title: 'expires under idle sockets' });
    const idle: SessionAccess = { httpUrl, wsUrl, sessionId: created.sessionId, token: created.interviewerToken };
    const clients = await Promise.all([TextClient.join(idle, 'one'), TextClient.join({ ...idle, token: created.candidateToken }, 'two')]);
    await expire(created.sessionId);
    await watchdog(); // the stack's own runs every 60 s; its handler, called here, is the same module
    for (const c of clients) {
      expect(await c.ws.take('session-ended')).toMatchObject({ reason: 'expired' });
      await c.ws.closed;
    }
    // Nothing is left for the next tick: the sockets' items are gone.
    const left = await ddb.send(
      new QueryCommand({ TableName, KeyConditionExpression: 'PK = :pk AND begins_with(SK, :c)', ExpressionAttributeValues: { ':pk': `S#${created.sessionId}`, ':c': 'C#' } }),
    );
    expect(left.Items ?? []).toEqual([]);
  });
});
