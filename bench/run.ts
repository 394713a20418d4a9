/**
 * `npm run bench`: every bench in turn, figures printed (no pass/fail). Each can also run alone:
 * `npx tsx bench/<name>.ts`.
 */
import './quiet.js';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const here = import.meta.dirname;
const benches = ['http', 'bundles', 'realtime', 'sdk-call', 'text-diff', 'runner', 'tests-run', 'pipeline'];
let failed = 0;
for (const name of benches) {
  const file = join(here, `${name}.ts`);
  if (!existsSync(file)) continue;
  console.log(`\n=== bench/${name}.ts ===`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit', env: process.env });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
