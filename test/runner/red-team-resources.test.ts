/**
 * The red team's attacks on resources (issue 9: "memory the RSS poll never sees", "shared /tmp",
 * "CPU"), each a regression test. Memory attacks stay modest (a few hundred MiB over the 256 MiB
 * limit) so that the suite never endangers the machine.
 */
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LIMITS } from '#contract/limits.js';
import { SlotPool } from '../../runner/slot-pool.js';
import { leaseUids, releaseUids } from '../../runner/sandbox/uid-lease.js';
import { NEEDS_ROOT, isRoot, job, missingToolchain, processesOf, runHelper, useRunner } from './support.js';

const runner = useRunner();

describe('memory the RSS poll never sees', () => {
  it('cannot hide memory in memfd_create files', async () => {
    const code = [
      'import os',
      'try:',
      "    fds = [os.memfd_create(f'm{i}') for i in range(26)]",
      'except OSError as e:',
      "    print('memfd denied'); raise SystemExit",
      "chunk = b'm' * (15 << 20)",
      'for fd in fds: os.write(fd, chunk)',
      "print('hidden 390 MiB')",
    ].join('\n');
    const r = await runner().run(job('python', code));
    expect(r.stdout).toBe('memfd denied\n');
  });

  it('files kept open after unlinking them count towards the disk limit', async () => {
    const code = [
      'import os, time',
      'fds = []',
      'for i in range(5):',
      "    fd = os.open(f'hidden{i}', os.O_CREAT | os.O_RDWR, 0o600)",
      "    os.unlink(f'hidden{i}')",
      "    os.write(fd, b'h' * (15 << 20))",
      '    fds.append(fd)',
      'time.sleep(1)',
      "print('hid 75 MiB')",
    ].join('\n');
    const r = await runner().run(job('python', code));
    expect(r.status).toBe('OUTPUT_LIMIT');
    expect(r.stdout).toBe('');
  });

  it('200 000 hard links make the disk walk hit its bound: a limit violation, not a silent stop', async () => {
    const code = [
      'import os',
      "open('f', 'w').close()",
      "os.mkdir('links')",
      "for i in range(200_001): os.link('f', f'links/{i}')",
      'for i in range(4):',
      "    with open(f'big{i}', 'wb') as f: f.write(b'b' * (10 << 20))",
      "print('done')",
    ].join('\n');
    const r = await runner().run(job('python', code));
    expect(r.status).toBe('OUTPUT_LIMIT');
    expect(r.stdout).toBe('');
  });

  it('a work dir deeper than PATH_MAX is still removed completely', async () => {
    const code = [
      'import os',
      "name = 'd' * 250",
      "fd = os.open('.', os.O_RDONLY)",
      'for i in range(40):',
      '    os.mkdir(name, dir_fd=fd)',
      '    nfd = os.open(name, os.O_RDONLY, dir_fd=fd)',
      '    os.close(fd)',
      '    fd = nfd',
      "os.close(os.open('deep.txt', os.O_CREAT | os.O_WRONLY, 0o600, dir_fd=fd))",
      "print('deep', 40 * 251)",
    ].join('\n');
    const r = await runner().run(job('python', code));
    expect(r).toMatchObject({ status: 'COMPLETED', stdout: 'deep 10040\n' });
    expect(readdirSync(runner().workRoot!)).toEqual([]);
  });

  it('cannot hold socket buffers beyond the memory limit (Unix sockets denied, socketpair buffers counted)', async (ctx) => {
    ctx.skip(!isRoot, `${NEEDS_ROOT}: sockets are attributed to a run by its uid`);
    const code = [
      'import os, socket, time',
      'try:',
      '    socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)',
      "    print('unix socket allowed')",
      'except OSError as e:',
      "    print('unix socket', e.errno, flush=True)",
      'for _ in range(16):',
      '    if os.fork() == 0:',
      '        pairs = []',
      '        for _ in range(120):',
      '            a, b = socket.socketpair()',
      '            a.setblocking(False)',
      '            try:',
      '                while True: a.send(b"s" * 65536)',
      '            except BlockingIOError: pass',
      '            pairs.append((a, b))',
      '        time.sleep(30)',
      '        os._exit(0)',
      'time.sleep(8)',
      "print('held')",
    ].join('\n');
    const r = await runner().run(job('python', code));
    expect(r.stdout).toBe('unix socket 13\n');
    expect(r.status).toBe('MEMORY_LIMIT');
  });

  it("sandboxed processes are the OOM killer's first choice, and stay it", async () => {
    // Without CAP_SYS_RESOURCE (Fargate, containers) a process may lower its own value back to 0:
    // the monitor raises it again within its 100 ms poll (3 s here: room for a starved monitor).
    const code = [
      'import os, time',
      "read = lambda: open('/proc/self/oom_score_adj').read().strip()",
      'print(read())',
      "fd = os.open('/proc/self/oom_score_adj', os.O_WRONLY)",
      "os.write(fd, b'0')",
      'time.sleep(3)',
      'print(read())',
    ].join('\n');
    const r = await runner().run(job('python', code));
    expect(r.stdout).toBe('1000\n1000\n');
  });

  it("stops the running programs when the task's memory passes its budget", async () => {
    let tight = false;
    const small = new SlotPool({ slots: 2, log: () => {}, taskMemory: { budgetBytes: 2 ** 30, usage: () => (tight ? 2 ** 31 : 0), source: 'test' } });
    try {
      // The program would sleep past the run's wall limit: only the guard ends it as MEMORY_LIMIT
      // (without it: TIMEOUT at the wall limit). The time bound is loose: the guard polls every 250 ms.
      let tightAt = 0;
      const code = `import time\nprint('up', flush=True)\ntime.sleep(${(2 * LIMITS.run.wallMs) / 1000})\nprint('finished')\n`;
      const r = await small.run(job('python', code), {
        onOutput: () => {
          tight = true;
          tightAt ||= Date.now();
        },
      });
      expect(r.status).toBe('MEMORY_LIMIT');
      expect(r.stdout).toBe('up\n');
      expect(Date.now() - tightAt).toBeLessThan(LIMITS.run.wallMs);
      tight = false;
      expect((await small.run(job('python', "print('fine')\n"))).status).toBe('COMPLETED');
    } finally {
      await small.close();
    }
  });

  // On Fargate the container's cgroup has no limit of its own (only the task's has): the stack gives the
  // budget in RUNNER_TASK_MEMORY_BUDGET_BYTES (infra/constructs/runners.ts), which must win over the cgroup.
  it('takes the task memory budget from RUNNER_TASK_MEMORY_BUDGET_BYTES and reads the usage from its cgroup', async (ctx) => {
    const { detectTaskMemory } = await import('../../runner/sandbox/task-memory.js');
    const memory = detectTaskMemory({ RUNNER_TASK_MEMORY_BUDGET_BYTES: String(1_932_735_283) });
    ctx.skip(!memory, 'no memory cgroup readable here');
    expect(memory!.budgetBytes).toBe(1_932_735_283);
    expect(memory!.usage()).toBeGreaterThan(0);
    const pool = new SlotPool({ slots: 1, log: () => {}, taskMemory: memory! });
    expect(pool.taskMemoryBudget).toBe(1_932_735_283);
    expect(new SlotPool({ slots: 1, log: () => {}, taskMemory: false }).taskMemoryBudget).toBeUndefined();
  });

  it('cannot enter a user namespace, mount a tmpfs with the new mount API, or reach clone3', async (ctx) => {
    ctx.skip(!!missingToolchain(runner(), 'c'), missingToolchain(runner(), 'c'));
    const code = [
      '#define _GNU_SOURCE',
      '#include <errno.h>',
      '#include <sched.h>',
      '#include <signal.h>',
      '#include <stdio.h>',
      '#include <string.h>',
      '#include <sys/syscall.h>',
      '#include <sys/wait.h>',
      '#include <unistd.h>',
      'static char stack[65536];',
      'static int child(void *arg) { (void)arg; return 0; }',
      'int main(void) {',
      '  int pid = clone(child, stack + sizeof stack, CLONE_NEWUSER | SIGCHLD, NULL);',
      '  printf("clone %s\\n", pid > 0 ? "allowed" : strerror(errno));',
      '  if (pid > 0) waitpid(pid, NULL, 0);',
      '  printf("unshare %s\\n", unshare(CLONE_NEWUSER) == 0 ? "allowed" : strerror(errno));',
      '  long r = syscall(435 /* clone3 */, NULL, 0);',
      '  printf("clone3 %s\\n", r < 0 && errno == ENOSYS ? "ENOSYS" : "reachable");',
      '  printf("fsopen %s\\n", syscall(430 /* fsopen */, "tmpfs", 0) >= 0 ? "allowed" : strerror(errno));',
      '  return 0;',
      '}',
    ].join('\n');
    const r = await runner().run(job('c', code));
    expect(r.stdout).toBe('clone Operation not permitted\nunshare Operation not permitted\nclone3 ENOSYS\nfsopen Operation not permitted\n');
  });
});

describe('shared /tmp', () => {
  it('cannot create files, directories or symlinks in the shared temp dirs', async (ctx) => {
    ctx.skip(!isRoot, `${NEEDS_ROOT}: the temp dirs are closed to the sandbox group`);
    const tag = `plant-${process.pid}-${Date.now()}`;
    const code = [
      'import os',
      "for d in ('/tmp', '/dev/shm', '/var/tmp'):",
      '    out = []',
      "    for what, make in (('file', lambda p: open(p, 'w').close()), ('dir', os.mkdir), ('link', lambda p: os.symlink('/etc/passwd', p))):",
      '        try:',
      `            make(f'{d}/${tag}-{what}')`,
      "            out.append(what + ' created')",
      '        except PermissionError:',
      "            out.append(what + ' denied')",
      "    print(d, ', '.join(out))",
      "print(len(os.listdir('/tmp')) >= 0)",
    ].join('\n');
    const r = await runner().run(job('python', code));
    const denied = 'file denied, dir denied, link denied';
    expect(r.stdout).toBe(`/tmp ${denied}\n/dev/shm ${denied}\n/var/tmp ${denied}\nTrue\n`);
  });

  it('two concurrent runs cannot talk through an abstract Unix socket', async () => {
    const name = `\\0red-team-${process.pid}`;
    const server = `import socket\ntry:\n    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n    s.bind('${name}')\n    s.listen(1)\n    s.settimeout(3)\n    c, _ = s.accept()\n    print('got', c.recv(100).decode())\nexcept OSError as e:\n    print('server', e.errno)\n`;
    const client = `import socket, time\ntime.sleep(0.5)\ntry:\n    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n    s.connect('${name}')\n    s.send(b'stdin secret')\n    print('sent')\nexcept OSError as e:\n    print('client', e.errno)\n`;
    const [a, b] = await Promise.all([runner().run(job('python', server)), runner().run(job('python', client))]);
    expect(a.stdout).toBe('server 13\n');
    expect(b.stdout).toBe('client 13\n');
  });
});

describe('CPU', () => {
  it('counts CPU burned in short-lived children the program waits for', async (ctx) => {
    ctx.skip(!isRoot, NEEDS_ROOT);
    // The helper directly, with a 1 s CPU limit and a 60 s wall: only counting the children stops it.
    const [uid] = await leaseUids(1, 201_500);
    const dir = mkdtempSync(join(tmpdir(), 'cpu-children-'));
    chownSync(dir, uid!, uid!);
    try {
      const spin = "import subprocess, sys\nwhile True:\n    subprocess.run([sys.executable, '-c', 'import time\\nt = time.process_time()\\nwhile time.process_time() - t < 0.2: pass'])\n";
      const tokens = ['run', '--uid', String(uid), '--gid', String(uid), '--dir', dir, '--wall-ms', '60000', '--cpu-ms', '1000'];
      tokens.push('--mem-bytes', String(512 << 20), '--nproc', '64', '--nofile', '256', '--nice', '10', '--scan', dir);
      tokens.push('--env', 'PATH=/usr/bin:/bin', '--', '/usr/bin/python3', '-c', spin);
      const { report } = await runHelper(tokens);
      expect(report).toMatch(/reason=cpu /);
      expect(Number(/wall_ms=(\d+)/.exec(report)?.[1])).toBeLessThan(60_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await releaseUids([uid!]);
    }
  });

  it('cannot start new sessions (each would be a scheduler group of its own at nice 0)', async () => {
    const code = [
      'import os, subprocess, sys',
      'pid = os.fork()',
      'if pid == 0:',
      '    try:',
      '        os.setsid()',
      '        os._exit(0)',
      '    except PermissionError:',
      '        os._exit(1)',
      "print('setsid', 'allowed' if os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0 else 'denied')",
      "read = \"import os\\nprint(open('/proc/self/autogroup').read().split()[0] if os.path.exists('/proc/self/autogroup') else 'none')\"",
      'groups = {subprocess.run([sys.executable, "-c", read], capture_output=True, text=True).stdout.strip() for _ in range(3)}',
      "print('scheduler groups', len(groups))",
    ].join('\n');
    const r = await runner().run(job('python', code));
    expect(r.stdout).toBe('setsid denied\nscheduler groups 1\n');
  });
});

afterAll(async () => {
  const r = await runner().run(job('python', "print('healthy')\n"));
  expect(r).toMatchObject({ status: 'COMPLETED', stdout: 'healthy\n' });
  if (isRoot) expect(processesOf(runner().slotUids)).toEqual([]);
});
