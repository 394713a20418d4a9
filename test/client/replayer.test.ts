/**
 * The replay page's engine (web/src/replayer.ts): the code at any moment from the timeline's `edit`
 * events, forwards and backwards across checkpoints, exactly as a live document had it.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { toBase64 } from 'lib0/buffer';
import { Replayer } from '../../web/src/replayer.js';
import type { TimelineEvent } from '../../client/src/index.js';

/** Two writers editing one document; every update becomes a timeline `edit`, one millisecond apart. */
function interview(edits: number): { events: TimelineEvent[]; texts: string[]; t0: number } {
  const a = new Y.Doc();
  const b = new Y.Doc();
  const t0 = Date.parse('2026-11-30T10:00:00.000Z');
  const events: TimelineEvent[] = [{ at: new Date(t0).toISOString(), type: 'user-joined', userId: 'u1' }];
  const texts: string[] = [''];
  const record = (doc: Y.Doc, other: Y.Doc, change: (t: Y.Text) => void) => {
    let update: Uint8Array | undefined;
    const take = (u: Uint8Array) => (update = u);
    doc.once('update', take);
    change(doc.getText('code'));
    Y.applyUpdate(other, update!);
    events.push({ at: new Date(t0 + events.length).toISOString(), type: 'edit', doc: 'code', update: toBase64(update!), version: events.length });
    texts.push(doc.getText('code').toString());
  };
  for (let i = 0; i < edits; i++) {
    const [doc, other] = i % 2 ? [a, b] : [b, a];
    const text = doc.getText('code');
    if (i % 7 === 6 && text.length > 3) record(doc, other, (t) => t.delete(Math.floor(text.length / 2), 2));
    else record(doc, other, (t) => t.insert(i % 3 ? t.length : 0, `${i % 10}`));
  }
  // Notes edits and other events are not code: they change nothing here.
  const notes = new Y.Doc();
  notes.getText('notes').insert(0, 'secret');
  events.push({ at: new Date(t0 + events.length).toISOString(), type: 'edit', doc: 'notes', update: toBase64(Y.encodeStateAsUpdate(notes)), version: 1 });
  texts.push(texts[texts.length - 1]!);
  return { events, texts, t0 };
}

describe('Replayer', () => {
  it('gives the code at every moment, moving forwards, backwards and jumping across checkpoints', () => {
    const { events, texts, t0 } = interview(700);
    const replayer = new Replayer(events);
    expect(replayer.edits).toHaveLength(700);
    // events[k] happened at t0 + k; after it the document was texts[k].
    for (let k = 0; k < events.length; k += 37) expect(replayer.textAt(t0 + k), `forward ${k}`).toBe(texts[k]);
    for (let k = events.length - 1; k >= 0; k -= 53) expect(replayer.textAt(t0 + k), `backward ${k}`).toBe(texts[k]);
    for (const k of [650, 3, 501, 250, 251, 249, 0, events.length - 1]) expect(replayer.textAt(t0 + k), `jump ${k}`).toBe(texts[k]);
    expect(replayer.textAt(t0 - 1)).toBe('');
    expect(replayer.countAt(t0 + events.length)).toBe(700);
  });
});
