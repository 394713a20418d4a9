/**
 * Runner benchmarks (printed figures, not timed tests):  npx tsx bench/runner.ts [rounds]
 *
 *  1. Overhead per language: a hello world through SlotPool.run (work dir, helper, uid switch, seccomp,
 *     /proc monitor, cleanup) against the same compile + run spawned bare. Budget for the interpreted
 *     languages the interviews use most: sandboxed <= 1.25 x bare + 30 ms.
 *  2. Throughput: trivial python runs per second through one runner with 2 slots.
 *  3. Peak RSS of the runner process itself.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LANGUAGE_IDS, LANGUAGES, type LanguageId } from '#contract/languages.js';
import { SlotPool } from '../runner/slot-pool.js';
import { sandboxEnv } from '../runner/sandbox-job.js';
import { defaultToolDirs, resolveLanguage } from '../runner/sandbox/toolchain.js';

const HELLO: Record<LanguageId, string> = Object.fromEntries(
  LANGUAGE_IDS.map((id) => [id, LANGUAGES[id].template]),
) as Record<LanguageId, string>;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

function spawnTimed(argv: string[], cwd: string, env: Record<string, string>): Promise<number> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const [cmd = '', ...args] = argv;
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - t) : reject(new Error(`${argv.join(' ')} exited ${code}`))));
  });
}

/** Compile (if any) + run, spawned directly in a fresh directory: what the sandbox adds to. */
async function bare(language: LanguageId, toolDirs: string[]): Promise<number> {
  const lang = LANGUAGES[language];
  const resolved = resolveLanguage(lang, toolDirs, false);
  if (!resolved.ok) throw new Error(resolved.reason);
  const dir = await mkdtemp(join(tmpdir(), 'bench-bare-'));
  try {
    await writeFile(join(dir, lang.fileName), HELLO[language]);
    const env = sandboxEnv(lang, dir, toolDirs);
    const fill = (argv: string[]) => argv.map((a) => a.replaceAll('{dir}', dir));
    let ms = 0;
    if (resolved.argv.compile) ms += await spawnTimed(fill(resolved.argv.compile), dir, { ...env, TMPDIR: dir });
    ms += await spawnTimed(fill(resolved.argv.run), dir, { ...env, TMPDIR: dir });
    return ms;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function sandboxed(runner: SlotPool, language: LanguageId): Promise<number> {
  const t = performance.now();
  const r = await runner.run({ executionId: 'bench', language, code: HELLO[language], stdin: '' });
  if (r.status !== 'COMPLETED') throw new Error(`${language}: ${r.status} ${r.stderr}${r.compileOutput}`);
  return performance.now() - t;
}

function row(cells: (string | number)[], widths: number[]): string {
  return cells.map((c, i) => String(c).padStart(widths[i] ?? 8)).join(' ');
}

export async function main(rounds = Number(process.argv[2]) || 7): Promise<void> {
  const toolDirs = defaultToolDirs();
  const runner = new SlotPool({ slots: 2 });
  await runner.ready();
  console.log(`runner bench: ${rounds} rounds, medians; root=${runner.protections.separateUid}\n`);
  const widths = [11, 9, 9, 7, 9, 8];
  console.log(row(['language', 'bare ms', 'sandbox', 'ratio', '+ms', 'budget'], widths));
  for (const language of LANGUAGE_IDS) {
    if (!runner.availability(language).ok) {
      console.log(row([language, '-', '-', '-', '-', 'missing'], widths));
      continue;
    }
    await bare(language, toolDirs); // warm the page cache for both sides
    await sandboxed(runner, language);
    const b: number[] = [];
    const s: number[] = [];
    for (let i = 0; i < rounds; i++) {
      b.push(await bare(language, toolDirs));
      s.push(await sandboxed(runner, language));
    }
    const mb = median(b);
    const ms = median(s);
    const budget = language === 'python' || language === 'javascript' ? (ms <= 1.25 * mb + 30 ? 'ok' : 'OVER') : '';
    console.log(row([language, mb.toFixed(1), ms.toFixed(1), (ms / mb).toFixed(2), (ms - mb).toFixed(1), budget], widths));
  }

  const n = 60;
  const t = performance.now();
  const results = await Promise.all(
    Array.from({ length: n }, (_, i) => runner.run({ executionId: `tp-${i}`, language: 'python', code: "print('hi')\n", stdin: '' })),
  );
  const seconds = (performance.now() - t) / 1000;
  const ok = results.filter((r) => r.status === 'COMPLETED').length;
  console.log(`\nthroughput: ${(n / seconds).toFixed(1)} runs/s (python hello, ${runner.slots} slots, ${ok}/${n} completed)`);
  console.log(`runner peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(1)} MiB`);
  await runner.close();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main();
}
