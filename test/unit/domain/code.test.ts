/** shared/domain/code.ts: mergeUpdate (Yjs clients) — validation, size limit, lost races. */
import {
  conditionFailed,
  ddb,
  docItems,
  endedSession,
  givenDocument,
  givenSession,
  sessionItem,
  SESSION_ID,
  sent,
  textFrom,
  transactionCanceled,
  transactItems,
  useMockedDynamo,
  writes,
  yDoc,
  type Item,
} from '../fixtures.js';
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { mergeUpdate } from '../../../shared/domain/code.js';
import { AppError } from '../../../shared/errors.js';

/** An update a Yjs client would send: made on a replica of the stored text. */
function clientEdit(storedText: string, edit: (text: Y.Text) => void): { state: Uint8Array; update: Uint8Array } {
  const replica = yDoc(storedText);
  const state = Y.encodeStateAsUpdate(replica);
  const before = Y.encodeStateVector(replica);
  edit(replica.getText('code'));
  return { state, update: Y.encodeStateAsUpdate(replica, before) };
}

const rejection = async (p: Promise<unknown>): Promise<AppError> => {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
};

describe('mergeUpdate', () => {
  useMockedDynamo();

  it('appends the client\'s update as is, as version+1', async () => {
    const { state, update } = clientEdit('print(1)', (t) => t.insert(8, '\nprint(2)'));
    givenDocument([{ ...docItems('')[0]!, state, version: 3 }]);
    const result = await mergeUpdate(sessionItem({ version: 3 }), update, 'u1');
    expect(result).toMatchObject({ version: 4, code: 'print(1)\nprint(2)', changed: true });
    const [meta, log] = transactItems();
    expect(meta?.Update?.ExpressionAttributeValues).toMatchObject({ ':expected': 3, ':next': 4 });
    expect(Buffer.from(log!.Put!.Item!.update as Uint8Array).equals(Buffer.from(update))).toBe(true);
    expect(textFrom(state, log!.Put!.Item!.update as Uint8Array)).toBe('print(1)\nprint(2)');
  });

  it.each([
    ['0xff bytes', new Uint8Array([0xff, 0xff, 0xff])],
    ['an empty buffer', new Uint8Array()],
    ['text', new TextEncoder().encode('hello')],
  ])('refuses garbage (%s) with a 400-class error and writes nothing', async (_, garbage) => {
    givenDocument(docItems('keep me'));
    const err = await rejection(mergeUpdate(sessionItem(), garbage, 'u1'));
    expect(err.status).toBe(400);
    expect(writes()).toEqual([]);
  });

  it('refuses an update that makes the text exceed 100 KiB (UTF-8 bytes) with PAYLOAD_TOO_LARGE', async () => {
    const { state, update } = clientEdit('', (t) => t.insert(0, '€'.repeat(34_200))); // 102,600 bytes
    givenDocument([{ ...docItems('')[0]!, state }]);
    const err = await rejection(mergeUpdate(sessionItem(), update, 'u1'));
    expect(err.code).toBe('PAYLOAD_TOO_LARGE');
    expect(writes()).toEqual([]);
  });

  it('after losing the race, appends the same update under a reserved version: no edit is ever dropped', async () => {
    const { state, update } = clientEdit('ab', (t) => t.insert(2, 'c'));
    const base: Item = { ...docItems('')[0]!, state, version: 2 };
    const mine: Item = { PK: `S#${SESSION_ID}`, SK: 'DOC#U#000000000004', version: 4, update, at: new Date().toISOString(), ttl: base.ttl };
    // First read: the document at 2. After appending under a reserved version, the writer re-reads so
    // text clients get the complete text (version 3 is reserved by another writer, not written yet).
    givenDocument([base], [mine, base]);
    ddb.on(TransactWriteCommand).rejects(transactionCanceled());
    // The atomic increment hands out the next free version (another writer took 3).
    ddb.on(UpdateCommand, { Key: { PK: `S#${SESSION_ID}`, SK: 'META' } }).resolves({ Attributes: { version: 4 } });
    const result = await mergeUpdate(sessionItem({ version: 2 }), update, 'u1');
    expect(result).toMatchObject({ version: 4, code: 'abc', textVersion: 4, changed: true });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
    expect(sent(QueryCommand)).toHaveLength(2);
    const [reserve] = sent(UpdateCommand);
    expect(reserve).toMatchObject({ UpdateExpression: expect.stringContaining('version = version + :one'), ReturnValues: 'UPDATED_NEW' });
    expect(reserve!.ConditionExpression).toContain('#status = :active');
    const [put] = sent(PutCommand);
    expect(put).toMatchObject({ Item: { SK: 'DOC#U#000000000004', version: 4 }, ConditionExpression: 'attribute_not_exists(SK)' });
    expect(Buffer.from(put!.Item!.update as Uint8Array).equals(Buffer.from(update))).toBe(true);
  });

  it('answers SESSION_EXPIRED when the session ended meanwhile, and writes no log item', async () => {
    const { state, update } = clientEdit('x', (t) => t.insert(1, 'y'));
    givenDocument([{ ...docItems('')[0]!, state }]);
    ddb.on(GetCommand).resolves({ Item: endedSession() });
    ddb.on(TransactWriteCommand).rejects(transactionCanceled());
    ddb.on(UpdateCommand).rejects(conditionFailed());
    const err = await rejection(mergeUpdate(sessionItem(), update, 'u1'));
    expect(err.code).toBe('SESSION_EXPIRED');
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
    expect(sent(PutCommand)).toEqual([]);
  });
});
