/**
 * Test-run benchmark (printed figures, not timed tests):  npx tsx bench/tests-run.ts [rounds]
 *
 * A 10-test `mode:"tests"` run (one compile, ten sandboxed runs) against 10 plain runs of the same
 * program with the same inputs (each compiling again), for Python and C++: the compile-once saving.
 * And the CPU each test costs beyond the program itself: the runner process (node: work dir, copy of
 * the build, output capture, verdict) and the sandbox helper (its /proc monitor, uid switch, cleanup),
 * read from /proc/self/stat (the helpers are this process's children; the programs are reaped by their
 * helper, so children's CPU = helpers + programs, and the programs' own share is what the runner reports).
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { LanguageId } from '#contract/languages.js';
import type { TestCase } from '#contract/questions.js';
import { SlotPool } from '../runner/slot-pool.js';

const TICK_MS = 10; // USER_HZ is 100 on Linux
const TESTS = 10;

const PROGRAMS: Partial<Record<LanguageId, string>> = {
  python: 'n = int(input())\nprint(2 * n)\n',
  cpp: '#include <iostream>\nint main() { long n; std::cin >> n; std::cout << 2 * n << "\\n"; }\n',
};

const tests: TestCase[] = Array.from({ length: TESTS }, (_, i) => ({ name: `t${i}`, stdin: `${i}\n`, expectedStdout: `${2 * i}\n`, hidden: i % 2 === 1 }));

/** CPU of this process and of its reaped children (ms). */
function cpu(): { self: number; children: number } {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  // After the command name: field 14 (utime) is index 11 here; 15 stime, 16 cutime, 17 cstime.
  return { self: (f[11]! + f[12]!) * TICK_MS, children: (f[13]! + f[14]!) * TICK_MS };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

interface Sample {
  wallMs: number;
  /** CPU from the end of the first test to the end of the last: tests only, no compile. */
  runnerCpuPerTest: number;
  sandboxCpuPerTest: number;
  programCpuPerTest: number;
}

async function testRun(runner: SlotPool, language: LanguageId, code: string): Promise<Sample> {
  let first = cpu();
  let last = first;
  const t0 = performance.now();
  const r = await runner.runTests(
    { executionId: 'bench-tests', language, code, tests },
    { onTestResult: (index) => (index === 0 ? (first = cpu()) : (last = cpu())) },
  );
  const wallMs = performance.now() - t0;
  if (r.status !== 'COMPLETED') throw new Error(`${language} test run: ${r.status} ${r.compileOutput}${r.stderr}`);
  const n = TESTS - 1;
  const programCpuPerTest = (r.cpuTimeMs ?? 0) / TESTS;
  return {
    wallMs,
    runnerCpuPerTest: (last.self - first.self) / n,
    sandboxCpuPerTest: (last.children - first.children) / n - programCpuPerTest,
    programCpuPerTest,
  };
}

async function singleRuns(runner: SlotPool, language: LanguageId, code: string): Promise<number> {
  const t0 = performance.now();
  for (const t of tests) {
    const r = await runner.run({ executionId: 'bench-single', language, code, stdin: t.stdin });
    if (r.status !== 'COMPLETED' || r.stdout !== t.expectedStdout) throw new Error(`${language} run: ${r.status} ${r.stdout}`);
  }
  return performance.now() - t0;
}

const row = (cells: (string | number)[], widths: number[]) => cells.map((c, i) => String(c).padStart(widths[i] ?? 10)).join(' ');

export async function main(rounds = Number(process.argv[2]) || 3): Promise<void> {
  // One slot: the two sides never run at once, and a test run's tests are sequential anyway.
  const runner = new SlotPool({ slots: 1 });
  await runner.ready();
  console.log(`tests-run bench: ${TESTS} tests, ${rounds} rounds (medians), 1 slot; root=${runner.protections.separateUid}\n`);
  const widths = [9, 13, 15, 8, 17, 18, 17];
  console.log(row(['language', 'test run ms', '10 runs ms', 'saving', 'runner CPU/test', 'sandbox CPU/test', 'program CPU/test'], widths));
  for (const [language, code] of Object.entries(PROGRAMS) as [LanguageId, string][]) {
    if (!runner.availability(language).ok) {
      console.log(row([language, '-', '-', '-', '-', '-', 'missing'], widths));
      continue;
    }
    await testRun(runner, language, code); // warm the page cache and the compiler
    const a: Sample[] = [];
    const b: number[] = [];
    // Alternating, so both sides see the same (shared, loaded) machine.
    for (let i = 0; i < rounds; i++) {
      a.push(await testRun(runner, language, code));
      b.push(await singleRuns(runner, language, code));
    }
    const wa = median(a.map((s) => s.wallMs));
    const wb = median(b);
    const m = (f: (s: Sample) => number) => median(a.map(f)).toFixed(1);
    console.log(
      row(
        [language, wa.toFixed(0), wb.toFixed(0), `${((1 - wa / wb) * 100).toFixed(0)} %`, m((s) => s.runnerCpuPerTest), m((s) => s.sandboxCpuPerTest), m((s) => s.programCpuPerTest)],
        widths,
      ),
    );
  }
  console.log('\nrunner CPU: the node process (work dirs, build copy, capture, verdicts); sandbox CPU: the helpers');
  console.log('(monitor, uid switch, cleanup) beyond the programs; both measured from the end of the first test to the');
  console.log('end of the last (no compile in it). CPU is read in 10 ms ticks over 9 tests: ±1.1 ms per test.');
  await runner.close();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main();
}
