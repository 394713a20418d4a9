/**
 * What a text write costs to turn into a Yjs edit (shared/core/yjs-document.ts replaceText: common
 * prefix and suffix, then jsdiff's diffChars bounded by DIFF_MAX_EDITS):  npx tsx bench/text-diff.ts
 *
 * A text client's `code-change`, `PUT /code`, a restore and the starter code all go through it, on
 * text a candidate controls, so the worst case matters as much as the usual one: the unbounded
 * character diff before it took 6-15 s of CPU for one 19 K text over an unrelated one (docs/document.md).
 * Each case runs on a fresh copy of its document, BENCH_ROUNDS times (default 5) after one warm-up;
 * CPU time from process.cpuUsage, best and median; inserts = the strings the Yjs update inserts.
 */
import './quiet.js';
import * as Y from 'yjs';
import { DIFF_MAX_EDITS, encodeState, loadDoc, replaceText } from '#core/yjs-document.js';
import { percentile, round, table } from './stats.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}
const randomText = (seed: number, length: number, alphabet = 'abcdefghij (){};=\n') => {
  const rnd = prng(seed);
  return Array.from({ length }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
};
/** `count` changes of a few characters each, spread over the text. */
function scattered(text: string, count: number, seed: number): string {
  const rnd = prng(seed);
  let out = text;
  for (let i = 0; i < count; i++) {
    const at = Math.floor(rnd() * (out.length - 3));
    out = `${out.slice(0, at)}XYZ${out.slice(at + 2)}`;
  }
  return out;
}
const CODE = Array.from({ length: 2_000 }, (_, i) => `    total += values[${i}] * ${i % 7}  // step ${i}`).join('\n'); // ~80 K

const cases: [string, string, string][] = [
  ['one keystroke in 80 K of code', CODE, CODE.replace('values[1000] * 6', 'values[1000] * 5')],
  ['2 scattered changes in 80 K', CODE, scattered(CODE, 2, 1)],
  ['40 scattered changes in 80 K', CODE, scattered(CODE, 40, 2)],
  ['150 scattered changes in 80 K', CODE, scattered(CODE, 150, 3)],
  ['paste 10 K into 80 K', CODE, `${CODE.slice(0, 40_000)}${randomText(4, 10_000)}${CODE.slice(40_000)}`],
  ['70 chars -> 30 K unrelated', randomText(5, 70), randomText(6, 30_000)],
  ['19 K -> 19 K unrelated', randomText(7, 19_000), randomText(8, 19_000)],
  ['100 K -> 100 K unrelated (the code limit)', randomText(9, 100_000), randomText(10, 100_000)],
];

const rows: Record<string, string | number>[] = [];
for (const [name, from, to] of cases) {
  const base = (() => {
    const d = loadDoc(undefined, []);
    replaceText(d, from);
    return encodeState(d);
  })();
  const cpu: number[] = [];
  let inserts = 0;
  for (let r = 0; r <= ROUNDS; r++) {
    const doc = loadDoc(base, []);
    const c = process.cpuUsage();
    const update = replaceText(doc, to)!;
    const u = process.cpuUsage(c);
    if (r > 0) cpu.push((u.user + u.system) / 1000);
    inserts = Y.decodeUpdate(update).structs.filter((s) => s instanceof Y.Item && s.content instanceof Y.ContentString).length;
    doc.destroy();
  }
  rows.push({ case: name, 'CPU ms (best)': round(Math.min(...cpu), 1), 'CPU ms (p50)': round(percentile(cpu, 50), 1), inserts });
}
console.log(`replaceText, DIFF_MAX_EDITS = ${DIFF_MAX_EDITS} (past it the changed middle is replaced whole: 1 insert)`);
console.log(table(rows));
