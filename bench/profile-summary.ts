/**
 * Who spends the CPU in a `node --cpu-prof` profile of the local stack (BENCH_PROFILE_DIR=dir with
 * bench/realtime.ts or bench/document.ts):  npx tsx bench/profile-summary.ts FILE.cpuprofile [TOP]
 *
 * Each sample's time goes to the nearest frame on its stack that belongs to a known part: the local
 * stack's API Gateway emulation (local/, the `ws` server) — cost that AWS carries, not us — and what would
 * run in Lambda: our handlers (shared/, functions/), the AWS SDK, its DynamoDB marshalling, Yjs, zod,
 * Powertools. Native frames (JSON.parse, socket writes) count for the part that called them; garbage
 * collection and frames with no known caller are listed apart. Sampled time is wall time on the main
 * thread: a syscall that waits (a loopback write whose receiver runs first) counts in full, so compare
 * parts with each other, and take CPU-seconds from the bench's own figures.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export const EMULATION = 'local emulation (API Gateway fronts, ws server)';

/** The part a script belongs to, by its URL; undefined for Node's own and native frames. */
export function partOf(url: string): string | undefined {
  if (!url) return undefined;
  if (url.includes('/bench/') || url.includes('/test/')) return 'bench';
  if (url.includes('/local/') || url.includes('node_modules/ws/')) return EMULATION;
  if (url.includes('@aws-sdk/lib-dynamodb') || url.includes('@aws-sdk/util-dynamodb')) return 'AWS SDK: DynamoDB marshalling';
  if (url.includes('@aws-sdk') || url.includes('@smithy') || url.includes('@aws-crypto')) return 'AWS SDK: client (middleware, serde, signing, HTTP)';
  if (url.includes('node_modules/yjs') || url.includes('node_modules/lib0')) return 'Yjs';
  if (url.includes('node_modules/zod')) return 'zod';
  if (url.includes('powertools')) return 'Powertools logger';
  if (url.includes('node_modules/tsx') || url.includes('esbuild')) return 'tsx (module loading)';
  if (url.includes('/shared/') || url.includes('/functions/')) return 'our handlers (shared/, functions/)';
  if (url.includes('node_modules')) return 'other libraries';
  // Node's HTTP client under the SDK (requests written, responses parsed); the HTTP front's responses too.
  if (url.startsWith('node:_http')) return 'Node http (the SDK requests)';
  return undefined;
}

export function summarise(profile: Profile): { part: string; ms: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const totals = new Map<string, number>();
  for (const [id, us] of self) {
    const name = byId.get(id)!.callFrame.functionName;
    if (name === '(idle)') continue;
    let part: string | undefined;
    for (let cur: number | undefined = id; cur !== undefined && !part; cur = parent.get(cur)) part = partOf(byId.get(cur)!.callFrame.url);
    part ??= name === '(garbage collector)' ? 'garbage collection' : 'Node internals (no known caller)';
    totals.set(part, (totals.get(part) ?? 0) + us);
  }
  return [...totals].map(([part, us]) => ({ part, ms: Math.round(us / 1000) })).sort((a, b) => b.ms - a.ms);
}

/** Parts that belong to neither side: split between them in proportion to what each side spent. */
const SHARED_PARTS = new Set(['garbage collection', 'Node internals (no known caller)', 'tsx (module loading)', 'bench']);

/**
 * The share of the stack's busy time that would run in Lambda (handlers, the AWS SDK and Node's http
 * under it, Yjs, zod, Powertools) against the API Gateway emulation (local/, the `ws` server): the
 * first is "our own code" in AWS, the second is AWS's. Garbage collection and frames with no known
 * caller go to both in proportion.
 */
export function lambdaShare(parts: { part: string; ms: number }[]): number {
  let lambda = 0;
  let emulation = 0;
  for (const { part, ms } of parts) {
    if (part === EMULATION) emulation += ms;
    else if (!SHARED_PARTS.has(part)) lambda += ms;
  }
  return lambda + emulation === 0 ? NaN : lambda / (lambda + emulation);
}

/** The `top` frames by self time (one row per function and script, wherever it was called from). */
export function topFrames(profile: Profile, top: number): { frame: string; part: string; ms: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, { part: string; us: number }>();
  profile.samples.forEach((id, i) => {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') return;
    const script = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(shared|functions|local|bench)\//, '$1/');
    const key = `${functionName || '(anonymous)'} ${script}:${lineNumber + 1}`;
    const row = totals.get(key) ?? { part: partOf(url) ?? '', us: 0 };
    row.us += profile.timeDeltas[i] ?? 0;
    totals.set(key, row);
  });
  return [...totals]
    .map(([frame, r]) => ({ frame, part: r.part, ms: Math.round(r.us / 1000) }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, top);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: npx tsx bench/profile-summary.ts FILE.cpuprofile');
    process.exit(2);
  }
  const rows = summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile);
  const busy = rows.reduce((n, r) => n + r.ms, 0);
  console.log(`busy (sampled, not idle): ${busy} ms`);
  for (const r of rows) console.log(`${String(r.ms).padStart(8)} ms  ${String(Math.round((100 * r.ms) / busy)).padStart(3)} %  ${r.part}`);
  const top = Number(process.argv[3] ?? 0);
  if (top > 0) {
    console.log(`\ntop ${top} frames by self time`);
    for (const f of topFrames(JSON.parse(readFileSync(file, 'utf8')) as Profile, top)) {
      console.log(`${String(f.ms).padStart(8)} ms  ${f.frame}${f.part ? `  [${f.part}]` : ''}`);
    }
  }
}
