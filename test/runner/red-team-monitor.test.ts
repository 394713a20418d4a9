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
import { LIMITS } from '#contract/limits.js';
import { NEEDS_ROOT, alive, isRoot, job, missingToolchain, processesOf, sleep, useRunner } from './support.js';

// One slot: without fresh uids, consecutive jobs would share the slot's uid.
const runner = useRunner({ slots: 1 });

/** Waits until `done()` holds or `ms` have passed. */
async function waitUntil(done: () => boolean, ms: number): Promise<void> {
  for (const end = Date.now() + ms; !done() && Date.now() < end; ) await sleep(20);
}

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
    // As a defeated monitor would have left it: a process of the first job's uid, still running. It
    // says "ready" after its first pass over /proc and "tried <pid>" once it has gone for a process
    // (once per process: a pid reused by a later process is tried and said again).
    const watcher = [
      'import os, sys, time',
      'end = time.time() + 60',
      'tried = set()',
      'ready = False',
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
      '        try: key = (pid, open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[19])  # pid + start time',
      '        except (OSError, IndexError): continue',
      '        if key not in tried:',
      '            tried.add(key)',
      '            print("tried", pid, flush=True)',
      '    if not ready:',
      '        ready = True',
      '        print("ready", flush=True)',
      '    time.sleep(0.01)',
    ].join('\n');
    const survivor = spawn('python3', ['-c', watcher], { uid, gid: uid, stdio: ['ignore', 'pipe', 'ignore'], cwd: '/' });
    let seen = '';
    survivor.stdout.on('data', (c: Buffer) => (seen += c.toString()));
    const lines = () => seen.split('\n');
    // Not a fixed pause: a watcher that has not started looking by then (a busy machine) would make the
    // checks below pass for nothing.
    await waitUntil(() => lines().includes('ready') || survivor.exitCode !== null, 60_000);
    expect(lines()).toContain('ready');
    const secret = `secret-${process.pid}-${Date.now()}`;
    const second = await runner().run(job('python', `# ${secret}\nimport os, time\nprint(os.getuid(), os.getpid())\ntime.sleep(3)\n`));
    expect(second.status).toBe('COMPLETED');
    const [secondUid, secondPid] = second.stdout.trim().split(' ').map(Number);
    expect(secondUid).not.toBe(uid);
    // The watcher did go for the second job's process while it ran (its output may still be in the pipe).
    await waitUntil(() => lines().includes(`tried ${secondPid}`), 5_000);
    expect(lines()).toContain(`tried ${secondPid}`);
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
    // The helper's killer fork takes the run's uid to kill(-1) as it: for that moment it is a process of
    // the uid and, without the fix, still in the helper's process group. A pipe end made O_ASYNC with
    // F_SETOWN(-that group) and F_SETSIG(SIGSTOP) sends SIGSTOP to every process of the uid in the group
    // whenever the pipe changes: on each write, and when its holder dies (the kernel releases one end
    // while the other is still open). So writers spinning on the other CPU stop the killer between its
    // setresuid and their own SIGKILL, and every holder's death is another shot at the next killer. A
    // killer waited for without WUNTRACED and a timeout then wedges the helper until the runner's guard
    // kills it: SYSTEM_ERROR after the wall limit and its grace.
    const code = [
      '#define _GNU_SOURCE',
      '#include <fcntl.h>',
      '#include <signal.h>',
      '#include <stdio.h>',
      '#include <unistd.h>',
      'static void arm(int fd, pid_t group) {',
      '  fcntl(fd, F_SETOWN, -group);',
      '  fcntl(fd, F_SETSIG, SIGSTOP);',
      '  fcntl(fd, F_SETFL, O_ASYNC | O_NONBLOCK);',
      '}',
      'int main(void) {',
      "  pid_t group = getpgid(getppid()); /* the helper's process group */",
      '  for (int i = 0; i < 56; i++) { /* just under the process limit: as many shots as allowed */',
      '    if (fork() != 0) continue;',
      '    /* A pipe of its own, both ends armed: its death releases it, whichever end goes first. */',
      '    int p[2];',
      '    char b[64];',
      '    if (pipe(p)) _exit(1);',
      '    arm(p[0], group);',
      '    arm(p[1], group);',
      '    for (;;) if (write(p[1], "x", 1) < 0 || read(p[0], b, sizeof b) < 0) b[0] = 0;',
      '  }',
      '  usleep(200000);',
      '  printf("armed\\n");',
      '  return 0;',
      '}',
    ].join('\n');
    // Whether a writer runs at the killer's moment depends on the scheduler: on the unfixed helper one
    // attempt wedged 6 times in 10 on this 2-core machine, so several attempts make missing it unlikely.
    for (let attempt = 0; attempt < 6; attempt++) {
      const r = await runner().run(job('c', code));
      expect(r).toMatchObject({ status: 'COMPLETED', stdout: 'armed\n' });
      expect(r.durationMs).toBeLessThan(LIMITS.run.wallMs);
      expect(processesOf(runner().slotUids)).toEqual([]);
    }
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
    // Go's fresh pages are zero without touching them: past RLIMIT_DATA (4x the limit + a stack per
    // thread, 5 GiB) the reservation itself fails, and that is the runtime's own out-of-memory.
    go: 'package main\n\nimport "fmt"\n\nfunc main() {\n\tb := make([]byte, 8<<30)\n\tb[len(b)-1] = 1\n\tfmt.Println(len(b))\n}\n',
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
