/** Snapshots, history and participants over HTTP (docs/protocol.md §3). */
import { describe, expect, it } from 'vitest';
import { call, createSession } from './http.js';

describe('snapshots', () => {
  it('saves, lists without code, reads with code and restores (interviewer only)', async () => {
    const s = await createSession({ language: 'python' });
    await call('PUT', `/api/sessions/${s.sessionId}/code`, { token: s.candidateToken, body: { code: 'print("v1")\n' } });
    const created = await call('POST', `/api/sessions/${s.sessionId}/snapshots`, { token: s.candidateToken, body: { label: 'first try' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ label: 'first try', language: 'python', createdBy: 'candidate', size: 12 });
    expect(created.body.code).toBeUndefined();

    await call('PUT', `/api/sessions/${s.sessionId}/code`, { token: s.candidateToken, body: { code: 'print("v2")\n' } });
    await call('PATCH', `/api/sessions/${s.sessionId}`, { token: s.candidateToken, body: { language: 'javascript' } });

    const list = await call('GET', `/api/sessions/${s.sessionId}/snapshots`, { token: s.candidateToken });
    expect(list.body.snapshots).toHaveLength(1);
    expect(list.body.snapshots[0].code).toBeUndefined();
    const one = await call('GET', `/api/sessions/${s.sessionId}/snapshots/${created.body.snapshotId}`, { token: s.candidateToken });
    expect(one.body.code).toBe('print("v1")\n');

    const denied = await call('POST', `/api/sessions/${s.sessionId}/snapshots/${created.body.snapshotId}/restore`, { token: s.candidateToken });
    expect(denied.status).toBe(403);
    const restored = await call('POST', `/api/sessions/${s.sessionId}/snapshots/${created.body.snapshotId}/restore`, { token: s.interviewerToken });
    expect(restored.status).toBe(200);
    const code = await call('GET', `/api/sessions/${s.sessionId}/code`, { token: s.interviewerToken });
    expect(code.body).toMatchObject({ code: 'print("v1")\n', language: 'python', version: restored.body.version });
  });
});

describe('history', () => {
  it('records what happened, pages with a cursor, oldest first', async () => {
    const s = await createSession();
    await call('PATCH', `/api/sessions/${s.sessionId}`, { token: s.interviewerToken, body: { language: 'rust' } });
    const snap = await call('POST', `/api/sessions/${s.sessionId}/snapshots`, { token: s.interviewerToken, body: {} });
    await call('POST', `/api/sessions/${s.sessionId}/snapshots/${snap.body.snapshotId}/restore`, { token: s.interviewerToken });
    await call('DELETE', `/api/sessions/${s.sessionId}`, { token: s.interviewerToken });

    const first = await call('GET', `/api/sessions/${s.sessionId}/history?limit=2`, { token: s.interviewerToken });
    expect(first.status).toBe(200);
    expect(first.body.entries).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const rest = await call('GET', `/api/sessions/${s.sessionId}/history?limit=50&cursor=${first.body.nextCursor}`, { token: s.interviewerToken });
    const types = [...first.body.entries, ...rest.body.entries].map((e: { type: string }) => e.type);
    // The untouched python template became rust's starter code with the language: a code-replaced entry.
    expect(types).toEqual(['session-created', 'language-changed', 'code-replaced', 'snapshot-created', 'snapshot-restored', 'session-ended']);
    expect(rest.body.nextCursor).toBeNull();
  });
});

describe('participants', () => {
  it('is empty before anyone joins over WebSocket', async () => {
    const s = await createSession();
    const res = await call('GET', `/api/sessions/${s.sessionId}/participants`, { token: s.candidateToken });
    expect(res).toMatchObject({ status: 200, body: { users: [], userCount: 0 } });
  });
});
