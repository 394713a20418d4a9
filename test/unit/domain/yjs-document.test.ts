/** shared/core/yjs-document.ts: pure Yjs, no I/O. */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { DIFF_MAX_EDITS, encodeState, holdsUpdate, InvalidUpdate, inspectUpdate, isAwarenessUpdate, loadDoc, replaceText, textOf } from '#core/yjs-document.js';

const docWith = (text: string) => {
  const doc = loadDoc(undefined, []);
  replaceText(doc, text);
  return doc;
};
/** A second replica of `doc`, as another client or Lambda would hold it. */
const replicaOf = (doc: Y.Doc) => loadDoc(encodeState(doc), []);

const LARGE = Array.from({ length: 2000 }, (_, i) => `    total += values[${i}] * ${i % 7}  // step ${i}`).join('\n');

/** A tiny deterministic PRNG so a failing case can be replayed. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

const hasLoneSurrogate = (s: string) => /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

/** Every string the update inserts, decoded from its structs. */
function insertedStrings(update: Uint8Array): string[] {
  return Y.decodeUpdate(update).structs.flatMap((s) =>
    s instanceof Y.Item && s.content instanceof Y.ContentString ? [s.content.str] : [],
  );
}

describe('replaceText', () => {
  it('returns undefined and changes nothing when the text is equal', () => {
    const doc = docWith('same');
    const before = encodeState(doc);
    expect(replaceText(doc, 'same')).toBeUndefined();
    expect(encodeState(doc)).toEqual(before);
  });

  it('stores a one-character change to a large text as a small update', () => {
    const doc = docWith(LARGE);
    const next = LARGE.replace('values[1000] * 6', 'values[1000] * 5');
    const update = replaceText(doc, next)!;
    expect(LARGE.length).toBeGreaterThan(80_000);
    expect(update.byteLength).toBeLessThan(64);
    expect(insertedStrings(update)).toEqual(['5']);
    expect(textOf(doc)).toBe(next);
  });

  it('keeps the Yjs identity of unchanged text, so a concurrent edit elsewhere survives a full replace', () => {
    const server = docWith('def f():\n    return 1\n');
    const yjsClient = replicaOf(server);
    // a Yjs client inserts a comment at the top while a text client rewrites the return value
    const clientEdit = (() => {
      let captured!: Uint8Array;
      yjsClient.once('update', (u: Uint8Array) => (captured = u));
      yjsClient.getText('code').insert(0, '# hi\n');
      return captured;
    })();
    const textEdit = replaceText(server, 'def f():\n    return 2\n')!;
    Y.applyUpdate(server, clientEdit);
    Y.applyUpdate(yjsClient, textEdit);
    expect(textOf(server)).toBe('# hi\ndef f():\n    return 2\n');
    expect(textOf(yjsClient)).toBe(textOf(server));
  });

  it('makes concurrent edits from two replicas converge whatever the order and duplication', () => {
    const origin = docWith('const a = 1;\nconst b = 2;\nconst c = 3;\n');
    const alice = replicaOf(origin);
    const bob = replicaOf(origin);
    const base = encodeState(origin);
    const ua = replaceText(alice, 'const a = 10;\nconst b = 2;\nconst c = 3;\n')!;
    const ub = replaceText(bob, 'const a = 1;\nconst b = 2;\nconst c = 30;\n// bob\n')!;
    const ub2 = replaceText(bob, 'const a = 1;\nconst bb = 2;\nconst c = 30;\n// bob\n')!;
    const orders = [
      [ua, ub, ub2],
      [ub2, ub, ua],
      [ub, ua, ub2, ua, ub],
      [ub2, ua, ub2, ub, ub, ua],
    ];
    const results = orders.map((order) => textOf(loadDoc(base, order)));
    expect(new Set(results).size).toBe(1);
    expect(results[0]).toBe('const a = 10;\nconst bb = 2;\nconst c = 30;\n// bob\n');
  });

  it.each([
    ['a different emoji sharing the high surrogate', '😀', '😃'],
    ['a different emoji sharing the low surrogate', '😀', '\u{1FA00}'],
    ['an emoji inserted between emoji', 'a😀😀b', 'a😀😃😀b'],
    ['an emoji appended after an emoji', 'x😀', 'x😀😀'],
    ['an emoji removed from a run', '👍🏽👍🏽👍🏽', '👍🏽👍🏽'],
  ])('never splits a surrogate pair: %s', (_, from, to) => {
    const doc = docWith(from);
    const remote = replicaOf(doc);
    const update = replaceText(doc, to)!;
    Y.applyUpdate(remote, update);
    expect(textOf(doc)).toBe(to);
    expect(textOf(remote)).toBe(to); // a lone surrogate would be re-encoded as U+FFFD on the wire
    for (const s of insertedStrings(update)) expect(hasLoneSurrogate(s)).toBe(false);
  });

  /** `length` characters drawn from `alphabet` by a seeded PRNG. */
  const randomText = (seed: number, length: number, alphabet = 'abcdefghij (){};=\n') => {
    const rnd = prng(seed);
    return Array.from({ length }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
  };

  it('still finds small scattered edits in a large text (below DIFF_MAX_EDITS)', () => {
    const doc = docWith(LARGE);
    let next = LARGE;
    for (let i = 50; i < 2000; i += 50) next = next.replace(`values[${i}] *`, `values[${i}] /`);
    const update = replaceText(doc, next)!;
    expect(textOf(doc)).toBe(next);
    expect(insertedStrings(update)).toEqual(Array.from({ length: 39 }, () => '/'));
  });

  // A text client (or PUT /code) replacing a large text by an unrelated one: an unbounded character
  // diff of two 19 K texts took 6-15 s of CPU (fast-diff); the bound makes it one delete + one insert.
  it('replaces a middle that differs by more than DIFF_MAX_EDITS whole, so unrelated large texts cost little', () => {
    const from = randomText(1, 19_000);
    const to = randomText(2, 19_000);
    const doc = docWith(from);
    const remote = replicaOf(doc);
    const update = replaceText(doc, to)!;
    Y.applyUpdate(remote, update);
    expect(textOf(doc)).toBe(to);
    expect(textOf(remote)).toBe(to);
    // one insert: the middle between the common prefix and suffix (a few characters at most)
    const wholeMiddle = (inserted: string[], next: string) => inserted.length === 1 && next.includes(inserted[0]!) && inserted[0]!.length > next.length - 10;
    expect(wholeMiddle(insertedStrings(update), to)).toBe(true);
    // the same at 3,000 characters, where an unbounded diff is quick but finds hundreds of small inserts
    const small = docWith(randomText(3, 3_000));
    const to2 = randomText(4, 3_000);
    expect(wholeMiddle(insertedStrings(replaceText(small, to2)!), to2)).toBe(true);
    expect(DIFF_MAX_EDITS).toBeLessThan(3_000);
  });

  it('keeps a concurrent Yjs insert exactly once when the middle around it is replaced whole', () => {
    const server = docWith(`head\n${randomText(5, 4_000)}\ntail`);
    const yjsClient = replicaOf(server);
    let clientEdit!: Uint8Array;
    yjsClient.once('update', (u: Uint8Array) => (clientEdit = u));
    yjsClient.getText('code').insert(2_000, '<TOKEN>');
    const textEdit = replaceText(server, `head\n${randomText(6, 4_000)}\ntail`)!;
    expect(insertedStrings(textEdit)).toHaveLength(1); // the whole-middle path
    Y.applyUpdate(server, clientEdit);
    Y.applyUpdate(yjsClient, textEdit);
    expect(textOf(server)).toBe(textOf(yjsClient));
    expect(textOf(server).split('<TOKEN>')).toHaveLength(2);
    expect(textOf(server).startsWith('head\n')).toBe(true);
    expect(textOf(server).endsWith('\ntail')).toBe(true);
  });

  it('keeps surrogate pairs whole over many random edits of emoji-heavy text', () => {
    const rnd = prng(7);
    const alphabet = ['a', '😀', '😃', '\u{1FA00}', 'é', '\n', '👍🏽'];
    const random = () => Array.from({ length: Math.floor(rnd() * 10) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
    for (let i = 0; i < 500; i++) {
      const [from, to] = [random(), random()];
      const doc = docWith(from);
      const remote = replicaOf(doc);
      const update = replaceText(doc, to);
      if (update) Y.applyUpdate(remote, update);
      expect(textOf(remote), JSON.stringify({ from, to })).toBe(to);
    }
  });
});

describe('inspectUpdate on bytes that are not a Yjs update', () => {
  const edit = replaceText(replicaOf(docWith('hello world')), 'hello brave world')!;

  it.each([
    ['0xff bytes', new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff])],
    ['no bytes at all', new Uint8Array()],
    ['JSON text', new TextEncoder().encode('{"action":"yjs-update"}')],
    ['a truncated valid update', edit.slice(0, edit.length - 3)],
    ['the first bytes of a valid update', edit.slice(0, 5)],
    ['pseudo-random bytes', new Uint8Array(Array.from({ length: 64 }, (_, i) => (i * 37 + 11) % 256))],
  ])('rejects garbage (%s) with InvalidUpdate', (_, garbage) => {
    expect(() => inspectUpdate(garbage)).toThrow(InvalidUpdate);
  });
});

describe('holdsUpdate: whether a document already has all an update would add', () => {
  /** The update a change on `doc` makes (as the client would send it). */
  const changeOn = (doc: Y.Doc, change: (t: Y.Text) => void) => {
    const before = Y.encodeStateVector(doc);
    doc.transact(() => change(doc.getText('code')));
    return Y.encodeStateAsUpdate(doc, before);
  };

  it('an insert: not before it is applied, yes after, and still after later edits merged around it', () => {
    const server = docWith('hello');
    const client = replicaOf(server);
    const insert = changeOn(client, (t) => t.insert(5, ' world'));
    expect(holdsUpdate(server, insert)).toBe(false);
    Y.applyUpdate(server, insert);
    expect(holdsUpdate(server, insert)).toBe(true);
    const other = replicaOf(server);
    Y.applyUpdate(server, changeOn(other, (t) => t.insert(0, '>> ')));
    expect(holdsUpdate(server, insert)).toBe(true);
    expect(holdsUpdate(server, Y.encodeStateAsUpdate(client))).toBe(true); // a whole replica's state, all known
  });

  it('a deletion (no new items): held only once every character in it is deleted', () => {
    const server = docWith('abcdef');
    const client = replicaOf(server);
    const cut = changeOn(client, (t) => t.delete(1, 3)); // bcd
    expect(Y.decodeUpdate(cut).structs).toHaveLength(0);
    expect(holdsUpdate(server, cut)).toBe(false);
    const partly = replicaOf(server);
    Y.applyUpdate(server, changeOn(partly, (t) => t.delete(1, 2))); // bc only
    expect(holdsUpdate(server, cut)).toBe(false);
    Y.applyUpdate(server, cut);
    expect(textOf(server)).toBe('aef');
    expect(holdsUpdate(server, cut)).toBe(true);
  });

  it('items or deletions of a client the document has never seen are not held', () => {
    const server = docWith('abc');
    const stranger = docWith('xyz'); // another history entirely
    const deletion = changeOn(stranger, (t) => t.delete(0, 1));
    expect(holdsUpdate(server, Y.encodeStateAsUpdate(stranger))).toBe(false);
    expect(holdsUpdate(server, deletion)).toBe(false);
  });

  it('an empty update is held (it adds nothing)', () => {
    expect(holdsUpdate(docWith('abc'), new Uint8Array([0, 0]))).toBe(true);
  });

  it('agrees with Y.snapshotContainsUpdate on random edits from three replicas', () => {
    const random = prng(7);
    const server = docWith('seed text\n');
    const replicas = [0, 1, 2].map(() => replicaOf(server));
    const sent: Uint8Array[] = [];
    const late: Uint8Array[] = [];
    const answers = { held: 0, not: 0 };
    for (let step = 0; step < 300; step++) {
      const r = replicas[Math.floor(random() * 3)]!;
      const update = changeOn(r, (t) => {
        if (t.length > 0 && random() < 0.4) t.delete(Math.floor(random() * t.length), 1 + Math.floor(random() * Math.min(3, t.length - 1)));
        else t.insert(Math.floor(random() * (t.length + 1)), String.fromCharCode(97 + Math.floor(random() * 26)));
      });
      sent.push(update);
      // Most arrive at once; the others late, in any order (until then the server holds what follows them as pending).
      if (random() < 0.7) Y.applyUpdate(server, update);
      else late.push(update);
      if (late.length > 0 && random() < 0.3) Y.applyUpdate(server, late.splice(Math.floor(random() * late.length), 1)[0]!);
      for (const probe of [update, sent[Math.floor(random() * sent.length)]!]) {
        const held = holdsUpdate(server, probe);
        expect(held, `step ${step}`).toBe(Y.snapshotContainsUpdate(Y.snapshot(server), probe));
        answers[held ? 'held' : 'not']++;
      }
    }
    expect(answers.held).toBeGreaterThan(50);
    expect(answers.not).toBeGreaterThan(50);
  });
});

describe('isAwarenessUpdate', () => {
  it('accepts what y-protocols encodes (a state, a removal) and refuses text, cut-short and trailing bytes', async () => {
    const { Awareness, encodeAwarenessUpdate } = await import('y-protocols/awareness');
    const doc = new Y.Doc();
    const awareness = new Awareness(doc);
    try {
      awareness.setLocalStateField('user', { name: 'Ann', color: '#123' });
      const state = encodeAwarenessUpdate(awareness, [doc.clientID]);
      expect(isAwarenessUpdate(state)).toBe(true);
      expect(isAwarenessUpdate(new Uint8Array([0]))).toBe(true); // no clients: nothing to relay, nothing wrong
      expect(isAwarenessUpdate(new TextEncoder().encode('not awareness at all'))).toBe(false);
      expect(isAwarenessUpdate(state.subarray(0, state.length - 2))).toBe(false);
      expect(isAwarenessUpdate(new Uint8Array([...state, 7]))).toBe(false);
      expect(isAwarenessUpdate(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]))).toBe(false); // a huge count, no entries
      awareness.setLocalState(null);
      expect(isAwarenessUpdate(encodeAwarenessUpdate(awareness, [doc.clientID]))).toBe(true);
    } finally {
      awareness.destroy();
    }
  });
});
