/**
 * HTTP changes reach the sockets (docs/protocol.md §3, §5): PUT /code, PATCH language and snapshot restore are pushed
 * to every participant in the format it joined with; language-change over the socket too. And the server
 * never pushes more than 128 KiB: a document too large for one message is fetched over HTTP instead.
 */
import { describe, expect, inject, it } from 'vitest';
import { api, createSession, eventually, getCode, KIB, TextClient, YjsClient, type SessionAccess } from './clients.js';

const httpUrl = inject('httpUrl');
const wsUrl = inject('wsUrl');

async function sessionWithClients(title: string) {
  const created = await createSession(httpUrl, { title, language: 'javascript' });
  const access: SessionAccess = { httpUrl, wsUrl, sessionId: created.sessionId, token: created.interviewerToken };
  const candidate: SessionAccess = { ...access, token: created.candidateToken };
  const text = await TextClient.join(candidate, 'text-candidate');
  const yjs = await YjsClient.join(access, { username: 'yjs-interviewer' });
  return { access, candidate, text, yjs };
}

const path = (s: SessionAccess, rest = '') => `/api/sessions/${s.sessionId}${rest}`;

describe('HTTP effects reach the sockets', () => {
  it('PUT /code: text clients get code-update with the code, Yjs clients a yjs-update that yields it', async () => {
    const { access, text, yjs } = await sessionWithClients('put code');
    const code = 'function answer() {\n  return 42;\n}\n';
    const res = await api(httpUrl, 'PUT', path(access, '/code'), access.token, { code });
    expect(res.status).toBe(200);

    const update = await text.ws.take('code-update');
    expect(update).toMatchObject({ code, version: res.body.version, userId: expect.any(String), timestamp: expect.any(String) });
    expect(text.text).toBe(code);
    const pushed = await yjs.ws.take('yjs-update');
    expect(pushed).toMatchObject({ update: expect.any(String), version: res.body.version });
    expect(yjs.text()).toBe(code);
    await Promise.all([text.ws.close(), yjs.ws.close()]);
  });

  it('PATCH language: everyone gets language-update', async () => {
    const { access, text, yjs } = await sessionWithClients('patch language');
    const res = await api(httpUrl, 'PATCH', path(access), access.token, { language: 'python' });
    expect(res).toMatchObject({ status: 200, body: { language: 'python' } });
    for (const ws of [text.ws, yjs.ws]) expect(await ws.take('language-update')).toMatchObject({ language: 'python', userId: expect.any(String) });
    await Promise.all([text.ws.close(), yjs.ws.close()]);
  });

  it('language-change over the socket: everyone (the sender too) gets language-update; a second within 5 s is rate limited', async () => {
    const { access, text, yjs } = await sessionWithClients('language-change');
    // Back to back, so they reach the server milliseconds apart however slow the machine is (waiting for
    // the first one's pushes could take 5 s under load and refill the bucket); either may be the one let in.
    text.ws.send({ action: 'language-change', language: 'go' });
    text.ws.send({ action: 'language-change', language: 'rust' });
    expect(await text.ws.take('error')).toMatchObject({ code: 'RATE_LIMIT_EXCEEDED', action: 'language-change' });
    const { language } = (await yjs.ws.take('language-update')) as unknown as { language: string };
    expect(['go', 'rust']).toContain(language);
    expect(await text.ws.take('language-update')).toMatchObject({ language, userId: text.joined.userId });
    expect((await api(httpUrl, 'GET', path(access), access.token)).body.language).toBe(language);
    await Promise.all([text.ws.close(), yjs.ws.close()]);
  });

  it('snapshot restore: everyone gets the restored code at the version restore returned', async () => {
    const { access, text, yjs } = await sessionWithClients('restore');
    const saved = 'print("saved")\n';
    await api(httpUrl, 'PUT', path(access, '/code'), access.token, { code: saved });
    const snapshot = await api(httpUrl, 'POST', path(access, '/snapshots'), access.token, { label: 'good' });
    expect(snapshot.status).toBe(201);
    await api(httpUrl, 'PUT', path(access, '/code'), access.token, { code: 'print("broken")\n' });
    await eventually(() => text.text === 'print("broken")\n' && yjs.text() === 'print("broken")\n', 30_000, 'the second PUT to arrive');

    const res = await api(httpUrl, 'POST', path(access, `/snapshots/${snapshot.body.snapshotId}/restore`), access.token);
    expect(res.status).toBe(200);
    expect(await text.ws.take('code-update', (m) => m.version === res.body.version)).toMatchObject({ code: saved });
    await yjs.ws.take('yjs-update', (m) => m.version === res.body.version);
    expect(yjs.text()).toBe(saved);
    expect(text.text).toBe(saved);
    await Promise.all([text.ws.close(), yjs.ws.close()]);
  }, 120_000);
});

describe('documents too large for one WebSocket message', () => {
  it('are announced with a documentUrl (never over 128 KiB) and fetched over HTTP by Yjs clients', async () => {
    const { access, text, yjs } = await sessionWithClients('large document');
    // ~100 KiB of text: as a code-update it fits in 128 KiB, as a base64 Yjs update (4/3 larger) it does not.
    const code = `${'// a long line of a very large program\n'.repeat(2_700)}`.slice(0, 100 * KIB - 10);
    const res = await api(httpUrl, 'PUT', path(access, '/code'), access.token, { code });
    expect(res.status).toBe(200);

    expect(await text.ws.take('code-update', () => true, 30_000)).toMatchObject({ code, version: res.body.version });
    const pushed = await yjs.ws.take('yjs-update', () => true, 30_000);
    expect(pushed.update).toBeUndefined();
    expect(pushed.documentUrl).toBe(`/api/sessions/${access.sessionId}/code?format=yjs`);
    await eventually(() => yjs.text() === code, 30_000, 'the Yjs client to fetch the document');

    // A late Yjs joiner is pointed at HTTP too; a late text joiner still gets currentCode.
    const lateYjs = await YjsClient.join(access);
    expect(lateYjs.joined.yjsState).toBeUndefined();
    expect(lateYjs.joined.documentUrl).toBe(`/api/sessions/${access.sessionId}/code?format=yjs`);
    expect(lateYjs.text()).toBe(code);
    const lateText = await TextClient.join(access);
    expect(lateText.joined.currentCode).toBe(code);

    for (const c of [text.ws, yjs.ws, lateYjs.ws, lateText.ws]) {
      expect(Math.max(...c.sizes)).toBeLessThanOrEqual(128 * KIB);
    }
    expect((await getCode(access)).code).toBe(code);
    await Promise.all([text.ws.close(), yjs.ws.close(), lateYjs.ws.close(), lateText.ws.close()]);
  }, 150_000);
});
