/**
 * Bundle size and cold import time per Lambda function:  npx tsx bench/bundles.ts [--why <function>]
 * Bundles each handler with the options the stack deploys with (infra/bundling.ts: esbuild, ESM,
 * minified, node22, SDK bundled, env-only credentials), twice: as deployed by default, and as deployed
 * with `-c tracing=true` (Powertools Tracer built in: infra/bundling.ts lambdaDefine). Then imports each
 * bundle in a fresh `node` process several times and reports the time to evaluate the module: what a
 * cold start adds on top of the runtime's own init. On this shared 2-core machine the load of others'
 * tests swings wall time 2-5x and even the median CPU time (user + system, V8's helper threads
 * included) by ±25 % between identical runs, while load can only add to a run: the budget is on the
 * best CPU time of the runs, and the median wall time is printed beside it.
 * Budgets (issue 2, revised by issue 11: docs/metrics.md "Bundle budget"): ≤ 560 KB minified and
 * ≤ 100 ms CPU to import, for the default bundle (the traced one is a diagnosis mode, reported only).
 * `--why ws-message` lists what that function's bundle is made of, by package (esbuild metafile).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { LAMBDA_BUNDLE, lambdaDefine } from '../infra/bundling.js';
import { HTTP_FUNCTIONS, PIPELINE_FUNCTIONS, WS_FUNCTIONS } from '#contract/routes.js';
import { percentile, round, table } from './stats.js';

const ROOT = resolve(import.meta.dirname, '..');
const IMPORTS = 9;
export const BUDGET = { kb: 560, importCpuMs: 100 };

const entries: [string, string][] = [
  ...Object.entries(HTTP_FUNCTIONS).map(([n, d]) => [`http-${n}`, d.entry] as [string, string]),
  ...Object.entries(WS_FUNCTIONS).map(([n, d]) => [`ws-${n}`, d.entry] as [string, string]),
  ...Object.entries(PIPELINE_FUNCTIONS).map(([n, d]) => [`pipeline-${n}`, d.entry] as [string, string]),
];

async function bundle(entry: string, outfile: string, tracing: boolean): Promise<Metafile> {
  const result = await build({
    ...LAMBDA_BUNDLE,
    define: lambdaDefine(tracing),
    entryPoints: [join(ROOT, entry)],
    outfile,
    bundle: true,
    banner: { js: LAMBDA_BUNDLE.banner },
    metafile: true,
    logLevel: 'error',
  });
  return result.metafile;
}

/** Median wall and best CPU milliseconds of importing the bundle in a fresh process. */
function importTimes(dir: string, outfile: string): { wallMs: number; cpuMs: number } {
  const probe = join(dir, 'probe.mjs');
  writeFileSync(
    probe,
    `const c = process.cpuUsage(); const t = performance.now(); await import(process.argv[2]);
const wall = performance.now() - t; const u = process.cpuUsage(c); console.log(wall, (u.user + u.system) / 1000);`,
  );
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < IMPORTS; i++) {
    const env = { ...process.env, AWS_REGION: 'us-east-1', TABLE_NAME: 't', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
    const [w, c] = execFileSync(process.execPath, [probe, outfile], { env }).toString().trim().split(' ').map(Number);
    wall.push(w!);
    cpu.push(c!);
  }
  return { wallMs: percentile(wall, 50), cpuMs: Math.min(...cpu) };
}

export async function main(): Promise<Record<string, string | number>[]> {
  const out = mkdtempSync(join(tmpdir(), 'bundles-'));
  const rows: Record<string, string | number>[] = [];
  for (const [name, entry] of entries) {
    const plain = join(out, `${name}.mjs`);
    const traced = join(out, `${name}.traced.mjs`);
    await bundle(entry, plain, false);
    await bundle(entry, traced, true);
    const kb = statSync(plain).size / 1024;
    const t = importTimes(out, plain);
    const tt = importTimes(out, traced);
    rows.push({
      function: name,
      'bundle KB': round(kb),
      'import CPU ms (best)': round(t.cpuMs),
      'wall ms (p50)': round(t.wallMs),
      'traced KB': round(statSync(traced).size / 1024),
      'traced CPU ms': round(tt.cpuMs),
      'traced wall ms': round(tt.wallMs),
      budget: [kb > BUDGET.kb ? 'OVER size' : '', t.cpuMs > BUDGET.importCpuMs ? 'OVER import' : ''].filter(Boolean).join(', ') || 'ok',
    });
  }
  return rows;
}

/** What one function's bundle is made of: output KB per package (or per source folder of this repo). */
export async function why(name: string): Promise<Record<string, string | number>[]> {
  const entry = entries.find(([n]) => n === name)?.[1];
  if (!entry) throw new Error(`unknown function ${name}: one of ${entries.map(([n]) => n).join(', ')}`);
  const outfile = join(mkdtempSync(join(tmpdir(), 'bundles-why-')), `${name}.mjs`);
  const meta = await bundle(entry, outfile, false);
  const byPart = new Map<string, number>();
  for (const output of Object.values(meta.outputs)) {
    for (const [file, input] of Object.entries(output.inputs)) {
      // node_modules/<pkg> (a nested copy shows as `<parent> > <pkg>`), else the repo's top two folders.
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)(?:\/node_modules\/((?:@[^/]+\/)?[^/]+))?/.exec(file);
      const part = m ? (m[2] ? `${m[1]} > ${m[2]}` : m[1]!) : relative(ROOT, resolve(file)).split('/').slice(0, 2).join('/');
      byPart.set(part, (byPart.get(part) ?? 0) + input.bytesInOutput);
    }
  }
  return [...byPart].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([part, bytes]) => ({ part, KB: round(bytes / 1024) }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--why');
  console.log(table(i > 0 ? await why(process.argv[i + 1] ?? '') : await main()));
}
