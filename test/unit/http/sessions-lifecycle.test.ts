/** PATCH and DELETE of functions/http/sessions.ts (POST, GET and shared authorization: sessions.test.ts). */
import { docItems, givenDocument } from '../fixtures.js';
import {
  call,
  CANDIDATE_TOKEN,
  commandNames,
  connectionItem,
  ddb,
  endedSession,
  expiredSession,
  givenConnections,
  givenSession,
  INTERVIEWER_TOKEN,
  mgmt,
  pushed,
  sent,
  SESSION_ID,
  sessionItem,
  TABLE,
  transactionCanceled,
  transactionConflict,
  transactItems,
  useMockedDynamo,
  writes,
  type Item,
} from '../fixtures.js';
import { DeleteConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../../functions/http/sessions.js';

/** A document someone wrote in: a language change leaves it (an untouched one gets the new starter code). */
const givenWrittenDocument = () => givenDocument(docItems('print("written")\n'));

const patch = (body: unknown, token = INTERVIEWER_TOKEN) =>
  call(handler, { routeKey: 'PATCH /api/sessions/{sessionId}', sessionId: SESSION_ID, token, body });
const del = (token = INTERVIEWER_TOKEN, query?: Record<string, string>) =>
  call(handler, { routeKey: 'DELETE /api/sessions/{sessionId}', sessionId: SESSION_ID, token, query });

describe('PATCH /api/sessions/{sessionId}', () => {
  useMockedDynamo();

  it('lets the interviewer retitle: 200 with the new title, written only while the session is active', async () => {
    givenSession();
    const res = await patch({ title: 'Final round' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ sessionId: SESSION_ID, title: 'Final round', language: 'python', status: 'active' });
    const [update, history] = transactItems();
    expect(update?.Update).toMatchObject({
      TableName: TABLE,
      Key: { PK: `S#${SESSION_ID}`, SK: 'META' },
      ConditionExpression: expect.stringContaining('#status = :active'),
      ExpressionAttributeValues: expect.objectContaining({ ':title': 'Final round' }),
    });
    expect(update?.Update?.ConditionExpression).toContain('expiresAtEpoch > :nowSec');
    expect(history?.Put?.Item).toMatchObject({ type: 'title-changed', detail: { title: 'Final round' } });
  });

  it('lets the candidate change the language and records language-changed', async () => {
    givenSession();
    const res = await patch({ language: 'java' }, CANDIDATE_TOKEN);
    expect(res.status).toBe(200);
    expect(res.body.language).toBe('java');
    const [update, history] = transactItems();
    expect(update?.Update?.ExpressionAttributeValues?.[':language']).toBe('java');
    expect(history?.Put?.Item).toMatchObject({ type: 'language-changed', userId: 'candidate', detail: { from: 'python', to: 'java' } });
  });

  it('pushes session-updated and language-update to the joined sockets only', async () => {
    givenSession();
    givenWrittenDocument();
    givenConnections([connectionItem('joined', { joined: true, userId: 'u1' }), connectionItem('not-joined')]);
    await patch({ language: 'rust' }, CANDIDATE_TOKEN);
    expect(pushed()).toEqual([
      {
        connectionId: 'joined',
        message: { type: 'session-updated', title: 'Backend pairing', language: 'rust', runsDisabled: false, editingLocked: false, userId: 'candidate', revision: 1 },
      },
      { connectionId: 'joined', message: { type: 'language-update', language: 'rust', userId: 'candidate' } },
    ]);
  });

  it('sends a single UpdateCommand (no history) when nothing actually changes', async () => {
    givenSession();
    const res = await patch({ language: 'python' });
    expect(res.status).toBe(200);
    expect(commandNames()).toEqual(['GetCommand', 'UpdateCommand', 'QueryCommand']);
  });

  it('retries a change cancelled by a TransactionConflict on an active session instead of answering 410', async () => {
    givenSession();
    givenWrittenDocument();
    ddb.on(TransactWriteCommand).rejectsOnce(transactionConflict()).resolves({});
    const res = await patch({ language: 'go' }, CANDIDATE_TOKEN);
    expect(res.status).toBe(200);
    expect(res.body.language).toBe('go');
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(2);
  });

  it.each([
    ['the title', { title: 'Mine now' }],
    ['the title together with the language', { title: 'Mine now', language: 'go' }],
  ])('refuses the candidate changing %s with 403 FORBIDDEN and writes nothing', async (_, body) => {
    givenSession();
    const res = await patch(body, CANDIDATE_TOKEN);
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('FORBIDDEN');
    expect(writes()).toEqual([]);
  });

  it('rejects an unsupported language with 400 UNSUPPORTED_LANGUAGE', async () => {
    givenSession();
    const res = await patch({ language: 'brainfuck' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('UNSUPPORTED_LANGUAGE');
    expect(writes()).toEqual([]);
  });

  it.each([
    ['an empty body', {}],
    ['a non-string title', { title: 7 }],
    ['an unknown field', { status: 'ended' }],
  ])('rejects %s with 400 VALIDATION_ERROR', async (_, body) => {
    givenSession();
    const res = await patch(body);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('VALIDATION_ERROR');
    expect(writes()).toEqual([]);
  });

  it.each([
    ['ended', endedSession],
    ['expired', expiredSession],
  ] as const)('answers 410 SESSION_EXPIRED on an %s session and writes nothing', async (_, item) => {
    givenSession(item());
    const res = await patch({ language: 'go' }, CANDIDATE_TOKEN);
    expect(res.status).toBe(410);
    expect(res.body.error).toBe('SESSION_EXPIRED');
    expect(writes()).toEqual([]);
  });

  it('answers 410 when the session ends between the read and the conditional write', async () => {
    // The handler's read finds it active; the condition fails, and the read after it finds it ended.
    ddb.on(GetCommand, { Key: { PK: `S#${SESSION_ID}`, SK: 'META' } }).resolvesOnce({ Item: sessionItem() }).resolves({ Item: endedSession() });
    ddb.on(TransactWriteCommand).rejects(transactionCanceled());
    ddb.on(UpdateCommand).resolves({});
    const res = await patch({ title: 'Too late' });
    expect(res.status).toBe(410);
    expect(res.body.error).toBe('SESSION_EXPIRED');
  });
});

describe('DELETE /api/sessions/{sessionId}', () => {
  useMockedDynamo();

  it('ends an active session: 200 {sessionId, status:"ended"}, conditioned on it being active, with a history entry', async () => {
    givenSession();
    const res = await del();
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ sessionId: SESSION_ID, status: 'ended' });
    const [update, history] = transactItems();
    expect(update?.Update).toMatchObject({
      Key: { PK: `S#${SESSION_ID}`, SK: 'META' },
      ConditionExpression: '#status = :active',
      ExpressionAttributeValues: expect.objectContaining({ ':ended': 'ended' }),
    });
    expect(history?.Put?.Item).toMatchObject({ type: 'session-ended', userId: 'interviewer', detail: { reason: 'ended-by-interviewer' } });
  });

  it('refuses the candidate with 403 FORBIDDEN and writes nothing', async () => {
    givenSession();
    const res = await del(CANDIDATE_TOKEN);
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('FORBIDDEN');
    expect(writes()).toEqual([]);
  });

  it('is idempotent: ending an ended session answers 200 and writes nothing', async () => {
    givenSession(endedSession());
    const res = await del();
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ sessionId: SESSION_ID, status: 'ended' });
    expect(writes()).toEqual([]);
  });

  it('answers 200 when another request ended the session first (lost the condition)', async () => {
    givenSession();
    ddb.on(TransactWriteCommand).rejects(transactionCanceled());
    const res = await del();
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ended');
  });

  it('retries ending the session when the transaction is cancelled by a TransactionConflict', async () => {
    givenSession();
    ddb.on(TransactWriteCommand).rejectsOnce(transactionConflict()).resolves({});
    const res = await del();
    expect(res.status).toBe(200);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(2);
  });

  it('ends an expired (not yet ended) session with reason "expired"', async () => {
    givenSession(expiredSession());
    const res = await del();
    expect(res.status).toBe(200);
    expect(transactItems()[1]?.Put?.Item).toMatchObject({ type: 'session-ended', detail: { reason: 'expired' } });
  });

  it('tells every connected socket, joined or not, session-ended, closes it and forgets it', async () => {
    givenSession();
    givenConnections([connectionItem('conn-a', { joined: true, userId: 'u1' }), connectionItem('conn-b')]);
    expect((await del()).status).toBe(200);
    expect(pushed()).toEqual([
      { connectionId: 'conn-a', message: { type: 'session-ended', reason: 'ended-by-interviewer' } },
      { connectionId: 'conn-b', message: { type: 'session-ended', reason: 'ended-by-interviewer' } },
    ]);
    expect(mgmt.commandCalls(DeleteConnectionCommand).map((c) => c.args[0].input.ConnectionId).sort()).toEqual(['conn-a', 'conn-b']);
    expect(sent(DeleteCommand).map((d) => d.Key)).toEqual(
      expect.arrayContaining([{ PK: `S#${SESSION_ID}`, SK: 'C#conn-a' }, { PK: 'CONN#conn-a', SK: 'CONN' }, { PK: 'CONN#conn-b', SK: 'CONN' }]),
    );
  });

  // $disconnect finds the presence of a socket the end closed already gone and writes nothing: the end
  // itself records that everyone left, once per user (two tabs of u1 are one user-left), after session-ended.
  it('records a user-left history entry for each user the end disconnects', async () => {
    givenSession();
    givenConnections([
      connectionItem('conn-a', { joined: true, userId: 'u1', username: 'Ada' }),
      connectionItem('conn-a2', { joined: true, userId: 'u1', username: 'Ada' }),
      connectionItem('conn-b', { joined: true, userId: 'u2', username: 'Bob' }),
      connectionItem('conn-c'),
    ]);
    expect((await del()).status).toBe(200);
    const left = sent(PutCommand).map((p) => p.Item!).filter((i) => i.type === 'user-left');
    expect(left.map((i) => [i.userId, i.detail])).toEqual([
      ['u1', { username: 'Ada' }],
      ['u2', { username: 'Bob' }],
    ]);
    expect(left.every((i) => i.PK === `S#${SESSION_ID}` && String(i.SK).startsWith('H#'))).toBe(true);
  });

  it('with ?purge=true deletes every item of the session and the connection lookups, 25 per BatchWrite', async () => {
    givenSession(endedSession());
    const items: Item[] = [
      { PK: `S#${SESSION_ID}`, SK: 'META' },
      { PK: `S#${SESSION_ID}`, SK: 'DOC' },
      ...Array.from({ length: 26 }, (_, i) => ({ PK: `S#${SESSION_ID}`, SK: `DOC#U#${String(i + 2).padStart(12, '0')}` })),
      { ...connectionItem('conn-a'), ttl: 1 }, // past its ttl: purge removes it anyway
      connectionItem('conn-b'),
    ];
    ddb.on(QueryCommand, { KeyConditionExpression: 'PK = :pk' }).resolvesOnce({ Items: items.slice(0, 10), LastEvaluatedKey: { PK: 'x', SK: 'y' } }).resolves({ Items: items.slice(10) });
    const res = await del(INTERVIEWER_TOKEN, { purge: 'true' });
    expect(res.status).toBe(200);
    const partitionReads = sent(QueryCommand).filter((q) => q.KeyConditionExpression === 'PK = :pk');
    expect(partitionReads).toHaveLength(2);
    expect(partitionReads[1]?.ExclusiveStartKey).toEqual({ PK: 'x', SK: 'y' });
    const batches = sent(BatchWriteCommand);
    expect(batches.map((b) => b.RequestItems?.[TABLE]?.length)).toEqual([25, 7]);
    const deleted = batches.flatMap((b) => b.RequestItems![TABLE]!.map((r) => r.DeleteRequest!.Key));
    expect(deleted).toEqual([
      ...items.map((i) => ({ PK: i.PK, SK: i.SK })),
      { PK: 'CONN#conn-a', SK: 'CONN' },
      { PK: 'CONN#conn-b', SK: 'CONN' },
    ]);
  });

  it('retries the items a BatchWrite leaves unprocessed', async () => {
    givenSession(endedSession());
    const keys = [{ PK: `S#${SESSION_ID}`, SK: 'META' }, { PK: `S#${SESSION_ID}`, SK: 'DOC' }];
    ddb.on(QueryCommand, { KeyConditionExpression: 'PK = :pk' }).resolves({ Items: keys });
    ddb.on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { [TABLE]: [{ DeleteRequest: { Key: keys[1]! } }] } })
      .resolves({});
    const res = await del(INTERVIEWER_TOKEN, { purge: 'true' });
    expect(res.status).toBe(200);
    const batches = sent(BatchWriteCommand);
    expect(batches).toHaveLength(2);
    expect(batches[1]?.RequestItems?.[TABLE]).toEqual([{ DeleteRequest: { Key: keys[1] } }]);
  });

  it('does not purge without ?purge=true, and rejects other purge values with 400 VALIDATION_ERROR', async () => {
    givenSession();
    expect((await del(INTERVIEWER_TOKEN, { purge: 'false' })).status).toBe(200);
    expect(sent(BatchWriteCommand)).toEqual([]);
    const res = await del(INTERVIEWER_TOKEN, { purge: 'yes' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'VALIDATION_ERROR', details: [{ field: 'purge' }] });
  });
});
