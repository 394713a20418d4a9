/** The error envelope every HTTP handler shares (functions/http/http-handler.ts): docs/protocol.md §3 "Errors (HTTP)". */
import { call, ddb, givenSession, INTERVIEWER_TOKEN, OPERATOR_KEY, SESSION_ID, SNAPSHOT_ID, useMockedDynamo, type HttpHandler } from '../fixtures.js';
import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '#contract/limits.js';
import { handler as activity } from '../../../functions/http/activity.js';
import { handler as code } from '../../../functions/http/code.js';
import { handler as sessions } from '../../../functions/http/sessions.js';
import { handler as snapshots } from '../../../functions/http/snapshots.js';

const SECRET = `ddb-internal-detail-${Math.random().toString(36).slice(2)}`;

/** An error as the SDK or a bug would throw it: a message we must not leak and a real stack. */
function surprise(): Error {
  const err = new Error(`Socket hang up talking to arn:aws:dynamodb:eu-west-1:123456789012:table/x (${SECRET})`);
  err.name = 'TimeoutError';
  return err;
}

const routes: [string, HttpHandler, string][] = [
  ['GET session', sessions, 'GET /api/sessions/{sessionId}'],
  ['GET code', code, 'GET /api/sessions/{sessionId}/code'],
  ['GET snapshot', snapshots, 'GET /api/sessions/{sessionId}/snapshots/{snapshotId}'],
  ['GET participants', activity, 'GET /api/sessions/{sessionId}/participants'],
];

describe('unexpected errors', () => {
  useMockedDynamo();

  it.each(routes)('%s: a failing GetCommand becomes a bare 500 INTERNAL_ERROR with no stack trace or message', async (_, handler, routeKey) => {
    ddb.on(GetCommand).rejects(surprise());
    const res = await call(handler, { routeKey, sessionId: SESSION_ID, snapshotId: SNAPSHOT_ID, token: INTERVIEWER_TOKEN });
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: 'INTERNAL_ERROR', message: expect.any(String) });
    expect(res.raw).not.toContain(SECRET);
    expect(res.raw).not.toContain('TimeoutError');
    expect(res.raw).not.toMatch(/\bat .+:\d+:\d+/); // a stack frame
    expect(res.raw).not.toMatch(/\.ts\b|node_modules/);
  });

  it('a failure after authorization (the document Query) is hidden the same way', async () => {
    givenSession();
    ddb.on(QueryCommand).rejects(surprise());
    const res = await call(code, { routeKey: 'GET /api/sessions/{sessionId}/code', sessionId: SESSION_ID, token: INTERVIEWER_TOKEN });
    expect(res.status).toBe(500);
    expect(res.body.error).toBe('INTERNAL_ERROR');
    expect(res.raw).not.toContain(SECRET);
  });

  it('a failing session transaction on POST /api/sessions is a 500 without details', async () => {
    ddb.on(TransactWriteCommand).rejects(surprise());
    const res = await call(sessions, { routeKey: 'POST /api/sessions', body: {}, token: OPERATOR_KEY });
    expect(res.status).toBe(500);
    expect(res.body).not.toHaveProperty('details');
    expect(res.raw).not.toContain(SECRET);
  });
});

describe('the error envelope', () => {
  useMockedDynamo();

  it('is JSON {error, message, details?} and never cached', async () => {
    const res = await call(sessions, { routeKey: 'POST /api/sessions', body: { durationMinutes: 'long' }, token: OPERATOR_KEY });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body).sort()).toEqual(['details', 'error', 'message']);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('answers a route the handler does not serve with 404 NOT_FOUND', async () => {
    const res = await call(code, { routeKey: 'DELETE /api/sessions/{sessionId}/code', sessionId: SESSION_ID, token: INTERVIEWER_TOKEN });
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('NOT_FOUND');
  });

  it('refuses a body over the HTTP body limit with 413 PAYLOAD_TOO_LARGE before reading anything', async () => {
    const res = await call(code, {
      routeKey: 'PUT /api/sessions/{sessionId}/code',
      sessionId: SESSION_ID,
      token: INTERVIEWER_TOKEN,
      body: { code: 'x'.repeat(LIMITS.httpBodyMaxBytes) },
    });
    expect(res.status).toBe(413);
    expect(res.body.error).toBe('PAYLOAD_TOO_LARGE');
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('validation details say what is wrong', () => {
  useMockedDynamo();

  it('names the limit, the expected type and the unknown field; a query string problem is (query)', async () => {
    const created = await call(sessions, {
      routeKey: 'POST /api/sessions',
      token: OPERATOR_KEY,
      body: { title: 'x'.repeat(LIMITS.session.titleMaxLength + 1), durationMinutes: 'soon', extra: true },
    });
    expect(created.status).toBe(400);
    expect(created.body.details).toEqual([
      { field: 'title', message: `at most ${LIMITS.session.titleMaxLength} characters` },
      { field: 'durationMinutes', message: 'expected number' },
      { field: '(body)', message: 'unknown field: extra' },
    ]);
    givenSession();
    const read = await call(code, { routeKey: 'GET /api/sessions/{sessionId}/code', sessionId: SESSION_ID, token: INTERVIEWER_TOKEN, query: { format: 'xml', foo: '1' } });
    expect(read.status).toBe(400);
    expect(read.body.details).toEqual([
      { field: 'format', message: expect.stringMatching(/^expected one of .*"yjs"/) },
      { field: '(query)', message: 'unknown field: foo' },
    ]);
  });
});
