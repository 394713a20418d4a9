/**
 * The interviewer's controls (docs/protocol.md §3 PATCH, §8) against the local stack: `editingLocked` and
 * `runsDisabled` refuse a candidate's edits and runs on every path — HTTP, code-change, yjs-update,
 * run-code — change nothing, reach everyone as session-updated and leave a history entry; the
 * interviewer is never locked out. And `mode:"tests"` without a question is refused.
 */
import * as Y from 'yjs';
import { describe, expect, inject, it } from 'vitest';
import { b64, socketUrl, WsClient, type SessionAccess } from './clients.js';
import { call, createSession } from './http.js';

const wsUrl = inject('wsUrl');
const httpUrl = inject('httpUrl');

async function joined(access: SessionAccess, username: string, format: 'text' | 'yjs' = 'text') {
  const client = await WsClient.connect(socketUrl(access));
  client.send({ action: 'join-session', username, format });
  return { client, joined: await client.take('session-joined') };
}

async function lockedSession(flags: { editingLocked?: boolean; runsDisabled?: boolean }) {
  const session = await createSession({ language: 'python' });
  const access = (token: string): SessionAccess => ({ httpUrl, wsUrl, sessionId: session.sessionId, token });
  const interviewer = await joined(access(session.interviewerToken), 'ivy');
  const candidate = await joined(access(session.candidateToken), 'cody');
  const patched = await call('PATCH', `/api/sessions/${session.sessionId}`, { token: session.interviewerToken, body: flags });
  return { session, access, interviewer, candidate, patched };
}

describe('interviewer controls', () => {
  it('only the interviewer may set them; everyone gets session-updated; GET shows both flags; history records it', async () => {
    const session = await createSession({ language: 'python', title: 'Controls' });
    const path = `/api/sessions/${session.sessionId}`;
    expect(await call('PATCH', path, { token: session.candidateToken, body: { editingLocked: true } })).toMatchObject({ status: 403, body: { error: 'FORBIDDEN' } });
    expect(await call('PATCH', path, { token: session.interviewerToken, body: { editingLocked: 'yes' } })).toMatchObject({ status: 400, body: { error: 'VALIDATION_ERROR' } });

    const { interviewer, candidate, patched } = await lockedSessionFor(session);
    expect(patched).toMatchObject({ status: 200, body: { editingLocked: true, runsDisabled: true } });
    for (const c of [interviewer.client, candidate.client]) {
      expect(await c.take('session-updated')).toMatchObject({ title: 'Controls', language: 'python', runsDisabled: true, editingLocked: true, userId: expect.any(String) });
    }
    expect((await call('GET', path, { token: session.candidateToken })).body).toMatchObject({ runsDisabled: true, editingLocked: true });
    const history = await call('GET', `${path}/history?limit=50`, { token: session.interviewerToken });
    expect(history.body.entries.some((e: { type: string; detail: object }) => e.type === 'controls-changed' && (e.detail as { editingLocked?: boolean }).editingLocked === true)).toBe(true);
    await Promise.all([interviewer.client.close(), candidate.client.close()]);
  });

  it('editingLocked: PUT /code, code-change and yjs-update from a candidate are EDITING_LOCKED and change nothing; the interviewer still edits', async () => {
    const { session, access, interviewer, candidate } = await lockedSession({ editingLocked: true });
    const path = `/api/sessions/${session.sessionId}`;
    const before = (await call('GET', `${path}/code`, { token: session.interviewerToken })).body;

    expect(await call('PUT', `${path}/code`, { token: session.candidateToken, body: { code: 'hacked = 1\n' } })).toMatchObject({ status: 403, body: { error: 'EDITING_LOCKED' } });
    candidate.client.send({ action: 'code-change', code: 'hacked = 2\n' });
    expect(await candidate.client.take('error')).toMatchObject({ code: 'EDITING_LOCKED', action: 'code-change' });
    candidate.client.send({ action: 'code-change', code: 'hacked = 3\n', baseVersion: before.version });
    expect(await candidate.client.take('error')).toMatchObject({ code: 'EDITING_LOCKED', action: 'code-change' });

    const yjs = await joined(access(session.candidateToken), 'cody-yjs', 'yjs');
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Buffer.from(yjs.joined.yjsState, 'base64'));
    const sv = Y.encodeStateVector(doc);
    doc.getText('code').insert(0, '# sneaky\n');
    yjs.client.send({ action: 'yjs-update', update: b64(Y.encodeStateAsUpdate(doc, sv)) });
    expect(await yjs.client.take('error')).toMatchObject({ code: 'EDITING_LOCKED', action: 'yjs-update' });

    const after = (await call('GET', `${path}/code`, { token: session.interviewerToken })).body;
    expect(after).toMatchObject({ code: before.code, version: before.version });

    const mine = await call('PUT', `${path}/code`, { token: session.interviewerToken, body: { code: 'print("interviewer")\n' } });
    expect(mine.status).toBe(200);
    expect(await candidate.client.take('code-update')).toMatchObject({ code: 'print("interviewer")\n' });

    // Unlocked again: the candidate edits.
    await call('PATCH', path, { token: session.interviewerToken, body: { editingLocked: false } });
    expect((await call('PUT', `${path}/code`, { token: session.candidateToken, body: { code: 'print("cody")\n' } })).status).toBe(200);
    await Promise.all([interviewer.client.close(), candidate.client.close(), yjs.client.close()]);
  });

  it('runsDisabled: a candidate run over HTTP or run-code (both modes) is RUNS_DISABLED; the interviewer still runs', async () => {
    const { session, interviewer, candidate } = await lockedSession({ runsDisabled: true });
    const path = `/api/sessions/${session.sessionId}`;
    for (const body of [{}, { mode: 'tests' }]) {
      expect(await call('POST', `${path}/executions`, { token: session.candidateToken, body })).toMatchObject({ status: 403, body: { error: 'RUNS_DISABLED' } });
    }
    for (const mode of ['run', 'tests']) {
      candidate.client.send({ action: 'run-code', mode });
      expect(await candidate.client.take('error')).toMatchObject({ code: 'RUNS_DISABLED', action: 'run-code' });
    }
    expect((await call('GET', `${path}/executions`, { token: session.interviewerToken })).body.executions).toEqual([]);
    const mine = await call('POST', `${path}/executions`, { token: session.interviewerToken, body: { stdin: '' } });
    expect(mine).toMatchObject({ status: 202, body: { status: 'QUEUED' } });
    await Promise.all([interviewer.client.close(), candidate.client.close()]);
  });

  it('mode:"tests" without a question is NOT_FOUND over HTTP and WebSocket', async () => {
    const session = await createSession({ language: 'python' });
    const res = await call('POST', `/api/sessions/${session.sessionId}/executions`, { token: session.candidateToken, body: { mode: 'tests' } });
    expect(res).toMatchObject({ status: 404, body: { error: 'NOT_FOUND' } });
    const c = await joined({ httpUrl, wsUrl, sessionId: session.sessionId, token: session.candidateToken }, 'cody');
    c.client.send({ action: 'run-code', mode: 'tests' });
    expect(await c.client.take('error')).toMatchObject({ code: 'NOT_FOUND', action: 'run-code' });
    await c.client.close();
  });
});

async function lockedSessionFor(session: { sessionId: string; interviewerToken: string; candidateToken: string }) {
  const access = (token: string): SessionAccess => ({ httpUrl, wsUrl, sessionId: session.sessionId, token });
  const interviewer = await joined(access(session.interviewerToken), 'ivy');
  const candidate = await joined(access(session.candidateToken), 'cody');
  const patched = await call('PATCH', `/api/sessions/${session.sessionId}`, { token: session.interviewerToken, body: { editingLocked: true, runsDisabled: true } });
  return { interviewer, candidate, patched };
}
