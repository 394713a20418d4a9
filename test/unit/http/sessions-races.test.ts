/**
 * Changes of a session's settings racing each other and the end (docs/protocol.md §3 PATCH, §5): a change
 * judged on a read another change has overtaken is judged again on the session as it is; answers and
 * `session-updated` carry the settings as written, with a revision clients order them by; starter code
 * follows the language the session ends with; a socket whose $connect read the session just before the
 * end committed is not stored; contention that outlasts the retries is BUSY, never a wrong answer.
 */
import {
  call,
  CANDIDATE_TOKEN,
  ddb,
  docItems,
  INTERVIEWER_TOKEN,
  mgmt,
  pushed,
  pushedTo,
  SESSION_ID,
  sessionItem,
  transactionConflict,
  useMockedDynamo,
  type Item,
} from '../fixtures.js';
import { DeleteConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { LANGUAGES } from '#contract/languages.js';
import { placeStarterCode } from '#core/starter-code.js';
import { handler as sessions } from '../../../functions/http/sessions.js';
import { getCode } from '#core/code.js';
import { roomTable, type MemoryTable } from '../memory-table.js';
import { connect, newConnectionId } from '../ws/events.js';

useMockedDynamo();
let table: MemoryTable;
beforeEach(() => {
  table = roomTable();
});

const patch = (token: string, body: unknown) => call(sessions, { routeKey: 'PATCH /api/sessions/{sessionId}', sessionId: SESSION_ID, token, body });
const META = { PK: `S#${SESSION_ID}`, SK: 'META' };
const meta = () => table.get(META.PK, META.SK)!;
const history = () => table.list(`S#${SESSION_ID}`, 'H#');

/** The handler's first read of the session returns `stale`; every later read, the table. */
function firstReadSees(stale: Item): void {
  let reads = 0;
  ddb.on(GetCommand, { Key: META }).callsFake(() => ({ Item: reads++ === 0 ? stale : table.get(META.PK, META.SK) }));
}

describe('PATCH judged on a read another change overtook', () => {
  it('a language change judged "no change" on a stale read is judged again: the change, its history entry and the broadcast are right', async () => {
    // The request read python; a candidate's change to java committed before its write.
    const stale = { ...meta() };
    table.set({ ...meta(), language: 'java', settingsRevision: 1 });
    firstReadSees(stale);
    const res = await patch(INTERVIEWER_TOKEN, { language: 'python' });
    expect(res).toMatchObject({ status: 200, body: { language: 'python' } });
    expect(meta()).toMatchObject({ language: 'python', settingsRevision: 2 });
    // Judged on the stale read, this was "no change": no entry, and the operator's list kept java.
    expect(history().map((h) => [h.type, h.detail])).toEqual([['language-changed', { from: 'java', to: 'python' }]]);
    expect(pushedTo('c-cand')).toContainEqual(expect.objectContaining({ type: 'session-updated', language: 'python', revision: 2 }));
    expect(pushedTo('c-cand')).toContainEqual(expect.objectContaining({ type: 'language-update', language: 'python' }));
  });

  it('the answer and session-updated carry the other settings as they are, not as the stale read had them', async () => {
    const stale = { ...meta() };
    table.set({ ...meta(), runsDisabled: true, settingsRevision: 1 });
    firstReadSees(stale);
    const res = await patch(INTERVIEWER_TOKEN, { editingLocked: true });
    expect(res).toMatchObject({ status: 200, body: { runsDisabled: true, editingLocked: true } });
    expect(meta()).toMatchObject({ runsDisabled: true, editingLocked: true, settingsRevision: 2 });
    for (const c of ['c-int', 'c-cand']) {
      expect(pushedTo(c)).toContainEqual(expect.objectContaining({ type: 'session-updated', runsDisabled: true, editingLocked: true, revision: 2 }));
    }
  });

  it('a session that ended since the read answers 410 and changes nothing', async () => {
    const stale = { ...meta() };
    table.set({ ...meta(), status: 'ended' });
    firstReadSees(stale);
    expect(await patch(INTERVIEWER_TOKEN, { title: 'Too late' })).toMatchObject({ status: 410, body: { error: 'SESSION_EXPIRED' } });
    expect(meta().title).toBe(stale.title);
    expect(history()).toEqual([]);
  });

  it('answers 503 BUSY with Retry-After when other changes keep committing first, and changes nothing', async () => {
    ddb.on(UpdateCommand, { Key: META }).rejects(new ConditionalCheckFailedException({ message: 'moved', $metadata: {} }));
    const res = await patch(INTERVIEWER_TOKEN, { runsDisabled: false });
    expect(res.status).toBe(503);
    expect(res.body.error).toBe('BUSY');
    expect(res.headers['retry-after'] ?? res.headers['Retry-After']).toBeDefined();
    expect(meta().settingsRevision).toBeUndefined();
    expect(pushed()).toEqual([]);
  });
});

describe('DELETE under contention', () => {
  it('answers 503 BUSY when contention outlasts the retries: the session stays active and nobody is told it ended', async () => {
    ddb.on(TransactWriteCommand).rejects(transactionConflict());
    const res = await call(sessions, { routeKey: 'DELETE /api/sessions/{sessionId}', sessionId: SESSION_ID, token: INTERVIEWER_TOKEN });
    expect(res.status).toBe(503);
    expect(res.body.error).toBe('BUSY');
    expect(meta().status).toBe('active');
    expect(pushed().filter((p) => p.message.type === 'session-ended')).toEqual([]);
    expect(mgmt.commandCalls(DeleteConnectionCommand)).toEqual([]);
  }, 30_000);
});

describe('starter code after racing language changes', () => {
  it('a placement for a language the session no longer has places the current language instead', async () => {
    // A changed the language to java and B then to python; B placed python's template. A's placement,
    // still holding its session copy (java), runs last.
    table.set({ ...meta(), language: 'python', settingsRevision: 2 });
    for (const item of docItems(LANGUAGES.python.template)) table.set(item);
    const late = await placeStarterCode({ ...sessionItem(), language: 'java' }, 'candidate');
    expect(late).toEqual([]);
    expect((await getCode(SESSION_ID)).code).toBe(LANGUAGES.python.template);
  });

  it('and places the language the session has when the document is still some template', async () => {
    table.set({ ...meta(), language: 'go', settingsRevision: 2 });
    for (const item of docItems(LANGUAGES.python.template)) table.set(item);
    await placeStarterCode({ ...sessionItem(), language: 'java' }, 'candidate');
    expect((await getCode(SESSION_ID)).code).toBe(LANGUAGES.go.template);
  });
});

describe('$connect racing the end', () => {
  it('a socket whose $connect read the session just before the end committed is refused (410) and not stored', async () => {
    const stale = { ...meta() };
    table.set({ ...meta(), status: 'ended' });
    firstReadSees(stale);
    const id = newConnectionId();
    const res = await connect(id, { sessionId: SESSION_ID, token: CANDIDATE_TOKEN });
    expect(res.statusCode).toBe(410);
    expect(JSON.parse(res.body!).error).toBe('SESSION_EXPIRED');
    expect(table.get(`S#${SESSION_ID}`, `C#${id}`)).toBeUndefined();
    expect(table.get(`CONN#${id}`, 'CONN')).toBeUndefined();
  });
});
