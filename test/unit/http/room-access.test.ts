/**
 * The role matrix of the interviewer's room routes (docs/protocol.md §10): notes, review links, timeline — and what
 * a review token may do on every other route (read as an interviewer, write nothing, never connect).
 */
import {
  call,
  CANDIDATE_TOKEN,
  conditionFailed,
  ddb,
  endedSession,
  givenSession,
  httpEvent,
  INTERVIEWER_TOKEN,
  iso,
  nowSec,
  sent,
  SESSION_ID,
  useMockedDynamo,
  writes,
  type HttpEventInput,
  type HttpHandler,
  type Item,
  type Reply,
} from '../fixtures.js';
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { hashToken } from '#core/tokens.js';
import { HTTP_FUNCTIONS, OPERATOR_ROUTES } from '#contract/routes.js';
import { connect } from '../ws/events.js';
import { handler as code } from '../../../functions/http/code.js';
import { handler as snapshots } from '../../../functions/http/snapshots.js';
import { handler as activity } from '../../../functions/http/activity.js';
import { handler as sessions } from '../../../functions/http/sessions.js';
import { handler as executions } from '../../../functions/http/executions.js';

// The room's routes are served by the functions of their route groups (shared/contract/routes.ts).
const notes = code;
const reviewLinks = sessions;
const timeline = activity;

/** ULIDs (Crockford base32: no I, L, O, U). */
const LINK_ID = `01J${'A'.repeat(22)}1`;
const REVOKED_ID = `01J${'B'.repeat(22)}2`;
const EXPIRED_ID = `01J${'C'.repeat(22)}3`;
const secret = (c: string) => c.repeat(43);
const REVIEW_TOKEN = `rv.${LINK_ID}.${secret('a')}`;
const REVOKED_TOKEN = `rv.${REVOKED_ID}.${secret('b')}`;
const EXPIRED_TOKEN = `rv.${EXPIRED_ID}.${secret('c')}`;
/** The right link id with another secret. */
const FORGED_TOKEN = `rv.${LINK_ID}.${secret('d')}`;

function linkItem(linkId: string, token: string, overrides: Item = {}): Item {
  const now = nowSec();
  return {
    PK: `S#${SESSION_ID}`,
    SK: `R#${linkId}`,
    sessionId: SESSION_ID,
    linkId,
    tokenHash: hashToken(token),
    createdAt: iso(now - 60),
    createdBy: 'interviewer',
    expiresAt: iso(now + 3600),
    expiresAtEpoch: now + 3600,
    ttl: now + 30 * 24 * 3600,
    ...overrides,
  };
}

function givenLinks(): void {
  for (const item of [
    linkItem(LINK_ID, REVIEW_TOKEN),
    linkItem(REVOKED_ID, REVOKED_TOKEN, { revokedAt: iso(nowSec() - 10) }),
    linkItem(EXPIRED_ID, EXPIRED_TOKEN, { expiresAt: iso(nowSec() - 10), expiresAtEpoch: nowSec() - 10 }),
  ]) {
    ddb.on(GetCommand, { Key: { PK: item.PK, SK: item.SK } }).resolves({ Item: item });
  }
  ddb.on(UpdateCommand, { Key: { PK: `S#${SESSION_ID}`, SK: `R#${LINK_ID}` } }).resolves({
    Attributes: linkItem(LINK_ID, REVIEW_TOKEN, { revokedAt: iso(nowSec()) }),
  });
}

const TOKENS = {
  interviewer: INTERVIEWER_TOKEN,
  candidate: CANDIDATE_TOKEN,
  reviewer: REVIEW_TOKEN,
  revoked: REVOKED_TOKEN,
  expired: EXPIRED_TOKEN,
  forged: FORGED_TOKEN,
  bad: 'not-a-token',
} as const;
type Who = keyof typeof TOKENS;

interface RouteCase {
  handler: HttpHandler;
  routeKey: string;
  body?: unknown;
  linkId?: string;
  expect: Record<Who, number>;
}

const denied = { revoked: 401, expired: 401, forged: 401, bad: 401 } as const;

const ROOM_ROUTES: RouteCase[] = [
  { handler: notes, routeKey: 'GET /api/sessions/{sessionId}/notes', expect: { interviewer: 200, candidate: 403, reviewer: 200, ...denied } },
  { handler: notes, routeKey: 'PUT /api/sessions/{sessionId}/notes', body: { notes: 'hire?' }, expect: { interviewer: 200, candidate: 403, reviewer: 403, ...denied } },
  { handler: reviewLinks, routeKey: 'POST /api/sessions/{sessionId}/review-links', body: {}, expect: { interviewer: 201, candidate: 403, reviewer: 403, ...denied } },
  { handler: reviewLinks, routeKey: 'GET /api/sessions/{sessionId}/review-links', expect: { interviewer: 200, candidate: 403, reviewer: 403, ...denied } },
  {
    handler: reviewLinks,
    routeKey: 'DELETE /api/sessions/{sessionId}/review-links/{linkId}',
    linkId: LINK_ID,
    expect: { interviewer: 200, candidate: 403, reviewer: 403, ...denied },
  },
  { handler: timeline, routeKey: 'GET /api/sessions/{sessionId}/timeline', expect: { interviewer: 200, candidate: 403, reviewer: 200, ...denied } },
];

/** `call` with the `{linkId}` path parameter the shared event builder does not know. */
async function callRoute(handler: HttpHandler, input: HttpEventInput & { linkId?: string }): Promise<Reply> {
  const event = httpEvent(input);
  if (input.linkId) event.pathParameters = { ...event.pathParameters, linkId: input.linkId };
  const result = await handler(event);
  const raw = result.body ?? '';
  return { status: result.statusCode, headers: result.headers ?? {}, raw, body: raw ? JSON.parse(raw) : undefined };
}

describe('room routes: the role matrix', () => {
  useMockedDynamo();

  for (const route of ROOM_ROUTES) {
    for (const who of Object.keys(TOKENS) as Who[]) {
      it(`${route.routeKey} as ${who} → ${route.expect[who]}`, async () => {
        givenSession();
        givenLinks();
        const res = await callRoute(route.handler, {
          routeKey: route.routeKey,
          sessionId: SESSION_ID,
          token: TOKENS[who],
          body: route.body,
          linkId: route.linkId,
        });
        expect(res.status, res.raw).toBe(route.expect[who]);
        if (res.status >= 400) {
          expect(res.body.error).toBe({ 401: 'UNAUTHORIZED', 403: 'FORBIDDEN' }[res.status as 401 | 403]);
          // A refusal writes nothing (a revoked link stays as it was, a candidate's PUT is not half-done).
          expect(writes()).toEqual([]);
        }
      });
    }
  }
});

describe('review links', () => {
  useMockedDynamo();

  it('creates a link with a ≥128-bit token stored only as its hash, expiring in 168 h by default', async () => {
    givenSession();
    const before = Date.now();
    const res = await call(reviewLinks, { routeKey: 'POST /api/sessions/{sessionId}/review-links', sessionId: SESSION_ID, token: INTERVIEWER_TOKEN });
    expect(res.status).toBe(201);
    expect(res.body.reviewToken).toMatch(/^rv\.[0-9A-Z]{26}\.[A-Za-z0-9_-]{43}$/);
    const after = Date.now();
    expect(Date.parse(res.body.expiresAt)).toBeGreaterThanOrEqual(before + 168 * 3600_000 - 1000); // ISO strings keep whole ms
    expect(Date.parse(res.body.expiresAt)).toBeLessThanOrEqual(after + 168 * 3600_000);
    const [put] = sent(PutCommand);
    expect(put?.Item).toMatchObject({ SK: `R#${res.body.linkId}`, tokenHash: hashToken(res.body.reviewToken) });
    expect(JSON.stringify(put)).not.toContain(res.body.reviewToken.split('.')[2]);
  });

  it('a create whose first response was lost (the retry finds its own item) is still 201 with that link', async () => {
    let stored: Item | undefined;
    // The first attempt's write landed and its answer was lost: the SDK's retry meets the item.
    ddb.on(PutCommand).callsFake((input) => {
      stored = input.Item;
      throw conditionFailed();
    });
    ddb.on(GetCommand).callsFake(() => ({ Item: stored }));
    givenSession(); // the session's META answers for itself
    const res = await call(reviewLinks, { routeKey: 'POST /api/sessions/{sessionId}/review-links', sessionId: SESSION_ID, token: INTERVIEWER_TOKEN });
    expect(res.status).toBe(201);
    expect(stored).toMatchObject({ SK: `R#${res.body.linkId}`, tokenHash: hashToken(res.body.reviewToken) });
  });

  it('a create that meets an item of another token is not reported as created', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({ Item: linkItem(LINK_ID, REVIEW_TOKEN) });
    givenSession();
    const res = await call(reviewLinks, { routeKey: 'POST /api/sessions/{sessionId}/review-links', sessionId: SESSION_ID, token: INTERVIEWER_TOKEN });
    expect(res.status).not.toBe(201);
  });

  it('never lets a link outlive the session data (expiry capped at the session TTL)', async () => {
    const session = givenSession();
    const res = await call(reviewLinks, {
      routeKey: 'POST /api/sessions/{sessionId}/review-links',
      sessionId: SESSION_ID,
      token: INTERVIEWER_TOKEN,
      body: { expiresInHours: 720 },
    });
    expect(res.status).toBe(201);
    expect(Date.parse(res.body.expiresAt)).toBe(session.ttl * 1000);
  });

  it.each([0, 721, 1.5, '24'])('refuses expiresInHours %j with VALIDATION_ERROR', async (hours) => {
    givenSession();
    const res = await call(reviewLinks, {
      routeKey: 'POST /api/sessions/{sessionId}/review-links',
      sessionId: SESSION_ID,
      token: INTERVIEWER_TOKEN,
      body: { expiresInHours: hours },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('VALIDATION_ERROR');
    expect(writes()).toEqual([]);
  });

  it('lists links without tokens or hashes, with their status', async () => {
    givenSession();
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':pk': `S#${SESSION_ID}`, ':r': 'R#' } }).resolves({
      Items: [linkItem(LINK_ID, REVIEW_TOKEN), linkItem(REVOKED_ID, REVOKED_TOKEN, { revokedAt: iso(nowSec() - 10) })],
    });
    const res = await call(reviewLinks, { routeKey: 'GET /api/sessions/{sessionId}/review-links', sessionId: SESSION_ID, token: INTERVIEWER_TOKEN });
    expect(res.status).toBe(200);
    expect(res.body.reviewLinks.map((l: Item) => [l.linkId, l.status])).toEqual([
      [LINK_ID, 'active'],
      [REVOKED_ID, 'revoked'],
    ]);
    expect(res.raw).not.toContain('tokenHash');
    expect(res.raw).not.toContain(hashToken(REVIEW_TOKEN));
  });

  it('revoking an unknown link is NOT_FOUND and creates nothing', async () => {
    givenSession();
    ddb.on(UpdateCommand).rejects(Object.assign(new Error('conditional'), { name: 'ConditionalCheckFailedException' }));
    const res = await callRoute(reviewLinks, {
      routeKey: 'DELETE /api/sessions/{sessionId}/review-links/{linkId}',
      sessionId: SESSION_ID,
      token: INTERVIEWER_TOKEN,
      linkId: REVOKED_ID,
    });
    expect(res.status).toBe(404);
    expect(sent(UpdateCommand)[0]?.ConditionExpression).toBe('attribute_exists(SK)');
  });

  it('a token of another session is refused (the link is looked up in the session named by the path)', async () => {
    const other = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
    givenSession();
    givenLinks();
    ddb.on(GetCommand, { Key: { PK: `S#${other}`, SK: 'META' } }).resolves({ Item: { ...givenSession(), PK: `S#${other}`, sessionId: other } });
    const res = await call(code, { routeKey: 'GET /api/sessions/{sessionId}/code', sessionId: other, token: REVIEW_TOKEN });
    expect(res.status).toBe(401);
  });
});

describe('a reviewer on the other routes: reads as an interviewer, writes nothing, never connects', () => {
  useMockedDynamo();

  const reads: [HttpHandler, string][] = [
    [sessions, 'GET /api/sessions/{sessionId}'],
    [code, 'GET /api/sessions/{sessionId}/code'],
    [snapshots, 'GET /api/sessions/{sessionId}/snapshots'],
    [activity, 'GET /api/sessions/{sessionId}/history'],
    [activity, 'GET /api/sessions/{sessionId}/participants'],
    [executions, 'GET /api/sessions/{sessionId}/executions'],
  ];
  for (const [handler, routeKey] of reads) {
    it(`${routeKey} → 200, also after the session ended`, async () => {
      givenSession(endedSession());
      givenLinks();
      const res = await call(handler, { routeKey, sessionId: SESSION_ID, token: REVIEW_TOKEN });
      expect(res.status, res.raw).toBe(200);
    });
  }

  const writesRoutes: [HttpHandler, string, unknown][] = [
    [code, 'PUT /api/sessions/{sessionId}/code', { code: 'x' }],
    [snapshots, 'POST /api/sessions/{sessionId}/snapshots', {}],
    [executions, 'POST /api/sessions/{sessionId}/executions', {}],
    [sessions, 'PATCH /api/sessions/{sessionId}', { title: 'mine now' }],
    [sessions, 'DELETE /api/sessions/{sessionId}', undefined],
  ];
  for (const [handler, routeKey, body] of writesRoutes) {
    it(`${routeKey} → 403 FORBIDDEN, nothing written`, async () => {
      givenSession();
      givenLinks();
      const res = await call(handler, { routeKey, sessionId: SESSION_ID, token: REVIEW_TOKEN, body });
      expect(res.status, res.raw).toBe(403);
      expect(res.body.error).toBe('FORBIDDEN');
      expect(writes()).toEqual([]);
      expect(sent(TransactWriteCommand)).toEqual([]);
    });
  }

  it('a WebSocket connect with a review token is refused 403; revoked or expired 401', async () => {
    givenSession();
    givenLinks();
    expect((await connect('rv-conn-1=', { sessionId: SESSION_ID, token: REVIEW_TOKEN })).statusCode).toBe(403);
    expect((await connect('rv-conn-2=', { sessionId: SESSION_ID, token: REVOKED_TOKEN })).statusCode).toBe(401);
    expect((await connect('rv-conn-3=', { sessionId: SESSION_ID, token: EXPIRED_TOKEN })).statusCode).toBe(401);
    expect(writes()).toEqual([]);
  });
});

/**
 * Every route of the route table, so that a route added later cannot forget reviewers: a review token
 * never changes anything (no 2xx, no write) on any method but GET, and reads what an interviewer reads.
 */
describe('a reviewer on every route of the route table', () => {
  useMockedDynamo();

  /** Valid bodies, so the answer is the access decision rather than a validation error. */
  const BODIES: Record<string, unknown> = {
    'PUT /api/sessions/{sessionId}/code': { code: 'x' },
    'PUT /api/sessions/{sessionId}/notes': { notes: 'x' },
    'PATCH /api/sessions/{sessionId}': { title: 'x' },
    'POST /api/sessions/{sessionId}/snapshots': {},
    'POST /api/sessions/{sessionId}/executions': {},
    'POST /api/sessions/{sessionId}/review-links': {},
    'PUT /api/sessions/{sessionId}/question': { title: 'Two sum', prompt: 'Add two numbers.' },
  };
  const NOT_FOR_REVIEWERS = new Set(['GET /api/sessions/{sessionId}/review-links']);

  const routes = Object.values(HTTP_FUNCTIONS).flatMap((def) => def.routes.map((routeKey) => ({ entry: def.entry, routeKey })));
  for (const { entry, routeKey } of routes) {
    if (!routeKey.includes('{sessionId}') || OPERATOR_ROUTES.includes(routeKey)) continue;
    it(routeKey, async () => {
      givenSession();
      givenLinks();
      const { handler } = (await import(`../../../${entry.replace(/\.ts$/, '.js')}`)) as { handler: HttpHandler };
      const event = httpEvent({ routeKey, sessionId: SESSION_ID, token: REVIEW_TOKEN, body: BODIES[routeKey] });
      for (const param of routeKey.match(/\{(\w+)\}/g) ?? []) {
        const name = param.slice(1, -1);
        if (name !== 'sessionId') event.pathParameters = { ...event.pathParameters, [name]: LINK_ID };
      }
      const res = await handler(event);
      const body = JSON.parse(res.body ?? '{}');
      if (routeKey.startsWith('GET ') && !NOT_FOR_REVIEWERS.has(routeKey)) {
        expect([401, 403], `${res.statusCode} ${res.body}`).not.toContain(res.statusCode);
      } else {
        expect(res.statusCode, res.body).toBe(BODIES[routeKey] !== undefined || NOT_FOR_REVIEWERS.has(routeKey) ? 403 : res.statusCode === 400 ? 400 : 403);
        if (res.statusCode === 403) expect(body.error).toBe('FORBIDDEN');
        expect(writes()).toEqual([]);
      }
    });
  }
});
