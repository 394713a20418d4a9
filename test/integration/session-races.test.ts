/**
 * Two language changes at the same instant against the local stack (DynamoDB Local): a candidate switches
 * a fresh Python session to Java while the interviewer sets it to Python. Whatever the order they land
 * in, the session, the operator's list and the history agree, and the untouched document holds the
 * template of the language the session ends with. (Judged on the session as each request first read it,
 * the list kept Java in a Python session and the document got Java's template in most rounds.)
 */
import { describe, expect, it } from 'vitest';
import { LANGUAGES, type LanguageId } from '#contract/languages.js';
import { call, createSession, newOperatorKey } from './http.js';

const ROUNDS = 10;

/** Whether the language-changed entries, in some order, lead from `start` to `end` one after another. */
function chains(edges: { from: string; to: string }[], start: string, end: string): boolean {
  if (edges.length === 0) return start === end;
  return edges.some((e, i) => e.from === start && chains(edges.filter((_, j) => j !== i), e.to, end));
}

describe('concurrent language changes', () => {
  it(`session, operator list, history and starter code agree after ${ROUNDS} rounds of two racing PATCHes`, async () => {
    const { key } = await newOperatorKey();
    for (let round = 0; round < ROUNDS; round++) {
      const session = await createSession({ language: 'python', title: `race ${round}` }, undefined, key);
      const path = `/api/sessions/${session.sessionId}`;
      const [toJava, toPython] = await Promise.all([
        call('PATCH', path, { token: session.candidateToken, body: { language: 'java' } }),
        call('PATCH', path, { token: session.interviewerToken, body: { language: 'python' } }),
      ]);
      expect([toJava.status, toPython.status]).toEqual([200, 200]);

      const stored = (await call('GET', path, { token: session.interviewerToken })).body as { language: LanguageId };
      const list = (await call('GET', '/api/sessions?limit=100', { headers: { authorization: `Bearer ${key}` } })).body as { sessions: { sessionId: string; language: string }[] };
      expect(list.sessions.find((s) => s.sessionId === session.sessionId)?.language, `round ${round}: the operator's list`).toBe(stored.language);

      const history = (await call('GET', `${path}/history?limit=200`, { token: session.interviewerToken })).body as { entries: { type: string; detail: { from: string; to: string } }[] };
      const changes = history.entries.filter((e) => e.type === 'language-changed').map((e) => e.detail);
      expect(chains(changes, 'python', stored.language), `round ${round}: history ${JSON.stringify(changes)} ends at ${stored.language}`).toBe(true);

      const code = (await call('GET', `${path}/code`, { token: session.interviewerToken })).body as { code: string };
      expect(code.code, `round ${round}: the starter code of ${stored.language}`).toBe(LANGUAGES[stored.language].template);
    }
  }, 120_000);
});

describe('connecting while the session ends', () => {
  it('every socket that opened while DELETE ran is closed: none stays on an ended session', async () => {
    const { default: WebSocket } = await import('ws');
    const { inject } = await import('vitest');
    const session = await createSession({ title: 'connect vs end' });
    const url = `${inject('wsUrl')}?sessionId=${session.sessionId}&token=${session.candidateToken}`;
    type Outcome = { opened: false } | { opened: true; closed: Promise<void> };
    const attempt = (): Promise<Outcome> =>
      new Promise((resolve) => {
        const ws = new WebSocket(url);
        const closed = new Promise<void>((done) => ws.once('close', () => done()));
        ws.once('open', () => resolve({ opened: true, closed }));
        ws.once('unexpected-response', () => resolve({ opened: false }));
        ws.once('error', () => resolve({ opened: false }));
      });
    const sockets = Array.from({ length: 25 }, attempt);
    const ended = call('DELETE', `/api/sessions/${session.sessionId}`, { token: session.interviewerToken });
    const outcomes = await Promise.all(sockets);
    expect((await ended).status).toBe(200);
    // A socket stored before the end committed is in the list the end's fan-out reads after it; one whose
    // $connect read the session before the end but wrote after it is refused (410).
    const open = outcomes.filter((o): o is Extract<Outcome, { opened: true }> => o.opened);
    const deadline = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000));
    expect(await Promise.race([Promise.all(open.map((o) => o.closed)).then(() => 'all closed'), deadline])).toBe('all closed');
  }, 60_000);
});
