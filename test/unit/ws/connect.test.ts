import {
  CANDIDATE_TOKEN,
  commandNames,
  ddb,
  endedSession,
  expiredSession,
  givenConnections,
  givenSession,
  INTERVIEWER_TOKEN,
  nowSec,
  pastTtlSession,
  pushed,
  sent,
  sessionItem,
  SESSION_ID,
  TABLE,
  transactItems,
  useMockedDynamo,
  writes,
} from '../fixtures.js';
import { DeleteCommand, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { LIMITS } from '#contract/limits.js';
import { describe, expect, it } from 'vitest';
import { useFunctionEnv } from '../env.js';
import { connect, newConnectionId, send } from './events.js';

const TWO_HOURS = 2 * 3600;

describe('$connect ?sessionId=&token=', () => {
  useMockedDynamo();

  it('accepts a valid token with 200 and stores the connection and its CONN# lookup in one transaction', async () => {
    const session = givenSession();
    const id = newConnectionId();
    const before = nowSec();
    const res = await connect(id, { sessionId: SESSION_ID, token: CANDIDATE_TOKEN });
    expect(res).toEqual({ statusCode: 200 });
    // The session, its open sockets (the cap), the writes, and the count again with this one stored.
    expect(commandNames()).toEqual(['GetCommand', 'QueryCommand', 'TransactWriteCommand', 'QueryCommand']);
    const count = expect.objectContaining({
      TableName: TABLE,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :c)',
      ExpressionAttributeValues: { ':pk': `S#${SESSION_ID}`, ':c': 'C#' },
      ConsistentRead: true,
    });
    expect(sent(QueryCommand)).toEqual([count, count]);

    const [connection, lookup] = transactItems();
    expect(connection?.Put?.Item).toMatchObject({
      PK: `S#${SESSION_ID}`,
      SK: `C#${id}`,
      sessionId: SESSION_ID,
      connectionId: id,
      role: 'candidate',
    });
    expect(connection?.Put?.Item?.joined).toBeUndefined(); // joins with its first message, join-session
    expect(lookup?.Put?.Item).toEqual({
      PK: `CONN#${id}`,
      SK: 'CONN',
      connectionId: id,
      sessionId: SESSION_ID,
      role: 'candidate',
      sessionTtl: session.ttl,
      ttl: connection?.Put?.Item?.ttl,
    });
    // API Gateway closes a connection after 2 h: the item goes soon after (a minute of slack), and
    // never outlives the session it belongs to.
    const ttl = connection?.Put?.Item?.ttl as number;
    expect(ttl).toBeGreaterThanOrEqual(before + TWO_HOURS);
    expect(ttl).toBeLessThanOrEqual(nowSec() + TWO_HOURS + 60);
    expect(ttl).toBeLessThanOrEqual(session.expiresAtEpoch);
    expect(pushed()).toEqual([]); // the connection does not exist for postToConnection until $connect returns
  });

  it('writes the lookup that the first message reads back with a strongly consistent read', async () => {
    givenSession();
    const id = newConnectionId('first');
    await connect(id, { sessionId: SESSION_ID, token: CANDIDATE_TOKEN });
    const lookup = transactItems()[1]!.Put!.Item!;
    // The first message arrives in another invocation (the message function, with its own environment).
    useFunctionEnv('ws-message');
    try {
      ddb.on(GetCommand, { Key: { PK: `CONN#${id}`, SK: 'CONN' } }).resolves({ Item: lookup });
      await send(id, { action: 'ping' });
      expect(sent(GetCommand).filter((g) => g.Key?.PK === `CONN#${id}`)).toEqual([
        { TableName: TABLE, Key: { PK: `CONN#${id}`, SK: 'CONN' }, ConsistentRead: true },
      ]);
      expect(pushed().map((p) => [p.connectionId, p.message.type])).toEqual([[id, 'pong']]);
    } finally {
      useFunctionEnv('ws-connect');
    }
  });

  it('gives the interviewer token the interviewer role', async () => {
    givenSession();
    const id = newConnectionId();
    expect(await connect(id, { sessionId: SESSION_ID, token: INTERVIEWER_TOKEN })).toEqual({ statusCode: 200 });
    expect(transactItems()[0]?.Put?.Item?.role).toBe('interviewer');
    expect(transactItems()[1]?.Put?.Item?.role).toBe('interviewer');
  });

  it('caps the connection ttl at the session expiry when the session ends within 2 h', async () => {
    const expires = nowSec() + 30 * 60;
    givenSession(sessionItem({ expiresAtEpoch: expires, expiresAt: new Date(expires * 1000).toISOString() }));
    await connect(newConnectionId(), { sessionId: SESSION_ID, token: CANDIDATE_TOKEN });
    expect(transactItems()[0]?.Put?.Item?.ttl).toBe(expires);
    expect(transactItems()[1]?.Put?.Item?.ttl).toBe(expires);
  });

  const refusals: [string, () => void, Record<string, string | undefined>, number, string][] = [
    ['no sessionId', () => givenSession(), { token: CANDIDATE_TOKEN }, 400, 'INVALID_SESSION'],
    ['a malformed sessionId', () => givenSession(), { sessionId: 'S#not-a-uuid', token: CANDIDATE_TOKEN }, 400, 'INVALID_SESSION'],
    ['no token', () => givenSession(), { sessionId: SESSION_ID }, 401, 'UNAUTHORIZED'],
    ['an empty token', () => givenSession(), { sessionId: SESSION_ID, token: '' }, 401, 'UNAUTHORIZED'],
    ['a wrong token', () => givenSession(), { sessionId: SESSION_ID, token: `${CANDIDATE_TOKEN}x` }, 401, 'UNAUTHORIZED'],
    ['an unknown session', () => undefined, { sessionId: SESSION_ID, token: CANDIDATE_TOKEN }, 404, 'SESSION_NOT_FOUND'],
    ['a session past its retention ttl', () => givenSession(pastTtlSession()), { sessionId: SESSION_ID, token: CANDIDATE_TOKEN }, 404, 'SESSION_NOT_FOUND'],
    ['an ended session', () => givenSession(endedSession()), { sessionId: SESSION_ID, token: INTERVIEWER_TOKEN }, 410, 'SESSION_EXPIRED'],
    ['an expired session', () => givenSession(expiredSession()), { sessionId: SESSION_ID, token: CANDIDATE_TOKEN }, 410, 'SESSION_EXPIRED'],
  ];

  it.each(refusals)('refuses %s with the contract status and stores nothing', async (_, given, query, status, code) => {
    given();
    const res = await connect(newConnectionId(), query);
    expect(res.statusCode).toBe(status);
    expect(JSON.parse(res.body!)).toEqual({ error: code, message: expect.any(String) });
    expect(writes()).toEqual([]);
    expect(pushed()).toEqual([]);
  });

  describe('the cap on open sockets per session', () => {
    const max = LIMITS.websocket.maxConnectionsPerSession;
    const open = (n: number, ttl = nowSec() + 3600) =>
      Array.from({ length: n }, (_, i) => ({ PK: `S#${SESSION_ID}`, SK: `C#open-${i}`, ttl }));

    it(`refuses the connect that would be socket number ${max + 1} with 429 RATE_LIMIT_EXCEEDED and stores nothing`, async () => {
      givenSession();
      givenConnections(open(max));
      const res = await connect(newConnectionId(), { sessionId: SESSION_ID, token: INTERVIEWER_TOKEN });
      expect(res.statusCode).toBe(429);
      expect(JSON.parse(res.body!)).toEqual({
        error: 'RATE_LIMIT_EXCEEDED',
        message: expect.stringContaining(`${max} open connections`),
        details: { maxConnections: max, retryAfterSeconds: LIMITS.websocket.connectionsFullRetryAfterSeconds },
      });
      expect(writes()).toEqual([]);
    });

    it(`accepts socket number ${max}`, async () => {
      givenSession();
      givenConnections(open(max - 1));
      expect(await connect(newConnectionId(), { sessionId: SESSION_ID, token: CANDIDATE_TOKEN })).toEqual({ statusCode: 200 });
      expect(commandNames()).toContain('TransactWriteCommand');
    });

    it('takes its socket back (429) when the count with it stored is over the cap: handshakes of the same instant all passed the first count', async () => {
      givenSession();
      const id = newConnectionId();
      ddb.on(QueryCommand).resolvesOnce({ Items: open(max - 1) }).resolves({ Items: [...open(max), { PK: `S#${SESSION_ID}`, SK: `C#${id}`, ttl: nowSec() + 60 }] });
      const res = await connect(id, { sessionId: SESSION_ID, token: CANDIDATE_TOKEN });
      expect(res.statusCode).toBe(429);
      expect(JSON.parse(res.body!)).toMatchObject({ error: 'RATE_LIMIT_EXCEEDED', details: { maxConnections: max } });
      const stored = transactItems().filter((t) => t.Put).map((t) => ({ PK: t.Put!.Item!.PK, SK: t.Put!.Item!.SK }));
      expect(sent(DeleteCommand).map((d) => d.Key).sort((a, b) => `${a!.PK}${a!.SK}`.localeCompare(`${b!.PK}${b!.SK}`))).toEqual(
        stored.sort((a, b) => `${a.PK}${a.SK}`.localeCompare(`${b.PK}${b.SK}`)),
      );
    });

    it('does not count sockets past their TTL (their $disconnect never ran)', async () => {
      givenSession();
      givenConnections([...open(max - 1), ...open(5, nowSec() - 1).map((c, i) => ({ ...c, SK: `C#ghost-${i}` }))]);
      expect(await connect(newConnectionId(), { sessionId: SESSION_ID, token: CANDIDATE_TOKEN })).toEqual({ statusCode: 200 });
    });

    it('counts only after the token is checked: a wrong token learns nothing about the session', async () => {
      givenSession();
      givenConnections(open(max));
      const res = await connect(newConnectionId(), { sessionId: SESSION_ID, token: `${CANDIDATE_TOKEN}x` });
      expect(res.statusCode).toBe(401);
      expect(sent(QueryCommand)).toEqual([]);
    });
  });

  it('does not read the session when the token is missing (401 before any read)', async () => {
    givenSession();
    await connect(newConnectionId(), { sessionId: SESSION_ID });
    expect(sent(GetCommand)).toEqual([]);
  });

  it('answers 500 without a body when the table is unreachable (no stack trace to the client)', async () => {
    givenSession();
    ddb.on(TransactWriteCommand).rejects(new Error('socket hang up at dynamo.js:42'));
    const res = await connect(newConnectionId(), { sessionId: SESSION_ID, token: CANDIDATE_TOKEN });
    expect(res.statusCode).toBe(500);
    expect(res.body ?? '').not.toMatch(/hang up|dynamo\.js/);
  });
});
