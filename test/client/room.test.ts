/**
 * The client library's interviewer features against the local stack (docs/protocol.md §10): the notes document
 * synced between two interviewers (a panel) and to the server, never to a candidate connection (every raw
 * frame it received is searched), and activity reports relayed to interviewers only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { connect, SessionApi, type ActivityEvent, type Connection } from '../../client/src/index.js';
import { WS_RATE_RULES } from '../../functions/ws/rate.js';
import { createSession, httpUrl, until, wsUrl } from './support.js';

const open: Connection[] = [];
afterEach(() => open.splice(0).forEach((c) => c.leave()));

/** A frame the client sent, with the time it handed it to its socket. */
interface SentFrame {
  at: number;
  data: string;
}

/** A connection whose every received frame is kept, as text (and, given `sent`, every frame it sends). */
function client(sessionId: string, token: string, username: string, frames?: string[], sent?: SentFrame[]): Connection {
  class Recording extends WebSocket {
    constructor(url: string) {
      super(url);
      this.addEventListener('message', (event) => frames?.push(String(event.data)));
    }

    override send(...args: unknown[]): void {
      sent?.push({ at: Date.now(), data: String(args[0]) });
      super.send(...(args as Parameters<WebSocket['send']>));
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
    const bobSent: SentFrame[] = [];
    const ada = client(s.sessionId, s.interviewerToken, 'Ada');
    const bob = client(s.sessionId, s.candidateToken, 'Bob', undefined, bobSent);
    await Promise.all([ada.whenConnected(), bob.whenConnected()]);
    const seen: ActivityEvent[] = [];
    const bobSaw: ActivityEvent[] = [];
    const refused: string[] = [];
    ada.on('activity', (e) => seen.push(e));
    bob.on('activity', (e) => bobSaw.push(e));
    bob.on('error', (e) => e.action === 'activity' && refused.push(e.code));

    // The connection's first report: the server's bucket is full, whenever it handles it.
    bob.reportActivity('paste', 321);
    const paste = await until(() => seen.find((e) => e.kind === 'paste'), 'the paste report reaches the interviewer');
    expect(paste).toMatchObject({ userId: bob.userId, username: 'Bob', kind: 'paste', chars: 321 });
    expect(Number.isNaN(Date.parse(paste.at))).toBe(false);

    // A burst of focus changes, which the client must pace under the server's limit.
    for (let i = 0; i < 6; i++) bob.reportActivity(i % 2 ? 'focus-gained' : 'focus-lost');
    const reports = () => bobSent.filter((f) => (JSON.parse(f.data) as { action?: string }).action === 'activity');
    await until(() => reports().length === 7, 'the client sends every report', 30_000);
    const sent = reports().map((f) => JSON.parse(f.data) as { kind: string; chars?: number });
    expect(sent.filter((r) => r.kind === 'focus-lost')).toHaveLength(3);
    expect(sent.filter((r) => r.kind === 'focus-gained')).toHaveLength(3);

    // The pacing, judged by when the client sent each report, not by the server's answers: a stalled server
    // handles a well-paced stream in one go and refuses some of it, which says nothing about the client.
    // Replayed through the server's own token bucket, no report is over the limit (six sent at once would be).
    const { perSecond, burst } = WS_RATE_RULES.activity;
    let tokens: number = burst;
    let last = reports()[0]!.at;
    const overLimit = reports().filter(({ at }) => {
      tokens = Math.min(burst, tokens + ((at - last) / 1000) * perSecond);
      last = at;
      if (tokens < 1) return true;
      tokens -= 1;
      return false;
    });
    expect(overLimit).toEqual([]);

    // Each reaches the interviewer, unless the server refused it for speed (only after a stall of its own;
    // even then the four left in its bucket after the paste get through). Messages of one connection may
    // be handled concurrently by the server, so the order of arrival is not asserted.
    const focus = () => seen.filter((e) => e.kind === 'focus-lost' || e.kind === 'focus-gained');
    await until(() => focus().length + refused.length === 6, 'every focus report reaches the interviewer or is answered', 30_000);
    expect(refused.filter((code) => code !== 'RATE_LIMIT_EXCEEDED')).toEqual([]);
    expect(focus().length).toBeGreaterThanOrEqual(4);
    expect(seen.filter((e) => e.kind === 'focus-lost').length).toBeLessThanOrEqual(3);
    expect(seen.filter((e) => e.kind === 'focus-gained').length).toBeLessThanOrEqual(3);
    for (const e of focus()) expect(e).toMatchObject({ userId: bob.userId, username: 'Bob' });
    expect(seen).toHaveLength(1 + focus().length);
    expect(bobSaw).toEqual([]);
  });
});
