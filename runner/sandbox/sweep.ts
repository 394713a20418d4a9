/**
 * Ends everything a uid left behind: kills its processes until /proc shows none and, only then,
 * deletes the given directories' contents as that uid (helper `clean`). Used after any abnormal step
 * end (the runner's guard fired, the helper died or gave no report, a step reported leftovers) and
 * for a uid coming out of quarantine. Without a uid (not root) it only deletes, as the developer.
 */
import { startHelper } from './helper-process.js';

export interface SweepResult {
  leftProcesses: number;
  leftFiles: number;
  error?: string;
}

/** The sweep itself must not hang a slot: past this the helper is killed and the sweep failed. */
const SWEEP_TIMEOUT_MS = 30_000;

export async function sweepUid(helper: string, uid: number | undefined, removeDirs: readonly string[] = []): Promise<SweepResult> {
  const tokens = ['clean', ...(uid !== undefined ? ['--uid', String(uid)] : []), ...removeDirs.flatMap((d) => ['--remove', d]), '--'];
  const { child, done } = startHelper(helper, tokens);
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), SWEEP_TIMEOUT_MS);
  const { report, spawnError } = await done;
  clearTimeout(timer);
  if (spawnError) return { leftProcesses: 0, leftFiles: 0, error: spawnError };
  const left = /left_procs=(\d+) left_files=(\d+)/.exec(report);
  if (!left) return { leftProcesses: 0, leftFiles: 0, error: (report || stderr).trim() || 'no report' };
  return { leftProcesses: Number(left[1]), leftFiles: Number(left[2]) };
}

/** Closes world-writable dirs to the sandbox group (helper `lockdown`, root only); returns failures. */
export async function lockTempDirs(helper: string, group: number, dirs: readonly string[]): Promise<string[]> {
  if (dirs.length === 0) return [];
  const { done } = startHelper(helper, ['lockdown', '--group', String(group), ...dirs.flatMap((d) => ['--scan', d]), '--']);
  const { report, spawnError } = await done;
  if (spawnError) return [spawnError];
  const failures = [...report.matchAll(/^lockdown_failed=(.*)$/gm)].map((m) => m[1] ?? '');
  if (!/^locked=\d+ failed=\d+$/m.test(report)) failures.push(report.trim() || 'lockdown gave no report');
  return failures;
}
