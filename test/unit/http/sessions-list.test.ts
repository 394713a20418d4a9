/** `GET /api/sessions?status=&limit=&cursor=` (docs/protocol.md §3): the operator's own sessions, newest first. */
import { call, commandNames, ddb, iso, nowSec, OPERATOR_ID, OPERATOR_KEY, useMockedDynamo, type Item } from '../fixtures.js';
import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../../functions/http/sessions.js';

const HOUR = 3600;
let seq = 0;

/** An index item as the creation transaction writes it; `createdAgoSec` orders them. */
function indexItem(createdAgoSec: number, overrides: Item = {}): Item {
  const created = nowSec() - createdAgoSec;
  const expires = created + 4 * HOUR;
  const sessionId = `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`;
  const createdAt = iso(created);
  return {
    PK: `OP#${OPERATOR_ID}`,
    SK: `S#${createdAt}#${sessionId}`,
    sessionId,
    title: `Interview ${seq}`,
    language: 'python',
    status: 'active',
    createdAt,
    expiresAt: iso(expires),
    expiresAtEpoch: expires,
    createdBy: OPERATOR_ID,
    ttl: expires + 7 * 24 * HOUR,
    ...overrides,
  };
}

/** Answers the index Query like DynamoDB: pages of `pageItems` (already newest first and filtered). */
function givenIndexPages(...pages: { items: Item[]; more?: boolean }[]): QueryCommandInput[] {
  const seen: QueryCommandInput[] = [];
  ddb.on(QueryCommand).callsFake((input: QueryCommandInput) => {
    seen.push(input);
    const page = pages.shift() ?? { items: [] };
    const last = page.items.at(-1);
    return { Items: page.items, ...(page.more && last ? { LastEvaluatedKey: { PK: last.PK, SK: last.SK } } : {}) };
  });
  return seen;
}

const list = (query?: Record<string, string>, token = OPERATOR_KEY) => call(handler, { routeKey: 'GET /api/sessions', token, query });

describe('GET /api/sessions', () => {
  useMockedDynamo();

  it('answers the contract fields, newest first, with the status each session has now', async () => {
    const active = indexItem(60);
    const ended = indexItem(600, { status: 'ended' });
    const expired = indexItem(5 * HOUR, { expiresAtEpoch: nowSec() - HOUR, expiresAt: iso(nowSec() - HOUR) });
    const queries = givenIndexPages({ items: [active, ended, expired] });
    const res = await list();
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      sessions: [active, ended, expired].map((i) => ({
        sessionId: i.sessionId,
        title: i.title,
        language: 'python',
        status: i === active ? 'active' : i === ended ? 'ended' : 'expired',
        createdAt: i.createdAt,
        expiresAt: i.expiresAt,
        createdBy: OPERATOR_ID,
      })),
      nextCursor: null,
    });
    // One Query of the caller's own partition, read backwards: never a Scan, never another operator's.
    expect(commandNames()).toEqual(['GetCommand', 'QueryCommand']);
    expect(queries[0]).toMatchObject({
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :s)',
      ExpressionAttributeValues: { ':pk': `OP#${OPERATOR_ID}`, ':s': 'S#' },
      ScanIndexForward: false,
      Limit: 20,
    });
    expect(res.raw).not.toMatch(/TokenHash|"ttl"|"PK"/);
  });

  it('drops index items past their TTL that DynamoDB has not deleted yet', async () => {
    const gone = indexItem(9 * 24 * HOUR, { status: 'ended', ttl: nowSec() - 10 });
    const live = indexItem(30);
    givenIndexPages({ items: [live, gone] });
    const res = await list();
    expect(res.body.sessions.map((s: Item) => s.sessionId)).toEqual([live.sessionId]);
  });

  it('another key of another name reads another partition', async () => {
    const queries = givenIndexPages({ items: [] });
    await list();
    const other = 'ik_U2Vjb25kIG9wZXJhdG9yJ3Mga2V5IGZvciB0aGUgbGlzdA';
    ddb.on(QueryCommand).callsFake((input: QueryCommandInput) => {
      queries.push(input);
      return { Items: [] };
    });
    const { givenApiKey } = await import('../fixtures.js');
    givenApiKey(other, { name: 'other-team' });
    expect((await list(undefined, other)).status).toBe(200);
    expect(queries.map((q) => q.ExpressionAttributeValues?.[':pk'])).toEqual([`OP#${OPERATOR_ID}`, 'OP#key:other-team']);
  });

  it('pages with an opaque cursor: the next request starts after the last session returned', async () => {
    const items = [indexItem(10), indexItem(20), indexItem(30)];
    const queries = givenIndexPages({ items: items.slice(0, 2), more: true }, { items: items.slice(2) });
    const first = await list({ limit: '2' });
    expect(first.body.sessions).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    expect(first.body.nextCursor).not.toContain('#');

    const second = await list({ limit: '2', cursor: first.body.nextCursor });
    expect(second.status).toBe(200);
    expect(second.body.sessions.map((s: Item) => s.sessionId)).toEqual([items[2]!.sessionId]);
    expect(second.body.nextCursor).toBeNull();
    expect(queries[1]?.ExclusiveStartKey).toEqual({ PK: `OP#${OPERATOR_ID}`, SK: items[1]!.SK });
  });

  it.each([
    ['active', '#status = :active AND expiresAtEpoch > :nowSec'],
    ['expired', '#status = :active AND expiresAtEpoch <= :nowSec'],
    ['ended', '#status = :ended'],
  ])('filters status=%s in the Query, reading ahead since Limit counts items before the filter', async (status, filter) => {
    const queries = givenIndexPages({ items: [] });
    const res = await list({ status, limit: '5' });
    expect(res.status).toBe(200);
    expect(queries[0]?.FilterExpression).toBe(filter);
    expect(queries[0]?.Limit).toBe(100);
  });

  it('with a filter, cuts a long page at the limit and continues after the last session returned', async () => {
    const items = [indexItem(10, { status: 'ended' }), indexItem(20, { status: 'ended' }), indexItem(30, { status: 'ended' })];
    givenIndexPages({ items });
    const res = await list({ status: 'ended', limit: '2' });
    expect(res.body.sessions.map((s: Item) => s.sessionId)).toEqual([items[0]!.sessionId, items[1]!.sessionId]);
    expect(Buffer.from(res.body.nextCursor, 'base64url').toString()).toBe(items[1]!.SK);
  });

  it('bounds the work of one request: after 10 sparse pages it answers what it found, with a cursor', async () => {
    const pages = Array.from({ length: 12 }, (_, i) => ({ items: [indexItem(100 + i, { status: 'ended' })], more: true }));
    const queries = givenIndexPages(...pages);
    const res = await list({ status: 'ended', limit: '50' });
    expect(res.status).toBe(200);
    expect(queries).toHaveLength(10);
    expect(res.body.sessions).toHaveLength(10);
    expect(res.body.nextCursor).not.toBeNull();
  });

  it.each([
    [{ status: 'running' }, 'status'],
    [{ limit: '0' }, 'limit'],
    [{ limit: '101' }, 'limit'],
    [{ limit: 'ten' }, 'limit'],
    [{ cursor: Buffer.from('S#not-a-time#x').toString('base64url') }, 'cursor'],
    [{ cursor: Buffer.from('H#01JABCDEFGHJKMNPQRSTVWXYZ0').toString('base64url') }, 'cursor'],
  ])('refuses %j with 400 VALIDATION_ERROR naming the field, without reading the index', async (query, field) => {
    const res = await list(query as Record<string, string>);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('VALIDATION_ERROR');
    expect(JSON.stringify(res.body.details)).toContain(field);
    expect(commandNames()).not.toContain('QueryCommand');
  });
});
