/** Operators (docs/protocol.md §2): API keys and JWT claims on POST/GET /api/sessions, createdBy, the per-operator limit. */
import {
  apiKeyItem,
  call,
  commandNames,
  conditionFailed,
  ddb,
  givenApiKey,
  givenSession,
  INTERVIEWER_TOKEN,
  iso,
  nowSec,
  OPERATOR_ID,
  OPERATOR_KEY,
  sent,
  sessionItem,
  transactItems,
  useMockedDynamo,
  writes,
} from '../fixtures.js';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../functions/http/sessions.js';
import { logger } from '#telemetry/log.js';
import { hashToken } from '#core/tokens.js';

const OTHER_KEY = 'ik_QW5vdGhlciBvcGVyYXRvciBrZXkgZm9yIHRoZSB0ZXN0cyE';

const post = (extra: { token?: string; jwtClaims?: Record<string, unknown>; headers?: Record<string, string>; body?: unknown } = {}) =>
  call(handler, { routeKey: 'POST /api/sessions', body: {}, ...extra });
const list = (extra: { token?: string; jwtClaims?: Record<string, unknown>; query?: Record<string, string> } = {}) =>
  call(handler, { routeKey: 'GET /api/sessions', ...extra });

describe.each([
  ['POST /api/sessions', post],
  ['GET /api/sessions', list],
] as const)('%s without a valid operator credential', (_route, send) => {
  useMockedDynamo();

  it('is 401 UNAUTHORIZED without an Authorization header, before any read', async () => {
    const res = await send();
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('UNAUTHORIZED');
    // Says which credential is missing: not a session token.
    expect(res.body.message).toMatch(/operator/i);
    expect(commandNames()).toEqual([]);
  });

  it('is 401 UNAUTHORIZED for an unknown key, and writes nothing', async () => {
    const res = await send({ token: 'ik_guessed-key-that-nobody-created' });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('UNAUTHORIZED');
    expect(writes()).toEqual([]);
  });

  it('is 401 UNAUTHORIZED for a revoked key', async () => {
    givenApiKey(OTHER_KEY, { name: 'old-laptop', revokedAt: iso(nowSec() - 60) });
    const res = await send({ token: OTHER_KEY });
    expect(res.status).toBe(401);
    expect(writes()).toEqual([]);
  });

  it('is 401 UNAUTHORIZED for a key item past its TTL that DynamoDB has not deleted yet', async () => {
    givenApiKey(OTHER_KEY, { revokedAt: iso(nowSec() - 100 * 86_400), ttl: nowSec() - 5 });
    expect((await send({ token: OTHER_KEY })).status).toBe(401);
  });

  it('is 401 UNAUTHORIZED for a session token: it is no operator credential', async () => {
    givenSession();
    expect((await send({ token: INTERVIEWER_TOKEN })).status).toBe(401);
  });

  it('is 401 UNAUTHORIZED for a JWT without a usable sub claim', async () => {
    expect((await send({ jwtClaims: { iss: 'https://id.example.com', aud: 'interviews' } })).status).toBe(401);
    expect((await send({ jwtClaims: { sub: 42 } })).status).toBe(401);
    expect((await send({ jwtClaims: { sub: 'x'.repeat(257) } })).status).toBe(401);
  });
});

describe('operator API keys', () => {
  useMockedDynamo();

  it('are looked up by their SHA-256 with a consistent read; the key itself is never sent to the table', async () => {
    const res = await post({ token: OPERATOR_KEY });
    expect(res.status).toBe(201);
    const [lookup] = sent(GetCommand);
    expect(lookup).toMatchObject({ Key: { PK: 'APIKEYS', SK: `K#${hashToken(OPERATOR_KEY)}` }, ConsistentRead: true });
    expect(JSON.stringify(ddb.calls().map((c) => c.args[0].input))).not.toContain(OPERATOR_KEY);
  });

  it('stores the operator identity as createdBy and indexes the session under it, in the creation transaction', async () => {
    const res = await post({ token: OPERATOR_KEY, body: { title: 'Backend loop', language: 'go' } });
    expect(res.status).toBe(201);
    const items = transactItems();
    const meta = items.find((i) => i.Put?.Item?.SK === 'META')!.Put!.Item!;
    expect(meta.createdBy).toBe(OPERATOR_ID);
    const index = items.find((i) => String(i.Put?.Item?.PK).startsWith('OP#'))!.Put!.Item!;
    expect(index).toEqual({
      PK: `OP#${OPERATOR_ID}`,
      SK: `S#${res.body.createdAt}#${res.body.sessionId}`,
      sessionId: res.body.sessionId,
      title: 'Backend loop',
      language: 'go',
      status: 'active',
      createdAt: res.body.createdAt,
      expiresAt: res.body.expiresAt,
      expiresAtEpoch: meta.expiresAtEpoch,
      createdBy: OPERATOR_ID,
      ttl: meta.ttl,
    });
  });

  it('name the identity: two keys with one name (a rotation) are one operator', async () => {
    givenApiKey(OTHER_KEY, { name: 'acme-hiring', keyId: '01JNEWKEYNEWKEYNEWKEYNEWKE' });
    await post({ token: OTHER_KEY });
    expect(transactItems().find((i) => i.Put?.Item?.SK === 'META')!.Put!.Item!.createdBy).toBe(OPERATOR_ID);
  });
});

describe('JWT operators (API Gateway JWT authorizer)', () => {
  useMockedDynamo();

  it('take the identity from the verified claims (sub), without any key lookup', async () => {
    const res = await post({ jwtClaims: { sub: 'auth0|5f1a', iss: 'https://id.example.com/', aud: 'interviews' } });
    expect(res.status).toBe(201);
    expect(sent(GetCommand)).toEqual([]);
    const meta = transactItems().find((i) => i.Put?.Item?.SK === 'META')!.Put!.Item!;
    expect(meta.createdBy).toBe('jwt:auth0|5f1a');
    expect(sent(UpdateCommand)[0]?.Key?.PK).toBe('RL#create-session#jwt:auth0|5f1a');
  });

  it('list the sessions of jwt:<sub>, never those of a key of the same name', async () => {
    const res = await list({ jwtClaims: { sub: 'acme-hiring' } });
    expect(res.status).toBe(200);
    const [query] = ddb.calls().map((c) => c.args[0].input as { ExpressionAttributeValues?: Record<string, unknown> });
    expect(query?.ExpressionAttributeValues?.[':pk']).toBe('OP#jwt:acme-hiring');
  });
});

describe('request logs', () => {
  useMockedDynamo();
  afterEach(() => {
    logger.setLogLevel('SILENT');
    vi.restoreAllMocks();
  });

  /** The `request` line of each call, as Powertools writes it to stdout. */
  async function requestLines(...calls: (() => Promise<unknown>)[]): Promise<Record<string, unknown>[]> {
    logger.setLogLevel('INFO');
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    for (const c of calls) await c();
    return written.flatMap((w) => w.split('\n')).filter(Boolean).map((l) => JSON.parse(l)).filter((l) => l.message === 'request');
  }

  it("carry each request's operator identity, and only that request's", async () => {
    const lines = await requestLines(
      () => post({ token: OPERATOR_KEY }),
      () => list({ jwtClaims: { sub: 'auth0|77' } }),
      () => post(),
    );
    expect(lines.map((l) => [l.statusCode, l.operator, l.apiKeyId])).toEqual([
      [201, OPERATOR_ID, '01JKEYKEYKEYKEYKEYKEYKEYKE'],
      [200, 'jwt:auth0|77', undefined],
      [401, undefined, undefined],
    ]);
    expect(JSON.stringify(lines)).not.toContain(OPERATOR_KEY);
  });
});

describe('the session-creation rate limit (60/min per operator)', () => {
  useMockedDynamo();

  it('counts per operator identity, not per source IP', async () => {
    givenApiKey(OTHER_KEY, { name: 'contractor' });
    await post({ token: OPERATOR_KEY });
    await post({ token: OTHER_KEY });
    const limits = sent(UpdateCommand).map((u) => ({ pk: u.Key?.PK, limit: u.ExpressionAttributeValues?.[':limit'] }));
    expect(limits).toEqual([
      { pk: `RL#create-session#${OPERATOR_ID}`, limit: 60 },
      { pk: 'RL#create-session#key:contractor', limit: 60 },
    ]);
  });

  it('answers 429 RATE_LIMIT_EXCEEDED with Retry-After once the operator used its minute', async () => {
    ddb.on(UpdateCommand, { Key: { PK: `RL#create-session#${OPERATOR_ID}` } }).rejects(conditionFailed());
    const res = await post({ token: OPERATOR_KEY });
    expect(res.status).toBe(429);
    expect(res.body.error).toBe('RATE_LIMIT_EXCEEDED');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(writes()).toEqual(['UpdateCommand']);
  });
});

describe('the operator index follows the session', () => {
  useMockedDynamo();

  const owned = () => sessionItem({ createdBy: OPERATOR_ID });
  const indexKey = (s: ReturnType<typeof owned>) => ({ PK: `OP#${OPERATOR_ID}`, SK: `S#${s.createdAt}#${s.sessionId}` });

  it('ending the session marks its index item ended in the same transaction', async () => {
    const s = givenSession(owned());
    const res = await call(handler, { routeKey: 'DELETE /api/sessions/{sessionId}', sessionId: s.sessionId, token: INTERVIEWER_TOKEN });
    expect(res.status).toBe(200);
    const update = transactItems().find((i) => i.Update?.Key?.PK === `OP#${OPERATOR_ID}`)?.Update;
    expect(update).toMatchObject({ Key: indexKey(s), UpdateExpression: 'SET #status = :status', ExpressionAttributeValues: { ':status': 'ended' } });
  });

  it('a new title reaches the index item in the same transaction', async () => {
    const s = givenSession(owned());
    const res = await call(handler, { routeKey: 'PATCH /api/sessions/{sessionId}', sessionId: s.sessionId, token: INTERVIEWER_TOKEN, body: { title: 'Renamed' } });
    expect(res.status).toBe(200);
    const update = transactItems().find((i) => i.Update?.Key?.PK === `OP#${OPERATOR_ID}`)?.Update;
    expect(update).toMatchObject({ Key: indexKey(s), ExpressionAttributeValues: { ':title': 'Renamed' } });
  });

  it('a session without createdBy (made before operators existed) has no index item to touch', async () => {
    const s = givenSession();
    await call(handler, { routeKey: 'DELETE /api/sessions/{sessionId}', sessionId: s.sessionId, token: INTERVIEWER_TOKEN });
    expect(JSON.stringify(transactItems())).not.toContain('OP#');
  });
});

// apiKeyItem is re-exported for other suites; keep its shape honest here too.
it('apiKeyItem never holds the key itself', () => {
  expect(JSON.stringify(apiKeyItem())).not.toContain(OPERATOR_KEY);
});
