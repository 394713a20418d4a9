/**
 * The question bank and a session's question (docs/protocol.md §8) through the HTTP handlers, on an in-memory table
 * behind the mocked SDK: CRUD, validation details, per-test items under DynamoDB's 400 KB, the role
 * matrix of every route, per-role question-updated, and starter code placement.
 */
import { call as callHandler, apiKeyItem, connectionItem, httpEvent, mgmt, OPERATOR_KEY, pushedTo, sent, useMockedDynamo, type HttpEventInput, type HttpHandler, type Item } from '../fixtures.js';
import { BatchWriteCommand, DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler as questions } from '../../../functions/http/questions.js';
import { handler as sessions } from '../../../functions/http/sessions.js';
import { LANGUAGES } from '#contract/languages.js';
import { MemoryTable } from '../memory-table.js';

useMockedDynamo();

/** `call` with any path parameter (the fixture builds sessionId, snapshotId and executionId only). */
async function call(handler: HttpHandler, input: HttpEventInput & { pathParameters?: Record<string, string> }) {
  if (!input.pathParameters) return callHandler(handler, input);
  const event = httpEvent(input);
  event.pathParameters = { ...event.pathParameters, ...input.pathParameters };
  const result = await handler(event);
  const raw = result.body ?? '';
  return { status: result.statusCode, headers: result.headers ?? {}, raw, body: raw ? JSON.parse(raw) : undefined };
}
let table: MemoryTable;
beforeEach(() => {
  table = new MemoryTable();
  table.set(apiKeyItem());
  mgmt.onAnyCommand().resolves({});
});

const HIDDEN_STDIN = 'hidden-stdin-7f3a9c';
const HIDDEN_EXPECTED = 'hidden-expected-51be02';
const question = {
  title: 'Sum',
  prompt: 'Print the **sum**.',
  starterCode: { python: '# sum two numbers\n', go: 'package main\n// sum\n' },
  tests: [
    { name: 'visible', stdin: '1 2\n', expectedStdout: '3\n', hidden: false },
    { name: 'secret', stdin: HIDDEN_STDIN, expectedStdout: HIDDEN_EXPECTED, hidden: true },
  ],
};

const asOperator = (routeKey: string, rest: Record<string, unknown> = {}) => call(questions, { routeKey, token: OPERATOR_KEY, ...rest });

async function newSession(body: Record<string, unknown> = { language: 'python' }) {
  const res = await call(sessions, { routeKey: 'POST /api/sessions', token: OPERATOR_KEY, body });
  expect(res.status).toBe(201);
  return res.body as { sessionId: string; interviewerToken: string; candidateToken: string };
}

const code = async (s: { sessionId: string; interviewerToken: string }) => {
  const { handler } = await import('../../../functions/http/code.js');
  return (await call(handler, { routeKey: 'GET /api/sessions/{sessionId}/code', sessionId: s.sessionId, token: s.interviewerToken })).body.code as string;
};

function joined(sessionId: string, connectionId: string, role: string): Item {
  return connectionItem(connectionId, { PK: `S#${sessionId}`, sessionId, role, joined: true, userId: `u-${connectionId}`, username: connectionId, format: 'text' });
}

describe('question bank', () => {
  it('POST stores a head and one item per test and per starter program, each under 400 KB', async () => {
    const big = { ...question, tests: Array.from({ length: 30 }, (_, i) => ({ name: `t${i}`, stdin: 'i'.repeat(64 * 1024), expectedStdout: 'o'.repeat(64 * 1024), hidden: i > 0 })) };
    const res = await asOperator('POST /api/questions', { body: big });
    expect(res.status).toBe(201);
    const { questionId } = res.body;
    const items = table.list('QB#key:acme-hiring');
    expect(items.filter((i) => String(i.SK).includes('#T#'))).toHaveLength(30);
    expect(items.filter((i) => String(i.SK).includes('#C#'))).toHaveLength(2);
    for (const item of items) expect(Buffer.byteLength(JSON.stringify(item))).toBeLessThan(400 * 1000);
    expect((await asOperator('GET /api/questions/{questionId}', { pathParameters: { questionId } })).body.tests).toEqual(big.tests);
  });

  it('lists summaries newest first in pages, replaces (dropping the old parts) and deletes (204)', async () => {
    const ids: string[] = [];
    for (const title of ['one', 'two', 'three']) ids.push((await asOperator('POST /api/questions', { body: { ...question, title } })).body.questionId);
    const first = await asOperator('GET /api/questions', { query: { limit: '2' } });
    expect(first.body.questions.map((q: { title: string }) => q.title)).toEqual(['three', 'two']);
    expect(first.body.questions[0]).toEqual({ questionId: ids[2], title: 'three', updatedAt: expect.any(String), testCount: 2 });
    const second = await asOperator('GET /api/questions', { query: { limit: '2', cursor: first.body.nextCursor } });
    expect(second.body).toEqual({ questions: [expect.objectContaining({ title: 'one' })], nextCursor: null });
    expect((await asOperator('GET /api/questions', { query: { cursor: 'bm90LWEtY3Vyc29y' } })).body.error).toBe('VALIDATION_ERROR');

    const partsBefore = table.list('QB#key:acme-hiring', `QP#${ids[0]}#`).length;
    const replaced = await asOperator('PUT /api/questions/{questionId}', { pathParameters: { questionId: ids[0] }, body: { title: 'one v2', prompt: 'p', tests: [] } });
    expect(replaced).toMatchObject({ status: 200, body: { questionId: ids[0], title: 'one v2', tests: [], starterCode: {} } });
    expect(partsBefore).toBe(4);
    expect(table.list('QB#key:acme-hiring', `QP#${ids[0]}#`)).toEqual([]);

    const deleted = await asOperator('DELETE /api/questions/{questionId}', { pathParameters: { questionId: ids[1] } });
    expect(deleted.status).toBe(204);
    expect(deleted.raw).toBe('');
    expect(table.list('QB#key:acme-hiring', `QP#${ids[1]}#`)).toEqual([]);
    expect((await asOperator('GET /api/questions/{questionId}', { pathParameters: { questionId: ids[1] } })).body.error).toBe('NOT_FOUND');
    expect((await asOperator('DELETE /api/questions/{questionId}', { pathParameters: { questionId: ids[1] } })).status).toBe(404);
    expect((await asOperator('GET /api/questions/{questionId}', { pathParameters: { questionId: 'not-an-id' } })).status).toBe(404);
  });

  describe('a write whose first answer was lost (the SDK retried it) succeeds once and leaves no stray parts', () => {
    const create = async () => (await asOperator('POST /api/questions', { body: question })).body as { questionId: string; createdAt: string };
    const get = (questionId: string) => asOperator('GET /api/questions/{questionId}', { pathParameters: { questionId } });

    it('POST: the retry finds the head it wrote', async () => {
      table.loseNextAnswer(PutCommand);
      const created = await asOperator('POST /api/questions', { body: question });
      expect(created.status).toBe(201);
      expect((await get(created.body.questionId)).body).toMatchObject({ title: 'Sum', tests: question.tests });
    });

    it('PUT: the retried swap finds its own head, neither swaps again (deleting the new parts) nor keeps the old ones', async () => {
      const { questionId, createdAt } = await create();
      table.loseNextAnswer(UpdateCommand);
      const replaced = await asOperator('PUT /api/questions/{questionId}', { pathParameters: { questionId }, body: { ...question, title: 'Sum v2', tests: [question.tests[0]!] } });
      expect(replaced).toMatchObject({ status: 200, body: { title: 'Sum v2', createdAt } });
      expect((await get(questionId)).body).toMatchObject({ title: 'Sum v2', tests: [question.tests[0]] });
      const contentId = table.get('QB#key:acme-hiring', `Q#${questionId}`)!.contentId;
      const parts = table.list('QB#key:acme-hiring', `QP#${questionId}#`);
      expect(parts.map((p) => String(p.SK).split('#')[2])).toEqual([contentId, contentId, contentId]); // one test, two starter programs
    });

    it('DELETE: the retry finds no head, answers 204 and removes the parts', async () => {
      const { questionId } = await create();
      table.loseNextAnswer(DeleteCommand);
      expect((await asOperator('DELETE /api/questions/{questionId}', { pathParameters: { questionId } })).status).toBe(204);
      expect(table.list('QB#key:acme-hiring', `QP#${questionId}#`)).toEqual([]);
      expect((await get(questionId)).status).toBe(404);
    });
  });

  it('answers every §8 limit with VALIDATION_ERROR naming the field, and writes nothing', async () => {
    const t = (o: object = {}) => ({ name: 'a', stdin: '', expectedStdout: '', hidden: false, ...o });
    const cases: [object, string][] = [
      [{ ...question, title: '' }, 'title'],
      [{ ...question, title: 'x'.repeat(201) }, 'title'],
      [{ ...question, prompt: 'x'.repeat(20 * 1024 + 1) }, 'prompt'],
      [{ ...question, starterCode: { brainfuck: '+' } }, 'starterCode'],
      [{ ...question, starterCode: { python: 'x'.repeat(100 * 1024 + 1) } }, 'starterCode.python'],
      [{ ...question, tests: Array.from({ length: 51 }, (_, i) => t({ name: `t${i}` })) }, 'tests'],
      [{ ...question, tests: [t({ stdin: '€'.repeat(22 * 1024) })] }, 'tests.0.stdin'],
      [{ ...question, tests: [t({ expectedStdout: 'x'.repeat(64 * 1024 + 1) })] }, 'tests.0.expectedStdout'],
      [{ ...question, tests: [t(), t()] }, 'tests.1.name'],
      [{ ...question, tests: [t({ name: '' })] }, 'tests.0.name'],
      [{ ...question, extra: 1 }, '(body)'],
    ];
    const before = sent(BatchWriteCommand).length;
    for (const [body, field] of cases) {
      const res = await asOperator('POST /api/questions', { body });
      expect(res.status, field).toBe(400);
      expect(res.body.error).toBe('VALIDATION_ERROR');
      expect(res.body.details.map((d: { field: string }) => d.field), field).toContain(field);
    }
    expect(sent(BatchWriteCommand).length).toBe(before);
  });

  it('bounds a whole question by what one Lambda payload carries: PAYLOAD_TOO_LARGE past it', async () => {
    const tests = Array.from({ length: 50 }, (_, i) => ({ name: `t${i}`, stdin: '"'.repeat(64 * 1024), expectedStdout: '', hidden: false }));
    const res = await asOperator('POST /api/questions', { body: { ...question, tests } });
    expect(res).toMatchObject({ status: 413, body: { error: 'PAYLOAD_TOO_LARGE' } });
  });
});

describe('role matrix', () => {
  it('bank routes: operator only (a session token or a wrong key is 401)', async () => {
    const s = await newSession();
    const { questionId } = (await asOperator('POST /api/questions', { body: question })).body;
    const routes: [string, object][] = [
      ['POST /api/questions', { body: question }],
      ['GET /api/questions', {}],
      ['GET /api/questions/{questionId}', { pathParameters: { questionId } }],
      ['PUT /api/questions/{questionId}', { pathParameters: { questionId }, body: question }],
      ['DELETE /api/questions/{questionId}', { pathParameters: { questionId } }],
    ];
    for (const [routeKey, rest] of routes) {
      for (const token of [s.interviewerToken, s.candidateToken, 'ik_wrong', undefined]) {
        const res = await call(questions, { routeKey, ...(token ? { token } : {}), ...rest });
        expect(res, `${routeKey} ${token}`).toMatchObject({ status: 401, body: { error: 'UNAUTHORIZED' } });
      }
    }
  });

  it('session question: PUT interviewer only, GET both roles; operator keys and bad tokens are 401', async () => {
    const s = await newSession();
    const put = (token?: string) => call(questions, { routeKey: 'PUT /api/sessions/{sessionId}/question', sessionId: s.sessionId, ...(token ? { token } : {}), body: question });
    const get = (token?: string) => call(questions, { routeKey: 'GET /api/sessions/{sessionId}/question', sessionId: s.sessionId, ...(token ? { token } : {}) });
    expect((await get(s.candidateToken)).body.error).toBe('NOT_FOUND');
    expect(await put(s.candidateToken)).toMatchObject({ status: 403, body: { error: 'FORBIDDEN' } });
    for (const token of [OPERATOR_KEY, 'wrong', undefined]) {
      expect((await put(token)).status).toBe(401);
      expect((await get(token)).status).toBe(401);
    }
    expect((await put(s.interviewerToken)).status).toBe(200);
    expect((await get(s.candidateToken)).status).toBe(200);
    expect((await get(s.interviewerToken)).status).toBe(200);
  });
});

describe("a session's question", () => {
  it('the candidate sees hidden tests by name only, over HTTP and in question-updated; the interviewer sees everything', async () => {
    const s = await newSession();
    for (const c of [joined(s.sessionId, 'c-int', 'interviewer'), joined(s.sessionId, 'c-cand', 'candidate')]) table.set(c);
    const put = await call(questions, { routeKey: 'PUT /api/sessions/{sessionId}/question', sessionId: s.sessionId, token: s.interviewerToken, body: question });
    expect(put.body).toMatchObject({ revision: 1, tests: question.tests });

    const toCandidate = pushedTo('c-cand').filter((m) => m.type === 'question-updated');
    expect(toCandidate).toEqual([{ type: 'question-updated', question: expect.objectContaining({ tests: [question.tests[0], { name: 'secret', hidden: true }] }) }]);
    expect(pushedTo('c-int').find((m) => m.type === 'question-updated').question.tests).toEqual(question.tests);
    const get = await call(questions, { routeKey: 'GET /api/sessions/{sessionId}/question', sessionId: s.sessionId, token: s.candidateToken });
    expect(get.body.tests).toEqual([question.tests[0], { name: 'secret', hidden: true }]);
    const candidateBytes = JSON.stringify(pushedTo('c-cand')) + get.raw;
    expect(candidateBytes).not.toContain(HIDDEN_STDIN);
    expect(candidateBytes).not.toContain(HIDDEN_EXPECTED);
  });

  it('a question too large for one message is announced by its digest and where to fetch it', async () => {
    const s = await newSession();
    table.set(joined(s.sessionId, 'c-cand', 'candidate'));
    const starterCode = { python: 'x'.repeat(90 * 1024), java: 'y'.repeat(90 * 1024) };
    await call(questions, { routeKey: 'PUT /api/sessions/{sessionId}/question', sessionId: s.sessionId, token: s.interviewerToken, body: { ...question, starterCode } });
    const [message] = pushedTo('c-cand').filter((m) => m.type === 'question-updated');
    expect(message).toEqual({
      type: 'question-updated',
      truncated: true,
      questionUrl: `/api/sessions/${s.sessionId}/question`,
      question: expect.objectContaining({ revision: 1, title: 'Sum', tests: [{ name: 'visible', hidden: false }, { name: 'secret', hidden: true }] }),
    });
  });

  it('each PUT stores a new immutable revision; the previous one stays readable for runs queued with it', async () => {
    const s = await newSession();
    const put = (title: string) => call(questions, { routeKey: 'PUT /api/sessions/{sessionId}/question', sessionId: s.sessionId, token: s.interviewerToken, body: { ...question, title } });
    expect((await put('first')).body.revision).toBe(1);
    expect((await put('second')).body.revision).toBe(2);
    const { loadSessionTests } = await import('#aws/store/questions.js');
    expect(await loadSessionTests(s.sessionId, 1)).toEqual(question.tests);
    expect(table.get(`S#${s.sessionId}`, 'META')!.questionRevision).toBe(2);
  });

  it('from the bank: the session creator\'s bank only; a new session starts with the starter code', async () => {
    const { questionId } = (await asOperator('POST /api/questions', { body: question })).body;
    const s = await newSession({ language: 'go', questionId });
    expect(await code(s)).toBe(question.starterCode.go);
    const other = await newSession();
    table.items.delete(`S#${other.sessionId}\u0000META`);
    table.set({ ...(await import('../fixtures.js')).sessionItem({ sessionId: other.sessionId, createdBy: 'key:someone-else' }) });
    const res = await call(questions, { routeKey: 'PUT /api/sessions/{sessionId}/question', sessionId: other.sessionId, token: (await import('../fixtures.js')).INTERVIEWER_TOKEN, body: { questionId } });
    expect(res).toMatchObject({ status: 404, body: { error: 'NOT_FOUND' } });
    expect((await call(sessions, { routeKey: 'POST /api/sessions', token: OPERATOR_KEY, body: { questionId: '01ARZ3NDEKTSV4RRFFQ69G5FAV' } })).status).toBe(404);
  });
});

describe('starter code', () => {
  it('replaces the untouched template when a question arrives, and follows a language change', async () => {
    const s = await newSession({ language: 'python' });
    expect(await code(s)).toBe(LANGUAGES.python.template);
    await call(questions, { routeKey: 'PUT /api/sessions/{sessionId}/question', sessionId: s.sessionId, token: s.interviewerToken, body: question });
    expect(await code(s)).toBe(question.starterCode.python);
    await call(sessions, { routeKey: 'PATCH /api/sessions/{sessionId}', sessionId: s.sessionId, token: s.candidateToken, body: { language: 'go' } });
    expect(await code(s)).toBe(question.starterCode.go);
    // No starter code for rust in the question: the language's own template.
    await call(sessions, { routeKey: 'PATCH /api/sessions/{sessionId}', sessionId: s.sessionId, token: s.candidateToken, body: { language: 'rust' } });
    expect(await code(s)).toBe(LANGUAGES.rust.template);
  });

  it('a restore that switches language onto an empty snapshot gets that language\'s starter code', async () => {
    const s = await newSession({ language: 'python' });
    const { handler: codeHandler } = await import('../../../functions/http/code.js');
    const { handler: snapshots } = await import('../../../functions/http/snapshots.js');
    await call(questions, { routeKey: 'PUT /api/sessions/{sessionId}/question', sessionId: s.sessionId, token: s.interviewerToken, body: question });
    await call(codeHandler, { routeKey: 'PUT /api/sessions/{sessionId}/code', sessionId: s.sessionId, token: s.interviewerToken, body: { code: '' } });
    const snap = await call(snapshots, { routeKey: 'POST /api/sessions/{sessionId}/snapshots', sessionId: s.sessionId, token: s.interviewerToken, body: { label: 'empty' } });
    await call(sessions, { routeKey: 'PATCH /api/sessions/{sessionId}', sessionId: s.sessionId, token: s.interviewerToken, body: { language: 'go' } });
    expect(await code(s)).toBe(question.starterCode.go);
    const restored = await call(snapshots, { routeKey: 'POST /api/sessions/{sessionId}/snapshots/{snapshotId}/restore', sessionId: s.sessionId, snapshotId: snap.body.snapshotId, token: s.interviewerToken });
    expect(restored.status).toBe(200);
    expect(await code(s)).toBe(question.starterCode.python);
  });

  it("a new question replaces the old question's untouched starter code", async () => {
    const s = await newSession({ language: 'python' });
    const put = (body: object) => call(questions, { routeKey: 'PUT /api/sessions/{sessionId}/question', sessionId: s.sessionId, token: s.interviewerToken, body });
    await put(question);
    expect(await code(s)).toBe(question.starterCode.python);
    await put({ ...question, title: 'Product', starterCode: { python: '# multiply\n' } });
    expect(await code(s)).toBe('# multiply\n');
  });

  it('never touches a document someone wrote in', async () => {
    const s = await newSession({ language: 'python' });
    const { handler } = await import('../../../functions/http/code.js');
    await call(handler, { routeKey: 'PUT /api/sessions/{sessionId}/code', sessionId: s.sessionId, token: s.candidateToken, body: { code: 'print("mine")\n' } });
    await call(questions, { routeKey: 'PUT /api/sessions/{sessionId}/question', sessionId: s.sessionId, token: s.interviewerToken, body: question });
    await call(sessions, { routeKey: 'PATCH /api/sessions/{sessionId}', sessionId: s.sessionId, token: s.candidateToken, body: { language: 'go' } });
    expect(await code(s)).toBe('print("mine")\n');
  });
});
