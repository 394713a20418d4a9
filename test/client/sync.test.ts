/** The client library against the local stack: joining, editing together, presence and awareness. */
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Connection } from '../../client/src/index.js';
import { api, codeOf, createSession, until, wsUrl } from './support.js';

const open: Connection[] = [];
const client = (sessionId: string, token: string, username: string) => {
  const c = connect({ wsUrl: wsUrl(), sessionId, token, username });
  open.push(c);
  return c;
};
afterEach(() => open.splice(0).forEach((c) => c.leave()));

describe('client library', () => {
  it('two clients edit one document and converge with the server; presence and cursors travel', async () => {
    const s = await createSession({ language: 'python' });
    const a = client(s.sessionId, s.interviewerToken, 'Ada');
    const b = client(s.sessionId, s.candidateToken, 'Bob');
    await Promise.all([a.whenConnected(), b.whenConnected()]);
    expect([a.role, b.role]).toEqual(['interviewer', 'candidate']);
    expect(a.language).toBe('python');
    a.text.insert(0, 'print(1)\n');
    b.text.insert(0, '# hi\n');
    await until(() => a.text.toString() === b.text.toString() && a.text.toString().includes('print(1)\n') && a.text.toString().includes('# hi\n'), 'both docs converge');
    await until(async () => (await codeOf(s.sessionId, s.candidateToken)) === a.text.toString(), 'GET /code matches');
    await until(() => a.users.some((u) => u.username === 'Bob') && b.users.some((u) => u.username === 'Ada'), 'presence');
    await until(() => [...a.awareness.getStates().values()].some((st) => (st.user as { name?: string })?.name === 'Bob'), 'awareness of Bob');

    const languages: string[] = [];
    a.on('language', ({ language }) => languages.push(language));
    b.setLanguage('javascript');
    await until(() => languages.includes('javascript') && b.language === 'javascript', 'language-update reaches both');

    b.leave();
    await until(() => !a.users.some((u) => u.username === 'Bob'), 'user-left');
    await until(() => ![...a.awareness.getStates().values()].some((st) => (st.user as { name?: string })?.name === 'Bob'), 'Bob’s cursor gone');
  });

  it('runs code and reports the execution in order: queued, started, output, finished', async () => {
    const s = await createSession({ language: 'python' });
    const a = client(s.sessionId, s.candidateToken, 'Cleo');
    await a.whenConnected();
    a.text.delete(0, a.text.length);
    a.text.insert(0, 'import sys\nprint("hello " + sys.stdin.read().strip())\n');
    await until(async () => (await codeOf(s.sessionId, s.candidateToken)).includes('hello '), 'code stored');
    const events: string[] = [];
    let finished: { status: string; stdout: string } | undefined;
    a.on('execution', (e) => {
      events.push(e.type);
      if (e.type === 'finished') finished = e.execution;
    });
    a.run({ stdin: 'Ada' });
    await until(() => finished, 'execution-finished', 90_000);
    expect(finished).toMatchObject({ status: 'COMPLETED', stdout: 'hello Ada\n' });
    expect(events[0]).toBe('queued');
    expect(events.indexOf('started')).toBeLessThan(events.indexOf('finished'));
  });

  it('ends: session-ended stops the connection for good', async () => {
    const s = await createSession();
    const a = client(s.sessionId, s.candidateToken, 'Dee');
    await a.whenConnected();
    const ended = new Promise((r) => a.on('ended', r));
    const res = await fetch(`${wsUrl().replace('ws://', 'http://').replace(/\/ws$/, '')}/api/sessions/${s.sessionId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${s.interviewerToken}` },
    });
    expect(res.status).toBe(200);
    await ended;
    expect(a.status).toBe('ended');
  });

  it('opened after the session ended: ended, with the final document and language read once, and nothing sent', async () => {
    const s = await createSession({ language: 'go' });
    const code = 'package main\n\nfunc main() { println("kept") }\n';
    expect((await api('PUT', `/api/sessions/${s.sessionId}/code`, s.candidateToken, { code })).status).toBe(200);
    expect((await api('DELETE', `/api/sessions/${s.sessionId}`, s.interviewerToken)).status).toBe(200);
    const version = (await api<{ version: number }>('GET', `/api/sessions/${s.sessionId}/code`, s.candidateToken)).body.version;

    const late = client(s.sessionId, s.candidateToken, 'Late');
    const languages: string[] = [];
    late.on('language', ({ language }) => languages.push(language));
    const final = new Promise<{ version: number }>((r) => late.on('final', r));
    await expect(late.whenConnected()).rejects.toThrow(/ended/);
    expect(await final).toEqual({ version });
    expect(late.text.toString()).toBe(code);
    expect(late.language).toBe('go');
    expect(languages).toEqual(['go']);
    // Read-only: a local change goes nowhere (the session took no write, and no error came back).
    late.text.insert(0, '// local only\n');
    const after = await api<{ code: string; version: number }>('GET', `/api/sessions/${s.sessionId}/code`, s.candidateToken);
    expect(after.body).toMatchObject({ code, version });
  });
});
