/**
 * `npx tsx bench/replay.ts`: the replay page's engine (web/src/replayer.ts) on a 1-hour interview's
 * worth of edits (20,000 single-keystroke updates from two writers, ~5.5 per second), in Node:
 *   - decoding the timeline's edits (base64 → updates),
 *   - playing the whole interview forward once (what Play at any speed amounts to),
 *   - scrubbing: 200 random slider positions (every jump back restarts from the nearest checkpoint).
 * No server involved: the fetch is bench/timeline.ts's subject.
 */
import { performance } from 'node:perf_hooks';
import * as Y from 'yjs';
import { toBase64 } from 'lib0/buffer';
import { Replayer } from '../web/src/replayer.js';
import type { TimelineEvent } from '../client/src/index.js';
import { percentile, round, table } from './stats.js';

const EDITS = 20_000;
const SEEKS = 200;

function interview(): { events: TimelineEvent[]; t0: number; span: number; final: string } {
  const docs = [new Y.Doc(), new Y.Doc()];
  const t0 = Date.parse('2026-11-30T10:00:00.000Z');
  const span = 3_600_000;
  const events: TimelineEvent[] = [];
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let i = 0; i < EDITS; i++) {
    const doc = docs[i % 2]!;
    const text = doc.getText('code');
    let update: Uint8Array | undefined;
    doc.once('update', (u: Uint8Array) => (update = u));
    // Mostly typing at a cursor that wanders, sometimes a deletion (as people write code).
    if (random() < 0.15 && text.length > 10) text.delete(Math.floor(random() * (text.length - 2)), 1);
    else text.insert(Math.floor(random() * (text.length + 1)), 'abcdefghij\n '.charAt(i % 12));
    Y.applyUpdate(docs[(i + 1) % 2]!, update!);
    events.push({ at: new Date(t0 + Math.floor((i / EDITS) * span)).toISOString(), type: 'edit', doc: 'code', update: toBase64(update!), version: i + 1 });
  }
  return { events, t0, span, final: docs[0]!.getText('code').toString() };
}

const { events, t0, span, final } = interview();
let start = performance.now();
const replayer = new Replayer(events);
const decodeMs = performance.now() - start;

start = performance.now();
const end = replayer.textAt(t0 + span);
const forwardMs = performance.now() - start;
if (end !== final) throw new Error('the replay does not end at the document');

const seekMs: number[] = [];
let seed = 7;
for (let i = 0; i < SEEKS; i++) {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  const at = t0 + (seed % span);
  const t = performance.now();
  replayer.textAt(at);
  seekMs.push(performance.now() - t);
}

console.log(`${EDITS} edits over 1 hour, final document ${final.length} characters\n`);
console.log(
  table([
    { what: 'decode the timeline’s edits', ms: round(decodeMs) },
    { what: 'play the whole interview forward (all edits)', ms: round(forwardMs) },
    { what: `random slider position, p50 (${SEEKS} seeks)`, ms: round(percentile(seekMs, 50), 2) },
    { what: 'random slider position, p99', ms: round(percentile(seekMs, 99), 2) },
    { what: 'random slider position, max', ms: round(Math.max(...seekMs), 2) },
  ]),
);
