/**
 * The red team's attacks on the monitor itself (issue 9: "defeat the monitor", "info leaks"), each a
 * regression test: a process that outlives its job, a killer fork stopped through F_SETOWN/F_SETSIG,
 * a RENAME_EXCHANGE race against the work dir's removal after the helper died, the helper's command
 * line, and runtimes' own out-of-memory failures.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LanguageId } from '#contract/languages.js';
import { NEEDS_ROOT, alive, isRoot, job, missingToolchain, processesOf, sleep, useRunner } from './support.js';

// One slot: without fresh uids, consecutive jobs would share the slot's uid.
const runner = useRunner({ slots: 1 });

/** Pids of sandbox helpers this test process started. */
function ourHelpers(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        const stat = readFileSync(`/proc/${n}/stat`, 'utf8');
        return stat.includes('(sandbox-helper)') && Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('defeat the monitor', () => {
  it('a process that outlived its job cannot read the next job, open its /proc/<pid>/mem, or survive the uid coming back', async (ctx) => {
    ctx.skip(!isRoot, NEEDS_ROOT);
    const first = await runner().run(job('python', 'import os\nprint(os.getuid())\n'));
    const uid = Number(first.stdout.trim());
    // As a defeated monitor would have left it: a process of the first job's uid, still running.
    const watcher = [
      'import os, sys, time',
      'end = time.time() + 60',
      'while time.time() < end:',
      '    for pid in os.listdir("/proc"):',
      '        if not pid.isdigit() or int(pid) == os.getpid(): continue',
      '        try:',
      '            src = open(f"/proc/{pid}/cwd/main.py").read()',
      '            print("read", src.strip(), flush=True)',
      '        except OSError: pass',
      '        try:',
      '            os.close(os.open(f"/proc/{pid}/mem", os.O_RDWR))',
      '            print("mem", pid, flush=True)',
      '        except OSError: pass',
      '    time.sleep(0.01)',
    ].join('\n');
    const survivor = spawn('python3', ['-c', watcher], { uid, gid: uid, stdio: ['ignore', 'pipe', 'ignore'], cwd: '/' });
    let seen = '';
    survivor.stdout.on('data', (c: Buffer) => (seen += c.toString()));
    await sleep(200);
    const secret = `secret-${process.pid}-${Date.now()}`;
    const second = await runner().run(job('python', `# ${secret}\nimport os, time\nprint(os.getuid())\ntime.sleep(1.5)\n`));
    expect(second.status).toBe('COMPLETED');
    expect(Number(second.stdout.trim())).not.toBe(uid);
    expect(seen).not.toContain(secret);
    expect(seen).not.toContain('mem');
    // The uid comes back to a job only after a check that kills whatever of it still runs.
    for (let i = 0; i < 4 && survivor.exitCode === null && survivor.signalCode === null; i++) {
      await runner().run(job('python', "print('next')\n"));
    }
    await sleep(100);
    expect(survivor.pid && alive(survivor.pid)).toBe(false);
  });

  it('a killer fork stopped through F_SETOWN/F_SETSIG on a pipe does not wedge the slot', async (ctx) => {
    ctx.skip(!isRoot, NEEDS_ROOT);
    ctx.skip(!!missingToolchain(runner(), 'c'), missingToolchain(runner(), 'c'));
    const code = [
      '#define _GNU_SOURCE',
      '#include <fcntl.h>',
      '#include <signal.h>',
      '#include <stdio.h>',
      '#include <unistd.h>',
      'int main(void) {',
      '  /* Several writers in tight loops: a SIGIO-turned-SIGSTOP is always in flight when the killer forks. */',
      '  for (int i = 0; i < 6; i++) {',
      '    int p[2];',
      '    if (pipe(p)) return 1;',
      '    /* SIGSTOP, instead of SIGIO, to every process of the uid in the helper\'s process group. */',
      '    fcntl(p[0], F_SETOWN, -getpgid(getppid()));',
      '    fcntl(p[0], F_SETSIG, SIGSTOP);',
      '    fcntl(p[0], F_SETFL, O_ASYNC | O_NONBLOCK);',
      '    fcntl(p[1], F_SETFL, O_NONBLOCK);',
      '    if (fork() == 0) {',
      '      char b[64];',
      '      for (;;) if (write(p[1], "x", 1) < 0 || read(p[0], b, sizeof b) < 0) b[0] = 0;',
      '    }',
      '  }',
      '  usleep(200000);',
      '  printf("armed\\n");',
      '  return 0;',
      '}',
    ].join('\n');
    const t0 = Date.now();
    const r = await runner().run(job('c', code));
    expect(r).toMatchObject({ status: 'COMPLETED', stdout: 'armed\n' });
    // Resolved by the helper, not by the runner's guard (wall limit + grace) after a wedge.
    expect(Date.now() - t0).toBeLessThan(30_000 + 10_000 - 1);
    expect(r.durationMs).toBeLessThan(10_000);
    expect(processesOf(runner().slotUids)).toEqual([]);
  });

  it('after the helper is killed mid-run, a RENAME_EXCHANGE racer deletes nothing outside the work dir', async (ctx) => {
    ctx.skip(!isRoot, NEEDS_ROOT);
    ctx.skip(!!missingToolchain(runner(), 'c'), missingToolchain(runner(), 'c'));
    const victim = mkdtempSync(join(tmpdir(), 'victim-'));
    for (let i = 0; i < 100; i++) writeFileSync(join(victim, `keep-${i}`), 'root-owned, outside the work dir');
    mkdirSync(join(victim, 'sub'));
    try {
      const code = [
        '#define _GNU_SOURCE',
        '#include <fcntl.h>',
        '#include <stdio.h>',
        '#include <sys/stat.h>',
        '#include <sys/syscall.h>',
        '#include <unistd.h>',
        'int main(void) {',
        '  char n[64];',
        '  mkdir("d", 0700);',
        '  for (int i = 0; i < 300; i++) { snprintf(n, sizeof n, "d/f%d", i); close(open(n, O_CREAT | O_WRONLY, 0600)); }',
        `  if (symlink("${victim}", "l")) return 1;`,
        '  if (fork() == 0) for (;;) syscall(SYS_renameat2, AT_FDCWD, "d", AT_FDCWD, "l", 2 /* RENAME_EXCHANGE */);',
        '  printf("ready\\n");',
        '  fflush(stdout);',
        '  for (;;) pause();',
        '}',
      ].join('\n');
      let ready!: () => void;
      const isReady = new Promise<void>((resolve) => (ready = resolve));
      const result = runner().run(job('c', code), { onOutput: (_s, chunk) => chunk.includes('ready') && ready() });
      await isReady;
      // What the red team did through a stalled disk walk: the helper dies before its kill step.
      for (const pid of ourHelpers()) process.kill(pid, 'SIGKILL');
      const r = await result;
      expect(r.status).toBe('SYSTEM_ERROR');
      expect(readdirSync(victim).sort()).toHaveLength(101);
      expect(processesOf(runner().slotUids)).toEqual([]);
      // The work dir was emptied as the run's uid and removed: nothing left in the runner's root.
      expect(readdirSync(runner().workRoot!)).toEqual([]);
    } finally {
      rmSync(victim, { recursive: true, force: true });
    }
  });
});

describe('info leaks', () => {
  it("no helper's command line shows a run's uid, work dir or environment", async () => {
    const code = [
      'import os',
      'helpers, leaks = 0, 0',
      'for pid in os.listdir("/proc"):',
      '    if not pid.isdigit(): continue',
      '    try: argv = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\\0")',
      '    except OSError: continue',
      '    if not argv[0].endswith(b"sandbox-helper"): continue',
      '    helpers += 1',
      '    if any(argv[1:]): leaks += 1',
      'print("monitor", open(f"/proc/{os.getppid()}/cmdline", "rb").read().split(b"\\0")[0].decode().rsplit("/", 1)[-1])',
      'print("helpers seen", helpers > 0, "with arguments", leaks)',
    ].join('\n');
    const r = await runner().run(job('python', code));
    expect(r.stdout).toBe('monitor sandbox-helper\nhelpers seen True with arguments 0\n');
  });

  const exhaust: Partial<Record<LanguageId, string>> = {
    java: 'public class Main {\n  public static void main(String[] a) {\n    long[] big = new long[400_000_000];\n    System.out.println(big.length);\n  }\n}\n',
    python: 'b = bytearray(3 << 30)\nprint(len(b))\n',
    go: 'package main\n\nimport "fmt"\n\nfunc main() {\n\tb := make([]byte, 3<<30)\n\tb[len(b)-1] = 1\n\tfmt.Println(len(b))\n}\n',
    rust: 'fn main() {\n    let v = vec![1u8; 3 << 30];\n    println!("{}", v[v.len() - 1]);\n}\n',
    cpp: '#include <iostream>\n#include <vector>\nint main() { std::vector<char> v(3ull << 30, 1); std::cout << v.size() << (int)v.back(); }\n',
  };
  it.for(Object.keys(exhaust) as LanguageId[])("%s: the runtime's own out-of-memory failure is MEMORY_LIMIT, not FAILED", async (language, ctx) => {
    ctx.skip(!!missingToolchain(runner(), language), missingToolchain(runner(), language));
    const r = await runner().run(job(language, exhaust[language]!));
    expect(r.status).toBe('MEMORY_LIMIT');
    expect(r.stdout).toBe('');
  });
});

afterAll(async () => {
  const r = await runner().run(job('python', "print('healthy')\n"));
  expect(r).toMatchObject({ status: 'COMPLETED', stdout: 'healthy\n' });
  if (isRoot) {
    expect(processesOf(runner().slotUids)).toEqual([]);
    expect(runner().retiredUids).toEqual([]);
  }
});
