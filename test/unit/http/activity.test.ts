import {
  call,
  CANDIDATE_TOKEN,
  commandNames,
  connectionItem,
  ddb,
  endedSession,
  givenConnections,
  givenSession,
  INTERVIEWER_TOKEN,
  iso,
  nowSec,
  sent,
  SESSION_ID,
  useMockedDynamo,
  type Item,
} from '../fixtures.js';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../../functions/http/activity.js';

const participants = (token: string | null = CANDIDATE_TOKEN, sessionId = SESSION_ID) =>
  call(handler, { routeKey: 'GET /api/sessions/{sessionId}/participants', sessionId, token: token ?? undefined });
const history = (query?: Record<string, string>, token = INTERVIEWER_TOKEN) =>
  call(handler, { routeKey: 'GET /api/sessions/{sessionId}/history', sessionId: SESSION_ID, token, query });

/** Fixed once, so a built item and its expected view agree even across a second boundary. */
const NOW = nowSec();
const t = (secondsAgo: number) => iso(NOW - secondsAgo);

describe('GET /api/sessions/{sessionId}/participants', () => {
  useMockedDynamo();

  it('lists joined users from the connection items, one entry per userId, earliest join first', async () => {
    givenSession();
    givenConnections([
      connectionItem('c1', { joined: true, userId: 'bob', username: 'Bob', role: 'candidate', joinedAt: t(30) }),
      connectionItem('c2', { joined: true, userId: 'ann', username: 'Ann', role: 'interviewer', joinedAt: t(90) }),
      connectionItem('c3', { joined: true, userId: 'bob', username: 'Bob', role: 'candidate', joinedAt: t(60) }), // second tab
      connectionItem('c4', { userId: 'eve' }), // connected, never joined
    ]);
    const res = await participants();
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      users: [
        { id: 'ann', username: 'Ann', role: 'interviewer', joinedAt: t(90) },
        { id: 'bob', username: 'Bob', role: 'candidate', joinedAt: t(60) },
      ],
      userCount: 2,
    });
    const [query] = sent(QueryCommand);
    expect(query).toMatchObject({ ConsistentRead: true, ExpressionAttributeValues: { ':pk': `S#${SESSION_ID}`, ':c': 'C#' } });
  });

  it('ignores connection items past their ttl', async () => {
    givenSession();
    givenConnections([connectionItem('stale', { joined: true, userId: 'ghost', ttl: nowSec() - 1 })]);
    const res = await participants(INTERVIEWER_TOKEN);
    expect(res.body).toEqual({ users: [], userCount: 0 });
  });

  it('falls back to the userId when a user has no username', async () => {
    givenSession();
    givenConnections([connectionItem('c1', { joined: true, userId: 'anon-7' })]);
    const res = await participants();
    expect(res.body.users).toEqual([expect.objectContaining({ id: 'anon-7', username: 'anon-7' })]);
  });

  it('is readable on an ended session', async () => {
    givenSession(endedSession());
    expect((await participants()).status).toBe(200);
  });

  it('answers 401 without a token, 404 for an unknown session, 400 for a malformed id', async () => {
    expect((await participants(null)).status).toBe(401);
    expect((await participants(CANDIDATE_TOKEN)).body.error).toBe('SESSION_NOT_FOUND');
    expect((await participants(CANDIDATE_TOKEN, 'S#123')).body.error).toBe('INVALID_SESSION');
  });
});

const historyItem = (ulid: string, overrides: Item = {}): Item => ({
  PK: `S#${SESSION_ID}`,
  SK: `H#${ulid}`,
  at: t(100),
  type: 'user-joined',
  userId: 'bob',
  detail: { username: 'Bob' },
  ttl: nowSec() + 3600,
  ...overrides,
});
const ULIDS = ['01JB0000000000000000000001', '01JB0000000000000000000002', '01JB0000000000000000000003'] as const;
const cursorFor = (sk: string) => Buffer.from(sk, 'utf8').toString('base64url');
const givenHistoryPages = (...pages: { Items: Item[]; LastEvaluatedKey?: Item }[]) => {
  const stub = ddb.on(QueryCommand, { ExpressionAttributeValues: { ':h': 'H#' } });
  pages.forEach((page, i) => (i === pages.length - 1 ? stub.resolves(page) : stub.resolvesOnce(page)));
};

describe('GET /api/sessions/{sessionId}/history', () => {
  useMockedDynamo();

  it('answers the entries oldest first as {at, type, userId?, detail}, dropping items past their ttl', async () => {
    givenSession();
    givenHistoryPages({
      Items: [
        historyItem(ULIDS[0], { type: 'session-created', userId: undefined, detail: { language: 'python' }, at: t(300) }),
        historyItem(ULIDS[1], { ttl: nowSec() - 1 }),
        historyItem(ULIDS[2], { type: 'language-changed', userId: 'candidate', detail: { from: 'python', to: 'go' }, at: t(10) }),
      ],
    });
    const res = await history();
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      entries: [
        { at: t(300), type: 'session-created', detail: { language: 'python' } },
        { at: t(10), type: 'language-changed', userId: 'candidate', detail: { from: 'python', to: 'go' } },
      ],
      nextCursor: null,
    });
    expect(sent(QueryCommand)[0]).toMatchObject({ Limit: 50, ExpressionAttributeValues: { ':pk': `S#${SESSION_ID}` } });
  });

  it('pages with limit and an opaque cursor that resumes after the last entry returned', async () => {
    givenSession();
    givenHistoryPages({ Items: [historyItem(ULIDS[0]), historyItem(ULIDS[1])], LastEvaluatedKey: { PK: `S#${SESSION_ID}`, SK: `H#${ULIDS[1]}` } });
    const first = await history({ limit: '2' });
    expect(first.body.entries).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    expect(first.body.nextCursor).not.toContain('#');
    expect(sent(QueryCommand)[0]?.Limit).toBe(2);

    const second = await history({ limit: '2', cursor: first.body.nextCursor });
    expect(second.status).toBe(200);
    expect(sent(QueryCommand)[1]?.ExclusiveStartKey).toEqual({ PK: `S#${SESSION_ID}`, SK: `H#${ULIDS[1]}` });
  });

  it('refuses the candidate with 403 FORBIDDEN without reading the history', async () => {
    givenSession();
    const res = await history(undefined, CANDIDATE_TOKEN);
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('FORBIDDEN');
    expect(commandNames()).toEqual(['GetCommand']);
  });

  it.each([['0'], ['201'], ['abc'], ['1.5'], ['-3']])('rejects limit=%s with 400 VALIDATION_ERROR naming limit', async (limit) => {
    givenSession();
    const res = await history({ limit });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'VALIDATION_ERROR', details: [expect.objectContaining({ field: 'limit' })] });
    expect(sent(QueryCommand)).toEqual([]);
  });

  it.each([
    ['random text', 'not-a-cursor'],
    ['another item kind', cursorFor(`P#${ULIDS[0]}`)],
    ['a history key of another shape', cursorFor('H#123')],
    ['a raw, unencoded key', `H#${ULIDS[0]}`],
    ['an over-long value', 'A'.repeat(600)],
  ])('rejects a bogus cursor (%s) with 400 VALIDATION_ERROR without querying', async (_, cursor) => {
    givenSession();
    const res = await history({ cursor });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('VALIDATION_ERROR');
    expect(sent(QueryCommand)).toEqual([]);
  });

  it('rejects an unknown query parameter with 400 VALIDATION_ERROR', async () => {
    givenSession();
    const res = await history({ since: 'yesterday' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('VALIDATION_ERROR');
  });

  it('answers 401 without a token and 404 for an unknown session', async () => {
    const anonymous = await call(handler, { routeKey: 'GET /api/sessions/{sessionId}/history', sessionId: SESSION_ID });
    expect(anonymous.status).toBe(401);
    expect((await history()).body.error).toBe('SESSION_NOT_FOUND');
  });
});
