/**
 * Every language of the table, end to end through the real sandbox: the six behaviours of
 * programs.ts and the status each must give. A language whose toolchain is missing skips, saying so.
 */
import { describe, expect, it } from 'vitest';
import { LANGUAGE_IDS, LANGUAGES } from '#contract/languages.js';
import { LIMITS } from '#contract/limits.js';
import { PROGRAMS } from './programs.js';
import { job, missingToolchain, useRunner } from './support.js';

const runner = useRunner();

describe.each(LANGUAGE_IDS)('%s', (language) => {
  const p = PROGRAMS[language];
  const compiled = LANGUAGES[language].compile !== undefined;

  describe.concurrent('in the sandbox', () => {
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
      // Whichever limit came first. On a busy 2-core machine the loop may get far less than 5 s of CPU
      // in 10 s of wall (the wall limit), or die of RLIMIT_CPU's SIGXCPU (the kernel's own count of
      // the CPU limit) before the monitor's next poll sees 90 % of it.
      const hitCpu = r.cpuTimeMs! >= LIMITS.run.cpuMs * 0.9 || r.signal === 'SIGXCPU';
      const hitWall = r.durationMs >= LIMITS.run.wallMs;
      expect({ hitCpu, hitWall, cpuTimeMs: r.cpuTimeMs, durationMs: r.durationMs, signal: r.signal }).toEqual(
        expect.objectContaining(hitCpu ? { hitCpu: true } : { hitWall: true }),
      );
      // The monitor's clock stops it: a starved monitor may wake up late, but not by seconds.
      expect(r.durationMs).toBeLessThan(LIMITS.run.wallMs + 2_000);
    });
  });
});
