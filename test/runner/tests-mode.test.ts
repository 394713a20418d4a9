/**
 * `mode:"tests"` jobs through the real sandbox (docs/protocol.md §8): every language passes a two-test question
 * (one hidden) with a correct program and fails it with a wrong one; a timeout on one test leaves the
 * others running; a compile error ends every test; each test runs as a fresh uid in a fresh dir; the
 * total work of a test run is bounded.
 */
import { describe, expect, it } from 'vitest';
import { LANGUAGE_IDS } from '#contract/languages.js';
import { LIMITS } from '#contract/limits.js';
import type { TestCase, TestResult } from '#contract/questions.js';
import { SlotPool } from '../../runner/slot-pool.js';
import type { TestsJob } from '../../runner/tests-job.js';
import { DEFAULT_TEST_BUDGET } from '../../runner/tests-job.js';
import { NEEDS_ROOT, isRoot, missingToolchain, processesOf, useRunner } from './support.js';
import { DOUBLE, DOUBLE_TESTS } from './test-programs.js';

const runner = useRunner();

let seq = 0;
const testsJob = (language: TestsJob['language'], code: string, tests: TestCase[]): TestsJob => ({
  executionId: `tests-${process.pid}-${++seq}`,
  language,
  code,
  tests,
});

/** Runs a tests job and records the per-test results in the order they were reported. */
async function runTests(r: SlotPool, job: TestsJob) {
  const streamed: { index: number; result: TestResult }[] = [];
  const result = await r.runTests(job, { onTestResult: (index, res) => streamed.push({ index, result: res }) });
  return { result, streamed };
}

describe.each(LANGUAGE_IDS)('%s', (language) => {
  // Concurrent, but the runs queue for 2 slots and 1 compile, and a test's timer runs while it waits.
  describe.concurrent('a two-test question (one hidden)', { timeout: 300_000 }, () => {
    it('passes with a correct program', async (ctx) => {
      ctx.skip(!!missingToolchain(runner(), language), missingToolchain(runner(), language));
      const { result, streamed } = await runTests(runner(), testsJob(language, DOUBLE[language].correct, DOUBLE_TESTS));
      expect(result.tests.map((t) => [t.name, t.hidden, t.status])).toEqual([
        ['small', false, 'PASSED'],
        ['secret', true, 'PASSED'],
      ]);
      expect(result).toMatchObject({ status: 'COMPLETED', summary: { passed: 2, total: 2 } });
      expect(result.tests[1]).toMatchObject({ stdout: '42\n', expectedStdout: '42\n' });
      expect(streamed.map((s) => s.index)).toEqual([0, 1]);
    });

    it('fails with a wrong program', async (ctx) => {
      ctx.skip(!!missingToolchain(runner(), language), missingToolchain(runner(), language));
      const { result } = await runTests(runner(), testsJob(language, DOUBLE[language].wrong, DOUBLE_TESTS));
      expect(result.tests.map((t) => t.status)).toEqual(['FAILED', 'FAILED']);
      expect(result).toMatchObject({ status: 'FAILED', summary: { passed: 0, total: 2 } });
      expect(result.tests[0]).toMatchObject({ stdout: '7\n', expectedStdout: '6\n' });
    });
  });
});

describe('tests mode', () => {
  it('runs the other tests when one times out, and reports each as it finishes', async () => {
    const code = 'n = int(input())\nif n == 0:\n    while True:\n        pass\nprint(2 * n)\n';
    const tests: TestCase[] = [
      { name: 'one', stdin: '1\n', expectedStdout: '2\n', hidden: false },
      { name: 'spins', stdin: '0\n', expectedStdout: '0\n', hidden: true },
      { name: 'two', stdin: '2\n', expectedStdout: '4\n', hidden: false },
    ];
    const { result, streamed } = await runTests(runner(), testsJob('python', code, tests));
    expect(result.tests.map((t) => t.status)).toEqual(['PASSED', 'TIMEOUT', 'PASSED']);
    expect(result).toMatchObject({ status: 'FAILED', summary: { passed: 2, total: 3 } });
    expect(streamed.map((s) => [s.index, s.result.status])).toEqual([
      [0, 'PASSED'],
      [1, 'TIMEOUT'],
      [2, 'PASSED'],
    ]);
    // The spin got the run limits, not more: whichever of CPU or wall came first.
    expect(result.tests[1]!.durationMs).toBeLessThan(LIMITS.run.wallMs + 3_000);
  });

  it('ends every test as COMPILE_ERROR when the program does not compile', async (ctx) => {
    ctx.skip(!!missingToolchain(runner(), 'cpp'), missingToolchain(runner(), 'cpp'));
    const { result, streamed } = await runTests(runner(), testsJob('cpp', 'int main() { return undeclared; }\n', DOUBLE_TESTS));
    expect(result.status).toBe('COMPILE_ERROR');
    expect(result.compileOutput).toContain('main.cpp');
    expect(result.tests.map((t) => t.status)).toEqual(['COMPILE_ERROR', 'COMPILE_ERROR']);
    expect(result.summary).toEqual({ passed: 0, total: 2 });
    expect(streamed).toHaveLength(2);
  });

  it('compares after removing trailing whitespace on every line and trailing blank lines', async () => {
    const code = 'import sys\nsys.stdout.write("a  \\t\\nb\\r\\n\\n\\n   \\n")\n';
    const tests: TestCase[] = [
      { name: 'loose', stdin: '', expectedStdout: 'a\nb', hidden: false },
      { name: 'spaces in expected', stdin: '', expectedStdout: 'a \nb \n\n', hidden: false },
      { name: 'leading space counts', stdin: '', expectedStdout: ' a\nb\n', hidden: false },
      { name: 'inner blank line counts', stdin: '', expectedStdout: 'a\n\nb\n', hidden: false },
    ];
    const { result } = await runTests(runner(), testsJob('python', code, tests));
    expect(result.tests.map((t) => t.status)).toEqual(['PASSED', 'PASSED', 'FAILED', 'FAILED']);
  });

  it('gives every test a fresh uid and a fresh dir: test 2 sees nothing of test 1', async (ctx) => {
    ctx.skip(!isRoot, NEEDS_ROOT);
    // "write" leaves a file in the work dir, one in TMPDIR and a background process; "check" looks for them.
    const code = [
      'import os, sys, subprocess',
      'mode = sys.stdin.read().strip()',
      'if mode == "write":',
      '    open("left.txt", "w").write("x")',
      '    open(os.path.join(os.environ["TMPDIR"], "left.txt"), "w").write("x")',
      '    subprocess.Popen(["sleep", "30"], start_new_session=False)',
      'seen = [p for p in ("left.txt", os.path.join(os.environ["TMPDIR"], "left.txt")) if os.path.exists(p)]',
      'print(os.getuid(), os.getcwd(), "seen:" + ",".join(seen))',
      '',
    ].join('\n');
    const tests: TestCase[] = ['write', 'check', 'check'].map((mode, i) => ({ name: `t${i}`, stdin: mode, expectedStdout: '', hidden: false }));
    const { result } = await runTests(runner(), testsJob('python', code, tests));
    const lines = result.tests.map((t) => t.stdout!.trim().split(' '));
    expect(lines[0]![2]).toBe(`seen:left.txt,${lines[0]![1]}/tmp/left.txt`);
    expect(lines[1]![2]).toBe('seen:');
    expect(lines[2]![2]).toBe('seen:');
    const uids = lines.map((l) => l[0]);
    const dirs = lines.map((l) => l[1]);
    expect(new Set(uids).size).toBe(3);
    expect(new Set(dirs).size).toBe(3);
    // Nothing of any test's uid is left running (the sleep of test 1 was killed with its run).
    expect(processesOf(uids.map(Number))).toEqual([]);
  });

  it('runs compiled tests from a copy of the build, one fresh dir per test', async (ctx) => {
    ctx.skip(!!missingToolchain(runner(), 'c'), missingToolchain(runner(), 'c'));
    // Each test appends to a file next to the binary and prints how many lines it holds: 1 every time.
    const code =
      '#include <stdio.h>\nint main(void) { FILE *f = fopen("count.txt", "a"); fputs("x\\n", f); fclose(f);\n' +
      '  f = fopen("count.txt", "r"); int n = 0, c; while ((c = fgetc(f)) != EOF) n += c == 10; printf("%d\\n", n); return 0; }\n';
    const tests: TestCase[] = [1, 2, 3].map((i) => ({ name: `t${i}`, stdin: '', expectedStdout: '1\n', hidden: i === 2 }));
    const { result } = await runTests(runner(), testsJob('c', code, tests));
    expect(result.tests.map((t) => t.status)).toEqual(['PASSED', 'PASSED', 'PASSED']);
  });
});

describe('the total work of a test run', () => {
  it('cuts a test to what is left of the budget and does not start tests once it is used up', async () => {
    // An injected clock: after test 1 only 1 s of the wall budget is left, after test 2 none.
    let fakeNow = 0;
    const bounded = new SlotPool({ slots: 1, log: () => {}, clock: () => fakeNow });
    try {
      const code = 'n = int(input())\nif n == 0:\n    while True:\n        pass\nprint(2 * n)\n';
      const tests: TestCase[] = [
        { name: 'quick', stdin: '1\n', expectedStdout: '2\n', hidden: false },
        { name: 'spins', stdin: '0\n', expectedStdout: '0\n', hidden: false },
        { name: 'never started', stdin: '2\n', expectedStdout: '4\n', hidden: true },
      ];
      const result = await bounded.runTests(testsJob('python', code, tests), {
        onTestResult: (index) => {
          fakeNow = index === 0 ? DEFAULT_TEST_BUDGET.wallMs - 1_000 : DEFAULT_TEST_BUDGET.wallMs + 1;
        },
      });
      expect(result.tests.map((t) => t.status)).toEqual(['PASSED', 'TIMEOUT', 'TIMEOUT']);
      // The spin was stopped by the 1 s left, not by the 10 s run limit (a busy machine adds a little).
      expect(result.tests[1]!.durationMs).toBeLessThan(LIMITS.run.wallMs / 2);
      expect(result.tests[2]).toMatchObject({ durationMs: 0 });
      expect(result.tests[2]!.stderr).toMatch(/not run: the test run's budget/);
      expect(result).toMatchObject({ status: 'FAILED', summary: { passed: 1, total: 3 } });
    } finally {
      await bounded.close();
    }
  });

  it('counts the CPU of all tests against the CPU budget', async () => {
    const cpuMs = 600;
    const bounded = new SlotPool({ slots: 1, log: () => {}, testBudget: { wallMs: DEFAULT_TEST_BUDGET.wallMs, cpuMs } });
    try {
      // Each test burns 300 ms of CPU plus Python's start (~330-350 ms in all): the first passes with
      // ~250 ms of the 600 to spare, the second is cut to what is left and stopped by it, and the
      // third finds less than 100 ms left and is never started.
      const code = 'import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3:\n    pass\nprint("ok")\n';
      const tests: TestCase[] = [1, 2, 3].map((i) => ({ name: `t${i}`, stdin: '', expectedStdout: 'ok\n', hidden: false }));
      const result = await bounded.runTests(testsJob('python', code, tests));
      expect(result.tests[0]!.status).toBe('PASSED');
      expect(result.tests[2]).toMatchObject({ status: 'TIMEOUT', durationMs: 0 });
      expect(result.cpuTimeMs).toBeLessThanOrEqual(cpuMs + 200); // the helper's CPU poll may overshoot by one poll
    } finally {
      await bounded.close();
    }
  });
});
