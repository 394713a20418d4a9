/**
 * Every language of the table, end to end through the real sandbox: the six behaviours of
 * programs.ts and the status each must give. A language whose toolchain is missing skips, saying so.
 */
import { describe, expect, it } from 'vitest';
import { LANGUAGE_IDS, LANGUAGES } from '#contract/languages.js';
import { LIMITS } from '#contract/limits.js';
import type { TestCase } from '#contract/questions.js';
import { PROGRAMS } from './programs.js';
import { job, missingToolchain, useRunner } from './support.js';

const runner = useRunner();

describe.each(LANGUAGE_IDS)('%s', (language) => {
  const p = PROGRAMS[language];
  const compiled = LANGUAGES[language].compile !== undefined;

  // Concurrent to save time, but the runs queue for 2 slots and 1 compile (Java, Rust and Go compile
  // one after another), and each test's timer runs while it waits: more than the default 120 s.
  describe.concurrent('in the sandbox', { timeout: 300_000 }, () => {
    it('runs hello world and reports time, CPU and memory', async (ctx) => {
      ctx.skip(!!missingToolchain(runner(), language), missingToolchain(runner(), language));
      const r = await runner().run(job(language, p.hello));
      expect(r).toMatchObject({ status: 'COMPLETED', stdout: 'Hello, world!\n', stderr: '', exitCode: 0, signal: null });
      expect(r.truncated).toEqual({ stdout: false, stderr: false });
      expect(r.durationMs).toBeGreaterThanOrEqual(0); // a C hello world can take under 1 ms
      expect(r.durationMs).toBeLessThan(LIMITS.run.wallMs);
      expect(r.cpuTimeMs).toBeGreaterThanOrEqual(0);
      expect(r.memoryKb).toBeGreaterThan(100);
    });

    it('echoes stdin, bytes intact', async (ctx) => {
      ctx.skip(!!missingToolchain(runner(), language), missingToolchain(runner(), language));
      const stdin = 'first line\nsecond: ünïcödé ✓\n' + 'x'.repeat(20_000) + '\n';
      const r = await runner().run(job(language, p.echo, stdin));
      expect(r.status).toBe('COMPLETED');
      expect(r.stdout).toBe(stdin);
    });

    it(compiled ? 'reports a compile error with the compiler output' : 'fails on a syntax error with the message', async (ctx) => {
      ctx.skip(!!missingToolchain(runner(), language), missingToolchain(runner(), language));
      const r = await runner().run(job(language, p.broken));
      if (compiled) {
        expect(r.status).toBe('COMPILE_ERROR');
        // Every compiler points at the line: the output names the source file.
        expect(r.compileOutput).toContain(LANGUAGES[language].fileName);
        expect(r.stdout).toBe('');
      } else {
        expect(r.status).toBe('FAILED');
        expect(r.stderr).toMatch(/SyntaxError/);
      }
    });

    it('fails on a runtime error', async (ctx) => {
      ctx.skip(!!missingToolchain(runner(), language), missingToolchain(runner(), language));
      const r = await runner().run(job(language, p.crash));
      expect(r.status).toBe('FAILED');
      expect(r.exitCode !== 0 || r.signal !== null).toBe(true);
      // Native crashes die by a signal; managed runtimes print why.
      if (r.signal === null) expect(r.stderr.length).toBeGreaterThan(0);
    });

    it('fails with the exit code of a non-zero exit', async (ctx) => {
      ctx.skip(!!missingToolchain(runner(), language), missingToolchain(runner(), language));
      const r = await runner().run(job(language, p.exit3));
      expect(r).toMatchObject({ status: 'FAILED', exitCode: 3, signal: null });
    });

    it('stops an endless loop at the CPU limit with TIMEOUT', async (ctx) => {
      ctx.skip(!!missingToolchain(runner(), language), missingToolchain(runner(), language));
      const r = await runner().run(job(language, p.spin));
      expect(r.status).toBe('TIMEOUT');
      // Whichever limit came first: on a busy 2-core machine the loop may get under 5 s of CPU in the 10 s
      // of wall. But a TIMEOUT before the wall limit is the CPU limit's, and then the CPU time reported
      // must show it (90 %: the monitor polls every 20 ms). A SIGXCPU does not excuse less: RLIMIT_CPU is
      // a backstop a second above the limit, and a report under the limit is CPU time lost or taken
      // early (the red team saw TIMEOUT with neither, under load, for typescript, python and java; issue 9).
      const hitWall = r.durationMs >= LIMITS.run.wallMs;
      const figures = { cpuTimeMs: r.cpuTimeMs, durationMs: r.durationMs, signal: r.signal };
      if (!hitWall) expect({ ...figures, cpuAtLimit: r.cpuTimeMs! >= LIMITS.run.cpuMs * 0.9 }).toEqual({ ...figures, cpuAtLimit: true });
      // The monitor's clock stops it: a starved monitor may wake up late, but not by many seconds.
      expect(r.durationMs).toBeLessThan(LIMITS.run.wallMs + 3_000);
    });
  });

  // The test above reaches its 5 s CPU limit only when the loop gets half a core; on a loaded machine the
  // 10 s wall limit comes first and the CPU path goes untested. A test run's CPU budget cuts the limit
  // to 1 s, which a tenth of a core reaches: the CPU-limit stop and the CPU time it reports are tested
  // under load too. (Under load it failed on the helper from before it waited for a killed
  // multithreaded process, and on the one whose RLIMIT_CPU sat at the limit: c and cpp killed by the
  // kernel's tick-sampled count at 860-870 ms.)
  describe('under a CPU limit the loop can reach on a loaded machine', () => {
    const cpuMs = 1_000;
    const bounded = useRunner({ slots: 1, testBudget: { wallMs: LIMITS.tests.totalWallMs, cpuMs } });
    it('stops an endless loop at that CPU limit and reports the CPU time it used', async (ctx) => {
      ctx.skip(!!missingToolchain(bounded(), language), missingToolchain(bounded(), language));
      const spin: TestCase = { name: 'spin', stdin: '', expectedStdout: '', hidden: false };
      const r = await bounded().runTests({ executionId: job(language, '').executionId, language, code: p.spin, tests: [spin] });
      const [test] = r.tests;
      expect(test?.status).toBe('TIMEOUT');
      // Under a tenth of a core the wall limit came first: nothing to judge about the CPU limit.
      ctx.skip(test!.durationMs >= LIMITS.run.wallMs, `the loop got under ${cpuMs} ms of CPU in ${LIMITS.run.wallMs} ms`);
      const figures = { cpuTimeMs: r.cpuTimeMs, durationMs: test!.durationMs };
      expect({ ...figures, cpuAtLimit: r.cpuTimeMs! >= cpuMs * 0.9 }).toEqual({ ...figures, cpuAtLimit: true });
    });
  });
});
