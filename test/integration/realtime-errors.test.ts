/**
 * docs/protocol.md §5: "Anything else (not JSON, unknown action, wrong fields) gets an `error` message and changes
 * nothing." Each malformed message gets `{type:"error", code}` with the contract's code, the stored
 * document (code and version) and the language stay as they were, and nobody else hears of it.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import * as Y from 'yjs';
import { api, b64, createSession, getCode, KIB, rng, socketUrl, TextClient, WsClient, type SessionAccess } from './clients.js';

const httpUrl = inject('httpUrl');
const wsUrl = inject('wsUrl');

let access: SessionAccess;
let client: TextClient; // joined, sends the bad messages
let observer: TextClient; // joined, must hear nothing
let stranger: WsClient; // connected, never joined

beforeAll(async () => {
  const created = await createSession(httpUrl, { title: 'malformed messages' });
  access = { httpUrl, wsUrl, sessionId: created.sessionId, token: created.interviewerToken };
  client = await TextClient.join(access, 'client');
  observer = await TextClient.join(access, 'observer');
  stranger = await WsClient.connect(socketUrl(access));
});
afterAll(async () => {
  await Promise.all([client?.ws.close(), observer?.ws.close(), stranger?.close()]);
});

const randomBytes = (n: number) => {
  const random = rng(42);
  return new Uint8Array(Array.from({ length: n }, () => Math.floor(random() * 256)));
};

/** A real Yjs update (insert "hello") from an unrelated document. */
function validUpdate(): string {
  const doc = new Y.Doc();
  doc.getText('code').insert(0, 'hello');
  return b64(Y.encodeStateAsUpdate(doc));
}

const yjs = (update: string) => JSON.stringify({ action: 'yjs-update', update });
const codeChange = (fields: Record<string, unknown>) => JSON.stringify({ action: 'code-change', ...fields });

/** [what, raw message, error code, the field `details` names (for a message that fails its action's schema)] */
const MALFORMED: Array<[string, string, string, string | undefined]> = [
  ['not JSON', 'hello {', 'INVALID_MESSAGE', undefined],
  ['a JSON array', '[{"action":"ping"}]', 'INVALID_MESSAGE', undefined],
  ['a JSON string', '"ping"', 'INVALID_MESSAGE', undefined],
  ['no action', '{"code":"x"}', 'INVALID_MESSAGE', undefined],
  ['an unknown action', '{"action":"delete-everything"}', 'INVALID_MESSAGE', undefined],
  ['an action named after an object property', '{"action":"__proto__"}', 'INVALID_MESSAGE', undefined],
  ['an action named after an inherited method', '{"action":"toString"}', 'INVALID_MESSAGE', undefined],
  ['an action named constructor', '{"action":"constructor"}', 'INVALID_MESSAGE', undefined],
  ['code-change without code', codeChange({}), 'INVALID_MESSAGE', 'code'],
  ['code-change with a numeric code', codeChange({ code: 42 }), 'INVALID_MESSAGE', 'code'],
  ['code-change with a string baseVersion', codeChange({ code: 'x', baseVersion: '1' }), 'INVALID_MESSAGE', 'baseVersion'],
  ['code-change with a negative baseVersion', codeChange({ code: 'x', baseVersion: -1 }), 'INVALID_MESSAGE', 'baseVersion'],
  ['code-change with an extra field', codeChange({ code: 'x', force: true }), 'INVALID_MESSAGE', '(body)'],
  ['yjs-update without update', '{"action":"yjs-update"}', 'INVALID_MESSAGE', 'update'],
  ['yjs-update with a numeric update', '{"action":"yjs-update","update":12}', 'INVALID_MESSAGE', 'update'],
  ['yjs-update with garbage base64', yjs('%%not*base64%%'), 'INVALID_MESSAGE', 'update'],
  ['yjs-update with non-canonical base64', yjs('AB=='), 'INVALID_MESSAGE', 'update'],
  ['yjs-update with base64 text that is not a Yjs update', yjs(Buffer.from('hello, world!').toString('base64')), 'INVALID_MESSAGE', 'update'],
  ['yjs-update with random bytes', yjs(b64(randomBytes(64))), 'INVALID_MESSAGE', 'update'],
  ['awareness-update with garbage base64', '{"action":"awareness-update","update":"***"}', 'INVALID_MESSAGE', 'update'],
  ['awareness-update with base64 text that is not an awareness update', JSON.stringify({ action: 'awareness-update', update: Buffer.from('not awareness at all').toString('base64') }), 'INVALID_MESSAGE', 'update'],
  ['awareness-update cut short', JSON.stringify({ action: 'awareness-update', update: Buffer.from([1, 200, 1, 3, 0, 9, 123]).toString('base64') }), 'INVALID_MESSAGE', 'update'],
  ['cursor-update with line 0', '{"action":"cursor-update","position":{"lineNumber":0,"column":1}}', 'INVALID_MESSAGE', 'position.lineNumber'],
  ['cursor-update without position', '{"action":"cursor-update"}', 'INVALID_MESSAGE', 'position'],
  ['join-session with an unknown format', '{"action":"join-session","format":"xml"}', 'INVALID_MESSAGE', 'format'],
  ['language-change without language', '{"action":"language-change"}', 'INVALID_MESSAGE', 'language'],
  ['language-change to an unsupported language', '{"action":"language-change","language":"cobol"}', 'UNSUPPORTED_LANGUAGE', undefined],
];

async function storedState() {
  const [code, session] = await Promise.all([
    getCode(access),
    api(httpUrl, 'GET', `/api/sessions/${access.sessionId}`, access.token),
  ]);
  return { code: code.code, version: code.version, language: session.body.language };
}

/** Sends one raw message and returns the error it earns. */
async function errorFor(ws: WsClient, raw: string, send: (raw: string) => void = (r) => ws.sendRaw(r)) {
  const error = ws.take('error', () => true, 30_000);
  send(raw);
  return error;
}

describe('malformed messages', () => {
  it.each(MALFORMED)('%s gets an error and changes nothing', async (_what, raw, code, field) => {
    const before = await storedState();
    const error = await errorFor(client.ws, raw);
    expect(error).toMatchObject({ type: 'error', code, message: expect.any(String) });
    if (field) expect(error.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    // A message whose action is known is named in the error, even when its fields are wrong.
    const action = field || code === 'UNSUPPORTED_LANGUAGE' ? (JSON.parse(raw) as { action: string }).action : undefined;
    expect(error.action).toBe(action);
    expect(await storedState()).toEqual(before);
  });

  it('a baseVersion the server never held gets VERSION_CONFLICT with the current version and code', async () => {
    await client.change(`${client.text}// one more version\n`);
    const before = await storedState();
    const error = await errorFor(client.ws, codeChange({ code: 'overwrite', baseVersion: before.version + 5 }));
    expect(error).toMatchObject({ code: 'VERSION_CONFLICT', action: 'code-change', details: { currentVersion: before.version, code: before.code } });
    expect(await storedState()).toEqual(before);
  }, 120_000);

  it('a code-change over 100 KiB (one message under 128 KiB, in 32 KiB frames) gets PAYLOAD_TOO_LARGE', async () => {
    const before = await storedState();
    const raw = codeChange({ code: 'x'.repeat(100 * KIB + 1) });
    expect(Buffer.byteLength(raw)).toBeLessThan(128 * KIB);
    const error = await errorFor(client.ws, raw, (r) => client.ws.sendFragmented(r));
    expect(error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', action: 'code-change' });
    expect(await storedState()).toEqual(before);
  });

  it('edits, cursors and language changes before join-session get NOT_JOINED', async () => {
    const before = await storedState();
    const cases: Array<[string, string]> = [
      ['code-change', codeChange({ code: 'not joined' })],
      ['yjs-update', yjs(validUpdate())],
      ['cursor-update', '{"action":"cursor-update","position":{"lineNumber":1,"column":1}}'],
      ['language-change', '{"action":"language-change","language":"python"}'],
    ];
    for (const [action, raw] of cases) {
      expect(await errorFor(stranger, raw)).toMatchObject({ code: 'NOT_JOINED', action });
    }
    expect(await storedState()).toEqual(before);
  }, 150_000);

  it('a join-session with a stateVector that is not a state vector changes nothing (the client stays a text client)', async () => {
    const error = await errorFor(client.ws, JSON.stringify({ action: 'join-session', format: 'yjs', stateVector: '/w==' }));
    expect(error).toMatchObject({ code: 'INVALID_MESSAGE', action: 'join-session' });
    const res = await api(httpUrl, 'PUT', `/api/sessions/${access.sessionId}/code`, access.token, { code: 'after the bad join\n' });
    expect(res.status).toBe(200);
    const update = await client.ws.take(['code-update', 'yjs-update'], () => true, 30_000);
    expect(update).toMatchObject({ type: 'code-update', code: 'after the bad join\n', version: res.body.version });
  }, 120_000);

  it('the other participant heard none of it', () => {
    const heard = observer.ws.log.map((m) => m.type).filter((t) => !['session-joined', 'user-joined', 'code-update'].includes(t));
    expect(heard).toEqual([]);
    // The only document change in this file is the one accepted code-change above.
    const fromClient = observer.ws.received('code-update').filter((m) => m.userId === client.joined.userId);
    expect(fromClient.map((m) => m.code)).toEqual([expect.stringContaining('// one more version')]);
    expect(observer.ws.received('language-update')).toEqual([]);
  });
});
