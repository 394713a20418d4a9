/**
 * One sandboxed step (a compile or a run): spawns the C helper (src/main.c), feeds stdin, streams and
 * caps the output, and parses the helper's report. The helper does the enforcing; this side only
 * watches the output, because that is where the bytes arrive.
 */
import { constants } from 'node:os';
import { startHelper } from './helper-process.js';
import { CappedOutput } from './output.js';

export interface StepLimits {
  wallMs: number;
  cpuMs: number;
  /** Summed resident memory of the step's processes, polled by the helper. */
  memoryBytes: number;
  /** RLIMIT_DATA per process: a backstop against allocations faster than the poll (0: none). */
  dataBytes: number;
  processes: number;
  /** RLIMIT_FSIZE: the largest single file. */
  fileSizeBytes: number;
  /** Bytes written to all files together during the step. */
  diskBytes: number;
  openFiles: number;
  stackBytes: number;
}

export interface StepSpec {
  helper: string;
  /** Run uid; undefined when the runner is not root (reduced isolation, see privileges.ts). */
  uid?: number;
  workDir: string;
  argv: string[];
  env: Record<string, string>;
  limits: StepLimits;
  /** Directories whose bytes count towards diskBytes but are kept (the work dir). */
  scanDirs: string[];
  /** Directories whose contents the helper deletes as the uid once it proved no process is left. */
  removeDirs?: string[];
  /** Supplementary group of the program: the one the shared temp dirs are closed to (lockdown.ts). */
  group?: number;
  /** Lets the runner signal the helper (SIGUSR2: the task is short of memory); returns an unregister. */
  register?: (signal: (sig: NodeJS.Signals) => void) => () => void;
  stdin: string;
  output: {
    maxBytes: number;
    floodBytes: number;
    /** Merge stdout and stderr into one capped stream (compiler output). */
    merge?: boolean;
    onText?: (stream: 'stdout' | 'stderr', text: string) => void;
  };
}

export type StopReason = 'exit' | 'wall' | 'cpu' | 'memory' | 'disk' | 'killed' | 'task-memory';

export interface StepReport {
  /** The sandbox itself failed (setuid, exec of a missing tool...): not the program's fault. */
  error?: string;
  exitCode: number | null;
  signal: string | null;
  reason: StopReason;
  cpuMs: number;
  peakRssKb: number;
  wallMs: number;
  diskBytes: number;
  maxFileBytes: number;
  leftProcesses: number;
  leftFiles: number;
  stdout: CappedOutput;
  stderr: CappedOutput;
  /** The runner stopped the step because an output stream reached floodBytes. */
  flooded: boolean;
}

/** Grace on top of the step's wall limit before the runner stops waiting for the helper itself. */
const HELPER_GRACE_MS = 3_000;
const signalNames = new Map<number, string>(Object.entries(constants.signals).map(([name, n]) => [n, name]));

/** The helper's options for one step, as the tokens helper-process.ts sends down the config pipe. */
export function helperArgs(spec: StepSpec): string[] {
  const l = spec.limits;
  const args = ['run'];
  if (spec.uid !== undefined) args.push('--uid', String(spec.uid), '--gid', String(spec.uid));
  if (spec.group !== undefined) args.push('--group', String(spec.group));
  args.push('--dir', spec.workDir, '--wall-ms', String(l.wallMs), '--cpu-ms', String(l.cpuMs));
  args.push('--mem-bytes', String(l.memoryBytes), '--data-bytes', String(l.dataBytes));
  args.push('--nproc', String(l.processes), '--fsize', String(l.fileSizeBytes), '--disk-bytes', String(l.diskBytes));
  args.push('--nofile', String(l.openFiles), '--stack-bytes', String(l.stackBytes), '--nice', '10');
  for (const dir of spec.scanDirs) args.push('--scan', dir);
  for (const dir of spec.removeDirs ?? []) args.push('--remove', dir);
  for (const [key, value] of Object.entries(spec.env)) args.push('--env', `${key}=${value}`);
  args.push('--', ...spec.argv);
  return args;
}

function parseReport(line: string): Omit<StepReport, 'stdout' | 'stderr' | 'flooded'> {
  const empty = { exitCode: null, signal: null, reason: 'killed' as StopReason, cpuMs: 0, peakRssKb: 0, wallMs: 0 };
  const zero = { diskBytes: 0, maxFileBytes: 0, leftProcesses: 0, leftFiles: 0 };
  if (line.startsWith('error=')) return { ...empty, ...zero, error: line.slice(6).trim() };
  const f = new Map(line.trim().split(' ').map((kv) => kv.split('=') as [string, string]));
  if (!f.has('reason')) return { ...empty, ...zero, error: `sandbox helper gave no report (${line.trim() || 'nothing'})` };
  const num = (key: string) => Number(f.get(key) ?? 0);
  const exit = num('exit');
  return {
    exitCode: exit >= 0 && num('signal') === 0 ? exit : null,
    signal: num('signal') ? (signalNames.get(num('signal')) ?? `SIG${num('signal')}`) : null,
    reason: f.get('reason') as StopReason,
    cpuMs: num('cpu_ms'),
    peakRssKb: num('peak_rss_kb'),
    wallMs: num('wall_ms'),
    diskBytes: num('disk_bytes'),
    maxFileBytes: num('max_file'),
    leftProcesses: num('left_procs'),
    leftFiles: num('left_files'),
  };
}

export function runStep(spec: StepSpec): Promise<StepReport> {
  const { maxBytes, floodBytes, merge, onText } = spec.output;
  const stdout = new CappedOutput(maxBytes, floodBytes, onText && ((t) => onText('stdout', t)));
  const stderr = merge ? stdout : new CappedOutput(maxBytes, floodBytes, onText && ((t) => onText('stderr', t)));
  const { child, done } = startHelper(spec.helper, helperArgs(spec), ['pipe', 'pipe', 'pipe']);
  let flooded = false;
  const stop = () => child.kill('SIGTERM'); // the helper kills the whole run and still reports
  const unregister = spec.register?.((signal) => child.kill(signal));

  const watch = (stream: NodeJS.ReadableStream | null, out: CappedOutput) =>
    new Promise<void>((resolve) => {
      if (!stream) return resolve();
      stream.on('data', (chunk: Buffer) => {
        if (!out.push(chunk) && !flooded) {
          flooded = true;
          stop();
        }
      });
      stream.on('close', resolve);
      stream.on('error', resolve);
    });
  const outputs = Promise.all([watch(child.stdout, stdout), watch(child.stderr, stderr)]);
  // A program that exits without reading its stdin closes the pipe under us (EPIPE): that is its right.
  child.stdin?.on('error', () => {});
  child.stdin?.end(spec.stdin);

  // The helper enforces the wall limit itself; these only fire if it is stuck. SIGTERM first (it still
  // kills the run and reports), SIGKILL later; either way the step is abnormal and the caller sweeps.
  const term = setTimeout(stop, spec.limits.wallMs + HELPER_GRACE_MS);
  const kill = setTimeout(() => child.kill('SIGKILL'), spec.limits.wallMs + 3 * HELPER_GRACE_MS);
  return done.then(async ({ report, code, signal, spawnError }) => {
    clearTimeout(term);
    clearTimeout(kill);
    unregister?.();
    // Normally every process of the run is dead and the pipes close at once. After an abnormal end a
    // survivor may still hold them: take what arrived and let the caller's sweep end it.
    const drained = await Promise.race([outputs.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), report ? 5_000 : 500))]);
    if (!drained) for (const s of [child.stdout, child.stderr]) s?.destroy();
    let parsed = parseReport(report);
    if (spawnError) parsed = { ...parsed, error: spawnError };
    else if (!report && (code !== 0 || signal)) parsed = { ...parsed, error: `sandbox helper died (${signal ?? code})` };
    return { ...parsed, stdout, stderr, flooded };
  });
}
