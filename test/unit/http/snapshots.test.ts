import {
  call,
  CANDIDATE_TOKEN,
  commandNames,
  connectionItem,
  ddb,
  docItems,
  endedSession,
  givenConnections,
  givenDocument,
  givenSession,
  INTERVIEWER_TOKEN,
  nowSec,
  pushed,
  sent,
  sessionItem,
  SESSION_ID,
  SNAPSHOT_ID,
  snapshotItem,
  TABLE,
  textFrom,
  transactItems,
  useMockedDynamo,
  writes,
  type Item,
} from '../fixtures.js';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../../functions/http/snapshots.js';

const base = '/api/sessions/{sessionId}/snapshots';
const createSnapshot = (body: unknown, token = CANDIDATE_TOKEN) => call(handler, { routeKey: `POST ${base}`, sessionId: SESSION_ID, token, body });
const list = (token = CANDIDATE_TOKEN) => call(handler, { routeKey: `GET ${base}`, sessionId: SESSION_ID, token });
const read = (snapshotId: string, token = CANDIDATE_TOKEN) => call(handler, { routeKey: `GET ${base}/{snapshotId}`, sessionId: SESSION_ID, snapshotId, token });
const restore = (snapshotId: string, token = INTERVIEWER_TOKEN) =>
  call(handler, { routeKey: `POST ${base}/{snapshotId}/restore`, sessionId: SESSION_ID, snapshotId, token });

const givenSnapshot = (item: Item = snapshotItem()) => ddb.on(GetCommand, { Key: { SK: `P#${item.snapshotId}` } }).resolves({ Item: item });

const PUBLIC_FIELDS = { snapshotId: expect.any(String), label: expect.any(String), language: expect.any(String), createdAt: expect.any(String), createdBy: expect.any(String), size: expect.any(Number) };

describe('POST /api/sessions/{sessionId}/snapshots', () => {
  useMockedDynamo();

  it('saves the current code and answers 201 with the snapshot fields but not the code', async () => {
    const session = givenSession(sessionItem({ language: 'javascript' }));
    givenDocument(docItems('console.log("héllo")\n', { version: 6 }));
    const res = await createSnapshot({ label: 'first try' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ ...PUBLIC_FIELDS, label: 'first try', language: 'javascript', createdBy: 'candidate', size: 22, version: 6 });
    expect(res.body.snapshotId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(res.body).not.toHaveProperty('code');

    const [snapshot, history] = transactItems();
    expect(snapshot?.Put).toMatchObject({
      TableName: TABLE,
      Item: { PK: `S#${SESSION_ID}`, SK: `P#${res.body.snapshotId}`, code: 'console.log("héllo")\n', ttl: session.ttl },
      ConditionExpression: 'attribute_not_exists(SK)',
    });
    expect(history?.Put?.Item).toMatchObject({ type: 'snapshot-created', detail: { snapshotId: res.body.snapshotId, label: 'first try' } });
  });

  it('labels an unlabelled snapshot with its version', async () => {
    givenSession();
    givenDocument(docItems('x', { version: 9 }));
    const res = await createSnapshot(undefined);
    expect(res.status).toBe(201);
    expect(res.body.label).toBe('Snapshot at version 9');
  });

  it('answers 410 SESSION_EXPIRED on an ended session and writes nothing', async () => {
    givenSession(endedSession());
    const res = await createSnapshot({});
    expect(res.status).toBe(410);
    expect(writes()).toEqual([]);
  });

  it.each([[{ label: 5 }], [{ label: 'l'.repeat(121) }], [{ code: 'x' }]])('rejects %j with 400 VALIDATION_ERROR', async (body) => {
    givenSession();
    const res = await createSnapshot(body);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('VALIDATION_ERROR');
    expect(writes()).toEqual([]);
  });

  it('answers 401 without a token, before any read', async () => {
    const res = await call(handler, { routeKey: `POST ${base}`, sessionId: SESSION_ID, body: {} });
    expect(res.status).toBe(401);
    expect(commandNames()).toEqual([]);
  });
});

describe('GET /api/sessions/{sessionId}/snapshots', () => {
  useMockedDynamo();

  it('lists snapshots newest first without their code, dropping items past their ttl', async () => {
    givenSession();
    const newer = snapshotItem({ snapshotId: '01JB0000000000000000000002', SK: 'P#01JB0000000000000000000002', label: 'newer' });
    const older = snapshotItem({ snapshotId: '01JB0000000000000000000001', SK: 'P#01JB0000000000000000000001', label: 'older' });
    const gone = snapshotItem({ snapshotId: '01JB0000000000000000000000', SK: 'P#01JB0000000000000000000000', ttl: nowSec() - 1 });
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':p': 'P#' } }).resolves({ Items: [newer, older, gone] });
    const res = await list();
    expect(res.status).toBe(200);
    expect(res.body.snapshots.map((s: { label: string }) => s.label)).toEqual(['newer', 'older']);
    for (const s of res.body.snapshots) {
      expect(s).toMatchObject(PUBLIC_FIELDS);
      expect(s).not.toHaveProperty('code');
    }
    const [query] = sent(QueryCommand);
    expect(query?.ScanIndexForward).toBe(false);
    expect(Object.values(query?.ExpressionAttributeNames ?? {})).not.toContain('code');
    expect(query?.ProjectionExpression).toBeDefined();
  });

  it('answers an empty list when there are none', async () => {
    givenSession();
    const res = await list(INTERVIEWER_TOKEN);
    expect(res.body).toEqual({ snapshots: [] });
  });
});

describe('GET /api/sessions/{sessionId}/snapshots/{snapshotId}', () => {
  useMockedDynamo();

  it('answers 200 with the snapshot including its code', async () => {
    givenSession();
    givenSnapshot();
    const res = await read(SNAPSHOT_ID);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ...PUBLIC_FIELDS, snapshotId: SNAPSHOT_ID, code: 'print("v1")\n', label: 'before refactor' });
    expect(sent(GetCommand)[1]?.Key).toEqual({ PK: `S#${SESSION_ID}`, SK: `P#${SNAPSHOT_ID}` });
  });

  it('answers 404 NOT_FOUND for an unknown snapshot', async () => {
    givenSession();
    const res = await read('01JB0000000000000000000009');
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('NOT_FOUND');
  });

  it('answers 404 NOT_FOUND for a snapshot past its ttl', async () => {
    givenSession();
    givenSnapshot(snapshotItem({ ttl: nowSec() - 10 }));
    const res = await read(SNAPSHOT_ID);
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('NOT_FOUND');
  });

  it.each([['not-an-id'], ['01jabcdefghjkmnpqrstvwxyz0'], ['P#01JABCDEFGHJKMNPQRSTVWXYZ0']])(
    'answers 404 NOT_FOUND for the malformed snapshotId %s without reading it',
    async (snapshotId) => {
      givenSession();
      const res = await read(snapshotId);
      expect(res.status).toBe(404);
      expect(res.body.error).toBe('NOT_FOUND');
      expect(commandNames()).toEqual(['GetCommand']);
    },
  );
});

describe('POST /api/sessions/{sessionId}/snapshots/{snapshotId}/restore', () => {
  useMockedDynamo();

  it('writes the snapshot\'s code as a new version and answers 200 {version}', async () => {
    givenSession(sessionItem({ version: 4 }));
    const current = docItems('print("v2, broken")\n', { version: 4 });
    givenDocument(current);
    givenSnapshot();
    const res = await restore(SNAPSHOT_ID);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ version: 5 });

    const [meta, log, history] = transactItems();
    expect(meta?.Update?.ExpressionAttributeValues).toMatchObject({ ':expected': 4, ':next': 5 });
    expect(meta?.Update?.ExpressionAttributeValues).not.toHaveProperty(':language');
    expect(textFrom(current[0]!.state as Uint8Array, log!.Put!.Item!.update as Uint8Array)).toBe('print("v1")\n');
    expect(history?.Put?.Item).toMatchObject({ type: 'snapshot-restored', userId: 'interviewer', detail: { snapshotId: SNAPSHOT_ID } });
  });

  it('switches the session back to the snapshot\'s language in the same transaction', async () => {
    givenSession(sessionItem({ language: 'go' }));
    givenDocument(docItems('package main\n'));
    givenSnapshot();
    expect((await restore(SNAPSHOT_ID)).status).toBe(200);
    const [meta] = transactItems();
    expect(meta?.Update?.UpdateExpression).toContain('#language = :language');
    expect(meta?.Update?.ExpressionAttributeValues?.[':language']).toBe('python');
  });

  it('pushes the restored code and the language switch to the joined sockets', async () => {
    givenSession(sessionItem({ language: 'go' }));
    givenDocument(docItems('package main\n'));
    givenConnections([connectionItem('text-1', { joined: true, userId: 'u1', format: 'text' })]);
    givenSnapshot();
    expect((await restore(SNAPSHOT_ID)).status).toBe(200);
    expect(pushed().map((p) => p.message)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'code-update', code: 'print("v1")\n', version: 2, userId: 'interviewer' }),
        { type: 'language-update', language: 'python', userId: 'interviewer' },
      ]),
    );
  });

  it('records the restore even when the code is already identical', async () => {
    givenSession();
    givenDocument(docItems('print("v1")\n'));
    givenSnapshot();
    const res = await restore(SNAPSHOT_ID);
    expect(res.body).toEqual({ version: 2 });
    expect(transactItems()[2]?.Put?.Item?.type).toBe('snapshot-restored');
  });

  it('refuses the candidate with 403 FORBIDDEN and writes nothing', async () => {
    givenSession();
    givenSnapshot();
    const res = await restore(SNAPSHOT_ID, CANDIDATE_TOKEN);
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('FORBIDDEN');
    expect(writes()).toEqual([]);
  });

  it('answers 404 NOT_FOUND for an unknown or malformed snapshot and writes nothing', async () => {
    givenSession();
    expect((await restore('01JB0000000000000000000009')).body.error).toBe('NOT_FOUND');
    expect((await restore('nope')).body.error).toBe('NOT_FOUND');
    expect(writes()).toEqual([]);
  });

  it('answers 410 SESSION_EXPIRED on an ended session and writes nothing', async () => {
    givenSession(endedSession());
    givenSnapshot();
    const res = await restore(SNAPSHOT_ID);
    expect(res.status).toBe(410);
    expect(writes()).toEqual([]);
  });
});
