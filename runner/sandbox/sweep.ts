/**
 * Ends everything a uid left behind: its processes and its files in the temp dirs. Used when a slot is
 * leased (a crashed predecessor may have left a daemon running) and after a step whose helper reported
 * leftovers. Only meaningful as root; the helper refuses otherwise.
 */
import { spawn } from 'node:child_process';

export interface SweepResult {
  leftProcesses: number;
  leftFiles: number;
  error?: string;
}

export function sweepUid(helper: string, uid: number, dirs: readonly string[]): Promise<SweepResult> {
  const args = ['clean', '--uid', String(uid), ...dirs.flatMap((d) => ['--clean', d]), '--'];
  const child = spawn(helper, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe'], env: {} });
  let report = '';
  let stderr = '';
  (child.stdio[3] as NodeJS.ReadableStream).on('data', (c: Buffer) => (report += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => {
    child.on('error', (err) => resolve({ leftProcesses: 0, leftFiles: 0, error: err.message }));
    child.on('close', () => {
      const left = /left_procs=(\d+) left_files=(\d+)/.exec(report);
      if (!left) return resolve({ leftProcesses: 0, leftFiles: 0, error: (report || stderr).trim() || 'no report' });
      resolve({ leftProcesses: Number(left[1]), leftFiles: Number(left[2]) });
    });
  });
}
