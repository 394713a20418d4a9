/**
 * A `mode:"tests"` job (docs/protocol.md §8): compile once, then run the program once per test under the run
 * limits with the test's stdin, each run in a work dir and uid of its own, exactly like a plain run's
 * run step. The compiled files are copied from the compile dir (whose uid has no process left) into
 * each test's fresh dir, and that dir is emptied by the test's own run step: test 2 never sees test 1's
 * files, and no process of test 1 outlives it.
 *
 * The total work is bounded by a budget (LIMITS.tests): the test phase's wall time, counted from the
 * first test's start (sandbox set-up included), and the tests' summed CPU time. Each test's own limits
 * are the run limits cut to what is left of the budget; once less than MIN_TEST_MS is left, the
 * remaining tests are not run and end as TIMEOUT with a note in their stderr.
 */
import type { RunResult } from '#contract/execution-types.js';
import { LANGUAGES, type LanguageId } from '#contract/languages.js';
import { LIMITS } from '#contract/limits.js';
import type { TestCase, TestResult, TestSummary } from '#contract/questions.js';
import { compileIn, inBox, RUN_LIMITS, runIn, systemError, type JobContext } from './sandbox-job.js';
import type { StepLimits } from './sandbox/step.js';
import { resolveLanguage } from './sandbox/toolchain.js';
import { regularFiles, type WorkFile } from './sandbox/workdir.js';
import { overallStatus, summarize, TEST_STDOUT_CAPTURE_BYTES, testResult, testStatus } from './test-results.js';

export interface TestsJob {
  executionId: string;
  language: LanguageId;
  code: string;
  tests: TestCase[];
}

export interface TestsRunResult extends RunResult {
  tests: TestResult[];
  summary: TestSummary;
}

export interface TestBudget {
  /** Wall time of the whole test phase (every test's sandbox set-up, run and cleanup). */
  wallMs: number;
  /** CPU time of all the tests' programs together. */
  cpuMs: number;
}

export const DEFAULT_TEST_BUDGET: TestBudget = { wallMs: LIMITS.tests.totalWallMs, cpuMs: LIMITS.tests.totalCpuMs };

/** Less budget than this left: a test is not started (it could not even start a JVM). */
export const MIN_TEST_MS = 100;

export interface TestHooks {
  /** The job left the queue (compile included): RUNNING. */
  onStarted?: () => void;
  /** One test finished (or was not run); called in test order, once per test. */
  onTestResult?: (index: number, result: TestResult) => void;
}

/** A uid for one box, given back with whether its box proved it clean. */
export interface UidLease {
  uid: number | undefined;
  release(clean: boolean): Promise<void>;
}

export interface TestsSlot {
  /** The runner runs programs as separate uids (root). */
  separateUid: boolean;
  lease(): Promise<UidLease>;
  /** The clock of the budget (tests inject one). */
  now?: () => number;
}

export interface TestsOutcome {
  result: TestsRunResult;
  /** An unexpected failure of the runner itself, for the log. */
  cause?: unknown;
}

function final(base: RunResult, tests: TestResult[], compileError: boolean, sandboxFailed: boolean): TestsRunResult {
  return { ...base, status: overallStatus(tests, compileError, sandboxFailed), tests, summary: summarize(tests) };
}

export async function executeTestsJob(ctx: JobContext, slot: TestsSlot, job: TestsJob, budget: TestBudget, hooks: TestHooks = {}): Promise<TestsOutcome> {
  const lang = LANGUAGES[job.language];
  const total = job.tests.length;
  const now = slot.now ?? Date.now;
  const results: TestResult[] = [];
  const report = (r: TestResult) => {
    hooks.onTestResult?.(results.length, r);
    results.push(r);
  };
  const resolved = resolveLanguage(lang, ctx.toolDirs, slot.separateUid);
  if (!resolved.ok) return { result: final(systemError(resolved.reason), [], false, true) };
  hooks.onStarted?.();
  const argv = resolved.argv;
  const source: WorkFile = { name: lang.fileName, content: job.code };

  if (!argv.compile) return runTests([source], '');

  // Compile once, in a box of its own. The tests run while that box is still open (its uid idle: the
  // compile step left no process) and copy its files; the box is swept when they are done.
  const lease = await slot.lease();
  const outcome = await inBox(ctx, lease.uid, lang, [source], async (box): Promise<TestsOutcome> => {
    const c = await compileIn(ctx, box, lang, argv.compile);
    if (c.failed?.status === 'COMPILE_ERROR') {
      for (const t of job.tests) report(testResult(t, 'COMPILE_ERROR', 0, total));
      return { result: final(c.failed, results, true, false) };
    }
    if (c.failed) return { result: final({ ...c.failed, compileOutput: c.output }, [], false, true) };
    const built = (await regularFiles(box.workDir)).map((name): WorkFile => ({ name, copyFrom: `${box.workDir}/${name}` }));
    return runTests(built, c.output);
  }).catch((err: unknown) => ({ clean: false, cause: err }) as { value?: TestsOutcome; clean: boolean; cause?: unknown });
  await lease.release(outcome.clean);
  if (outcome.value) return outcome.value;
  const message = (outcome.cause as Error | undefined)?.message ?? 'the test run ended without a result';
  return { result: final(systemError(message), [], false, true), cause: outcome.cause };

  async function runTests(files: WorkFile[], compileOutput: string): Promise<TestsOutcome> {
    const started = now();
    let cpuUsed = 0;
    let durationMs = 0;
    let memoryKb = 0;
    let failure: { message: string; cause?: unknown } | undefined;
    for (const test of job.tests) {
      const wallLeft = budget.wallMs - (now() - started);
      const cpuLeft = budget.cpuMs - cpuUsed;
      if (failure || wallLeft < MIN_TEST_MS || cpuLeft < MIN_TEST_MS) {
        const why = failure
          ? `[sandbox] not run: ${failure.message}\n`
          : `[runner] not run: the test run's budget (${budget.wallMs / 1000} s wall, ${budget.cpuMs / 1000} s CPU for all tests) was used up\n`;
        report(testResult(test, failure ? 'RUNTIME_ERROR' : 'TIMEOUT', 0, total, { stderr: why }));
        continue;
      }
      const limits: StepLimits = { ...RUN_LIMITS, wallMs: Math.min(RUN_LIMITS.wallMs, wallLeft), cpuMs: Math.min(RUN_LIMITS.cpuMs, cpuLeft) };
      const lease = await slot.lease();
      const outcome = await inBox(ctx, lease.uid, lang, files, (box) =>
        runIn(box, { argv: argv.run, limits, stdin: test.stdin, language: job.language, compileOutput, stdoutBytes: TEST_STDOUT_CAPTURE_BYTES }),
      ).catch((err: unknown) => ({ clean: false, cause: err }) as { value?: RunResult; clean: boolean; cause?: unknown });
      await lease.release(outcome.clean);
      const run = outcome.value;
      if (!run || run.status === 'SYSTEM_ERROR') {
        const message = run ? run.stderr.replace(/^\[sandbox\] /, '').trim() : ((outcome.cause as Error | undefined)?.message ?? 'the test ended without a result');
        failure = { message, ...(outcome.cause !== undefined ? { cause: outcome.cause } : {}) };
        report(testResult(test, 'RUNTIME_ERROR', run?.durationMs ?? 0, total, { stderr: `[sandbox] ${message}\n` }));
        continue;
      }
      cpuUsed += run.cpuTimeMs ?? 0;
      durationMs += run.durationMs;
      memoryKb = Math.max(memoryKb, run.memoryKb ?? 0);
      report(testResult(test, testStatus(run, test.expectedStdout), run.durationMs, total, { stdout: run.stdout, stderr: run.stderr }));
    }
    const base: RunResult = {
      status: failure ? 'SYSTEM_ERROR' : 'COMPLETED', // replaced by final()
      stdout: '',
      stderr: failure ? `[sandbox] ${failure.message}\n` : '',
      compileOutput,
      exitCode: null,
      signal: null,
      durationMs,
      cpuTimeMs: cpuUsed,
      ...(memoryKb > 0 ? { memoryKb } : {}),
      truncated: { stdout: false, stderr: false },
    };
    return { result: final(base, results, false, failure !== undefined), ...(failure?.cause !== undefined ? { cause: failure.cause } : {}) };
  }
}
