/**
 * The interviewer's controls over HTTP (docs/protocol.md §3 PATCH, §8): who may set them, session-updated to every
 * socket, the history entry, GET showing both flags, and `editingLocked` refusing a candidate's PUT
 * /code with EDITING_LOCKED — also when the lock lands between the handler's read and its write (the
 * append's own condition holds it).
 */
import {
  call,
  CANDIDATE_TOKEN,
  docItems,
  INTERVIEWER_TOKEN,
  pushedTo,
  sent,
  SESSION_ID,
  sessionItem,
  useMockedDynamo,
  writes,
} from '../fixtures.js';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../fixtures.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler as sessions } from '../../../functions/http/sessions.js';
import { handler as code } from '../../../functions/http/code.js';
import { roomTable, type MemoryTable } from '../memory-table.js';

useMockedDynamo();
let table: MemoryTable;
beforeEach(() => {
  table = roomTable();
});

const patch = (token: string, body: unknown) => call(sessions, { routeKey: 'PATCH /api/sessions/{sessionId}', sessionId: SESSION_ID, token, body });
const putCode = (token: string, text: string) => call(code, { routeKey: 'PUT /api/sessions/{sessionId}/code', sessionId: SESSION_ID, token, body: { code: text } });
const meta = () => table.get(`S#${SESSION_ID}`, 'META')!;
const history = () => table.list(`S#${SESSION_ID}`, 'H#');

describe('PATCH runsDisabled / editingLocked', () => {
  it('the interviewer sets them: 200 with both flags, session-updated to everyone, one history entry', async () => {
    const res = await patch(INTERVIEWER_TOKEN, { editingLocked: true, runsDisabled: true });
    expect(res).toMatchObject({ status: 200, body: { editingLocked: true, runsDisabled: true } });
    expect(meta()).toMatchObject({ editingLocked: true, runsDisabled: true });
    for (const c of ['c-int', 'c-cand']) {
      expect(pushedTo(c)).toContainEqual({ type: 'session-updated', title: 'Backend pairing', language: 'python', runsDisabled: true, editingLocked: true, userId: 'interviewer', revision: 1 });
    }
    expect(history().map((h) => [h.type, h.detail])).toEqual([['controls-changed', { editingLocked: true, runsDisabled: true }]]);
    const read = await call(sessions, { routeKey: 'GET /api/sessions/{sessionId}', sessionId: SESSION_ID, token: CANDIDATE_TOKEN });
    expect(read.body).toMatchObject({ editingLocked: true, runsDisabled: true });
  });

  it('setting a flag to what it is already records nothing; unset flags read false', async () => {
    const read = await call(sessions, { routeKey: 'GET /api/sessions/{sessionId}', sessionId: SESSION_ID, token: CANDIDATE_TOKEN });
    expect(read.body).toMatchObject({ editingLocked: false, runsDisabled: false });
    await patch(INTERVIEWER_TOKEN, { runsDisabled: false });
    expect(history()).toEqual([]);
  });

  it('a candidate may not set them (403, nothing written); bad values are VALIDATION_ERROR', async () => {
    for (const body of [{ editingLocked: true }, { runsDisabled: false }, { language: 'go', editingLocked: false }]) {
      expect(await patch(CANDIDATE_TOKEN, body)).toMatchObject({ status: 403, body: { error: 'FORBIDDEN' } });
    }
    expect(writes()).toEqual([]);
    for (const body of [{ editingLocked: 'yes' }, {}, { locked: true }]) {
      expect(await patch(INTERVIEWER_TOKEN, body)).toMatchObject({ status: 400, body: { error: 'VALIDATION_ERROR' } });
    }
    expect((await patch('not-a-token', { editingLocked: true })).status).toBe(401);
  });

  it('a title or language PATCH also sends session-updated with the current flags', async () => {
    table.set({ ...meta(), runsDisabled: true });
    await patch(INTERVIEWER_TOKEN, { title: 'Renamed' });
    expect(pushedTo('c-cand')).toContainEqual(expect.objectContaining({ type: 'session-updated', title: 'Renamed', runsDisabled: true, editingLocked: false }));
  });
});

describe('editingLocked on PUT /code', () => {
  it('a candidate is refused with EDITING_LOCKED and nothing is written; the interviewer still edits', async () => {
    table.set({ ...meta(), editingLocked: true });
    expect(await putCode(CANDIDATE_TOKEN, 'hacked\n')).toMatchObject({ status: 403, body: { error: 'EDITING_LOCKED' } });
    expect(writes()).toEqual([]);
    expect(pushedTo('c-int')).toEqual([]);
    expect(await putCode(INTERVIEWER_TOKEN, 'print(2)\n')).toMatchObject({ status: 200, body: { version: 2 } });
  });

  it('a lock set after the handler read the session still refuses the write: the append carries the condition', async () => {
    // The handler's read sees an unlocked session; the table (what the transaction's condition sees) is locked.
    ddb.on(GetCommand, { Key: { PK: `S#${SESSION_ID}`, SK: 'META' } }).resolves({ Item: sessionItem() });
    table.set({ ...meta(), editingLocked: true });
    expect(await putCode(CANDIDATE_TOKEN, 'hacked\n')).toMatchObject({ status: 403, body: { error: 'EDITING_LOCKED' } });
    expect(table.list(`S#${SESSION_ID}`, 'DOC#')).toHaveLength(docItems('print(1)\n').length);
    const condition = sent(TransactWriteCommand)[0]!.TransactItems![0]!.Update!.ConditionExpression;
    expect(condition).toContain('editingLocked');
  });

  it("the interviewer's append carries no lock condition", async () => {
    table.set({ ...meta(), editingLocked: true });
    await putCode(INTERVIEWER_TOKEN, 'print(3)\n');
    expect(sent(TransactWriteCommand)[0]!.TransactItems![0]!.Update!.ConditionExpression).not.toContain('editingLocked');
  });
});
