import {
  call,
  CANDIDATE_TOKEN,
  commandNames,
  connectionItem,
  ddb,
  docItems,
  docWithLog,
  endedSession,
  expiredSession,
  givenConnections,
  givenDocument,
  givenSession,
  INTERVIEWER_TOKEN,
  pastTtlSession,
  pushed,
  sessionItem,
  SESSION_ID,
  textFrom,
  appendRefused,
  transactionConflict,
  transactItems,
  useMockedDynamo,
  writes,
} from '../fixtures.js';
import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../../functions/http/code.js';
import { LIMITS } from '#contract/limits.js';

/** `token: null` sends no Authorization header. */
const getCode = (token: string | null = INTERVIEWER_TOKEN, sessionId = SESSION_ID) =>
  call(handler, { routeKey: 'GET /api/sessions/{sessionId}/code', sessionId, token: token ?? undefined });
const putCode = (body: unknown, token: string | null = CANDIDATE_TOKEN) =>
  call(handler, { routeKey: 'PUT /api/sessions/{sessionId}/code', sessionId: SESSION_ID, token: token ?? undefined, body });

const LARGE = Array.from({ length: 400 }, (_, i) => `line_${i} = ${i} * 2  # some commentary`).join('\n');

describe('GET /api/sessions/{sessionId}/code', () => {
  useMockedDynamo();

  it('answers 200 {code, language, version, updatedAt} from the newest state plus the log after it, in 2 DynamoDB calls', async () => {
    givenSession(sessionItem({ language: 'go', version: 3 }));
    const doc = docWithLog(['a', 'ab', 'abc'], 1);
    givenDocument(doc.items);
    const res = await getCode(CANDIDATE_TOKEN);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ code: 'abc', language: 'go', version: 3, updatedAt: doc.items[0]!.at });
    expect(commandNames()).toEqual(['GetCommand', 'QueryCommand']);
    expect(ddb.commandCalls(QueryCommand)[0]!.args[0].input).toMatchObject({
      ConsistentRead: true,
      ScanIndexForward: false,
      ExpressionAttributeValues: { ':pk': `S#${SESSION_ID}`, ':lo': 'DOC#', ':hi': 'DOC#~' },
    });
    // A second read in the same container: the session item says its copy is current, no document read.
    await getCode(CANDIDATE_TOKEN);
    expect(commandNames()).toEqual(['GetCommand', 'QueryCommand', 'GetCommand']);
  });

  it('with ?format=yjs also answers the whole Yjs state, base64-encoded', async () => {
    givenSession();
    givenDocument(docWithLog(['fn main() {}', 'fn main() { todo!() }'], 1).items);
    const res = await call(handler, { routeKey: 'GET /api/sessions/{sessionId}/code', sessionId: SESSION_ID, token: CANDIDATE_TOKEN, query: { format: 'yjs' } });
    expect(res.status).toBe(200);
    expect(res.body.code).toBe('fn main() { todo!() }');
    expect(textFrom(Buffer.from(res.body.yjsState, 'base64'))).toBe('fn main() { todo!() }');
    const plain = await call(handler, { routeKey: 'GET /api/sessions/{sessionId}/code', sessionId: SESSION_ID, token: CANDIDATE_TOKEN, query: { format: 'xml' } });
    expect(plain.status).toBe(400);
    expect(plain.body.details).toEqual([expect.objectContaining({ field: 'format' })]);
  });

  it('still serves the code of an ended session', async () => {
    givenSession(endedSession());
    givenDocument(docItems('print(1)\n'));
    const res = await getCode();
    expect(res.status).toBe(200);
    expect(res.body.code).toBe('print(1)\n');
  });

  it('answers 404 SESSION_NOT_FOUND for a session past its ttl, without reading the document', async () => {
    givenSession(pastTtlSession());
    givenDocument(docItems('still here'));
    const res = await getCode();
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('SESSION_NOT_FOUND');
    expect(commandNames()).toEqual(['GetCommand']);
  });

  it('answers 401 without a token, 401 with a wrong one, 404 for an unknown session, 400 for a malformed id', async () => {
    givenSession();
    expect((await getCode(null)).body.error).toBe('UNAUTHORIZED');
    expect((await getCode('wrong')).body.error).toBe('UNAUTHORIZED');
    expect((await getCode(INTERVIEWER_TOKEN, '3f0c6a0e-9b7e-4c1a-8d2f-000000000000')).body.error).toBe('SESSION_NOT_FOUND');
    expect((await getCode(INTERVIEWER_TOKEN, '../etc/passwd')).body.error).toBe('INVALID_SESSION');
  });
});

describe('PUT /api/sessions/{sessionId}/code', () => {
  useMockedDynamo();

  it('appends the edit as version+1, conditioned on the version it read: 4 DynamoDB calls cold, 3 warm', async () => {
    givenSession(sessionItem({ version: 4 }));
    const doc = docWithLog(['x = 1\n', 'x = 2\n'], 3);
    givenDocument(doc.items);
    const res = await putCode({ code: 'x = 3\nprint(x)\n' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ version: 5 });
    // Session item, connections, the document (this container had no copy), the append.
    expect(commandNames()).toEqual(['GetCommand', 'QueryCommand', 'QueryCommand', 'TransactWriteCommand']);

    const [meta, log] = transactItems();
    expect(meta?.Update?.ConditionExpression).toMatch(/^version = :expected AND /);
    expect(meta?.Update?.ExpressionAttributeValues).toMatchObject({ ':expected': 4, ':next': 5 });
    expect(log?.Put).toMatchObject({
      Item: { PK: `S#${SESSION_ID}`, SK: 'DOC#000000000005#U', version: 5, userId: 'candidate' },
      ConditionExpression: 'attribute_not_exists(SK)',
    });
    const state = doc.items.at(-1)!.state as Uint8Array;
    expect(textFrom(state, ...doc.updates, log!.Put!.Item!.update as Uint8Array)).toBe('x = 3\nprint(x)\n');

    // The next PUT in this container: its copy is at version 5, so no document read.
    ddb.resetHistory();
    givenSession(sessionItem({ version: 5 }));
    expect((await putCode({ code: 'x = 4\n' })).body).toEqual({ version: 6 });
    expect(commandNames()).toEqual(['GetCommand', 'QueryCommand', 'TransactWriteCommand']);
  });

  it('pushes code-update to joined text clients and yjs-update to joined Yjs clients, with no extra DynamoDB call', async () => {
    givenSession();
    givenDocument(docItems('a = 1\n'));
    givenConnections([
      connectionItem('text-1', { joined: true, userId: 'u1', format: 'text' }),
      connectionItem('yjs-1', { joined: true, userId: 'u2', format: 'yjs' }),
      connectionItem('lurker'),
    ]);
    const res = await putCode({ code: 'a = 2\n' });
    expect(res.body).toEqual({ version: 2 });
    expect(commandNames()).toEqual(['GetCommand', 'QueryCommand', 'QueryCommand', 'TransactWriteCommand']);
    const byConnection = Object.fromEntries(pushed().map((p) => [p.connectionId, p.message]));
    expect(Object.keys(byConnection).sort()).toEqual(['text-1', 'yjs-1']);
    expect(byConnection['text-1']).toMatchObject({ type: 'code-update', code: 'a = 2\n', version: 2, userId: 'candidate' });
    expect(byConnection['yjs-1']).toMatchObject({ type: 'yjs-update', version: 2 });
    const stored = transactItems()[1]!.Put!.Item!.update as Uint8Array;
    expect(Buffer.from(byConnection['yjs-1'].update, 'base64').equals(Buffer.from(stored))).toBe(true);
  });

  it('pushes nothing when the text did not change', async () => {
    givenSession();
    givenDocument(docItems('same'));
    givenConnections([connectionItem('text-1', { joined: true, userId: 'u1', format: 'text' })]);
    await putCode({ code: 'same' });
    expect(pushed()).toEqual([]);
  });

  it('stores a one-character change to a large text as a small update', async () => {
    givenSession();
    givenDocument(docItems(LARGE));
    const next = LARGE.replace('line_200 = 200', 'line_200 = 201');
    expect((await putCode({ code: next })).status).toBe(200);
    const update = transactItems()[1]!.Put!.Item!.update as Uint8Array;
    expect(LARGE.length).toBeGreaterThan(10_000);
    expect(update.byteLength).toBeLessThan(100);
  });

  it('accepts a matching baseVersion', async () => {
    givenSession(sessionItem({ version: 7 }));
    givenDocument(docItems('a', { version: 7 }));
    const res = await putCode({ code: 'b', baseVersion: 7 });
    expect(res.body).toEqual({ version: 8 });
  });

  it('writes nothing and keeps the version when the text is unchanged', async () => {
    givenSession(sessionItem({ version: 2 }));
    givenDocument(docItems('same', { version: 2 }));
    const res = await putCode({ code: 'same' });
    expect(res.body).toEqual({ version: 2 });
    expect(commandNames()).toEqual(['GetCommand', 'QueryCommand', 'QueryCommand']);
  });

  it('rejects a stale baseVersion with 409 VERSION_CONFLICT carrying {currentVersion, code}, writing nothing', async () => {
    givenSession(sessionItem({ version: 5 }));
    givenDocument(docWithLog(['v4', 'v5 text'], 4).items);
    const res = await putCode({ code: 'mine', baseVersion: 3 });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: 'VERSION_CONFLICT', details: { currentVersion: 5, code: 'v5 text' } });
    expect(writes()).toEqual([]);
  });

  it('answers 409 with the winner\'s version and code when a versioned write loses the race', async () => {
    givenSession(sessionItem({ version: 2 }));
    // The same document before (state only) and after the winner's append (state + its log item).
    const after = docWithLog(['base', 'winner'], 2).items;
    givenDocument(after.filter((i) => i.version === 2), after);
    ddb.on(TransactWriteCommand).rejects(appendRefused(sessionItem({ version: 3 })));
    const res = await putCode({ code: 'loser', baseVersion: 2 });
    expect(res.status).toBe(409);
    expect(res.body.details).toEqual({ currentVersion: 3, code: 'winner' });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it('retries a versioned write cancelled by a TransactionConflict when the version has not moved', async () => {
    givenSession(sessionItem({ version: 2 }));
    givenDocument(docItems('a', { version: 2 }));
    ddb.on(TransactWriteCommand).rejectsOnce(transactionConflict()).resolves({});
    const res = await putCode({ code: 'b', baseVersion: 2 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ version: 3 });
  });

  it('without baseVersion, re-reads and retries after losing the race, then succeeds on top of the winner', async () => {
    givenSession(sessionItem({ version: 2 }));
    const winner = docWithLog(['def f():\n    pass\n', '# winner\ndef f():\n    pass\n'], 2);
    givenDocument(winner.items.filter((i) => i.version === 2), winner.items);
    ddb.on(TransactWriteCommand).rejectsOnce(appendRefused(sessionItem({ version: 3 }))).resolves({});
    const res = await putCode({ code: 'def f():\n    return 1\n' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ version: 4 });
    // The retry reads only the log above its version (a Query), not the whole document again.
    expect(commandNames()).toEqual(['GetCommand', 'QueryCommand', 'QueryCommand', 'TransactWriteCommand', 'QueryCommand', 'TransactWriteCommand']);
    const retry = transactItems(1);
    expect(retry[0]?.Update?.ExpressionAttributeValues).toMatchObject({ ':expected': 3, ':next': 4 });
    const state = winner.items.at(-1)!.state as Uint8Array;
    expect(textFrom(state, ...winner.updates, retry[1]!.Put!.Item!.update as Uint8Array)).toBe('def f():\n    return 1\n');
  });

  it('answers 503 BUSY with Retry-After when every try loses the race, and stores nothing of its own', async () => {
    givenSession(sessionItem({ version: 2 }));
    givenDocument(docItems('a', { version: 2 }));
    ddb.on(TransactWriteCommand).rejects(appendRefused(sessionItem({ version: 9 })));
    const res = await putCode({ code: 'b' });
    expect(res.status).toBe(503);
    expect(res.body.error).toBe('BUSY');
    expect(res.headers?.['retry-after']).toBe('1');
    const tries = ddb.commandCalls(TransactWriteCommand).length;
    expect(tries).toBeGreaterThan(1);
    expect(tries).toBeLessThanOrEqual(LIMITS.document.writeAttempts);
  });

  it.each([
    ['2-byte', 'é', 51_201],
    ['4-byte emoji', '😀', 25_601],
  ])('counts %s characters in UTF-8 bytes: just over 100 KiB is 413 PAYLOAD_TOO_LARGE and nothing is written', async (_, ch, count) => {
    givenSession();
    givenDocument(docItems(''));
    const code = ch.repeat(count);
    expect(code.length).toBeLessThan(100 * 1024); // a UTF-16 length check would let it through
    const res = await putCode({ code });
    expect(res.status).toBe(413);
    expect(res.body.error).toBe('PAYLOAD_TOO_LARGE');
    expect(writes()).toEqual([]);
  });

  it('accepts code of exactly 100 KiB in UTF-8 bytes', async () => {
    givenSession();
    givenDocument(docItems(''));
    const res = await putCode({ code: 'é'.repeat(51_200) });
    expect(res.status).toBe(200);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it.each([
    ['ended', endedSession],
    ['expired', expiredSession],
  ] as const)('answers 410 SESSION_EXPIRED on an %s session and writes nothing', async (_, item) => {
    givenSession(item());
    givenDocument(docItems('old'));
    const res = await putCode({ code: 'new' }, INTERVIEWER_TOKEN);
    expect(res.status).toBe(410);
    expect(res.body.error).toBe('SESSION_EXPIRED');
    expect(writes()).toEqual([]);
  });

  it('answers 410 when the session ends while the write is in flight (no retry loop)', async () => {
    ddb.on(GetCommand, { Key: { SK: 'META' } }).resolvesOnce({ Item: sessionItem() }).resolves({ Item: endedSession() });
    givenDocument(docItems('old'));
    ddb.on(TransactWriteCommand).rejects(appendRefused(endedSession()));
    const res = await putCode({ code: 'new' });
    expect(res.status).toBe(410);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it('answers 404 for a session past its ttl and writes nothing', async () => {
    givenSession(pastTtlSession());
    const res = await putCode({ code: 'x' });
    expect(res.status).toBe(404);
    expect(writes()).toEqual([]);
  });

  it.each([
    ['code', {}],
    ['code', { code: 42 }],
    ['baseVersion', { code: 'x', baseVersion: -1 }],
    ['baseVersion', { code: 'x', baseVersion: '3' }],
  ])('rejects a bad %s with 400 VALIDATION_ERROR naming it (%j)', async (field, body) => {
    givenSession();
    const res = await putCode(body);
    expect(res.status).toBe(400);
    expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    expect(writes()).toEqual([]);
  });

  it('answers 401 without a token and writes nothing', async () => {
    givenSession();
    const res = await putCode({ code: 'x' }, null);
    expect(res.status).toBe(401);
    expect(commandNames()).toEqual([]);
  });
});
