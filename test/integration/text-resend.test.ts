/**
 * docs/protocol.md §5: "a client that got no answer to an action within 10 s may resend it (every action is safe to
 * repeat)". A text client's `code-change` with `baseVersion` is merged as an edit made on that version; sent twice,
 * it must be applied once: the second copy changes nothing, whatever came in between.
 */
import { describe, expect, inject, it } from 'vitest';
import { api, createSession, eventually, getCode, TextClient, YjsClient, type SessionAccess } from './clients.js';

const httpUrl = inject('httpUrl');
const wsUrl = inject('wsUrl');

async function session(): Promise<SessionAccess> {
  const created = await createSession(httpUrl, { title: 'resent code-change' });
  return { httpUrl, wsUrl, sessionId: created.sessionId, token: created.candidateToken };
}

const changeOnce = async (client: TextClient, code: string, baseVersion: number) => {
  client.ws.send({ action: 'code-change', code, baseVersion });
  return client.ws.take(['code-ack', 'error'], (m) => m.type === 'code-ack' || m.action === 'code-change');
};

describe('a code-change with baseVersion sent twice', () => {
  it('is applied once: the second ack has the same text and takes no version', async () => {
    const access = await session();
    const put = await api(httpUrl, 'PUT', `/api/sessions/${access.sessionId}/code`, access.token, { code: 'hello\n' });
    const base = put.body.version as number;
    const client = await TextClient.join(access, 'text');
    const first = await changeOnce(client, 'hello world\n', base);
    const second = await changeOnce(client, 'hello world\n', base);
    expect(first).toMatchObject({ type: 'code-ack', code: 'hello world\n', version: base + 1 });
    expect(second).toMatchObject({ type: 'code-ack', code: 'hello world\n', version: base + 1 });
    expect(await getCode(access)).toMatchObject({ code: 'hello world\n', version: base + 1 });
    await client.ws.close();
  });

  it('is applied once when others wrote in between, and their edits stay', async () => {
    const access = await session();
    const put = await api(httpUrl, 'PUT', `/api/sessions/${access.sessionId}/code`, access.token, { code: 'a = 1\nb = 2\n' });
    const base = put.body.version as number;
    const text = await TextClient.join(access, 'text');
    const yjs = await YjsClient.join(access, { username: 'yjs' });
    const first = await changeOnce(text, 'a = 1\nb = 2\nc = 3\n', base);
    expect(first.code).toBe('a = 1\nb = 2\nc = 3\n');
    // Someone else edits meanwhile (the first ack was lost, say, and the client resends after 10 s).
    await eventually(() => yjs.text().includes('c = 3') || undefined, 30_000, 'the text edit at the Yjs client');
    yjs.ytext.insert(0, '# header\n');
    await eventually(async () => ((await getCode(access)).code.startsWith('# header\n') ? true : undefined), 30_000, 'the Yjs edit stored');
    const second = await changeOnce(text, 'a = 1\nb = 2\nc = 3\n', base);
    expect(second).toMatchObject({ type: 'code-ack', code: '# header\na = 1\nb = 2\nc = 3\n' });
    expect((await getCode(access)).code).toBe('# header\na = 1\nb = 2\nc = 3\n');
    await Promise.all([text.ws.close(), yjs.ws.close()]);
  });

  it('a different text on the same base is a different edit, and both are kept', async () => {
    const access = await session();
    const put = await api(httpUrl, 'PUT', `/api/sessions/${access.sessionId}/code`, access.token, { code: 'x\n' });
    const base = put.body.version as number;
    const client = await TextClient.join(access, 'text');
    await changeOnce(client, 'x\ny\n', base);
    const ack = await changeOnce(client, 'x\nz\n', base);
    expect(ack.code).toMatch(/^x\n(y\nz|z\ny)\n$/);
    expect(ack.version).toBe(base + 2);
    await client.ws.close();
  });
});
