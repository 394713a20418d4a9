/**
 * The client library's interviewer features against the local stack (docs/protocol.md §10): the notes document
 * synced between two interviewers (a panel) and to the server, never to a candidate connection (every raw
 * frame it received is searched), and activity reports relayed to interviewers only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { connect, SessionApi, type ActivityEvent, type Connection } from '../../client/src/index.js';
import { createSession, httpUrl, until, wsUrl } from './support.js';

const open: Connection[] = [];
afterEach(() => open.splice(0).forEach((c) => c.leave()));

/** A connection whose every received frame is kept, as text. */
function client(sessionId: string, token: string, username: string, frames?: string[]): Connection {
  class Recording extends WebSocket {
    constructor(url: string) {
      super(url);
      this.addEventListener('message', (event) => frames?.push(String(event.data)));
    }
  }
  const c = connect({ wsUrl: wsUrl(), sessionId, token, username, WebSocket: Recording as unknown as NonNullable<Parameters<typeof connect>[0]['WebSocket']> });
  open.push(c);
  return c;
}

describe('notes and activity through the client library', () => {
  it('two interviewers share the notes live; the server has them; a candidate connection never receives them', async () => {
    const s = await createSession({ language: 'python' });
    const candidateFrames: string[] = [];
    const ada = client(s.sessionId, s.interviewerToken, 'Ada');
    const grace = client(s.sessionId, s.interviewerToken, 'Grace');
    const bob = client(s.sessionId, s.candidateToken, 'Bob', candidateFrames);
    await Promise.all([ada.whenConnected(), grace.whenConnected(), bob.whenConnected()]);

    ada.notes.insert(0, 'NOTES-91c2 strong start');
    await until(() => grace.notes.toString() === 'NOTES-91c2 strong start', 'the second interviewer gets the notes');
    grace.notes.insert(grace.notes.length, '; good tests');
    bob.text.insert(0, 'print(1)\n'); // the candidate is busy in the code meanwhile
    await until(() => ada.notes.toString() === 'NOTES-91c2 strong start; good tests', 'both interviewers converge');
    const api = new SessionApi(httpUrl(), s.sessionId, s.interviewerToken);
    await until(async () => (await api.notes()).notes === 'NOTES-91c2 strong start; good tests', 'GET /notes has both');
    await until(() => ada.text.toString() === bob.text.toString() && ada.text.toString().startsWith('print(1)\n'), 'the candidate’s code reaches the interviewer');

    // A late interviewer gets the notes on join; the code document never holds them.
    const late = client(s.sessionId, s.interviewerToken, 'Late');
    await late.whenConnected();
    await until(() => late.notes.toString() === 'NOTES-91c2 strong start; good tests', 'a late interviewer gets the notes');
    expect(late.text.toString()).toBe(bob.text.toString());

    expect(bob.notes.toString()).toBe('');
    expect(candidateFrames.length).toBeGreaterThan(3);
    for (const frame of candidateFrames) expect(frame).not.toContain('NOTES-91c2');
    await expect(new SessionApi(httpUrl(), s.sessionId, s.candidateToken).notes()).rejects.toMatchObject({ status: 403 });
  });

  it('activity reports reach interviewers, not the candidate, and are paced under the limit', async () => {
    const s = await createSession({ language: 'python' });
    const ada = client(s.sessionId, s.interviewerToken, 'Ada');
    const bob = client(s.sessionId, s.candidateToken, 'Bob');
    await Promise.all([ada.whenConnected(), bob.whenConnected()]);
    const seen: ActivityEvent[] = [];
    const bobSaw: ActivityEvent[] = [];
    const errors: string[] = [];
    ada.on('activity', (e) => seen.push(e));
    bob.on('activity', (e) => bobSaw.push(e));
    bob.on('error', (e) => errors.push(e.code));

    bob.reportActivity('paste', 321);
    // A burst of focus changes: paced under 5/s, none refused. (Messages of one connection may be handled
    // concurrently by the server, so the order of arrival is not asserted.)
    for (let i = 0; i < 6; i++) bob.reportActivity(i % 2 ? 'focus-gained' : 'focus-lost');
    await until(() => seen.length === 7, 'all seven reports reach the interviewer', 30_000);
    const paste = seen.find((e) => e.kind === 'paste');
    expect(paste).toMatchObject({ userId: bob.userId, username: 'Bob', kind: 'paste', chars: 321 });
    expect(Number.isNaN(Date.parse(paste!.at))).toBe(false);
    expect(seen.filter((e) => e.kind === 'focus-lost')).toHaveLength(3);
    expect(seen.filter((e) => e.kind === 'focus-gained')).toHaveLength(3);
    expect(bobSaw).toEqual([]);
    expect(errors).not.toContain('RATE_LIMIT_EXCEEDED');
  });
});
