/**
 * Starting the C helper. Its options go down a pipe (fd 4) as NUL-separated tokens, never on its
 * command line: /proc/<pid>/cmdline is readable by every process on the host, so argv would show each
 * run's uid, work directory and environment to the program in the other slot. The command line is
 * only `sandbox-helper`. The helper writes its one-line report to fd 3.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

export interface HelperProcess {
  child: ChildProcess;
  /** Resolves with everything the helper wrote to its report fd, once the helper has exited. */
  done: Promise<{ report: string; code: number | null; signal: NodeJS.Signals | null; spawnError?: string }>;
}

export function startHelper(helper: string, tokens: readonly string[], stdio: StdioOptions = ['ignore', 'ignore', 'pipe']): HelperProcess {
  const base = Array.isArray(stdio) ? stdio.slice(0, 3) : [stdio, stdio, stdio];
  // The helper runs with an empty environment of its own: nothing of the runner's reaches the program.
  const child = spawn(helper, [], { stdio: [...base, 'pipe', 'pipe'], env: {} });
  const config = child.stdio[4] as Writable | null;
  config?.on('error', () => {}); // a helper that dies early: its exit is what gets reported
  config?.end(Buffer.from(tokens.map((t) => `${t}\0`).join(''), 'utf8'));
  let report = '';
  const reportPipe = child.stdio[3] as Readable | null;
  reportPipe?.on('data', (c: Buffer) => (report += c.toString('utf8')));
  // Only the helper and its short-lived forks hold the report pipe (the program never gets it).
  const reportClosed = new Promise<void>((resolve) => {
    if (!reportPipe) return resolve();
    reportPipe.on('close', resolve);
    reportPipe.on('error', () => resolve());
  });
  let spawnError: string | undefined;
  // Resolve on the helper's exit, not on 'close': after an abnormal end a surviving process of the run
  // may hold the program's stdout open until the sweep, which must not wait for it.
  const done = new Promise<{ report: string; code: number | null; signal: NodeJS.Signals | null; spawnError?: string }>((resolve) => {
    child.on('error', (err) => {
      spawnError = `cannot start the sandbox helper: ${err.message}`;
      resolve({ report, code: null, signal: null, spawnError });
    });
    child.on('exit', (code, signal) => {
      const settle = () => resolve({ report, code, signal, ...(spawnError ? { spawnError } : {}) });
      const timer = setTimeout(settle, 2_000);
      void reportClosed.then(() => {
        clearTimeout(timer);
        settle();
      });
    });
  });
  return { child, done };
}
