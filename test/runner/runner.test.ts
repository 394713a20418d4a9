/**
 * The SlotPool's own contract: slots and concurrency, a distinct unprivileged uid per concurrent run,
 * live output, what it reports, and the on-demand build of the helper.
 */
import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureHelper } from '../../runner/sandbox/helper-binary.js';
import { NEEDS_ROOT, isRoot, job, processesOf, useRunner } from './support.js';

const runner = useRunner();

describe('SlotPool', () => {
  it('runs as many jobs at once as it has slots, and queues the rest', async () => {
    // The order of starts and ends, not their timing: this must hold however busy the machine is.
    const events: string[] = [];
    // A job's "ok", printed as its program ends, is read before its slot is released.
    const jobs = [1, 2, 3, 4].map((i) =>
      runner().run(job('python', 'import time\ntime.sleep(1)\nprint("ok", flush=True)\n'), {
        onStarted: () => events.push(`start ${i}`),
        onOutput: () => events.push(`end ${i}`),
      }),
    );
    const results = await Promise.all(jobs);
    expect(results.map((r) => r.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED']);
    let running = 0;
    const runningAtEachStart = events.flatMap((e) => (e.startsWith('start') ? [++running] : (running--, [])));
    // Two start at once (the second before the first ends); never more than two run; the other two
    // wait for a slot, so the third start comes after an end.
    expect(events.slice(0, 2).every((e) => e.startsWith('start'))).toBe(true);
    expect(Math.max(...runningAtEachStart)).toBe(2);
    const startIndexes = events.flatMap((e, i) => (e.startsWith('start') ? [i] : []));
    expect(events.findIndex((e) => e.startsWith('end'))).toBeLessThan(startIndexes[2]!);
  });

  it('gives concurrent runs distinct unprivileged uids, neither root nor the runner', async (ctx) => {
    ctx.skip(!isRoot, NEEDS_ROOT);
    const code = 'import os, time\nprint(os.getuid(), os.getgid(), os.getgroups())\ntime.sleep(0.3)\n';
    const [a, b] = await Promise.all([runner().run(job('python', code)), runner().run(job('python', code))]);
    const [uidA, gidA, groupsA] = a.stdout.trim().split(' ');
    const [uidB] = b.stdout.trim().split(' ');
    expect(uidA).not.toBe(uidB);
    for (const uid of [uidA, uidB]) {
      expect(Number(uid)).not.toBe(0);
      expect(runner().slotUids).toContain(Number(uid));
    }
    expect(gidA).toBe(uidA);
    // One supplementary group, the sandbox's: the shared temp dirs are closed to it.
    expect(groupsA).toBe(`[${runner().sandboxGroup}]`);
  });

  it('never shares a uid with a second runner on the same host', async (ctx) => {
    ctx.skip(!isRoot, NEEDS_ROOT);
    const { SlotPool } = await import('../../runner/slot-pool.js');
    const second = new SlotPool({ slots: 2, log: () => {} });
    try {
      await second.ready();
      expect(second.slotUids).toHaveLength(2 * 3); // three uids per slot: consecutive jobs never share one
      for (const uid of second.slotUids) expect(runner().slotUids).not.toContain(uid);
    } finally {
      await second.close();
    }
  });

  // Fargate's read-only root filesystem keeps /var/tmp and /run/lock at mode 1777: nothing can write
  // there, so there is nothing to close, and the runner must not warn that runs can.
  it('leaves world-writable dirs on a read-only mount alone and does not warn about them', async (ctx) => {
    ctx.skip(!isRoot, NEEDS_ROOT);
    const dir = await mkdtemp(join(tmpdir(), 'ro-mount-'));
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,mode=1777', 'tmpfs', dir]).status === 0;
    try {
      ctx.skip(!mounted, 'mounting a read-only tmpfs needs CAP_SYS_ADMIN');
      const { SlotPool } = await import('../../runner/slot-pool.js');
      const writable = await mkdtemp(join(tmpdir(), 'rw-temp-'));
      await chmod(writable, 0o1777);
      const warnings: string[] = [];
      const pool = new SlotPool({ slots: 1, tempDirs: [dir, writable], log: (message) => warnings.push(message) });
      try {
        await pool.ready();
        expect(warnings.filter((w) => /temp dirs/.test(w))).toEqual([]);
        // The writable one is still closed to the sandbox group.
        const code = `try:\n    open(${JSON.stringify(join(writable, 'x'))}, 'w')\n    print('wrote')\nexcept OSError as e:\n    print('refused')\n`;
        expect((await pool.run(job('python', code))).stdout).toBe('refused\n');
      } finally {
        await pool.close();
        await rm(writable, { recursive: true, force: true });
      }
    } finally {
      if (mounted) spawnSync('umount', [dir]);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('works in a private work root of its own, not a fixed shared path another user could hold', async () => {
    const { SlotPool } = await import('../../runner/slot-pool.js');
    const [a, b] = [new SlotPool({ slots: 1, log: () => {} }), new SlotPool({ slots: 1, log: () => {} })];
    try {
      await Promise.all([a.ready(), b.ready()]);
      expect(a.workRoot).not.toBe(b.workRoot);
      for (const root of [a.workRoot!, b.workRoot!]) {
        const st = await stat(root);
        expect(st.uid).toBe(process.getuid!());
        expect(st.mode & 0o777).toBe(isRoot ? 0o711 : 0o700);
      }
      expect((await a.run(job('python', "print('ok')\n"))).stdout).toBe('ok\n');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
    await expect(stat(a.workRoot!)).rejects.toThrow(/ENOENT/);
  });

  it("removes the empty private roots of runners that died without closing, and nothing that holds files", async () => {
    const { SlotPool } = await import('../../runner/slot-pool.js');
    const { mkdirSync, writeFileSync, existsSync, rmSync } = await import('node:fs');
    const dead = join(tmpdir(), `sandbox-work-${process.getuid!()}-999999-AbCdEf`);
    const kept = join(tmpdir(), `sandbox-work-${process.getuid!()}-999998-AbCdEf`);
    mkdirSync(join(dead, 'job'), { recursive: true });
    mkdirSync(join(kept, 'job'), { recursive: true });
    writeFileSync(join(kept, 'job', 'left'), 'left by an abnormal end');
    const r = new SlotPool({ slots: 1, log: () => {} });
    try {
      await r.ready();
      expect(existsSync(dead)).toBe(false);
      expect(existsSync(join(kept, 'job', 'left'))).toBe(true);
    } finally {
      await r.close();
      rmSync(kept, { recursive: true, force: true });
    }
  });

  it('compiles one program at a time (two compilers could use the whole task), running the rest in parallel', async (ctx) => {
    ctx.skip(!isRoot, `${NEEDS_ROOT}: compilers are found by the slot uids`);
    // A compile long enough (about a second of cc1 at -O2, idle) that the 5 ms sampler sees it however
    // busy the machine is: a hello world's 20-40 ms cc1 could fall between two samples and read as 0.
    const steps = Array.from({ length: 400 }, (_, i) => `  x = x * ${2 * i + 3}u + (x >> ${(i % 29) + 1}) + a[${i % 64}]; a[(x + ${i}) & 63] ^= x;`);
    const code = [
      '#include <stdio.h>',
      '#include <math.h>',
      'static unsigned a[64];',
      'unsigned mix(unsigned x) {',
      ...steps,
      '  return x;',
      '}',
      'int main(void) { printf("%.0f\\n", sqrt(16.0) + (mix(1) & 0)); return 0; }',
      '',
    ].join('\n');
    let most = 0;
    let done = false;
    const sampler = (async () => {
      while (!done) {
        most = Math.max(most, processesOf(runner().slotUids).filter((p) => p.endsWith(' cc1')).length);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const results = await Promise.all([runner().run(job('c', code)), runner().run(job('c', code))]);
    done = true;
    await sampler;
    expect(results.map((r) => r.stdout)).toEqual(['4\n', '4\n']);
    // 1: a compiler was seen (the sampler did watch the compiles), and never two at once (the gate).
    expect(most).toBe(1);
  });

  it('streams output while the program runs', async () => {
    const chunks: { stream: string; text: string; at: number }[] = [];
    const t0 = Date.now();
    const code = "import sys, time\nprint('first', flush=True)\nsys.stderr.write('warn\\n')\ntime.sleep(3)\nprint('second')\n";
    const r = await runner().run(job('python', code), { onOutput: (stream, text) => chunks.push({ stream, text, at: Date.now() - t0 }) });
    const finished = Date.now() - t0;
    expect(r.stdout).toBe('first\nsecond\n');
    expect(chunks.filter((c) => c.stream === 'stdout').map((c) => c.text).join('')).toBe(r.stdout);
    expect(chunks.filter((c) => c.stream === 'stderr').map((c) => c.text).join('')).toBe('warn\n');
    // The first chunk came while the program slept its 3 s, not with the rest at the end (a buffered
    // runner gives ~0 here); half the sleep of margin for a busy machine.
    expect(chunks[0]!.at).toBeLessThan(finished - 1_500);
  });

  it('pushes at most the kept 32 KiB of a flooding stream', async () => {
    let pushed = 0;
    const r = await runner().run(job('python', "while True:\n    print('x' * 1000)\n"), { onOutput: (_s, text) => (pushed += text.length) });
    expect(r.status).toBe('OUTPUT_LIMIT');
    expect(pushed).toBe(r.stdout.length);
  });

  it('reports CPU time and peak memory of the run', async () => {
    const code = 'import time\nb = bytearray(64 << 20)\nfor i in range(0, len(b), 4096): b[i] = 1\nt = time.process_time()\nwhile time.process_time() - t < 0.5: pass\n';
    const r = await runner().run(job('python', code));
    expect(r.status).toBe('COMPLETED');
    expect(r.cpuTimeMs).toBeGreaterThanOrEqual(450);
    expect(r.memoryKb).toBeGreaterThanOrEqual(64 * 1024);
    expect(r.memoryKb).toBeLessThan(128 * 1024);
    // Single-threaded, so its CPU time fits in its wall time; but the helper takes the two apart (wall
    // from the exec to the end of its poll loop, CPU from rusage once the program is reaped), and a
    // starved helper's clocks may disagree by a few polls.
    expect(r.durationMs).toBeGreaterThanOrEqual(r.cpuTimeMs! - 150);
  });

  it('does not mind a program that ignores a large stdin', async () => {
    const r = await runner().run(job('python', "print('ignored')\n", 'x'.repeat(64 * 1024)));
    expect(r).toMatchObject({ status: 'COMPLETED', stdout: 'ignored\n' });
  });

  it('reports a language without toolchain as SYSTEM_ERROR, not as the program failing', async () => {
    const { SlotPool } = await import('../../runner/slot-pool.js');
    const bare = new SlotPool({ slots: 1, toolDirs: ['/nonexistent'], log: () => {} });
    try {
      const r = await bare.run(job('python', "print('x')\n"));
      expect(r.status).toBe('SYSTEM_ERROR');
      expect(r.stderr).toContain('python3 not found');
    } finally {
      await bare.close();
    }
  });
});

describe('sandbox helper build', () => {
  it('builds the helper when missing and rebuilds it when older than its sources', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'helper-build-'));
    try {
      const path = join(dir, 'sandbox-helper');
      await expect(ensureHelper(path)).resolves.toBe(path);
      const first = await stat(path);
      expect(first.mode & 0o111).toBeTruthy();
      await utimes(path, new Date(0), new Date(0));
      // ensureHelper memoises per path within a process: a fresh process would run this check.
      const { isStale } = await import('../../runner/sandbox/helper-binary.js');
      expect(await isStale(path)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
