/**
 * The interviewer's room over the socket (docs/protocol.md §10), mocked SDK: `doc:"notes"` edits from interviewers
 * only, relayed to interviewers only; `activity` stored and relayed to interviewers only, rate limited;
 * `session-joined` carries the notes for interviewers and nothing about them for candidates.
 */
import {
  connectionItem,
  givenConnections,
  givenDocument,
  givenSender,
  givenSession,
  pushed,
  pushedTo,
  sent,
  SESSION_ID,
  textFrom,
  transactItems,
  useMockedDynamo,
  writes,
} from '../fixtures.js';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { newConnectionId, send } from './events.js';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** `me` joined with `role`; Ann (interviewer, text), Ian (interviewer, Yjs), Carl (candidate, text), Cy (candidate, Yjs). */
function givenRoom(me: string, role: 'interviewer' | 'candidate') {
  givenSession();
  givenSender(me, { role });
  givenConnections([
    connectionItem('ann-1', { joined: true, userId: 'ann', format: 'text', role: 'interviewer' }),
    connectionItem('ian-1', { joined: true, userId: 'ian', format: 'yjs', role: 'interviewer' }),
    connectionItem('carl-1', { joined: true, userId: 'carl', format: 'text', role: 'candidate' }),
    connectionItem('cy-1', { joined: true, userId: 'cy', format: 'yjs', role: 'candidate' }),
    connectionItem(me, { joined: true, userId: 'me', username: 'Me', format: 'yjs', role }),
  ]);
  givenDocument([]);
}

function notesEdit(text: string): Uint8Array {
  const doc = new Y.Doc();
  let update!: Uint8Array;
  doc.once('update', (u: Uint8Array) => (update = u));
  doc.getText('code').insert(0, text);
  return update;
}

const CANDIDATES = ['carl-1', 'cy-1'];

describe('doc:"notes"', () => {
  useMockedDynamo();

  it('an interviewer\'s yjs-update is appended to the notes (NOTE#, notesVersion) and relayed to interviewers only', async () => {
    const me = newConnectionId('interviewer');
    givenRoom(me, 'interviewer');
    const update = notesEdit('strong hire');
    await send(me, { action: 'yjs-update', doc: 'notes', update: b64(update) });

    const [meta, log] = transactItems();
    expect(meta?.Update?.UpdateExpression).toContain('notesVersion = :next');
    expect(meta?.Update?.ConditionExpression).toContain('attribute_not_exists(notesVersion)');
    expect(meta?.Update?.ExpressionAttributeValues).not.toHaveProperty(':expected');
    expect(log?.Put?.Item).toMatchObject({ PK: `S#${SESSION_ID}`, SK: 'NOTE#000000000001#U', userId: 'me' });
    expect(textFrom(log!.Put!.Item!.update as Uint8Array)).toBe('strong hire');

    expect(pushedTo('ian-1')).toEqual([{ type: 'yjs-update', doc: 'notes', update: b64(update), version: 1, userId: 'me' }]);
    expect(pushedTo('ann-1')).toEqual([{ type: 'code-update', doc: 'notes', code: 'strong hire', version: 1, userId: 'me', timestamp: expect.any(String) }]);
    for (const c of CANDIDATES) expect(pushedTo(c)).toEqual([]);
  });

  it.each([
    ['yjs-update', { update: b64(notesEdit('mine')) }],
    ['code-change', { code: 'mine' }],
    ['sync', { stateVector: b64(Y.encodeStateVector(new Y.Doc())) }],
  ])('a candidate\'s %s with doc:"notes" is FORBIDDEN: nothing read beyond the sender, nothing written or relayed', async (action, fields) => {
    const me = newConnectionId('candidate');
    givenRoom(me, 'candidate');
    await send(me, { action, doc: 'notes', ...fields });
    expect(pushedTo(me)).toEqual([expect.objectContaining({ type: 'error', code: 'FORBIDDEN', action })]);
    expect(writes()).toEqual([]);
    expect(pushed().filter((p) => p.connectionId !== me)).toEqual([]);
  });

  it('a notes sync answers with doc:"notes" from the notes document', async () => {
    const me = newConnectionId('interviewer');
    givenRoom(me, 'interviewer');
    await send(me, { action: 'sync', doc: 'notes', stateVector: b64(Y.encodeStateVector(new Y.Doc())) });
    expect(pushedTo(me)).toEqual([{ type: 'sync-reply', doc: 'notes', update: expect.any(String), stateVector: expect.any(String), version: 0 }]);
  });
});

describe('activity', () => {
  useMockedDynamo();

  it('is stored in the history and relayed to interviewers only', async () => {
    const me = newConnectionId('candidate');
    givenRoom(me, 'candidate');
    await send(me, { action: 'activity', kind: 'paste', chars: 412 });
    const history = sent(PutCommand).map((p) => p.Item).find((i) => i?.type === 'activity');
    expect(history).toMatchObject({ PK: `S#${SESSION_ID}`, userId: 'me', detail: { kind: 'paste', chars: 412, username: 'Me', role: 'candidate' } });
    const message = { type: 'activity', userId: 'me', username: 'Me', kind: 'paste', chars: 412, at: expect.stringMatching(/\.\d{3}Z$/) };
    expect(pushedTo('ann-1')).toEqual([message]);
    expect(pushedTo('ian-1')).toEqual([message]);
    for (const c of [...CANDIDATES, me]) expect(pushedTo(c)).toEqual([]);
  });

  it('refuses a sixth report within a second (5/s per connection) and an unknown kind', async () => {
    const me = newConnectionId('candidate');
    givenRoom(me, 'candidate');
    // Time stands still: on a loaded machine six sends could otherwise span a refill.
    const now = vi.spyOn(Date, 'now').mockReturnValue(Date.now());
    for (let i = 0; i < 6; i++) await send(me, { action: 'activity', kind: 'focus-lost' });
    now.mockRestore();
    await send(me, { action: 'activity', kind: 'copy' });
    const errors = pushedTo(me).filter((m) => m.type === 'error');
    expect(errors.map((e) => e.code)).toEqual(['RATE_LIMIT_EXCEEDED', 'INVALID_MESSAGE']);
    expect(sent(PutCommand).filter((p) => p.Item?.type === 'activity')).toHaveLength(5);
  });
});

describe('session-joined and the notes', () => {
  useMockedDynamo();

  it('an interviewer gets the notes (and their Yjs state), a candidate nothing about them', async () => {
    for (const role of ['interviewer', 'candidate'] as const) {
      const me = newConnectionId(role);
      givenRoom(me, role);
      await send(me, { action: 'join-session', format: 'yjs' });
      const joined = pushedTo(me).find((m) => m.type === 'session-joined');
      if (role === 'interviewer') expect(joined).toMatchObject({ notes: '', notesYjsState: expect.any(String) });
      else for (const key of ['notes', 'notesYjsState', 'notesDocumentUrl']) expect(joined).not.toHaveProperty(key);
    }
  });
});
