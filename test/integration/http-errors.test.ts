/**
 * Bad input of every kind gets the contract's error, never a 500 or a stack trace, and stored data
 * stays exactly as it was (docs/protocol.md §3 errors; issue 2 "Bad input").
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { call, createSession, operatorHeaders, type NewSession } from './http.js';

const KIB = 1024;
let s: NewSession;
let snapshot: { code: string; version: number };

async function stored() {
  const code = await call('GET', `/api/sessions/${s.sessionId}/code`, { token: s.interviewerToken });
  const session = await call('GET', `/api/sessions/${s.sessionId}`, { token: s.interviewerToken });
  return { code: code.body.code, version: code.body.version, title: session.body.title, language: session.body.language, status: session.body.status };
}

beforeAll(async () => {
  s = await createSession({ title: 'Errors', language: 'python' });
  await call('PUT', `/api/sessions/${s.sessionId}/code`, { token: s.interviewerToken, body: { code: 'x = 1\n' } });
  snapshot = await stored();
});

const cases: [string, () => Promise<{ status: number; body: any }>, number, string][] = [
  ['malformed JSON', () => call('PUT', `/api/sessions/${s.sessionId}/code`, { token: s.interviewerToken, rawBody: '{"code": ', headers: { 'content-type': 'application/json' } }), 400, 'VALIDATION_ERROR'],
  ['code of the wrong type', () => call('PUT', `/api/sessions/${s.sessionId}/code`, { token: s.interviewerToken, body: { code: 42 } }), 400, 'VALIDATION_ERROR'],
  ['unknown field', () => call('PUT', `/api/sessions/${s.sessionId}/code`, { token: s.interviewerToken, body: { code: 'a', evil: true } }), 400, 'VALIDATION_ERROR'],
  ['negative baseVersion', () => call('PUT', `/api/sessions/${s.sessionId}/code`, { token: s.interviewerToken, body: { code: 'a', baseVersion: -1 } }), 400, 'VALIDATION_ERROR'],
  ['a JSON array body', () => call('PATCH', `/api/sessions/${s.sessionId}`, { token: s.interviewerToken, body: [1, 2] }), 400, 'VALIDATION_ERROR'],
  ['an empty PATCH', () => call('PATCH', `/api/sessions/${s.sessionId}`, { token: s.interviewerToken, body: {} }), 400, 'VALIDATION_ERROR'],
  ['unsupported language', () => call('PATCH', `/api/sessions/${s.sessionId}`, { token: s.interviewerToken, body: { language: 'cobol' } }), 400, 'UNSUPPORTED_LANGUAGE'],
  ['malformed session id', () => call('GET', `/api/sessions/not-a-uuid/code`, { token: s.interviewerToken }), 400, 'INVALID_SESSION'],
  ['a session id with a broken percent-encoding', () => call('GET', `/api/sessions/%E0%A4%A/code`, { token: s.interviewerToken }), 400, 'INVALID_SESSION'],
  ['code over 100 KiB', () => call('PUT', `/api/sessions/${s.sessionId}/code`, { token: s.interviewerToken, body: { code: 'a'.repeat(100 * KIB + 1) } }), 413, 'PAYLOAD_TOO_LARGE'],
  ['multibyte code over 100 KiB in UTF-8', () => call('PUT', `/api/sessions/${s.sessionId}/code`, { token: s.interviewerToken, body: { code: 'é'.repeat(51 * KIB) } }), 413, 'PAYLOAD_TOO_LARGE'],
  ['a 1 MiB body', () => call('PUT', `/api/sessions/${s.sessionId}/code`, { token: s.interviewerToken, rawBody: JSON.stringify({ code: 'b'.repeat(1024 * KIB) }) }), 413, 'PAYLOAD_TOO_LARGE'],
  ['missing token', () => call('PUT', `/api/sessions/${s.sessionId}/code`, { body: { code: 'a' } }), 401, 'UNAUTHORIZED'],
  ['wrong token', () => call('PUT', `/api/sessions/${s.sessionId}/code`, { token: 'x'.repeat(43), body: { code: 'a' } }), 401, 'UNAUTHORIZED'],
  ['another session\'s token', async () => call('GET', `/api/sessions/${s.sessionId}/code`, { token: (await createSession()).interviewerToken }), 401, 'UNAUTHORIZED'],
  ['a malformed Authorization header', () => call('GET', `/api/sessions/${s.sessionId}/code`, { headers: { authorization: 'Basic abc' } }), 401, 'UNAUTHORIZED'],
  ['candidate ending the session', () => call('DELETE', `/api/sessions/${s.sessionId}`, { token: s.candidateToken }), 403, 'FORBIDDEN'],
  ['candidate reading history', () => call('GET', `/api/sessions/${s.sessionId}/history`, { token: s.candidateToken }), 403, 'FORBIDDEN'],
  ['candidate renaming', () => call('PATCH', `/api/sessions/${s.sessionId}`, { token: s.candidateToken, body: { title: 'mine' } }), 403, 'FORBIDDEN'],
  ['unknown session', () => call('GET', `/api/sessions/3f1c7f3e-9a4b-4c1d-8e2f-1234567890ab`, { token: s.interviewerToken }), 404, 'SESSION_NOT_FOUND'],
  ['unknown snapshot', () => call('GET', `/api/sessions/${s.sessionId}/snapshots/01M8037V8SDDTXPB104PGPDAFB`, { token: s.interviewerToken }), 404, 'NOT_FOUND'],
  ['malformed snapshot id', () => call('POST', `/api/sessions/${s.sessionId}/snapshots/../../x/restore`, { token: s.interviewerToken }), 404, ''],
  // Dot segments sent as they are (curl --path-as-is, a link id a script did not check): API Gateway does
  // not resolve them, and neither may the local front: this revoke became DELETE /api/sessions/{id} (the
  // session ended; with ?purge=true, gone).
  ['a review link id of %2e%2e', () => call('DELETE', `/api/sessions/${s.sessionId}/review-links/%2e%2e?purge=true`, { token: s.interviewerToken, asIs: true }), 404, 'NOT_FOUND'],
  ['a review link id of ..', () => call('DELETE', `/api/sessions/${s.sessionId}/review-links/..`, { token: s.interviewerToken, asIs: true }), 404, 'NOT_FOUND'],
  ['a candidate reading participants/..', () => call('GET', `/api/sessions/${s.sessionId}/participants/..`, { token: s.candidateToken, asIs: true }), 404, 'NOT_FOUND'],
  ['history limit out of range', () => call('GET', `/api/sessions/${s.sessionId}/history?limit=100000`, { token: s.interviewerToken }), 400, 'VALIDATION_ERROR'],
  ['garbage history cursor', () => call('GET', `/api/sessions/${s.sessionId}/history?cursor=%%%`, { token: s.interviewerToken }), 400, 'VALIDATION_ERROR'],
  ['durationMinutes over 24 h', () => call('POST', '/api/sessions', { body: { durationMinutes: 24 * 60 + 1 }, headers: operatorHeaders() }), 400, 'VALIDATION_ERROR'],
  ['a title that is not a string', () => call('POST', '/api/sessions', { body: { title: ['a'] }, headers: operatorHeaders() }), 400, 'VALIDATION_ERROR'],
  ['creating a session without an operator key', () => call('POST', '/api/sessions', { body: {} }), 401, 'UNAUTHORIZED'],
];

describe('bad input', () => {
  it.each(cases)('%s → clear error, nothing changed', async (_name, send, status, code) => {
    const res = await send();
    expect(res.status).toBe(status);
    if (code) expect(res.body.error).toBe(code);
    expect(JSON.stringify(res.body)).not.toMatch(/\bat .+:\d+:\d+/); // no stack frames
    expect(await stored()).toEqual(snapshot);
  });

  it('names the offending field', async () => {
    const res = await call('PUT', `/api/sessions/${s.sessionId}/code`, { token: s.interviewerToken, body: { code: 42 } });
    expect(res.body.details).toEqual([expect.objectContaining({ field: 'code' })]);
  });

  it("an unknown route, or a method a path does not take, is the contract's 404 NOT_FOUND (API Gateway's $default route)", async () => {
    for (const [method, path] of [['GET', '/api/nothing-here'], ['PUT', `/api/sessions/${s.sessionId}`], ['DELETE', '/api/health'], ['GET', '/api/__proto__']] as const) {
      const res = await call(method, path, { token: s.interviewerToken });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body, `${method} ${path}`).toEqual({ error: 'NOT_FOUND', message: `Route ${method} ${path} not found` });
    }
    expect(await stored()).toEqual(snapshot);
  });

  it('legal code that JSON escapes to six times its size (100 KiB of control characters) is taken, not refused as too large', async () => {
    const other = await createSession({ title: 'escaped', language: 'python' });
    const code = '\u0001'.repeat(100 * KIB);
    expect(JSON.stringify({ code }).length).toBeGreaterThan(600 * KIB);
    const put = await call('PUT', `/api/sessions/${other.sessionId}/code`, { token: other.interviewerToken, body: { code } });
    expect(put.status).toBe(200);
    expect((await call('GET', `/api/sessions/${other.sessionId}/code`, { token: other.interviewerToken })).body.code).toBe(code);
  });
});
