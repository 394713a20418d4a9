import {
  call,
  CANDIDATE_TOKEN,
  commandNames,
  conditionFailed,
  connectionItem,
  ddb,
  endedSession,
  expiredSession,
  givenConnections,
  givenSession,
  INTERVIEWER_TOKEN,
  OPERATOR_ID,
  OPERATOR_KEY,
  pastTtlSession,
  sent,
  SESSION_ID,
  TABLE,
  textFrom,
  transactItems,
  useMockedDynamo,
  writes,
} from '../fixtures.js';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../../functions/http/sessions.js';
import { WS_URL } from '../env.js';
import { LANGUAGES } from '#contract/languages.js';
import { hashToken } from '#core/tokens.js';

const create = (body?: unknown, extra: { rawBody?: string; sourceIp?: string; base64?: boolean; token?: string } = {}) =>
  call(handler, { routeKey: 'POST /api/sessions', body, token: OPERATOR_KEY, ...extra });

describe('POST /api/sessions', () => {
  useMockedDynamo();

  it('creates an active python session and answers 201 with every contract field', async () => {
    const before = Date.now();
    const res = await create({});
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      sessionId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      title: expect.any(String),
      language: 'python',
      status: 'active',
      createdAt: expect.any(String),
      expiresAt: expect.any(String),
      interviewerToken: expect.any(String),
      candidateToken: expect.any(String),
      wsUrl: WS_URL, // the stack's WS_URL for this function (test/unit/function-env.json)
    });
    expect(Date.parse(res.body.createdAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(res.body.expiresAt) - Date.parse(res.body.createdAt)).toBe(4 * 3600 * 1000);
    // >= 128 bits of randomness: at least 22 base64url characters, and the two tokens differ
    expect(res.body.interviewerToken.length).toBeGreaterThanOrEqual(22);
    expect(res.body.interviewerToken).not.toBe(res.body.candidateToken);
  });

  it('stores only hashes of the tokens, with the template document and a session-created entry, in one transaction', async () => {
    const res = await create({ language: 'go', title: 'Go round', durationMinutes: 90 });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ language: 'go', title: 'Go round' });
    expect(Date.parse(res.body.expiresAt) - Date.parse(res.body.createdAt)).toBe(90 * 60_000);

    const [meta, doc, history] = transactItems();
    expect(meta?.Put?.TableName).toBe(TABLE);
    expect(meta?.Put?.ConditionExpression).toBe('attribute_not_exists(PK)');
    expect(meta?.Put?.Item).toMatchObject({
      PK: `S#${res.body.sessionId}`,
      SK: 'META',
      interviewerTokenHash: hashToken(res.body.interviewerToken),
      candidateTokenHash: hashToken(res.body.candidateToken),
      status: 'active',
      language: 'go',
    });
    const everything = JSON.stringify(transactItems());
    expect(everything).not.toContain(res.body.interviewerToken);
    expect(everything).not.toContain(res.body.candidateToken);
    // The starter text is the document's first logged update: version 1.
    expect(doc?.Put?.Item).toMatchObject({ SK: 'DOC#000000000001#U', version: 1 });
    expect(textFrom(doc!.Put!.Item!.update as Uint8Array)).toBe(LANGUAGES.go.template);
    expect(history?.Put?.Item).toMatchObject({ type: 'session-created', SK: expect.stringMatching(/^H#/) });
    expect(meta?.Put?.Item?.ttl).toBeGreaterThan(meta?.Put?.Item?.expiresAtEpoch as number);
  });

  it('checks the operator key, then counts the request against the per-operator rate limit, then writes', async () => {
    await create(undefined, { sourceIp: '198.51.100.23' });
    expect(commandNames()).toEqual(['GetCommand', 'UpdateCommand', 'TransactWriteCommand']);
    const [limit] = sent(UpdateCommand);
    expect(limit?.Key?.PK).toBe(`RL#create-session#${OPERATOR_ID}`);
    expect(limit?.ConditionExpression).toContain('< :limit');
    expect(limit?.ExpressionAttributeValues?.[':limit']).toBe(60);
  });

  it('accepts an omitted body and a base64-encoded body', async () => {
    expect((await create(undefined)).status).toBe(201);
    const res = await create({ language: 'rust' }, { base64: true });
    expect(res.status).toBe(201);
    expect(res.body.language).toBe('rust');
  });

  it('answers 429 RATE_LIMIT_EXCEEDED with Retry-After when the window is full, and writes no session', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    const res = await create({});
    expect(res.status).toBe(429);
    expect(res.body.error).toBe('RATE_LIMIT_EXCEEDED');
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(commandNames()).toEqual(['GetCommand', 'UpdateCommand']);
  });

  it('rejects an unknown language with 400 UNSUPPORTED_LANGUAGE before counting or writing anything', async () => {
    const res = await create({ language: 'cobol' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('UNSUPPORTED_LANGUAGE');
    expect(commandNames()).toEqual(['GetCommand']);
  });

  it.each([
    ['language', { language: 5 }],
    ['title', { title: 42 }],
    ['title', { title: '   ' }],
    ['durationMinutes', { durationMinutes: '60' }],
    ['durationMinutes', { durationMinutes: 4 }],
    ['durationMinutes', { durationMinutes: 24 * 60 + 1 }],
    ['durationMinutes', { durationMinutes: 30.5 }],
  ])('rejects a bad %s with 400 VALIDATION_ERROR naming the field (%j)', async (field, body) => {
    const res = await create(body);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('VALIDATION_ERROR');
    expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    expect(writes()).toEqual([]);
  });

  it('rejects an unknown field and a malformed JSON body with 400 VALIDATION_ERROR', async () => {
    const unknown = await create({ owner: 'me' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toBe('VALIDATION_ERROR');
    const malformed = await create(undefined, { rawBody: '{"title": "x",' });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ error: 'VALIDATION_ERROR', details: [{ field: '(body)' }] });
    expect(writes()).toEqual([]);
  });
});

const route = (method: string) => `${method} /api/sessions/{sessionId}`;
const get = (token?: string, sessionId = SESSION_ID) => call(handler, { routeKey: route('GET'), sessionId, token });

describe('authorization shared by every session route', () => {
  useMockedDynamo();

  it.each([['GET'], ['PATCH'], ['DELETE']])('%s: 400 INVALID_SESSION for a malformed id, before any read', async (method) => {
    const res = await call(handler, { routeKey: route(method), sessionId: 'not-a-uuid', token: INTERVIEWER_TOKEN, body: { title: 'x' } });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('INVALID_SESSION');
    expect(commandNames()).toEqual([]);
  });

  it.each([['GET'], ['PATCH'], ['DELETE']])('%s: 401 UNAUTHORIZED without a token, before any read', async (method) => {
    givenSession();
    const res = await call(handler, { routeKey: route(method), sessionId: SESSION_ID, body: { title: 'x' } });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('UNAUTHORIZED');
    expect(commandNames()).toEqual([]);
  });

  it.each([['GET'], ['PATCH'], ['DELETE']])('%s: 401 UNAUTHORIZED with a wrong token', async (method) => {
    givenSession();
    const res = await call(handler, { routeKey: route(method), sessionId: SESSION_ID, token: 'guessed-token', body: { title: 'x' } });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('UNAUTHORIZED');
    expect(writes()).toEqual([]);
  });

  it('401 UNAUTHORIZED for a right token in a non-Bearer Authorization header', async () => {
    givenSession();
    const res = await call(handler, { routeKey: route('GET'), sessionId: SESSION_ID, headers: { authorization: `Basic ${INTERVIEWER_TOKEN}` } });
    expect(res.status).toBe(401);
  });

  it.each([['GET'], ['PATCH'], ['DELETE']])('%s: 404 SESSION_NOT_FOUND for an unknown session', async (method) => {
    const res = await call(handler, { routeKey: route(method), sessionId: SESSION_ID, token: INTERVIEWER_TOKEN, body: { title: 'x' } });
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('SESSION_NOT_FOUND');
    expect(writes()).toEqual([]);
  });

  it('404 SESSION_NOT_FOUND for a session past its ttl that DynamoDB has not deleted yet', async () => {
    givenSession(pastTtlSession());
    const res = await get(INTERVIEWER_TOKEN);
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('SESSION_NOT_FOUND');
  });
});

describe('GET /api/sessions/{sessionId}', () => {
  useMockedDynamo();

  it.each([[INTERVIEWER_TOKEN], [CANDIDATE_TOKEN]])('answers 200 with the session view and no secrets (token %#)', async (token) => {
    const item = givenSession();
    givenConnections([
      connectionItem('c1', { joined: true, userId: 'u1', username: 'Ann', role: 'interviewer' }),
      connectionItem('c2', { joined: true, userId: 'u2', username: 'Bob' }),
      connectionItem('c3', { joined: true, userId: 'u2', username: 'Bob' }),
      connectionItem('c4'),
    ]);
    const res = await get(token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      sessionId: SESSION_ID,
      title: item.title,
      language: 'python',
      status: 'active',
      createdAt: item.createdAt,
      lastActivity: item.lastActivity,
      expiresAt: item.expiresAt,
      userCount: 2,
      version: 1,
      runsDisabled: false,
      editingLocked: false,
    });
    expect(res.raw).not.toContain(item.interviewerTokenHash);
  });

  it.each([
    ['ended', endedSession],
    ['expired', expiredSession],
  ] as const)('still reads an %s session and reports its status', async (status, item) => {
    givenSession(item());
    const res = await get(CANDIDATE_TOKEN);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe(status);
  });
});
