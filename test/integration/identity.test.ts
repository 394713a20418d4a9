/**
 * Self-declared userIds (join-session `userId`, docs/protocol.md §5) stay with the role that joined with them first.
 * A client chooses its userId to stay one user across reconnects; another role asking for the same id (or for
 * another role's name, which HTTP writes record as their userId) gets an id of its own instead, so nobody is
 * shown, relayed or recorded as someone else.
 */
import { describe, expect, inject, it } from 'vitest';
import { api, createSession, TextClient, WsClient, socketUrl, type SessionAccess } from './clients.js';

const httpUrl = inject('httpUrl');
const wsUrl = inject('wsUrl');

async function join(access: SessionAccess, fields: Record<string, unknown>): Promise<{ ws: WsClient; joined: Record<string, any> }> {
  const ws = await WsClient.connect(socketUrl(access));
  ws.send({ action: 'join-session', format: 'text', ...fields });
  return { ws, joined: await ws.take('session-joined') };
}

describe('userIds belong to the role that joined with them first', () => {
  it("a candidate asking for the interviewer's userId, or for the name interviewer, gets an id of its own", async () => {
    const created = await createSession(httpUrl, { title: 'who is who' });
    const asInterviewer: SessionAccess = { httpUrl, wsUrl, sessionId: created.sessionId, token: created.interviewerToken };
    const asCandidate: SessionAccess = { ...asInterviewer, token: created.candidateToken };

    const interviewer = await join(asInterviewer, { username: 'Ann', userId: 'ann-7' });
    expect(interviewer.joined).toMatchObject({ userId: 'ann-7', role: 'interviewer' });

    const impostor = await join(asCandidate, { username: 'Ann (interviewer)', userId: 'ann-7' });
    expect(impostor.joined.role).toBe('candidate');
    expect(impostor.joined.userId).not.toBe('ann-7');
    const byName = await join(asCandidate, { userId: 'interviewer' });
    expect(byName.joined.userId).not.toBe('interviewer');

    // The candidate's edit is relayed under its own id; the participants list has Ann once, as interviewer.
    const text = await TextClient.join(asInterviewer, 'observer');
    impostor.ws.send({ action: 'code-change', code: 'x = 1\n' });
    await impostor.ws.take('code-ack');
    const update = await text.ws.take('code-update');
    expect(update.userId).toBe(impostor.joined.userId);
    const participants = await api(httpUrl, 'GET', `/api/sessions/${created.sessionId}/participants`, created.interviewerToken);
    const ann = participants.body.users.filter((u: { id: string }) => u.id === 'ann-7');
    expect(ann).toEqual([expect.objectContaining({ role: 'interviewer', username: 'Ann' })]);

    // The interviewer's own reconnect keeps its id, even while the impostor is here.
    await interviewer.ws.close();
    const again = await join(asInterviewer, { userId: 'ann-7' });
    expect(again.joined.userId).toBe('ann-7');
    // And the candidate's own id is the candidate's across reconnects.
    const back = await join(asCandidate, { userId: impostor.joined.userId });
    expect(back.joined.userId).toBe(impostor.joined.userId);
    await Promise.all([impostor.ws.close(), byName.ws.close(), text.ws.close(), again.ws.close(), back.ws.close()]);
  });
});
