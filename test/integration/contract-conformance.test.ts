/**
 * The published contract matches the product: a session's whole life over real HTTP and WebSocket
 * against the local stack, every HTTP answer parsed with the schema docs/openapi.json was generated
 * from (the route's success schema, or the error body), and every WebSocket frame either client received
 * parsed with its server message schema (docs/websocket.md). A field renamed or dropped in a handler, or
 * a message type nobody documented, fails here.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import * as z from 'zod/mini';
import { HTTP_DOCS } from '../../docs/generate/http-docs.js';
import { HTTP_FUNCTIONS } from '#contract/routes.js';
import { errorResponse } from '#contract/responses.js';
import { parseServerMessage, SERVER_MESSAGES } from '#contract/server-messages.js';
import { api, eventually, WsClient, type CreatedSession } from './clients.js';
import { fileOperatorKey, operatorHeaders } from './http.js';

const httpUrl = inject('httpUrl');
const wsUrl = inject('wsUrl');
/**
 * Fields the product sends that the schema does not name (objects and arrays, recursively): the schemas
 * accept unknown fields, as clients must, so a new field would otherwise go undocumented silently.
 */
function undocumented(schema: z.ZodMiniType, value: unknown, path = ''): string[] {
  const def = (schema as unknown as { _zod: { def: { type: string; shape?: Record<string, z.ZodMiniType>; element?: z.ZodMiniType; innerType?: z.ZodMiniType } } })._zod.def;
  if ((def.type === 'optional' || def.type === 'nullable' || def.type === 'default') && def.innerType) return undocumented(def.innerType, value, path);
  if (def.type === 'array' && def.element && Array.isArray(value)) return value.flatMap((v, i) => undocumented(def.element!, v, `${path}[${i}]`));
  if (def.type !== 'object' || !def.shape || typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, v]) => (def.shape![key] ? undocumented(def.shape![key]!, v, `${path}.${key}`) : [`${path}.${key}`]));
}

/** Route keys this test exercised, with the statuses seen. */
const seen = new Map<string, Set<number>>();

/** One request; its answer must parse with the route's documented success schema or the error body. */
async function call(method: string, template: string, params: Record<string, string>, token?: string, body?: unknown) {
  const routeKey = `${method} ${template}`;
  const doc = HTTP_DOCS[routeKey];
  expect(doc, `${routeKey} is described in docs/generate/http-docs.ts`).toBeDefined();
  const path = template.replace(/\{(\w+)\}/g, (_m, name: string) => params[name]!);
  const res = await api(httpUrl, method, path, token, body);
  if (res.status === doc!.success.status) {
    if (doc!.success.schema) {
      z.parse(doc!.success.schema.schema, res.body);
      expect(undocumented(doc!.success.schema.schema, res.body).join(' '), `${routeKey}: fields missing from shared/contract/responses.ts`).toBe('');
    }
  } else {
    z.parse(errorResponse, res.body);
  }
  (seen.get(routeKey) ?? seen.set(routeKey, new Set()).get(routeKey)!).add(res.status);
  return res;
}

describe('the contract documents describe what the local stack answers', () => {
  let session: CreatedSession;
  let ids: Record<string, string>;
  let interviewer: WsClient;
  let candidate: WsClient;

  beforeAll(async () => {
    const created = await call('POST', '/api/sessions', {}, await fileOperatorKey(), { title: 'Contract', language: 'python' });
    expect(created.status).toBe(201);
    session = created.body as CreatedSession;
    ids = { sessionId: session.sessionId };
    interviewer = await WsClient.connect(`${wsUrl}?sessionId=${session.sessionId}&token=${session.interviewerToken}`);
    candidate = await WsClient.connect(`${wsUrl}?sessionId=${session.sessionId}&token=${session.candidateToken}`);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([interviewer?.close(), candidate?.close()]);
  });

  it('HTTP: every answer of a session from creation to its end', async () => {
    const I = session.interviewerToken;
    const C = session.candidateToken;
    expect((await call('GET', '/api/health', ids)).status).toBe(200);
    expect((await call('GET', '/api/languages', ids)).status).toBe(200);
    const unauthorized = await call('GET', '/api/sessions', ids);
    expect(unauthorized.status).toBe(401);
    const listed = await fetch(`${httpUrl}/api/sessions?limit=5`, { headers: operatorHeaders(await fileOperatorKey()) });
    z.parse(HTTP_DOCS['GET /api/sessions']!.success.schema!.schema, await listed.json());

    expect((await call('GET', '/api/sessions/{sessionId}', ids, C)).status).toBe(200);
    expect((await call('PATCH', '/api/sessions/{sessionId}', ids, I, { title: 'Contract, retitled' })).status).toBe(200);
    const code = await call('GET', '/api/sessions/{sessionId}/code', ids, C);
    expect(code.status).toBe(200);
    const put = await call('PUT', '/api/sessions/{sessionId}/code', ids, C, { code: 'print(input())\n', baseVersion: code.body.version });
    expect(put.status).toBe(200);
    expect((await call('PUT', '/api/sessions/{sessionId}/code', ids, C, { code: 'stale', baseVersion: code.body.version })).status).toBe(409);

    const snapshot = await call('POST', '/api/sessions/{sessionId}/snapshots', ids, C, { label: 'first' });
    expect(snapshot.status).toBe(201);
    ids.snapshotId = snapshot.body.snapshotId;
    expect((await call('GET', '/api/sessions/{sessionId}/snapshots', ids, C)).status).toBe(200);
    expect((await call('GET', '/api/sessions/{sessionId}/snapshots/{snapshotId}', ids, C)).status).toBe(200);
    expect((await call('POST', '/api/sessions/{sessionId}/snapshots/{snapshotId}/restore', ids, C)).status).toBe(403);
    expect((await call('POST', '/api/sessions/{sessionId}/snapshots/{snapshotId}/restore', ids, I)).status).toBe(200);
    expect((await call('GET', '/api/sessions/{sessionId}/participants', ids, C)).status).toBe(200);
    expect((await call('GET', '/api/sessions/{sessionId}/history', ids, I)).status).toBe(200);

    const run = await call('POST', '/api/sessions/{sessionId}/executions', ids, C, { stdin: 'contract' });
    expect(run.status).toBe(202);
    ids.executionId = run.body.executionId;
    const finished = await eventually(async () => {
      const res = await call('GET', '/api/sessions/{sessionId}/executions/{executionId}', ids, C);
      return ['QUEUED', 'RUNNING'].includes(res.body.status) ? undefined : res.body;
    }, 90_000, 'a final status');
    expect(finished.status).toBe('COMPLETED');
    expect((await call('GET', '/api/sessions/{sessionId}/executions', ids, C)).status).toBe(200);

    const notes = await call('GET', '/api/sessions/{sessionId}/notes', ids, I);
    expect(notes.status).toBe(200);
    expect((await call('PUT', '/api/sessions/{sessionId}/notes', ids, I, { notes: 'strong on tests', baseVersion: notes.body.version })).status).toBe(200);
    expect((await call('GET', '/api/sessions/{sessionId}/notes', ids, C)).status).toBe(403);
    const link = await call('POST', '/api/sessions/{sessionId}/review-links', ids, I, { expiresInHours: 2 });
    expect(link.status).toBe(201);
    const R = link.body.reviewToken as string;
    expect((await call('GET', '/api/sessions/{sessionId}', ids, R)).status).toBe(200);
    expect((await call('PUT', '/api/sessions/{sessionId}/code', ids, R, { code: 'no' })).status).toBe(403);
    expect((await call('GET', '/api/sessions/{sessionId}/timeline', ids, R)).status).toBe(200);
    expect((await call('GET', '/api/sessions/{sessionId}/review-links', ids, I)).status).toBe(200);
    expect((await call('DELETE', '/api/sessions/{sessionId}/review-links/{linkId}', { ...ids, linkId: link.body.linkId }, I)).status).toBe(200);
    expect((await call('GET', '/api/sessions/{sessionId}', ids, R)).status).toBe(401);
  }, 120_000);

  it('HTTP: the question bank, a session question with a hidden test, and the controls', async () => {
    const operator = await fileOperatorKey();
    const question = {
      title: 'Echo',
      prompt: 'Print the input.',
      starterCode: { python: 'print(input())\n' },
      tests: [
        { name: 'visible', stdin: 'a', expectedStdout: 'a' },
        { name: 'secret', stdin: 'hidden-input', expectedStdout: 'hidden-input', hidden: true },
      ],
    };
    const created = await call('POST', '/api/questions', {}, operator, question);
    expect(created.status).toBe(201);
    const q = { questionId: created.body.questionId as string };
    expect((await call('GET', '/api/questions', q, operator)).status).toBe(200);
    expect((await call('GET', '/api/questions/{questionId}', q, operator)).status).toBe(200);
    expect((await call('PUT', '/api/questions/{questionId}', q, operator, { ...question, title: 'Echo, again' })).status).toBe(200);
    expect((await call('PUT', '/api/sessions/{sessionId}/question', ids, session.interviewerToken, q)).status).toBe(200);
    const seenByCandidate = await call('GET', '/api/sessions/{sessionId}/question', ids, session.candidateToken);
    expect(seenByCandidate.body.tests[1]).toEqual({ name: 'secret', hidden: true });
    expect((await call('PATCH', '/api/sessions/{sessionId}', ids, session.interviewerToken, { runsDisabled: true })).body.runsDisabled).toBe(true);
    expect((await call('POST', '/api/sessions/{sessionId}/executions', ids, session.candidateToken, {})).body.error).toBe('RUNS_DISABLED');
    expect((await call('PATCH', '/api/sessions/{sessionId}', ids, session.interviewerToken, { runsDisabled: false })).status).toBe(200);
    expect((await call('DELETE', '/api/questions/{questionId}', q, operator)).status).toBe(204);
  }, 60_000);

  it('WebSocket: every frame a text client and a Yjs client receive is a documented server message', async () => {
    interviewer.send({ action: 'join-session', username: 'Interviewer' });
    await interviewer.take('session-joined');
    candidate.send({ action: 'join-session', username: 'Candidate', format: 'yjs', stateVector: 'AA==' });
    const joined = await candidate.take('session-joined');
    await interviewer.take('user-joined');
    interviewer.send({ action: 'cursor-update', position: { lineNumber: 1, column: 2 } });
    await candidate.take('cursor-update');
    interviewer.send({ action: 'code-change', code: 'print("hello")\n', baseVersion: joined.version });
    await interviewer.take('code-ack');
    await candidate.take('yjs-update');
    candidate.send({ action: 'sync', stateVector: 'AA==' });
    await candidate.take('sync-reply');
    interviewer.send({ action: 'code-change', doc: 'notes', code: 'asks good questions' });
    await interviewer.take('code-ack', (m) => m.doc === 'notes');
    candidate.send({ action: 'activity', kind: 'paste', chars: 42 });
    await interviewer.take('activity');
    expect((await call('PATCH', '/api/sessions/{sessionId}', ids, session.interviewerToken, { editingLocked: false })).status).toBe(200);
    await candidate.take('session-updated');
    interviewer.send({ action: 'ping' });
    await interviewer.take('pong');
    interviewer.send({ action: 'no-such-action' });
    await interviewer.take('error');
    candidate.send({ action: 'run-code' });
    await interviewer.take('execution-finished', () => true, 90_000);
    const secret = { name: 'secret', stdin: 'hidden-input', expectedStdout: 'hidden-output', hidden: true };
    const question = { title: 'Echo', prompt: 'Print the input.', tests: [{ name: 'visible', stdin: 'a', expectedStdout: 'a' }, secret] };
    expect((await call('PUT', '/api/sessions/{sessionId}/question', ids, session.interviewerToken, question)).status).toBe(200);
    await candidate.take('question-updated');
    candidate.send({ action: 'run-code', mode: 'tests' });
    await interviewer.take('execution-finished', (m) => Array.isArray(m.tests), 90_000);
    await candidate.take('execution-finished', (m) => Array.isArray(m.tests), 30_000);
    expect(JSON.stringify(candidate.log)).not.toContain(secret.stdin);
    expect(JSON.stringify(candidate.log)).not.toContain('asks good questions');
    expect(JSON.stringify(candidate.log)).not.toContain(secret.expectedStdout);

    const ended = await call('DELETE', '/api/sessions/{sessionId}', ids, session.interviewerToken);
    expect(ended.status).toBe(200);
    await candidate.take('session-ended');

    const frames = [...interviewer.log, ...candidate.log];
    for (const frame of frames) {
      expect(() => parseServerMessage(frame), JSON.stringify(frame).slice(0, 300)).not.toThrow();
      const schema = SERVER_MESSAGES[frame.type as keyof typeof SERVER_MESSAGES];
      expect(undocumented(schema, frame, frame.type).join(' '), 'fields missing from shared/contract/server-messages.ts').toBe('');
    }
    const types = new Set(frames.map((f) => f.type));
    for (const type of ['session-joined', 'user-joined', 'code-ack', 'yjs-update', 'sync-reply', 'cursor-update', 'session-updated', 'activity', 'question-updated', 'execution-test-result', 'execution-queued', 'execution-output', 'execution-finished', 'session-ended', 'pong', 'error']) {
      expect(types, type).toContain(type);
    }
  }, 120_000);

  it('after the end: reads still answer, changes get SESSION_EXPIRED in the error body', async () => {
    expect((await call('GET', '/api/sessions/{sessionId}/code', ids, session.candidateToken)).status).toBe(200);
    expect((await call('PUT', '/api/sessions/{sessionId}/code', ids, session.candidateToken, { code: 'late' })).body.error).toBe('SESSION_EXPIRED');
    // Every route of the route table was exercised.
    expect([...seen.keys()].sort()).toEqual(Object.values(HTTP_FUNCTIONS).flatMap((f) => f.routes as readonly string[]).sort());
  });
});
