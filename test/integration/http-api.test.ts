/**
 * docs/protocol.md §3 over real HTTP against the local stack (DynamoDB Local + the real handlers): the happy paths,
 * every bad input leaving stored data unchanged, and the races of issue 2.
 */
import { describe, expect, it } from 'vitest';
import { call, createSession, freshIp, newOperatorKey, operatorHeaders } from './http.js';

const KIB = 1024;

async function codeOf(sessionId: string, token: string) {
  const res = await call('GET', `/api/sessions/${sessionId}/code`, { token });
  expect(res.status).toBe(200);
  return res.body as { code: string; version: number; language: string };
}

describe('sessions', () => {
  it('creates a session with tokens, defaults and a wsUrl', async () => {
    const res = await call('POST', '/api/sessions', { body: { title: 'Pairing', language: 'java', durationMinutes: 60 }, from: freshIp(), headers: operatorHeaders() });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ title: 'Pairing', language: 'java', status: 'active', wsUrl: expect.stringMatching(/^ws/) });
    expect(res.body.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.interviewerToken).not.toBe(res.body.candidateToken);
    const ms = Date.parse(res.body.expiresAt) - Date.parse(res.body.createdAt);
    expect(ms).toBe(60 * 60_000);
    const code = await codeOf(res.body.sessionId, res.body.candidateToken);
    expect(code.code).toContain('public class Main');
  });

  it('accepts a request without a body (all fields optional)', async () => {
    const res = await call('POST', '/api/sessions', { from: freshIp(), headers: operatorHeaders() });
    expect(res.status).toBe(201);
    expect(res.body.language).toBe('python');
  });

  it('rate-limits session creation per operator (60/min) with Retry-After, whatever the source IP', async () => {
    const { key } = await newOperatorKey();
    const post = () => call('POST', '/api/sessions', { body: {}, from: freshIp(), headers: operatorHeaders(key) });
    // From a new address each time: the limit follows the operator, not the IP. The window is fixed, so
    // on a slow machine it may roll over once during the loop: then the 429 comes later, never sooner.
    let created = 0;
    let limited: Awaited<ReturnType<typeof post>> | undefined;
    for (let i = 0; i < 121 && !limited; i++) {
      const res = await post();
      if (res.status === 201) created++;
      else limited = res;
    }
    expect(limited?.status).toBe(429);
    expect(limited?.body.error).toBe('RATE_LIMIT_EXCEEDED');
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(created).toBeGreaterThanOrEqual(60);
    // Another operator is not affected.
    expect((await call('POST', '/api/sessions', { body: {}, from: freshIp(), headers: operatorHeaders((await newOperatorKey()).key) })).status).toBe(201);
  }, 180_000);

  it('serves GET, PATCH (title by interviewer, language by both) and DELETE with purge', async () => {
    const s = await createSession();
    const got = await call('GET', `/api/sessions/${s.sessionId}`, { token: s.candidateToken });
    expect(got.body).toMatchObject({ sessionId: s.sessionId, status: 'active', userCount: 0, version: 1 });

    expect((await call('PATCH', `/api/sessions/${s.sessionId}`, { token: s.candidateToken, body: { title: 'x' } })).status).toBe(403);
    const lang = await call('PATCH', `/api/sessions/${s.sessionId}`, { token: s.candidateToken, body: { language: 'go' } });
    expect(lang.status).toBe(200);
    expect(lang.body.language).toBe('go');
    const title = await call('PATCH', `/api/sessions/${s.sessionId}`, { token: s.interviewerToken, body: { title: 'Renamed' } });
    expect(title.body).toMatchObject({ title: 'Renamed', language: 'go' });

    expect((await call('DELETE', `/api/sessions/${s.sessionId}`, { token: s.candidateToken })).status).toBe(403);
    const ended = await call('DELETE', `/api/sessions/${s.sessionId}`, { token: s.interviewerToken });
    expect(ended.body).toEqual({ sessionId: s.sessionId, status: 'ended' });
    // Ended: reads still work, edits are refused with 410.
    expect((await call('GET', `/api/sessions/${s.sessionId}`, { token: s.interviewerToken })).body.status).toBe('ended');
    const before = await codeOf(s.sessionId, s.interviewerToken);
    const put = await call('PUT', `/api/sessions/${s.sessionId}/code`, { token: s.interviewerToken, body: { code: 'x' } });
    expect(put.status).toBe(410);
    expect(put.body.error).toBe('SESSION_EXPIRED');
    expect(await codeOf(s.sessionId, s.interviewerToken)).toEqual(before);
    expect((await call('PATCH', `/api/sessions/${s.sessionId}`, { token: s.interviewerToken, body: { title: 'y' } })).status).toBe(410);
    // Ending twice is fine; purge removes everything.
    expect((await call('DELETE', `/api/sessions/${s.sessionId}`, { token: s.interviewerToken })).status).toBe(200);
    expect((await call('DELETE', `/api/sessions/${s.sessionId}?purge=true`, { token: s.interviewerToken })).status).toBe(200);
    const gone = await call('GET', `/api/sessions/${s.sessionId}/code`, { token: s.interviewerToken });
    expect(gone.status).toBe(404);
    expect(gone.body.error).toBe('SESSION_NOT_FOUND');
  });
});

describe('code', () => {
  it('replaces the code and advances the version; stale baseVersion gets 409 with the current code', async () => {
    const s = await createSession();
    const v1 = await codeOf(s.sessionId, s.candidateToken);
    const put = await call('PUT', `/api/sessions/${s.sessionId}/code`, { token: s.candidateToken, body: { code: 'print(1)\n', baseVersion: v1.version } });
    expect(put).toMatchObject({ status: 200, body: { version: v1.version + 1 } });
    const stale = await call('PUT', `/api/sessions/${s.sessionId}/code`, { token: s.interviewerToken, body: { code: 'print(2)\n', baseVersion: v1.version } });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ error: 'VERSION_CONFLICT', details: { currentVersion: v1.version + 1, code: 'print(1)\n' } });
    expect((await codeOf(s.sessionId, s.candidateToken)).code).toBe('print(1)\n');
  });

  it('20 concurrent PUTs with the same baseVersion: exactly one 200 and 19 × 409', async () => {
    const s = await createSession();
    const { version } = await codeOf(s.sessionId, s.interviewerToken);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call('PUT', `/api/sessions/${s.sessionId}/code`, { token: s.candidateToken, body: { code: `writer ${i}\n`, baseVersion: version } }),
      ),
    );
    const ok = results.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    expect(results.filter((r) => r.status === 409 && r.body.error === 'VERSION_CONFLICT')).toHaveLength(19);
    const winner = results.indexOf(ok[0]!);
    const after = await codeOf(s.sessionId, s.interviewerToken);
    expect(after).toMatchObject({ code: `writer ${winner}\n`, version: version + 1 });
  });

  it('20 concurrent unversioned PUTs: version advanced by 20, text equal to one of them', async () => {
    const s = await createSession();
    const { version } = await codeOf(s.sessionId, s.interviewerToken);
    const texts = Array.from({ length: 20 }, (_, i) => `def f():\n    return ${i}\n`);
    const results = await Promise.all(texts.map((code) => call('PUT', `/api/sessions/${s.sessionId}/code`, { token: s.candidateToken, body: { code } })));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(new Set(results.map((r) => r.body.version)).size).toBe(20);
    const after = await codeOf(s.sessionId, s.interviewerToken);
    expect(after.version).toBe(version + 20);
    expect(texts).toContain(after.code);
    // The last version written is the text that won.
    const last = results.find((r) => r.body.version === version + 20)!;
    expect(after.code).toBe(texts[results.indexOf(last)]);
  });
});
