/**
 * Bundle size and cold import time per Lambda function:  npx tsx bench/bundles.ts
 * Bundles each handler with the options the stack deploys with (infra/bundling.ts: esbuild, ESM,
 * minified, node22, SDK bundled, env-only credentials), then imports each bundle in a fresh `node` process several times and reports the
 * median time to evaluate the module: what a cold start adds on top of the runtime's own init.
 * Budgets (issue 2): ≤ 500 KB minified, ≤ 100 ms cold import on this machine.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { LAMBDA_BUNDLE } from '../infra/bundling.js';
import { HTTP_FUNCTIONS, PIPELINE_FUNCTIONS, WS_FUNCTIONS } from '#contract/routes.js';
import { percentile, round, table } from './stats.js';

const ROOT = resolve(import.meta.dirname, '..');
const IMPORTS = 7;

const entries: [string, string][] = [
  ...Object.entries(HTTP_FUNCTIONS).map(([n, d]) => [`http-${n}`, d.entry] as [string, string]),
  ...Object.entries(WS_FUNCTIONS).map(([n, d]) => [`ws-${n}`, d.entry] as [string, string]),
  ...Object.entries(PIPELINE_FUNCTIONS).map(([n, d]) => [`pipeline-${n}`, d.entry] as [string, string]),
];

export async function main(): Promise<Record<string, string | number>[]> {
  const out = mkdtempSync(join(tmpdir(), 'bundles-'));
  const rows: Record<string, string | number>[] = [];
  for (const [name, entry] of entries) {
    const outfile = join(out, `${name}.mjs`);
    await build({
      ...LAMBDA_BUNDLE,
      entryPoints: [join(ROOT, entry)],
      outfile,
      bundle: true,
      banner: { js: LAMBDA_BUNDLE.banner },
      logLevel: 'error',
    });
    const probe = join(out, `${name}.probe.mjs`);
    writeFileSync(probe, `const t = performance.now(); await import(${JSON.stringify(outfile)}); console.log(performance.now() - t);`);
    const times: number[] = [];
    for (let i = 0; i < IMPORTS; i++) {
      const env = { ...process.env, AWS_REGION: 'us-east-1', TABLE_NAME: 't', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
      times.push(Number(execFileSync(process.execPath, [probe], { env }).toString().trim()));
    }
    const kb = statSync(outfile).size / 1024;
    const coldMs = percentile(times, 50);
    rows.push({ function: name, 'bundle KB': round(kb), 'cold import ms (p50)': round(coldMs), budget: kb <= 500 && coldMs <= 100 ? 'ok' : 'OVER' });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(table(await main()));
}
