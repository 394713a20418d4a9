/**
 * The interviewer's room over real sockets and HTTP (docs/protocol.md §10): private notes reach interviewers only
 * (every raw frame and every HTTP answer a candidate gets is searched for the notes text), a second
 * interviewer sees them live, activity is relayed to interviewers, and review links read but never
 * write or connect.
 */
import * as Y from 'yjs';
import { describe, expect, inject, it } from 'vitest';
import { api, b64, createSession, eventually, TextClient, unb64, WsClient, YjsClient, socketUrl, type SessionAccess } from './clients.js';

const httpUrl = inject('httpUrl');
const wsUrl = inject('wsUrl');

/** A socket whose every raw frame is kept as received, before any parsing. */
async function recordingSocket(access: SessionAccess): Promise<{ ws: WsClient; frames: string[] }> {
  const ws = await WsClient.connect(socketUrl(access));
  const frames: string[] = [];
  ws.ws.on('message', (data) => frames.push(data.toString()));
  return { ws, frames };
}

describe('private notes', () => {
  it('never reach a candidate — no frame, no HTTP answer — while a second interviewer sees them live', async () => {
    const created = await createSession(httpUrl, { title: 'notes privacy', language: 'javascript' });
    const interviewer: SessionAccess = { httpUrl, wsUrl, sessionId: created.sessionId, token: created.interviewerToken };
    const candidate: SessionAccess = { ...interviewer, token: created.candidateToken };
    const secret = `NOTES-SECRET-${Math.random().toString(36).slice(2, 10)}`;

    // Candidates in both formats, recording raw frames from the first byte.
    const candText = await recordingSocket(candidate);
    candText.ws.send({ action: 'join-session', format: 'text', username: 'cand-text' });
    const candJoined = await candText.ws.take('session-joined');
    expect(candJoined).not.toHaveProperty('notes');
    const candYjs = await recordingSocket(candidate);
    candYjs.ws.send({ action: 'join-session', format: 'yjs', username: 'cand-yjs' });
    expect(await candYjs.ws.take('session-joined')).not.toHaveProperty('notesYjsState');

    // Interviewer A edits notes as a Yjs client (its own Y.Doc for the notes), B is a text client.
    const a = await YjsClient.join(interviewer, { username: 'interviewer-a' });
    expect(a.joined).toMatchObject({ notes: '', notesYjsState: expect.any(String) });
    const b = await TextClient.join(interviewer, 'interviewer-b');
    expect(b.joined.notes).toBe('');

    const notesDoc = new Y.Doc();
    Y.applyUpdate(notesDoc, unb64(a.joined.notesYjsState));
    notesDoc.on('update', (u: Uint8Array) => a.ws.send({ action: 'yjs-update', doc: 'notes', update: b64(u) }));
    notesDoc.getText('code').insert(0, `strong on ${secret}\n`);

    // B (text) sees A's Yjs edit live, with doc:"notes".
    const live = await b.ws.take('code-update', (m) => m.doc === 'notes');
    expect(live.code).toContain(secret);

    // B writes notes over the socket (versioned merge); A gets the Yjs update with doc:"notes".
    b.ws.send({ action: 'code-change', doc: 'notes', code: `${live.code}weak on tests ${secret}\n`, baseVersion: live.version });
    const ack = await b.ws.take('code-ack', (m) => m.doc === 'notes');
    expect(ack.code).toContain(`weak on tests ${secret}`);
    const relayed = await a.ws.take('yjs-update', (m) => m.doc === 'notes');
    Y.applyUpdate(notesDoc, unb64(relayed.update), 'remote');
    expect(notesDoc.getText('code').toString()).toBe(ack.code);

    // PUT /notes over HTTP, then a notes sync from A.
    const put = await api(httpUrl, 'PUT', `/api/sessions/${created.sessionId}/notes`, interviewer.token, { notes: `${ack.code}hire ${secret}\n` });
    expect(put.status).toBe(200);
    await b.ws.take('code-update', (m) => m.doc === 'notes' && m.version === put.body.version);
    a.ws.send({ action: 'sync', doc: 'notes', stateVector: b64(Y.encodeStateVector(notesDoc)) });
    const synced = await a.ws.take('sync-reply', (m) => m.doc === 'notes');
    Y.applyUpdate(notesDoc, unb64(synced.update), 'remote');
    expect(notesDoc.getText('code').toString()).toBe(`${ack.code}hire ${secret}\n`);
    // The code document is untouched by all of it.
    const code = await api(httpUrl, 'GET', `/api/sessions/${created.sessionId}/code`, candidate.token);
    expect(code.body.code).not.toContain(secret);

    // A candidate may not touch the notes in any form.
    for (const msg of [
      { action: 'yjs-update', doc: 'notes', update: b64(Y.encodeStateAsUpdate(notesDoc)) },
      { action: 'code-change', doc: 'notes', code: 'mine' },
      { action: 'sync', doc: 'notes', stateVector: b64(Y.encodeStateVector(new Y.Doc())) },
    ]) {
      candText.ws.send(msg);
      expect(await candText.ws.take('error', (m) => m.action === msg.action)).toMatchObject({ code: 'FORBIDDEN' });
    }
    // A candidate's activity report reaches the interviewers, not the other candidate socket.
    candText.ws.send({ action: 'activity', kind: 'paste', chars: 120 });
    const seen = await a.ws.take('activity');
    expect(seen).toMatchObject({ kind: 'paste', chars: 120, username: 'cand-text', userId: candJoined.userId, at: expect.stringMatching(/\.\d{3}Z$/) });
    await b.ws.take('activity');

    // Every HTTP answer a candidate token gets.
    const base = `/api/sessions/${created.sessionId}`;
    const answers: string[] = [];
    for (const path of ['', '/code', '/code?format=yjs', '/notes', '/notes?format=yjs', '/snapshots', '/participants', '/executions', '/history', '/timeline', '/review-links', '/question']) {
      const res = await api(httpUrl, 'GET', `${base}${path}`, candidate.token);
      answers.push(JSON.stringify(res.body));
      if (['/notes', '/notes?format=yjs', '/history', '/timeline', '/review-links'].includes(path)) expect(res.status, path).toBe(403);
    }
    answers.push(JSON.stringify((await api(httpUrl, 'PUT', `${base}/notes`, candidate.token, { notes: 'x' })).body));
    const snap = await api(httpUrl, 'POST', `${base}/snapshots`, candidate.token, { label: 'c' });
    answers.push(JSON.stringify(snap.body), JSON.stringify((await api(httpUrl, 'GET', `${base}/snapshots/${snap.body.snapshotId}`, candidate.token)).body));

    // Before judging, a marker through the same fan-out the notes relays use: an edit of the code by A,
    // pushed to every other socket. Each candidate socket must get it, and a notes relay sent to it by the
    // invocations above (all started before this edit, and the HTTP ones finished) would come first.
    const marker = `// marker ${Math.random().toString(36).slice(2, 10)}\n`;
    a.ytext.insert(0, marker);
    await candText.ws.take('code-update', (m) => typeof m.code === 'string' && m.code.startsWith(marker));
    await candYjs.ws.take('yjs-update', (m) => m.doc !== 'notes' && typeof m.update === 'string' && Buffer.from(m.update, 'base64').toString('latin1').includes(marker.trim()));
    for (const answer of answers) expect(answer).not.toContain(secret);
    const frames = [...candText.frames, ...candYjs.frames];
    expect(frames.length).toBeGreaterThan(3);
    for (const frame of frames) {
      expect(frame).not.toContain(secret);
      expect(frame).not.toContain('"doc":"notes"');
    }
    // Yjs updates are binary: the secret could hide in base64. Decode every update a candidate got.
    for (const m of candYjs.ws.log) {
      for (const field of ['update', 'yjsState']) {
        if (typeof m[field] === 'string') expect(Buffer.from(m[field], 'base64').toString('latin1')).not.toContain(secret);
      }
    }
    await Promise.all([candText.ws.close(), candYjs.ws.close(), a.ws.close(), b.ws.close()]);
  }, 120_000);

  it('PUT /notes: 64 KiB at most, a stale baseVersion is VERSION_CONFLICT with the current notes', async () => {
    const created = await createSession(httpUrl, { title: 'notes limits' });
    const path = `/api/sessions/${created.sessionId}/notes`;
    const first = await api(httpUrl, 'PUT', path, created.interviewerToken, { notes: 'one', baseVersion: 0 });
    expect(first).toMatchObject({ status: 200, body: { version: 1 } });
    const stale = await api(httpUrl, 'PUT', path, created.interviewerToken, { notes: 'two', baseVersion: 0 });
    expect(stale).toMatchObject({ status: 409, body: { error: 'VERSION_CONFLICT', details: { currentVersion: 1, notes: 'one' } } });
    const big = await api(httpUrl, 'PUT', path, created.interviewerToken, { notes: 'x'.repeat(64 * 1024 + 1) });
    expect(big).toMatchObject({ status: 413, body: { error: 'PAYLOAD_TOO_LARGE' } });
    expect((await api(httpUrl, 'GET', path, created.interviewerToken)).body).toMatchObject({ notes: 'one', version: 1 });
    // The code's versions are the code's own: notes writes do not move them.
    expect((await api(httpUrl, 'GET', `/api/sessions/${created.sessionId}/code`, created.interviewerToken)).body.version).toBe(1);
  });
});

describe('review links', () => {
  it('read everything an interviewer reads, write nothing, never connect; revoked → 401; still read after the session ended', async () => {
    const created = await createSession(httpUrl, { title: 'review', language: 'python' });
    const base = `/api/sessions/${created.sessionId}`;
    await api(httpUrl, 'PUT', `${base}/notes`, created.interviewerToken, { notes: 'solid candidate' });
    const link = await api(httpUrl, 'POST', `${base}/review-links`, created.interviewerToken, { expiresInHours: 2 });
    expect(link.status).toBe(201);
    const reviewer = link.body.reviewToken as string;

    for (const path of ['', '/code', '/notes', '/snapshots', '/history', '/executions', '/participants', '/timeline']) {
      expect((await api(httpUrl, 'GET', `${base}${path}`, reviewer)).status, path).toBe(200);
    }
    expect((await api(httpUrl, 'GET', `${base}/notes`, reviewer)).body.notes).toBe('solid candidate');
    for (const [method, path, body] of [
      ['PUT', '/code', { code: 'x' }],
      ['PUT', '/notes', { notes: 'x' }],
      ['POST', '/snapshots', {}],
      ['POST', '/executions', {}],
      ['PATCH', '', { title: 'x' }],
      ['POST', '/review-links', {}],
      ['DELETE', '', undefined],
    ] as const) {
      expect((await api(httpUrl, method, `${base}${path}`, reviewer, body)).status, `${method} ${path}`).toBe(403);
    }
    await expect(WsClient.connect(socketUrl({ httpUrl, wsUrl, sessionId: created.sessionId, token: reviewer }))).rejects.toMatchObject({ status: 403 });

    // After the session ended: still readable.
    expect((await api(httpUrl, 'DELETE', base, created.interviewerToken)).status).toBe(200);
    expect((await api(httpUrl, 'GET', `${base}/timeline`, reviewer)).status).toBe(200);
    const list = await api(httpUrl, 'GET', `${base}/review-links`, created.interviewerToken);
    expect(list.body.reviewLinks).toEqual([expect.objectContaining({ linkId: link.body.linkId, status: 'active' })]);
    expect(JSON.stringify(list.body)).not.toContain(reviewer);

    // Revoked: 401 at once, on every route and the socket.
    expect((await api(httpUrl, 'DELETE', `${base}/review-links/${link.body.linkId}`, created.interviewerToken)).status).toBe(200);
    await eventually(async () => (await api(httpUrl, 'GET', `${base}/code`, reviewer)).status === 401, 30_000, 'revocation');
    expect((await api(httpUrl, 'GET', `${base}/notes`, reviewer)).status).toBe(401);
  });
});
