/**
 * The interviewer's controls on the WebSocket paths (docs/protocol.md §8): with `editingLocked` a candidate's
 * `code-change` (with and without baseVersion) and `yjs-update` get `error` EDITING_LOCKED and change
 * nothing, while the interviewer's edits go through; with `runsDisabled` a candidate's `run-code` (both
 * modes) gets RUNS_DISABLED; `mode:"tests"` without a question is NOT_FOUND.
 */
import { connectionItem, docItems, lookupItem, pushedTo, SESSION_ID, sessionItem, useMockedDynamo, yDoc } from '../fixtures.js';
import { beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { SessionItem } from '#aws/store/sessions.js';
import { MemoryTable } from '../memory-table.js';
import { newConnectionId, send } from './events.js';

useMockedDynamo();
let table: MemoryTable;
let candidate: string;
let interviewer: string;

function room(overrides: Partial<SessionItem>) {
  table.set(sessionItem(overrides));
  for (const item of docItems('a = 1')) table.set(item);
  candidate = newConnectionId('cand');
  interviewer = newConnectionId('int');
  for (const [id, role, userId] of [[candidate, 'candidate', 'cody'], [interviewer, 'interviewer', 'ivy']] as const) {
    table.set(lookupItem(id, { role }));
    table.set(connectionItem(id, { role, joined: true, userId, format: 'text' }));
  }
}

beforeEach(() => {
  table = new MemoryTable();
});

const docLog = () => table.list(`S#${SESSION_ID}`, 'DOC#');
const errorsTo = (id: string) => pushedTo(id).filter((m) => m.type === 'error');

describe('editingLocked', () => {
  it("refuses a candidate's code-change and yjs-update with EDITING_LOCKED and changes nothing", async () => {
    room({ editingLocked: true });
    const before = docLog().length;
    await send(candidate, { action: 'code-change', code: 'a = 2' });
    await send(candidate, { action: 'code-change', code: 'a = 3', baseVersion: 1 });
    const edit = yDoc('a = 1');
    const sv = Y.encodeStateVector(edit);
    edit.getText('code').insert(0, '# x\n');
    await send(candidate, { action: 'yjs-update', update: Buffer.from(Y.encodeStateAsUpdate(edit, sv)).toString('base64') });
    expect(errorsTo(candidate).map((e) => [e.code, e.action])).toEqual([
      ['EDITING_LOCKED', 'code-change'],
      ['EDITING_LOCKED', 'code-change'],
      ['EDITING_LOCKED', 'yjs-update'],
    ]);
    expect(docLog()).toHaveLength(before);
    expect(table.get(`S#${SESSION_ID}`, 'META')!.version).toBe(1);
    expect(pushedTo(interviewer)).toEqual([]);
  });

  it('the interviewer is never locked out', async () => {
    room({ editingLocked: true });
    await send(interviewer, { action: 'code-change', code: 'a = 42' });
    expect(pushedTo(interviewer)).toContainEqual(expect.objectContaining({ type: 'code-ack', code: 'a = 42', version: 2 }));
    expect(pushedTo(candidate)).toContainEqual(expect.objectContaining({ type: 'code-update', code: 'a = 42' }));
  });
});

describe('runsDisabled and mode:"tests" over run-code', () => {
  it('refuses a candidate in both modes with RUNS_DISABLED, and writes no execution', async () => {
    room({ runsDisabled: true, questionRevision: 1, questionTestCount: 1 });
    await send(candidate, { action: 'run-code' });
    await send(candidate, { action: 'run-code', mode: 'tests' });
    expect(errorsTo(candidate).map((e) => e.code)).toEqual(['RUNS_DISABLED', 'RUNS_DISABLED']);
    expect(table.list(`S#${SESSION_ID}`, 'X#')).toEqual([]);
  });

  it('mode:"tests" without a question is NOT_FOUND; an unknown mode is INVALID_MESSAGE', async () => {
    room({});
    await send(candidate, { action: 'run-code', mode: 'tests' });
    await send(candidate, { action: 'run-code', mode: 'exam' });
    expect(errorsTo(candidate).map((e) => e.code)).toEqual(['NOT_FOUND', 'INVALID_MESSAGE']);
  });
});
