/**
 * Questions (docs/protocol.md §8) against the local stack: the operator's bank (CRUD, validation, one operator's
 * questions only, a question far past DynamoDB's 400 KB item limit), a session's question per role —
 * a hidden test's stdin and expected output are searched for in every raw frame a candidate receives,
 * including one who joins late — and starter code placement on question and language changes.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { socketUrl, WsClient, type SessionAccess } from './clients.js';
import { call, createSession, fileOperatorKey, newOperatorKey, operatorHeaders } from './http.js';

const wsUrl = inject('wsUrl');
const httpUrl = inject('httpUrl');

const secret = (label: string) => `${label}-${randomBytes(8).toString('hex')}`;

function questionWithHiddenTest() {
  const hiddenStdin = secret('HIDDEN-STDIN');
  const hiddenExpected = secret('HIDDEN-EXPECTED');
  return {
    hiddenStdin,
    hiddenExpected,
    body: {
      title: 'Sum two numbers',
      prompt: 'Read two integers, print their **sum**.',
      starterCode: { python: 'import sys\n# read two numbers and print their sum\n', java: 'public class Main {\n  // sum\n}\n' },
      tests: [
        { name: 'small', stdin: '1 2\n', expectedStdout: '3\n', hidden: false },
        { name: 'secret', stdin: hiddenStdin, expectedStdout: hiddenExpected, hidden: true },
      ],
    },
  };
}

async function bank(method: string, path: string, body?: unknown, key?: string) {
  return call(method, `/api/questions${path}`, { headers: operatorHeaders(key ?? (await fileOperatorKey())), ...(body !== undefined ? { body } : {}) });
}

/** A socket that keeps every raw frame, to search the bytes a client actually received. */
async function rawSocket(access: SessionAccess, username: string) {
  const client = await WsClient.connect(socketUrl(access));
  const frames: string[] = [];
  client.ws.on('message', (data) => frames.push(data.toString()));
  client.send({ action: 'join-session', username });
  const joined = await client.take('session-joined');
  return { client, frames, joined };
}

const sessionAccess = (s: { sessionId: string }, token: string): SessionAccess => ({ httpUrl, wsUrl, sessionId: s.sessionId, token });

describe('question bank', () => {
  it('creates, lists, reads, replaces and deletes a question; another operator sees none of it', async () => {
    const { body } = questionWithHiddenTest();
    const created = await bank('POST', '', body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ questionId: expect.stringMatching(/^[0-9A-Z]{26}$/), title: body.title, tests: body.tests, starterCode: body.starterCode });
    const id = created.body.questionId;

    const listed = await bank('GET', '?limit=100');
    expect(listed.status).toBe(200);
    expect(listed.body.questions).toContainEqual({ questionId: id, title: body.title, updatedAt: created.body.updatedAt, testCount: 2 });

    expect((await bank('GET', `/${id}`)).body).toEqual(created.body);
    const replaced = await bank('PUT', `/${id}`, { ...body, title: 'Sum, revised', tests: [body.tests[0]] });
    expect(replaced).toMatchObject({ status: 200, body: { questionId: id, title: 'Sum, revised', tests: [body.tests[0]], createdAt: created.body.createdAt } });
    expect((await bank('GET', `/${id}`)).body.tests).toHaveLength(1);

    const other = await newOperatorKey();
    expect((await bank('GET', `/${id}`, undefined, other.key)).status).toBe(404);
    expect((await bank('PUT', `/${id}`, body, other.key)).status).toBe(404);
    expect((await bank('DELETE', `/${id}`, undefined, other.key)).status).toBe(404);
    expect((await bank('GET', '', undefined, other.key)).body.questions).toEqual([]);

    const deleted = await bank('DELETE', `/${id}`);
    expect(deleted.status).toBe(204);
    expect(await bank('GET', `/${id}`)).toMatchObject({ status: 404, body: { error: 'NOT_FOUND' } });
  });

  it('refuses callers without an operator credential, a session token included', async () => {
    const session = await createSession({});
    for (const token of [undefined, 'nope', session.interviewerToken]) {
      const res = await call('GET', '/api/questions', token ? { token } : {});
      expect(res).toMatchObject({ status: 401, body: { error: 'UNAUTHORIZED' } });
    }
    expect((await call('POST', '/api/questions', { token: session.interviewerToken, body: { title: 't', prompt: 'p' } })).status).toBe(401);
  });

  it('validates every limit with VALIDATION_ERROR details naming the field', async () => {
    const ok = { title: 'T', prompt: 'P' };
    const test = (stdin: string, expectedStdout = 'x') => ({ name: 't', stdin, expectedStdout, hidden: false });
    const cases: [unknown, string][] = [
      [{ ...ok, title: 'x'.repeat(201) }, 'title'],
      [{ ...ok, prompt: 'é'.repeat(10 * 1024 + 1) }, 'prompt'],
      [{ ...ok, starterCode: { cobol: 'x' } }, 'starterCode'],
      [{ ...ok, starterCode: { python: 'x'.repeat(100 * 1024 + 1) } }, 'starterCode.python'],
      [{ ...ok, tests: Array.from({ length: 51 }, (_, i) => ({ ...test('1'), name: `t${i}` })) }, 'tests'],
      [{ ...ok, tests: [test('x'.repeat(64 * 1024 + 1))] }, 'tests.0.stdin'],
      [{ ...ok, tests: [test('1', 'x'.repeat(64 * 1024 + 1))] }, 'tests.0.expectedStdout'],
      [{ ...ok, tests: [test('1'), test('2')] }, 'tests.1.name'],
      [{ prompt: 'P' }, 'title'],
    ];
    for (const [body, field] of cases) {
      const res = await bank('POST', '', body);
      expect(res.status, field).toBe(400);
      expect(res.body.error).toBe('VALIDATION_ERROR');
      expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
    }
  });

  it('stores a question far beyond one item: 30 tests of 100 KiB come back whole and in order', async () => {
    const tests = Array.from({ length: 30 }, (_, i) => ({
      name: `big-${i}`,
      stdin: `${i}:`.padEnd(50 * 1024, 'i'),
      expectedStdout: `${i}:`.padEnd(50 * 1024, 'o'),
      hidden: i % 2 === 0,
    }));
    const created = await bank('POST', '', { title: 'Big', prompt: 'Large tests', tests });
    expect(created.status).toBe(201);
    const read = await bank('GET', `/${created.body.questionId}`);
    expect(read.body.tests).toEqual(tests);
  }, 120_000);
});

describe("a session's question", () => {
  it('per role over HTTP, in question-updated and for a late joiner: a candidate never receives hidden test data', async () => {
    const q = questionWithHiddenTest();
    const session = await createSession({ language: 'python' });
    const interviewer = await rawSocket(sessionAccess(session, session.interviewerToken), 'ivy');
    const candidate = await rawSocket(sessionAccess(session, session.candidateToken), 'cody');

    expect((await call('GET', `/api/sessions/${session.sessionId}/question`, { token: session.candidateToken })).status).toBe(404);
    const set = await call('PUT', `/api/sessions/${session.sessionId}/question`, { token: session.interviewerToken, body: q.body });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ revision: 1, title: q.body.title, tests: q.body.tests });

    const forInterviewer = await interviewer.client.take('question-updated');
    expect(forInterviewer.question.tests[1]).toEqual(q.body.tests[1]);
    const forCandidate = await candidate.client.take('question-updated');
    expect(forCandidate.question.tests).toEqual([q.body.tests[0], { name: 'secret', hidden: true }]);

    const asCandidate = await call('GET', `/api/sessions/${session.sessionId}/question`, { token: session.candidateToken });
    expect(asCandidate.body.tests).toEqual([q.body.tests[0], { name: 'secret', hidden: true }]);
    const asInterviewer = await call('GET', `/api/sessions/${session.sessionId}/question`, { token: session.interviewerToken });
    expect(asInterviewer.body.tests[1]).toEqual(q.body.tests[1]);

    // A candidate may not set one; the refusal says nothing about the body it was sent.
    const refused = await call('PUT', `/api/sessions/${session.sessionId}/question`, { token: session.candidateToken, body: q.body });
    expect(refused).toMatchObject({ status: 403, body: { error: 'FORBIDDEN' } });

    const late = await rawSocket(sessionAccess(session, session.candidateToken), 'late-cody');
    const lateHttp = await call('GET', `/api/sessions/${session.sessionId}/question`, { token: session.candidateToken });
    // A refused mode:"tests" without stdin, and a run with it: errors never echo test data either.
    late.client.send({ action: 'run-code', mode: 'tests', stdin: 'x' });
    await late.client.take('error');

    const candidateBytes = [...candidate.frames, ...late.frames, JSON.stringify(asCandidate.body), JSON.stringify(lateHttp.body), JSON.stringify(refused.body)].join('\n');
    for (const hidden of [q.hiddenStdin, q.hiddenExpected]) {
      expect(candidateBytes).not.toContain(hidden);
      expect(interviewer.frames.join('\n')).toContain(hidden);
    }
    await Promise.all([interviewer.client.close(), candidate.client.close(), late.client.close()]);
  });

  it('from the bank on session creation: the document starts as the starter code of the language', async () => {
    const q = questionWithHiddenTest();
    const created = await bank('POST', '', q.body);
    const session = await createSession({ language: 'python', questionId: created.body.questionId });
    const code = await call('GET', `/api/sessions/${session.sessionId}/code`, { token: session.candidateToken });
    expect(code.body.code).toBe(q.body.starterCode.python);
    const question = await call('GET', `/api/sessions/${session.sessionId}/question`, { token: session.interviewerToken });
    expect(question.body).toMatchObject({ questionId: created.body.questionId, revision: 1, title: q.body.title });

    const unknown = await call('POST', '/api/sessions', { headers: operatorHeaders(await fileOperatorKey()), body: { questionId: '01ARZ3NDEKTSV4RRFFQ69G5FAV' } });
    expect(unknown).toMatchObject({ status: 404, body: { error: 'NOT_FOUND' } });
  });

  it('starter code replaces an untouched document on a question and on a language change, never an edited one', async () => {
    const q = questionWithHiddenTest();
    const session = await createSession({ language: 'python' });
    const path = `/api/sessions/${session.sessionId}`;
    const token = session.interviewerToken;
    await call('PUT', `${path}/question`, { token, body: q.body });
    expect((await call('GET', `${path}/code`, { token })).body.code).toBe(q.body.starterCode.python);

    const candidate = await rawSocket(sessionAccess(session, session.candidateToken), 'cody');
    candidate.client.send({ action: 'language-change', language: 'java' });
    await candidate.client.take('language-update');
    await expect.poll(async () => (await call('GET', `${path}/code`, { token })).body.code).toBe(q.body.starterCode.java);

    // No starter code for go in the question: the language's own template, as a new session gets.
    expect((await call('PATCH', path, { token, body: { language: 'go' } })).status).toBe(200);
    const goTemplate = (await call('GET', `${path}/code`, { token })).body.code;
    expect(goTemplate).toContain('package main');

    const edited = 'package main\n\nfunc main() { println("mine") }\n';
    await call('PUT', `${path}/code`, { token, body: { code: edited } });
    expect((await call('PATCH', path, { token, body: { language: 'python' } })).status).toBe(200);
    await call('PUT', `${path}/question`, { token, body: { ...q.body, title: 'Another' } });
    expect((await call('GET', `${path}/code`, { token })).body.code).toBe(edited);
    await candidate.client.close();
  });
});
