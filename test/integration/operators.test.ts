/**
 * Operators against the real local stack (docs/protocol.md §2, §3): API keys on POST/GET /api/sessions, the listing
 * (own only, newest first, cursor, status), revocation taking effect at once, the `npm run api-key` CLI
 * against DynamoDB Local, and the local stack's INTERVIEW_API_KEY rules.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { startLocalStack } from '../../local/stack.js';
import { resetClients } from '#aws/clients.js';
import { ENV, resetConfig } from '#aws/config.js';
import { revokeApiKey } from '#aws/store/api-keys.js';
import { call, createSession, freshIp, newOperatorKey, OPERATOR_KEY, operatorHeaders } from './http.js';

const run = promisify(execFile);

const listAs = (key: string, query = '') => call('GET', `/api/sessions${query}`, { headers: operatorHeaders(key) });

describe('operator credentials', () => {
  it.each([
    ['POST', undefined],
    ['GET', undefined],
    ['POST', 'Bearer not-a-key'],
    ['GET', 'Bearer not-a-key'],
    ['POST', `Basic ${OPERATOR_KEY}`],
  ])('%s /api/sessions with Authorization %s is 401 UNAUTHORIZED', async (method, authorization) => {
    const res = await call(method, '/api/sessions', { body: method === 'POST' ? {} : undefined, headers: authorization ? { authorization } : {} });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('UNAUTHORIZED');
  });

  it('accepts the local stack key (INTERVIEW_API_KEY, default local-dev-key) as operator key:local', async () => {
    // The key helpers send is the one the global setup's stack took from the environment.
    expect(OPERATOR_KEY).toBe(inject('operatorKey'));
    const res = await call('POST', '/api/sessions', { body: { title: 'with the local key' }, headers: operatorHeaders(), from: freshIp() });
    expect(res.status).toBe(201);
    const listed = await listAs(OPERATOR_KEY, '?limit=100');
    expect(listed.status).toBe(200);
    expect(listed.body.sessions).toContainEqual(expect.objectContaining({ sessionId: res.body.sessionId, createdBy: 'key:local' }));
  });

  it('a revoked key stops working at once', async () => {
    const { key, keyId } = await newOperatorKey();
    expect((await listAs(key)).status).toBe(200);
    await revokeApiKey(keyId);
    const after = await listAs(key);
    expect(after.status).toBe(401);
    expect(after.body.error).toBe('UNAUTHORIZED');
  });
});

describe('GET /api/sessions', () => {
  it("lists the operator's own sessions, newest first, with cursor paging", async () => {
    const a = await newOperatorKey();
    const b = await newOperatorKey();
    const mine = [];
    for (let i = 0; i < 5; i++) mine.push(await createSession({ title: `mine ${i}` }, freshIp(), a.key));
    const theirs = await createSession({ title: 'theirs' }, freshIp(), b.key);

    const seen: any[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await listAs(a.key, `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.sessions.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.sessions);
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen.map((s) => s.sessionId)).toEqual(mine.map((s) => s.sessionId).reverse());
    expect(seen.every((s) => s.createdBy === a.operator && s.status === 'active')).toBe(true);
    expect(seen[0]).toEqual({
      sessionId: mine[4]!.sessionId,
      title: 'mine 4',
      language: 'python',
      status: 'active',
      createdAt: expect.any(String),
      expiresAt: expect.any(String),
      createdBy: a.operator,
    });
    expect(seen.map((s) => s.sessionId)).not.toContain(theirs.sessionId);
    const other = await listAs(b.key);
    expect(other.body.sessions.map((s: { sessionId: string }) => s.sessionId)).toEqual([theirs.sessionId]);
  });

  it('reports ended sessions as ended, filters by status, follows a new title and forgets purged sessions', async () => {
    const op = await newOperatorKey();
    const kept = await createSession({ title: 'kept' }, freshIp(), op.key);
    const ended = await createSession({ title: 'ended' }, freshIp(), op.key);
    const purged = await createSession({ title: 'purged' }, freshIp(), op.key);
    expect((await call('DELETE', `/api/sessions/${ended.sessionId}`, { token: ended.interviewerToken })).status).toBe(200);
    expect((await call('DELETE', `/api/sessions/${purged.sessionId}?purge=true`, { token: purged.interviewerToken })).status).toBe(200);
    expect((await call('PATCH', `/api/sessions/${kept.sessionId}`, { token: kept.interviewerToken, body: { title: 'renamed' } })).status).toBe(200);

    const all = await listAs(op.key);
    expect(all.body.sessions.map((s: any) => [s.title, s.status])).toEqual([
      ['ended', 'ended'],
      ['renamed', 'active'],
    ]);
    const endedOnly = await listAs(op.key, '?status=ended');
    expect(endedOnly.body.sessions.map((s: any) => s.sessionId)).toEqual([ended.sessionId]);
    const activeOnly = await listAs(op.key, '?status=active');
    expect(activeOnly.body.sessions.map((s: any) => s.sessionId)).toEqual([kept.sessionId]);
    expect((await listAs(op.key, '?status=expired')).body).toEqual({ sessions: [], nextCursor: null });
    expect((await listAs(op.key, '?status=paused')).status).toBe(400);
  });
});

describe('npm run api-key against DynamoDB Local', () => {
  const cli = async (...args: string[]) => {
    const target = ['--local', '--endpoint', inject('ddbEndpoint'), '--table', inject('tableName'), '--json'];
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'infra/bin/api-key.ts', ...args, ...target], {
      env: { ...process.env, INTERVIEW_API_KEY: undefined },
      timeout: 60_000,
    });
    return JSON.parse(stdout);
  };

  it('creates a key that works, lists it without any secret, and revokes it', async () => {
    const name = `cli-${Date.now()}`;
    const created = await cli('create', '--name', name);
    expect(created).toMatchObject({ name, keyId: expect.stringMatching(/^[0-9A-Z]{26}$/), key: expect.stringMatching(/^ik_[A-Za-z0-9_-]{43}$/) });
    expect((await call('POST', '/api/sessions', { body: {}, headers: operatorHeaders(created.key), from: freshIp() })).body.sessionId).toBeDefined();

    const listed = await cli('list');
    const entry = listed.find((k: { keyId: string }) => k.keyId === created.keyId);
    expect(entry).toMatchObject({ name, createdAt: expect.any(String) });
    expect(JSON.stringify(listed)).not.toContain(created.key);
    expect(JSON.stringify(listed)).not.toMatch(/keyHash/);

    expect(await cli('revoke', created.keyId)).toEqual({ keyId: created.keyId, revoked: true, already: false });
    expect((await listAs(created.key)).status).toBe(401);
    expect((await cli('list')).find((k: { keyId: string }) => k.keyId === created.keyId).revokedAt).toEqual(expect.any(String));
  }, 300_000); // four CLI starts (tsx), each allowed 60 s

  it('refuses a bad name and an unknown id with exit code 2', async () => {
    await expect(cli('create', '--name', 'has spaces')).rejects.toMatchObject({ code: 2 });
    await expect(cli('revoke', '01ZZZZZZZZZZZZZZZZZZZZZZZZ')).rejects.toMatchObject({ code: 2 });
  }, 180_000);
});

describe('the local stack key', () => {
  const saved = Object.fromEntries([ENV.tableName, ENV.dynamoEndpoint, ENV.wsUrl, ENV.wsManagementEndpoint].map((k) => [k, process.env[k]]));
  afterAll(() => {
    // startLocalStack points this process's handlers at the stack it started: back to the shared one.
    for (const [k, v] of Object.entries(saved)) process.env[k] = v;
    resetConfig();
    resetClients();
  });

  it('refuses the well-known default key on a non-loopback address before starting anything', async () => {
    await expect(startLocalStack({ host: '0.0.0.0', operatorKey: 'local-dev-key', ddbEndpoint: 'http://127.0.0.1:1', pipeline: false })).rejects.toThrow(
      /refusing to listen on 0\.0\.0\.0.*INTERVIEW_API_KEY/,
    );
  });

  it('replaces the previous INTERVIEW_API_KEY at start (data kept across restarts)', async () => {
    const tableName = `operators-restart-${Date.now()}`;
    const common = { port: 0, ddbEndpoint: inject('ddbEndpoint'), tableName, pipeline: false as const, quiet: true };
    const first = await startLocalStack({ ...common, operatorKey: 'first-secret' });
    const post = (url: string, key: string) =>
      fetch(`${url}/api/sessions`, { method: 'POST', headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);
    expect(await post(first.httpUrl, 'first-secret')).toBe(201);
    await first.stop();

    const second = await startLocalStack({ ...common, operatorKey: 'second-secret' });
    try {
      expect(await post(second.httpUrl, 'first-secret')).toBe(401);
      expect(await post(second.httpUrl, 'second-secret')).toBe(201);
    } finally {
      await second.stop();
    }
  });
});
