/**
 * Piston's and Judge0's exploit folders, I/O side: flooding output, filling the disk, the network
 * (a listener on 127.0.0.1, the task-credential endpoint), the runner's environment, files left for
 * the next run, and a compiler fed /dev/random.
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '#contract/limits.js';
import { PROGRAMS } from './programs.js';
import { NEEDS_ROOT, isRoot, job, missingToolchain, processesOf, useRunner } from './support.js';

const runner = useRunner();
const KEEP = LIMITS.outputMaxBytesPerStream;

describe('output and files', () => {
  it('stops endless stdout with OUTPUT_LIMIT, keeping the first 32 KiB', async () => {
    const r = await runner().run(job('python', "while True:\n    print('y' * 99)\n"));
    expect(r.status).toBe('OUTPUT_LIMIT');
    expect(r.truncated.stdout).toBe(true);
    expect(r.stdout).toHaveLength(KEEP);
    expect(r.stdout.startsWith('y'.repeat(99) + '\n')).toBe(true);
    // Stopped for flooding, long before the time limit would have.
    expect(r.durationMs).toBeLessThan(LIMITS.run.wallMs / 2);
  });

  it('stops endless stderr the same way', async () => {
    const r = await runner().run(job('javascript', "const fs = require('fs');\nfor (;;) fs.writeSync(2, 'e'.repeat(1000));\n"));
    expect(r.status).toBe('OUTPUT_LIMIT');
    expect(r.truncated).toEqual({ stdout: false, stderr: true });
    expect(r.stderr).toHaveLength(KEEP);
  });

  it('keeps a long but finite output as COMPLETED, marked truncated', async () => {
    const r = await runner().run(job('python', "print('z' * 40000)\nprint('end')\n"));
    expect(r.status).toBe('COMPLETED');
    expect(r.truncated.stdout).toBe(true);
    expect(r.stdout).toHaveLength(KEEP);
  });

  it('stops a single file growing past the file size limit with OUTPUT_LIMIT', async () => {
    const code = "with open('big.bin', 'wb') as f:\n    for _ in range(64):\n        f.write(b'x' * (1 << 20))\nprint('wrote all')\n";
    const r = await runner().run(job('python', code));
    expect(r.status).toBe('OUTPUT_LIMIT');
    expect(r.stdout).not.toContain('wrote all');
  });

  it('stops filling the disk with many files in the work dir', async () => {
    const code = [
      "chunk = b'd' * (1 << 20)",
      'for i in range(400):',
      "    with open(f'fill-{i}', 'wb') as f:",
      '        f.write(chunk)',
      "print('filled')",
    ].join('\n');
    const r = await runner().run(job('python', code));
    expect(r.status).toBe('OUTPUT_LIMIT');
    expect(r.stdout).not.toContain('filled');
  });
});

describe('network', () => {
  let server: Server;
  let port = 0;
  let connections = 0;
  beforeAll(async () => {
    server = createServer((s) => {
      connections++;
      s.end('hello from the host\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('cannot open a TCP connection to a listener on 127.0.0.1 (python and node)', async () => {
    const py = `import socket\ntry:\n    s = socket.create_connection(('127.0.0.1', ${port}), timeout=3)\n    print('connected', s.recv(100))\nexcept OSError as e:\n    print('blocked', e.errno)\n`;
    const js = `const s = require('net').connect(${port}, '127.0.0.1');\ns.on('data', (d) => console.log('connected', String(d)));\ns.on('error', (e) => console.log('blocked', e.code));\n`;
    const [a, b] = await Promise.all([runner().run(job('python', py)), runner().run(job('javascript', js))]);
    expect(a.stdout).toBe('blocked 13\n');
    expect(b.stdout).toBe('blocked EACCES\n');
    expect(connections).toBe(0);
  });

  it('cannot reach the task credential endpoint 169.254.170.2', async () => {
    const code = "import socket\ntry:\n    socket.create_connection(('169.254.170.2', 80), timeout=30)\n    print('connected')\nexcept OSError as e:\n    print('blocked', e.errno)\n";
    const r = await runner().run(job('python', code));
    // EACCES (13) from seccomp, not a connect timeout (errno None, and past the run's 10 s wall limit).
    expect(r.status).toBe('COMPLETED');
    expect(r.stdout).toBe('blocked 13\n');
  });

  it('gets no UDP, IPv6, netlink, packet or Unix sockets, nor io_uring or a native AIO context, either', async (ctx) => {
    ctx.skip(!!missingToolchain(runner(), 'c'), missingToolchain(runner(), 'c'));
    const code = [
      '#include <errno.h>',
      '#include <stdio.h>',
      '#include <sys/socket.h>',
      '#include <sys/syscall.h>',
      '#include <unistd.h>',
      'static void try(const char *name, int domain, int type) {',
      '  int fd = socket(domain, type, 0);',
      '  printf("%s %s\\n", name, fd >= 0 ? "open" : errno == EACCES ? "EACCES" : "other");',
      '}',
      'int main(void) {',
      '  try("udp", AF_INET, SOCK_DGRAM);',
      '  try("tcp6", AF_INET6, SOCK_STREAM);',
      '  try("netlink", AF_NETLINK, SOCK_RAW);',
      '  try("packet", AF_PACKET, SOCK_RAW);',
      '  try("unix", AF_UNIX, SOCK_STREAM);',
      '  char params[120] = {0};',
      '  long r = syscall(425 /* io_uring_setup, same number on x86_64 and aarch64 */, 4, params);',
      '  printf("io_uring %s\\n", r >= 0 ? "open" : errno == ENOSYS ? "ENOSYS" : "other");',
      '  unsigned long ctx = 0;',
      '  r = syscall(SYS_io_setup, 16384, &ctx); /* a host-wide pool (fs.aio-max-nr) */',
      '  printf("io_setup %s\\n", r >= 0 ? "open" : errno == ENOSYS ? "ENOSYS" : "other");',
      '  return 0;',
      '}',
    ].join('\n');
    const r = await runner().run(job('c', code));
    expect(r.stdout).toBe('udp EACCES\ntcp6 EACCES\nnetlink EACCES\npacket EACCES\nunix EACCES\nio_uring ENOSYS\nio_setup ENOSYS\n');
  });
});

describe('secrets of the runner', () => {
  const secret = `runner-secret-${process.pid}`;
  beforeAll(() => {
    process.env.AWS_SECRET_ACCESS_KEY = secret;
    process.env.ECS_CONTAINER_METADATA_URI_V4 = `http://169.254.170.2/v4/${secret}`;
  });
  afterAll(() => {
    delete process.env.AWS_SECRET_ACCESS_KEY;
    delete process.env.ECS_CONTAINER_METADATA_URI_V4;
  });

  it('sees only a scrubbed environment', async () => {
    const r = await runner().run(job('python', 'import os, json\nprint(json.dumps(sorted(os.environ)))\n'));
    const keys = JSON.parse(r.stdout) as string[];
    expect(keys.filter((k) => /^(AWS|ECS)_/.test(k))).toEqual([]);
    expect(keys).toEqual(expect.arrayContaining(['PATH', 'HOME', 'TMPDIR']));
    expect(keys.length).toBeLessThanOrEqual(8);
  });

  it("cannot read the runner's or its monitor's /proc/<pid>/environ", async (ctx) => {
    ctx.skip(!isRoot, `${NEEDS_ROOT}: the same user may read its own processes' environ`);
    const code = [
      'import os',
      `for name, pid in (('runner', ${process.pid}), ('monitor', os.getppid()), ('init', 1)):`,
      '    try:',
      "        print(name, 'read', len(open(f'/proc/{pid}/environ', 'rb').read()))",
      '    except PermissionError:',
      "        print(name, 'EACCES')",
    ].join('\n');
    const r = await runner().run(job('python', code));
    expect(r.stdout).toBe('runner EACCES\nmonitor EACCES\ninit EACCES\n');
    expect(r.stdout + r.stderr).not.toContain(secret);
  });
});

describe('compiler abuse', () => {
  it('contains a C++ compile that includes /dev/random', async (ctx) => {
    ctx.skip(!!missingToolchain(runner(), 'cpp'), missingToolchain(runner(), 'cpp'));
    const r = await runner().run(job('cpp', '#include "/dev/random"\nint main() {}\n'));
    expect(r.status).toBe('COMPILE_ERROR');
    expect(r.compileOutput).toMatch(/compilation stopped: (memory|time|CPU time) limit/);
    // Stopped by a compile limit, not left to run: a starved monitor may notice its wall limit late.
    expect(r.durationMs).toBeLessThanOrEqual(LIMITS.run.compileWallMs + 3_000);
  });
});

afterAll(async () => {
  const r = await runner().run(job('python', PROGRAMS.python.echo, 'healthy\n'));
  expect(r).toMatchObject({ status: 'COMPLETED', stdout: 'healthy\n' });
  if (isRoot) expect(processesOf(runner().slotUids)).toEqual([]);
});
