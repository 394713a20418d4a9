/**
 * Document integrity (docs/protocol.md §5): every acknowledged write stays in the document, a version names one
 * text, a stale conditional write changes nothing, and crashes, lost responses and contention never
 * leave a version unusable. Each interleaving runs the real store and domain code against a model of
 * DynamoDB's conditional writes (table-model.ts), with requests held, failed or lost at exact points.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { currentDocument, getCode, mergeTextEdit, mergeUpdate, replaceCode } from '#core/code.js';
import { forget } from '#core/document-cache.js';
import { AppError } from '#contract/errors.js';
import { LIMITS } from '#contract/limits.js';
import { logItem, sessionItem, SESSION_ID, useMockedDynamo, yDoc, type Item } from '../fixtures.js';
import { latch, lostResponse, TableModel } from './table-model.js';

useMockedDynamo();

let table: TableModel;
const meta = sessionItem({ version: 1 });
const session = { sessionId: SESSION_ID, ttl: meta.ttl };
/** The client replica every test edits from; its first state is the stored version 1. */
let client: Y.Doc;

beforeEach(() => {
  vi.useRealTimers(); // a test that failed on fake time must not leave it to the next
  table = new TableModel(`S#${SESSION_ID}`);
  table.items.set('META', { ...meta });
  client = yDoc('start\n');
  table.items.set(`DOC#${'1'.padStart(12, '0')}#U`, logItem(1, Y.encodeStateAsUpdate(client)));
});

/** An edit made on `doc` (by default the shared client replica), as the update Yjs would send. */
function edit(change: (text: Y.Text) => void, doc: Y.Doc = client): Uint8Array {
  const before = Y.encodeStateVector(doc);
  doc.transact(() => change(doc.getText('code')));
  return Y.encodeStateAsUpdate(doc, before);
}
const append = (token: string, doc: Y.Doc = client) => edit((t) => t.insert(t.length, token), doc);

const rejection = async (p: Promise<unknown>): Promise<AppError> => {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
};

/**
 * The domain module as another Lambda container has it: its own copy of the document and its own
 * queue of writes, the same (mocked) DynamoDB. Two containers' writers really race.
 */
async function otherContainer(): Promise<typeof import('#core/code.js')> {
  vi.resetModules();
  await import('#aws/wiring.js'); // the container's own composition root
  return import('#core/code.js');
}

/** Holds the next append before it reaches the table, until `open()`: a slow writer. */
function holdFirstAppend(): { open: () => void } {
  const hold = latch();
  let held = false;
  table.gate = (phase, command) => {
    if (phase === 'before' && command === 'TransactWriteItems' && !held) {
      held = true;
      return hold.promise;
    }
  };
  return hold;
}

/** Reads the document as a cold container would (no cached copy). */
async function coldRead() {
  forget(SESSION_ID);
  return getCode(SESSION_ID);
}

describe('one append path: a version names one text', () => {
  it('appends each update as the next version, with no holes and no extra reads once warm', async () => {
    const versions = [];
    for (const token of ['a', 'b', 'c']) versions.push((await mergeUpdate(session, append(token), 'u1')).version);
    expect(versions).toEqual([2, 3, 4]);
    expect(table.versions().log).toEqual([1, 2, 3, 4]);
    // The first edit read the document once (cold); the others only wrote.
    expect(table.calls).toEqual(['Query', 'TransactWriteItems', 'TransactWriteItems', 'TransactWriteItems']);
    expect((await coldRead()).code).toBe('start\nabc');
  });

  it('a slow writer that loses the race retries on the next version: both edits stay, every version keeps its text', async () => {
    await currentDocument(SESSION_ID); // warm
    const hold = holdFirstAppend();
    const other = yDoc('');
    Y.applyUpdate(other, Y.encodeStateAsUpdate(client));
    const slow = mergeUpdate(session, append('[A]'), 'a'); // held before its transaction
    const fast = await (await otherContainer()).mergeUpdate(session, append('[C]', other), 'c');
    expect(fast.version).toBe(2);
    const seen = await coldRead();
    expect(seen).toMatchObject({ version: 2, code: 'start\n[C]' });
    hold.open();
    expect((await slow).version).toBe(3);
    const after = await coldRead();
    expect(after.version).toBe(3);
    expect(after.code).toContain('[A]');
    expect(after.code).toContain('[C]');
    // Version 2 still reads as the text it was first read as.
    forget(SESSION_ID);
    expect((await mergeTextEdit(session, 'start\n[C]', 2, 'text')).changed).toBe(false);
  });

  it('a PUT with a stale base after a late write is 409 and the late edit survives', async () => {
    await currentDocument(SESSION_ID);
    const hold = holdFirstAppend();
    const late = mergeUpdate(session, append('[late]'), 'a');
    const read = await (await otherContainer()).getCode(SESSION_ID); // version 1, read elsewhere
    hold.open();
    await late; // acknowledged: version 2
    const err = await rejection(replaceCode(session, 'overwrite', { baseVersion: read.version, userId: 'http' }));
    expect(err.code).toBe('VERSION_CONFLICT');
    expect(err.details).toMatchObject({ currentVersion: 2, code: 'start\n[late]' });
    expect(await coldRead()).toMatchObject({ version: 2, code: 'start\n[late]' });
    // And the fresh base wins first time.
    await expect(replaceCode(session, 'overwrite', { baseVersion: 2, userId: 'http' })).resolves.toMatchObject({ version: 3 });
  });

  it('of 20 PUTs racing with one base, exactly one wins and the others change nothing', async () => {
    const containers = [{ replaceCode }, await otherContainer(), await otherContainer(), await otherContainer()];
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => containers[i % 4]!.replaceCode(session, `writer ${i}\n`, { baseVersion: 1, userId: `w${i}` })),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason.code === 'VERSION_CONFLICT')).toBe(true);
    expect(table.versions().log).toEqual([1, 2]);
  });
});

describe('crashes and lost responses', () => {
  it('a writer that died after its transaction committed leaves a usable version', async () => {
    // The transaction committed and the writer's process died before answering anyone.
    table.gate = (phase, command) => {
      if (phase === 'after' && command === 'TransactWriteItems') throw Object.assign(new Error('Runtime exited'), { name: 'Crash' });
    };
    const err = await mergeUpdate(session, append('[orphan]'), 'dead').then(() => undefined, (e: Error) => e);
    expect(err?.name).toBe('Crash');
    table.gate = () => {};
    const now = await coldRead();
    expect(now).toMatchObject({ version: 2, code: 'start\n[orphan]' });
    await expect(replaceCode(session, 'next\n', { baseVersion: 2, userId: 'http' })).resolves.toMatchObject({ version: 3 });
  });

  it('a lost response to a committed append is retried and recognised as the same write (no second version)', async () => {
    let lost = 0;
    table.gate = (phase, command) => {
      if (phase === 'after' && command === 'TransactWriteItems' && lost++ === 0) throw lostResponse();
    };
    const result = await mergeUpdate(session, append('[once]'), 'u1');
    expect(result.version).toBe(2);
    expect(table.versions().log).toEqual([1, 2]);
    expect((await coldRead()).code).toBe('start\n[once]');
  });

  it('without the idempotency token (expired, or an emulator without it) the log item itself recognises the retry', async () => {
    let lost = 0;
    table.gate = (phase, command, input) => {
      if (command !== 'TransactWriteItems') return;
      if (phase === 'before') delete input.ClientRequestToken;
      if (phase === 'after' && lost++ === 0) throw lostResponse();
    };
    const result = await mergeUpdate(session, append('[once]'), 'u1');
    expect(result.version).toBe(2);
    expect(table.versions().log).toEqual([1, 2]);
  });

  it('a conditional PUT whose response was lost is not reported as a conflict with itself', async () => {
    let lost = 0;
    table.gate = (phase, command, input) => {
      if (command !== 'TransactWriteItems') return;
      if (phase === 'before') delete input.ClientRequestToken;
      if (phase === 'after' && lost++ === 0) throw lostResponse();
    };
    await expect(replaceCode(session, 'mine\n', { baseVersion: 1, userId: 'http' })).resolves.toMatchObject({ version: 2 });
    expect(await coldRead()).toMatchObject({ version: 2, code: 'mine\n' });
  });
});

describe('an update that arrives twice', () => {
  it('takes one version: the second copy writes nothing and relays nothing', async () => {
    const update = append('[twice]');
    const first = await mergeUpdate(session, update, 'u1');
    const writes = table.calls.length;
    const second = await mergeUpdate(session, update, 'u1');
    expect(first).toMatchObject({ version: 2, changed: true });
    expect(second).toEqual({ version: 2, changed: false }); // no update: documentChanged() relays nothing
    expect(table.calls.slice(writes)).toEqual([]);
    expect(table.versions().log).toEqual([1, 2]);
    expect(await coldRead()).toMatchObject({ version: 2, code: 'start\n[twice]' });
  });

  it('a copy re-sent while the first was still on its way (a sync meanwhile) is recognised once the first is stored', async () => {
    await currentDocument(SESSION_ID);
    const hold = holdFirstAppend();
    const update = append('[in flight]');
    const first = mergeUpdate(session, update, 'u1'); // held before its transaction
    const resent = mergeUpdate(session, update, 'u1'); // queued behind it in this container
    hold.open();
    expect(await first).toMatchObject({ version: 2, changed: true });
    expect(await resent).toEqual({ version: 2, changed: false });
    expect(table.versions().log).toEqual([1, 2]);
    // And the next real edit is version 3, so a GET -> PUT made in between was not made stale.
    expect((await mergeUpdate(session, append('!'), 'u1')).version).toBe(3);
  });

  it('a copy another container stored first: the original, losing to its own author, catches up and writes nothing', async () => {
    await currentDocument(SESSION_ID); // this container's copy: version 1
    const hold = holdFirstAppend();
    const update = append('[twice]');
    const original = mergeUpdate(session, update, 'u1'); // held before its transaction
    const copy = await (await otherContainer()).mergeUpdate(session, update, 'u1'); // the re-sent copy, elsewhere
    expect(copy).toMatchObject({ version: 2, changed: true });
    const before = table.calls.length;
    hold.open();
    expect(await original).toEqual({ version: 2, changed: false });
    expect(table.calls.slice(before)).toEqual(['Query']); // the catch-up read, and no second write
    expect(table.versions().log).toEqual([1, 2]);
  });

  it('losing to another author costs no read: the update is new and is simply retried', async () => {
    await currentDocument(SESSION_ID);
    const hold = holdFirstAppend();
    const other = yDoc('');
    Y.applyUpdate(other, Y.encodeStateAsUpdate(client));
    const slow = mergeUpdate(session, append('[A]'), 'a');
    await (await otherContainer()).mergeUpdate(session, append('[C]', other), 'c');
    const before = table.calls.length;
    hold.open();
    expect(await slow).toMatchObject({ version: 3, changed: true });
    expect(table.calls.slice(before)).toEqual(['TransactWriteItems']);
  });

  it('a deletion sent twice takes one version, and a copy that only partly repeats one still counts', async () => {
    // A second replica, still at "start\n", will delete "sta": two characters the first deletion also
    // removes, and one nobody has deleted yet.
    const other = yDoc('');
    Y.applyUpdate(other, Y.encodeStateAsUpdate(client));
    const removeStart = edit((t) => t.delete(0, 2)); // "start\n" -> "art\n"
    expect((await mergeUpdate(session, removeStart, 'u1')).version).toBe(2);
    expect(await mergeUpdate(session, removeStart, 'u1')).toEqual({ version: 2, changed: false });
    const overlapping = edit((t) => t.delete(0, 3), other);
    expect(await mergeUpdate(session, overlapping, 'u2')).toMatchObject({ version: 3, changed: true });
    expect(await mergeUpdate(session, overlapping, 'u2')).toEqual({ version: 3, changed: false });
    expect(await coldRead()).toMatchObject({ version: 3, code: 'rt\n' });
  });
});

describe('contention', () => {
  it('retries a transaction cancelled only by a concurrent transaction (TransactionConflict)', async () => {
    let conflicts = 0;
    table.gate = (phase, command) => {
      if (phase === 'before' && command === 'TransactWriteItems' && conflicts++ < 2) {
        throw Object.assign(new Error('cancelled'), { name: 'TransactionCanceledException', CancellationReasons: [{ Code: 'TransactionConflict' }, { Code: 'None' }] });
      }
    };
    await expect(mergeUpdate(session, append('x'), 'u1')).resolves.toMatchObject({ version: 2 });
  });

  it('answers BUSY (503, Retry-After) with nothing changed when every try loses to another writer', async () => {
    const rival = yDoc('');
    Y.applyUpdate(rival, Y.encodeStateAsUpdate(client));
    // Before each of our tries another writer takes the version.
    table.gate = (phase, command, input) => {
      if (phase !== 'before' || command !== 'TransactWriteItems') return;
      const m = table.items.get('META')!;
      const v = Number(m.version) + 1;
      m.version = v;
      table.items.set(`DOC#${String(v).padStart(12, '0')}#U`, logItem(v, append(`r${v}`, rival)));
      void input;
    };
    // The 40 tries back off between them (up to 150 ms each): fake time, so a busy machine cannot stretch
    // the test past its timeout, and the 8 s write budget is counted on the same clock.
    vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] });
    const settled = rejection(mergeUpdate(session, append('[mine]'), 'u1'));
    await vi.runAllTimersAsync();
    const err = await settled;
    expect(err).toMatchObject({ code: 'BUSY', status: 503, retryAfter: LIMITS.document.busyRetryAfterSeconds });
    table.gate = () => {};
    expect((await coldRead()).code).not.toContain('[mine]');
    table.gate = (phase, command) => {
      if (phase === 'before' && command === 'TransactWriteItems') {
        const m = table.items.get('META')!;
        const v = Number(m.version) + 1;
        m.version = v;
        table.items.set(`DOC#${String(v).padStart(12, '0')}#U`, logItem(v, append(`s${v}`, rival)));
      }
    };
    const replacing = rejection(replaceCode(session, 'never', { userId: 'http' }));
    await vi.runAllTimersAsync();
    const replace = await replacing;
    vi.useRealTimers();
    expect(replace.code).toBe('BUSY');
  });

  it('an ended session refuses the append with SESSION_EXPIRED and writes nothing', async () => {
    table.items.get('META')!.status = 'ended';
    expect((await rejection(mergeUpdate(session, append('x'), 'u1'))).code).toBe('SESSION_EXPIRED');
    expect(table.versions().log).toEqual([1]);
  });
});

describe('text clients merge from their base version', () => {
  it('keeps a concurrent Yjs edit made after the base version', async () => {
    const yjs = await mergeUpdate(session, edit((t) => t.insert(0, '# yjs\n')), 'y'); // version 2
    expect(yjs.version).toBe(2);
    // The text client still has version 1 and appends a line.
    const result = await mergeTextEdit(session, 'start\nprint(1)\n', 1, 'text');
    expect(result.version).toBe(3);
    expect((await coldRead()).code).toBe('# yjs\nstart\nprint(1)\n');
  });

  it('answers VERSION_CONFLICT with the current text for a version the server never had', async () => {
    const err = await rejection(mergeTextEdit(session, 'x', 7, 'text'));
    expect(err.details).toEqual({ currentVersion: 1, code: 'start\n' });
  });
});

describe('bounded state', () => {
  it.each([
    ['a map entry', (d: Y.Doc) => d.getMap('meta').set('k', 'v')],
    ['another root text', (d: Y.Doc) => d.getText('other').insert(0, 'hidden')],
    ['a nested type inside the text', (d: Y.Doc) => d.getText('code').insertEmbed(0, new Y.Map())],
    ['an array', (d: Y.Doc) => d.getArray('a').push([1, 2, 3])],
  ])('refuses an update that touches %s, writing nothing', async (_name, change) => {
    const before = Y.encodeStateVector(client);
    change(client);
    const err = await rejection(mergeUpdate(session, Y.encodeStateAsUpdate(client, before), 'u1'));
    expect(err.code).toBe('INVALID_MESSAGE');
    expect(table.calls).not.toContain('TransactWriteItems');
  });

  it('refuses an update that takes the text past 100 KiB, and still accepts deletions', async () => {
    const err = await rejection(mergeUpdate(session, append('x'.repeat(LIMITS.codeMaxBytes)), 'u1'));
    expect(err.code).toBe('PAYLOAD_TOO_LARGE');
    client = yDoc('');
    Y.applyUpdate(client, (await currentDocument(SESSION_ID)).doc ? Y.encodeStateAsUpdate((await currentDocument(SESSION_ID)).doc) : new Uint8Array());
    await expect(mergeUpdate(session, edit((t) => t.delete(0, 1)), 'u1')).resolves.toMatchObject({ version: 2 });
  });

  it('compacts after any successful write, splits a state over 300 KB across items, and reads stay bounded', async () => {
    // Typing 48 K characters backwards leaves one Yjs item per character: a large state for little text.
    for (let i = 0; i < 480; i++) {
      await mergeUpdate(session, edit((t) => { for (let c = 0; c < 100; c++) t.insert(0, 'x'); }), 'typist');
    }
    await mergeUpdate(session, edit((t) => t.delete(0, t.length)), 'typist');
    const { states, log } = table.versions();
    expect(log).toHaveLength(482); // every edit kept (playback)
    expect(states.length).toBeGreaterThan(0);
    expect(states.length).toBeLessThanOrEqual(2); // older states dropped
    const newest = [...table.items.values()].filter((i) => i.version === states[states.length - 1] && String(i.SK).includes('#S'));
    expect(newest.length).toBeGreaterThan(1); // split
    // A cold read touches the log tail since that state plus its parts, not the whole history.
    const calls = table.calls.length;
    let itemsRead = 0;
    table.gate = (phase, command, input) => {
      if (phase === 'before' && command === 'Query') itemsRead += Math.min(input.Limit ?? Infinity, table.items.size);
    };
    expect(await coldRead()).toMatchObject({ version: 482, code: '' });
    expect(table.calls.length - calls).toBe(1);
    expect(itemsRead).toBeLessThanOrEqual(64);
  }, 120_000); // 482 writes through the real store code: ~2 s idle, 17 s seen at load 15 on 2 cores

  it('alternating 100 KiB replacements keep a cold read at the newest state plus a short tail', async () => {
    const big = (c: string) => `${c.repeat(100)}\n`.repeat(1000).slice(0, LIMITS.codeMaxBytes);
    for (let i = 0; i < 40; i++) await replaceCode(session, big(i % 2 ? 'a' : 'b'), { userId: 'http' });
    const { log, states } = table.versions();
    expect(log).toHaveLength(41);
    expect(states.length).toBeGreaterThan(0);
    let itemsRead = 0;
    table.gate = (phase, command, input) => {
      if (phase === 'before' && command === 'Query') itemsRead += input.Limit ?? 0;
    };
    expect((await coldRead()).code).toBe(big('a'));
    expect(itemsRead).toBeLessThanOrEqual(64); // one page: the tail since the state, and the state's parts
  });

  it('bounds the whole encoded state, not only the text: typing and deleting cannot grow it forever', async () => {
    const entry = await currentDocument(SESSION_ID);
    entry.bytesSinceState = LIMITS.document.maxStateBytes; // as if a long history of typed-and-deleted text
    const err = await rejection(mergeUpdate(session, append('x'), 'u1'));
    expect(err).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: { limit: LIMITS.document.maxStateBytes } });
    expect((await rejection(replaceCode(session, 'y', { userId: 'http' }))).code).toBe('PAYLOAD_TOO_LARGE');
    expect(table.calls).not.toContain('TransactWriteItems');
  });

  it('a compaction racing a late write never hides it', async () => {
    await currentDocument(SESSION_ID);
    for (let i = 2; i < LIMITS.document.compactAfterUpdates; i++) await mergeUpdate(session, append('.'), 'u1');
    const other = yDoc('');
    Y.applyUpdate(other, Y.encodeStateAsUpdate(client));
    const hold = latch();
    // Hold the compaction's state write; meanwhile another writer appends the next version.
    let holding = true;
    table.gate = (phase, command, input) => {
      if (phase === 'before' && command === 'PutItem' && String(input.Item.SK).includes('#S') && holding) {
        holding = false;
        return hold.promise;
      }
    };
    const compactingWrite = mergeUpdate(session, append('[c]'), 'u1');
    await new Promise((r) => setTimeout(r, 10));
    const late = await (await otherContainer()).mergeUpdate(session, append('[late]', other), 'u2');
    hold.open();
    await compactingWrite;
    const read = await coldRead();
    expect(read.version).toBe(late.version);
    expect(read.code).toContain('[late]');
    expect(read.code).toContain('[c]');
  });
});
