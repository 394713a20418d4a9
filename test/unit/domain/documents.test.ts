/** shared/store/documents.ts: reading state + log, and compaction driven by replaceCode. */
import {
  conditionFailed,
  ddb,
  docWithLog,
  givenDocument,
  logItem,
  nowSec,
  sent,
  sessionItem,
  SESSION_ID,
  stateItem,
  TABLE,
  textFrom,
  useMockedDynamo,
  type Item,
} from '../fixtures.js';
import { BatchWriteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { materialise, replaceCode } from '../../../shared/domain/code.js';
import { textOf } from '../../../shared/domain/yjs-document.js';
import { LIMITS } from '../../../shared/limits.js';
import { readDocument } from '../../../shared/store/documents.js';

const versionsOf = (doc: { updates: { version: number }[] }) => doc.updates.map((u) => u.version);
const texts = (n: number, prefix = 'x') => Array.from({ length: n }, (_, i) => `${prefix}${'+'.repeat(i)}`);

describe('readDocument', () => {
  useMockedDynamo();

  it('reads state and log in one strongly consistent Query, newest first', async () => {
    const { items } = docWithLog(['a', 'ab', 'abc'], 1);
    givenDocument(items);
    const doc = await readDocument(SESSION_ID);
    expect(doc).toMatchObject({ stateVersion: 1, version: 3, updatedAt: items[0]!.at });
    expect(versionsOf(doc)).toEqual([2, 3]);
    expect(doc.logBytes).toBe(doc.updates.reduce((n, u) => n + u.update.length, 0));
    expect(textOf(materialise(doc).doc)).toBe('abc');
    expect(sent(QueryCommand)).toEqual([
      expect.objectContaining({ TableName: TABLE, ConsistentRead: true, ScanIndexForward: false, ExpressionAttributeValues: { ':pk': `S#${SESSION_ID}`, ':doc': 'DOC' } }),
    ]);
  });

  it('applies every log item present, even those already folded into the state (Yjs updates are idempotent)', async () => {
    const history = docWithLog(['v1', 'v2', 'v3', 'v4', 'v5'], 1);
    const compacted = new Y.Doc();
    for (const u of [history.items.at(-1)!.state as Uint8Array, ...history.updates.slice(0, 3)]) Y.applyUpdate(compacted, u);
    // the state now includes versions up to 4; log items 2..5 are all still there (deletes not landed)
    const items = [...history.items.slice(0, -1), stateItem(Y.encodeStateAsUpdate(compacted), 4)];
    givenDocument(items);
    const doc = await readDocument(SESSION_ID);
    expect(doc.stateVersion).toBe(4);
    expect(versionsOf(doc)).toEqual([2, 3, 4, 5]);
    expect(doc.version).toBe(5);
    expect(textOf(materialise(doc).doc)).toBe('v5');
  });

  it('reads a log with a hole (a reserved version whose item is not written yet) in one Query, without losing the rest', async () => {
    const full = docWithLog(['a', 'ab', 'abc', 'abcd'], 1);
    const withHole = full.items.filter((i) => i.version !== 3 || i.SK === 'DOC');
    givenDocument(withHole);
    const doc = await readDocument(SESSION_ID);
    expect(sent(QueryCommand)).toHaveLength(1);
    expect(versionsOf(doc)).toEqual([2, 4]);
    expect(doc.version).toBe(4);
  });

  it('treats log items past their ttl as absent', async () => {
    const { items } = docWithLog(['a', 'ab', 'abc'], 1);
    const expiredNewest = items.map((i, n) => (n === 0 ? { ...i, ttl: nowSec() - 1 } : i));
    givenDocument(expiredNewest);
    const doc = await readDocument(SESSION_ID);
    expect(doc.version).toBe(2);
    expect(textOf(materialise(doc).doc)).toBe('ab');
  });

  it('treats a document whose items are all past their ttl as empty', async () => {
    givenDocument(docWithLog(['a', 'ab'], 1).items.map((i) => ({ ...i, ttl: nowSec() - 60 })));
    const doc = await readDocument(SESSION_ID);
    expect(doc).toMatchObject({ state: undefined, stateVersion: 0, version: 0, updates: [] });
  });

  it('follows LastEvaluatedKey across pages', async () => {
    const { items } = docWithLog(['a', 'ab', 'abc'], 1);
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':doc': 'DOC' } })
      .resolvesOnce({ Items: items.slice(0, 1), LastEvaluatedKey: { PK: `S#${SESSION_ID}`, SK: String(items[0]!.SK) } })
      .resolves({ Items: items.slice(1) });
    const doc = await readDocument(SESSION_ID);
    expect(doc.version).toBe(3);
    expect(sent(QueryCommand)[1]?.ExclusiveStartKey).toEqual({ PK: `S#${SESSION_ID}`, SK: items[0]!.SK });
  });
});

describe('compaction (driven by replaceCode)', () => {
  useMockedDynamo();
  const threshold = LIMITS.document.compactAfterUpdates;

  /** A document compacted at version 1 with `logCount` log updates: version 1 + logCount. */
  function givenLog(logCount: number) {
    const doc = docWithLog(texts(logCount + 1), 1);
    givenDocument(doc.items);
    return { ...doc, session: sessionItem({ version: doc.version }), state: doc.items.at(-1)!.state as Uint8Array };
  }

  const deletedVersions = () =>
    sent(BatchWriteCommand).flatMap((b) => b.RequestItems![TABLE]!.map((r) => Number(String(r.DeleteRequest!.Key!.SK).slice('DOC#U#'.length))));

  it(`stores the state once the log reaches ${threshold} updates, only over the state it was built from, and deletes exactly the compacted versions`, async () => {
    const { session, version } = givenLog(threshold - 1);
    const result = await replaceCode(session, 'compacted!', { userId: 'candidate' });
    expect(result.version).toBe(version + 1);

    const [put] = sent(PutCommand);
    expect(put).toMatchObject({
      TableName: TABLE,
      Item: { PK: `S#${SESSION_ID}`, SK: 'DOC', version: version + 1, ttl: session.ttl },
      ExpressionAttributeValues: { ':base': 1 },
    });
    expect(put?.ConditionExpression).toBe('version = :base');
    expect(textFrom(put!.Item!.state as Uint8Array)).toBe('compacted!');
    expect(deletedVersions()).toEqual(Array.from({ length: threshold }, (_, i) => i + 2));
    expect(sent(BatchWriteCommand).map((b) => b.RequestItems![TABLE]!.length)).toEqual([25, 25]);
  });

  it('does not compact below the threshold', async () => {
    const { session } = givenLog(threshold - 2);
    await replaceCode(session, 'not yet', { userId: 'candidate' });
    expect(sent(PutCommand)).toEqual([]);
    expect(sent(BatchWriteCommand)).toEqual([]);
  });

  it(`compacts a short log once it holds ${LIMITS.document.compactAfterBytes} bytes`, async () => {
    const big = (c: string) => c.repeat(45_000);
    const doc = docWithLog([big('a'), big('b'), big('c'), big('d')], 1);
    givenDocument(doc.items);
    await replaceCode(sessionItem({ version: doc.version }), big('e'), { userId: 'candidate' });
    expect(sent(PutCommand)).toHaveLength(1);
    expect(deletedVersions()).toEqual([2, 3, 4, 5]);
  });

  it('deletes nothing when a concurrent compaction already stored a newer state, and the write still succeeds', async () => {
    const { session, version } = givenLog(threshold - 1);
    ddb.on(PutCommand).rejects(conditionFailed());
    const result = await replaceCode(session, 'raced', { userId: 'candidate' });
    expect(result).toMatchObject({ version: version + 1, changed: true });
    expect(sent(PutCommand)).toHaveLength(1);
    expect(sent(BatchWriteCommand)).toEqual([]);
  });

  it('keeps the write when compaction fails unexpectedly (the next writer retries)', async () => {
    const { session, version } = givenLog(threshold - 1);
    ddb.on(BatchWriteCommand).rejects(new Error('throttled'));
    const result = await replaceCode(session, 'still saved', { userId: 'candidate' });
    expect(result.version).toBe(version + 1);
  });

  it('a later read after compaction gives the same text whether or not the old log items are deleted yet', async () => {
    const { session, version } = givenLog(threshold - 1);
    await replaceCode(session, 'after', { userId: 'candidate' });
    const put = sent(PutCommand)[0]!;
    const leftovers: Item[] = [logItem(version, new Uint8Array([0, 0]))]; // a delete that has not landed yet
    givenDocument([...leftovers, stateItem(put.Item!.state as Uint8Array, version + 1)]);
    const doc = await readDocument(SESSION_ID);
    expect(doc).toMatchObject({ stateVersion: version + 1, version: version + 1 });
    expect(textOf(materialise(doc).doc)).toBe('after');
  });
});
