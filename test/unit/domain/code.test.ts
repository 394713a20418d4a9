/** shared/domain/code.ts: mergeUpdate (Yjs clients) — validation, size limit, lost races. */
import {
  ddb,
  docItems,
  endedSession,
  givenDocument,
  givenSession,
  sessionItem,
  SESSION_ID,
  textFrom,
  transactionCanceled,
  transactItems,
  useMockedDynamo,
  writes,
  yDoc,
  type Item,
} from '../fixtures.js';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
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

  it('re-reads and appends on top of the winner after losing the race', async () => {
    const { state, update } = clientEdit('ab', (t) => t.insert(2, 'c'));
    const base: Item = { ...docItems('')[0]!, state, version: 2 };
    const winnerDoc = yDoc('');
    Y.applyUpdate(winnerDoc, state);
    const before = Y.encodeStateVector(winnerDoc);
    winnerDoc.getText('code').insert(0, '>');
    const winner = { PK: `S#${SESSION_ID}`, SK: 'DOC#U#000000000003', version: 3, update: Y.encodeStateAsUpdate(winnerDoc, before), at: new Date().toISOString(), ttl: base.ttl };
    givenSession();
    givenDocument([base], [winner, base]);
    ddb.on(TransactWriteCommand).rejectsOnce(transactionCanceled()).resolves({});
    const result = await mergeUpdate(sessionItem({ version: 2 }), update, 'u1');
    expect(result.version).toBe(4);
    expect(result.code).toBe('>abc');
    expect(transactItems(1)[0]?.Update?.ExpressionAttributeValues).toMatchObject({ ':expected': 3, ':next': 4 });
  });

  it('answers SESSION_EXPIRED instead of retrying when the session ended meanwhile', async () => {
    const { state, update } = clientEdit('x', (t) => t.insert(1, 'y'));
    givenDocument([{ ...docItems('')[0]!, state }]);
    ddb.on(GetCommand).resolves({ Item: endedSession() });
    ddb.on(TransactWriteCommand).rejects(transactionCanceled());
    const err = await rejection(mergeUpdate(sessionItem(), update, 'u1'));
    expect(err.code).toBe('SESSION_EXPIRED');
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });
});
