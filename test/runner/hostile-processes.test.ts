/**
 * Piston's and Judge0's exploit folders, process side: fork bombs, daemons that outlive their run,
 * killing the monitor, eating memory. Each must end with the right status, leave no process behind
 * and leave the runner healthy.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { LANGUAGE_IDS, type LanguageId } from '#contract/languages.js';
import { LIMITS } from '#contract/limits.js';
import { PROGRAMS } from './programs.js';
import { NEEDS_ROOT, isRoot, job, missingToolchain, processesOf, sleep, useRunner } from './support.js';

const runner = useRunner();

/** Samples the number of processes of the slot uids every 5 ms while `work` runs. */
async function watchProcesses<T>(work: Promise<T>): Promise<{ result: T; maxProcesses: number }> {
  let maxProcesses = 0;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      maxProcesses = Math.max(maxProcesses, processesOf(runner().slotUids).length);
      await sleep(5);
    }
  })();
  const result = await work;
  done = true;
  await sampler;
  return { result, maxProcesses };
}

describe('process containment', () => {
  it('stops a fork bomb within the process limit and kills all of it', async (ctx) => {
    ctx.skip(!isRoot, `${NEEDS_ROOT}: without a uid of its own RLIMIT_NPROC would count the developer's processes`);
    const bomb = '#include <unistd.h>\nint main(void) { for (;;) fork(); }\n';
    const { result, maxProcesses } = await watchProcesses(runner().run(job('c', bomb)));
    expect(result.status).toBe('TIMEOUT');
    expect(maxProcesses).toBeGreaterThan(1);
    // +1: the helper's killer, which takes the run's uid to kill(-1) everything of it.
    expect(maxProcesses).toBeLessThanOrEqual(LIMITS.run.processes + 1);
    expect(processesOf(runner().slotUids)).toEqual([]);
  });

  // Each thread reserves an RLIMIT_STACK-sized stack (64 MiB), counted by RLIMIT_DATA: at 4x the memory
  // limit alone a program could start only 15 threads, and a 32-thread barrier program hung to TIMEOUT.
  it('lets a program start 48 threads (RLIMIT_NPROC, not RLIMIT_DATA, bounds them) and still refuses an 8 GiB allocation', async (ctx) => {
    ctx.skip(!isRoot, `${NEEDS_ROOT}: without a uid of its own RLIMIT_NPROC would count the developer's processes`);
    const threads = [
      'import threading',
      'barrier = threading.Barrier(48)',
      'def work():',
      '    barrier.wait()',
      'ts = [threading.Thread(target=work) for _ in range(48)]',
      'for t in ts: t.start()',
      'for t in ts: t.join()',
      "print('all', len(ts))",
    ].join('\n');
    const r = await runner().run(job('python', threads));
    expect([r.status, r.stdout, r.stderr]).toEqual(['COMPLETED', 'all 48\n', '']);
    const huge = 'try:\n    b = bytearray(8 << 30)\n    print("allocated")\nexcept MemoryError:\n    print("refused")\n';
    const h = await runner().run(job('python', huge));
    expect(h.stdout).toBe('refused\n');
  });

  it('kills a double-forked daemon when the run ends', async () => {
    const daemon = [
      'import os, sys, time',
      'pid = os.fork()',
      'if pid == 0:',
      '    if os.fork() == 0:',
      "        print('daemon', os.getpid(), flush=True)",
      '        os.close(1); os.close(2); os.close(0)  # holds no pipe: nothing makes it visible but its uid',
      '        time.sleep(60)',
      '    os._exit(0)',
      'os.waitpid(pid, 0)',
      'time.sleep(0.5)',
      "print('parent done', flush=True)",
    ].join('\n');
    const r = await runner().run(job('python', daemon));
    expect(r.status).toBe('COMPLETED');
    expect(r.stdout).toContain('parent done');
    const pid = Number(/daemon (\d+)/.exec(r.stdout)?.[1]);
    expect(pid).toBeGreaterThan(1);
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
    }
    expect(alive).toBe(false);
    if (isRoot) expect(processesOf(runner().slotUids)).toEqual([]);
  });

  it('cannot kill its monitor or the runner', async (ctx) => {
    ctx.skip(!isRoot, `${NEEDS_ROOT}: as the same user, the program could kill the test process itself`);
    const killer = [
      'import os, signal',
      'for name, pid in (("monitor", os.getppid()), ("runner", ' + process.pid + ')):',
      '    try:',
      '        os.kill(pid, signal.SIGKILL)',
      "        print(name, 'killed')",
      '    except PermissionError:',
      "        print(name, 'EPERM')",
      "print('still here')",
    ].join('\n');
    const r = await runner().run(job('python', killer));
    expect(r.status).toBe('COMPLETED');
    expect(r.stdout).toBe('monitor EPERM\nrunner EPERM\nstill here\n');
  });

  it('a program that kills its parent shell still ends cleanly', async () => {
    // `kill -9 $PPID` from a child of the program: the program's shell dies, nothing else.
    const code = "import subprocess\nsubprocess.run(['/bin/sh', '-c', 'kill -9 $PPID'])\nprint('unreachable')\n";
    const r = await runner().run(job('python', code));
    expect(r.status).toBe('FAILED');
    expect(r.signal).toBe('SIGKILL');
    expect(r.stdout).toBe('');
  });
});

// Concurrent to save time, but the runs queue for 2 slots and 1 compile, and each test's timer runs
// while it waits: more than the default 120 s.
describe.concurrent('memory without end', { timeout: 300_000 }, () => {
  const hogs: Record<LanguageId, string> = {
    javascript: 'const l = [];\nfor (;;) l.push(Buffer.alloc(1 << 20, 1));\n',
    typescript: "const l: string[] = [];\nfor (;;) l.push('x'.repeat(1 << 20) + Math.random());\n",
    python: 'a = []\nwhile True:\n    a.append(bytearray(1 << 20))\n',
    java: 'import java.util.*;\npublic class Main {\n  public static void main(String[] a) {\n    List<byte[]> l = new ArrayList<>();\n    for (;;) l.add(new byte[1 << 20]);\n  }\n}\n',
    cpp: '#include <vector>\n#include <string>\nint main() { std::vector<std::string> v; for (;;) v.emplace_back(1 << 20, \'x\'); }\n',
    c: '#include <stdlib.h>\n#include <string.h>\nint main(void) { for (;;) { char *p = malloc(1 << 20); if (!p) return 7; memset(p, 1, 1 << 20); } }\n',
    go: 'package main\n\nfunc main() {\n\tvar l [][]byte\n\tfor {\n\t\tb := make([]byte, 1<<20)\n\t\tfor i := range b {\n\t\t\tb[i] = 1\n\t\t}\n\t\tl = append(l, b)\n\t}\n}\n',
    rust: 'fn main() {\n    let mut v: Vec<Vec<u8>> = Vec::new();\n    loop {\n        v.push(vec![1u8; 1 << 20]);\n    }\n}\n',
  };
  it.for(LANGUAGE_IDS)('%s ends with MEMORY_LIMIT near the limit', async (language, ctx) => {
    ctx.skip(!!missingToolchain(runner(), language), missingToolchain(runner(), language));
    const r = await runner().run(job(language, hogs[language]));
    expect(r.status).toBe('MEMORY_LIMIT');
    const limitKb = LIMITS.run.memoryBytes / 1024;
    expect(r.memoryKb).toBeGreaterThan(limitKb * 0.9);
    // Stopped by the 20 ms poll, not after eating the machine: without the poll only RLIMIT_DATA (4x the
    // limit plus a stack per thread, over 5 GiB) or the kernel's OOM killer would stop it. A starved
    // helper may miss a few polls while the hog grows by GiB/s, hence 3x.
    expect(r.memoryKb).toBeLessThan(limitKb * 3);
  });
});

afterAll(async () => {
  // After the whole suite the runner still runs ordinary programs correctly.
  const r = await runner().run(job('python', PROGRAMS.python.echo, 'healthy\n'));
  expect(r).toMatchObject({ status: 'COMPLETED', stdout: 'healthy\n' });
  if (isRoot) expect(processesOf(runner().slotUids)).toEqual([]);
});
