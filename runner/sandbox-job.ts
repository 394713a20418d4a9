/**
 * One job in one slot: work directory, optional compile step, run step, verdict, cleanup. Its pieces
 * (a box: one uid's work dir, its steps and the proof of cleanup; the compile step; the run step) are
 * also what a test run is made of (tests-job.ts). The limits come from shared/contract/limits.ts
 * (docs/protocol.md §4) and the language table; this file only decides how each limit maps onto the helper's knobs.
 */
import { LIMITS } from '#contract/limits.js';
import { LANGUAGES, type Language, type LanguageId, type StepLimits as LanguageStepLimits } from '#contract/languages.js';
import type { OutputStream, RunJob, RunResult } from '#contract/execution-types.js';
import { compileVerdict, runVerdict, type LimitsForMessages } from './status.js';
import { runStep, type StepLimits, type StepReport, type StepSpec } from './sandbox/step.js';
import { resolveLanguage } from './sandbox/toolchain.js';
import { createWorkDir, removeEmptyDir, type WorkFile } from './sandbox/workdir.js';

const MIB = 1024 * 1024;

export interface JobContext {
  helper: string;
  workRoot: string;
  toolDirs: readonly string[];
  /** The sandbox group (root only): the shared temp dirs are closed to it. */
  group?: number;
  /** Lets the runner signal a running helper (task memory); returns the unregister function. */
  register: (signal: (sig: NodeJS.Signals) => void) => () => void;
  /** Kills everything of the uid, proves none is left and deletes `dirs` as the uid; true when clean. */
  sweep: (uid: number | undefined, dirs: readonly string[]) => Promise<boolean>;
  /** Runs a compile step when the task has room for one more (compilers may use 1 GiB each). */
  compileGate: <T>(compile: () => Promise<T>) => Promise<T>;
}

export interface JobOutcome {
  result: RunResult;
  /** The uid is proven free of processes and files: it may run another job. */
  clean: boolean;
  /** An unexpected failure of the runner itself, for the log (the result is SYSTEM_ERROR). */
  cause?: unknown;
}

export interface RunHooks {
  /** The job left the queue and its sandbox is being set up (compile included): RUNNING. */
  onStarted?: () => void;
  /** Output of the program as it arrives, within the 32 KiB per stream that is kept. */
  onOutput?: (stream: OutputStream, chunk: string) => void;
}

/**
 * How far a stream may go past the kept 32 KiB before the program counts as flooding (OUTPUT_LIMIT).
 * Large enough for an honest verbose program, small enough that endless output stops within ms.
 */
export const FLOOD_FACTOR = 32;

const OUTPUT = { maxBytes: LIMITS.outputMaxBytesPerStream, floodBytes: LIMITS.outputMaxBytesPerStream * FLOOD_FACTOR };

/** RLIMIT_STACK: deep recursion (a DFS over 10^5-10^6 nodes) works in every language. */
const STACK_BYTES = 64 * MIB;

function stepLimits(l: LanguageStepLimits & { fileBytes: number; processes: number }): StepLimits {
  return {
    wallMs: l.wallMs,
    cpuMs: l.cpuMs,
    memoryBytes: l.memoryBytes,
    // RLIMIT_DATA is only a backstop: it counts reserved, untouched memory, which the JVM (heap and
    // 64 MiB thread stacks) and Go reserve generously, so at 2x the JVM fails to start. Touched memory
    // is what the helper's 20 ms RSS poll limits; this just refuses absurd single allocations early.
    // Every thread reserves a stack of RLIMIT_STACK (glibc's default), counted here too: at 4x alone a
    // process could start only 15 threads; RLIMIT_NPROC bounds them to `processes`, so room for all.
    dataBytes: 4 * l.memoryBytes + l.processes * STACK_BYTES,
    processes: l.processes,
    fileSizeBytes: l.fileBytes,
    diskBytes: l.fileBytes,
    openFiles: LIMITS.run.openFiles,
    stackBytes: STACK_BYTES,
  };
}

export const RUN_LIMITS = stepLimits({ ...LIMITS.run, fileBytes: LIMITS.run.fileBytes, processes: LIMITS.run.processes });

export function compileLimits(lang: Language): StepLimits | undefined {
  const l = lang.compile?.limits;
  if (!l) return undefined;
  return stepLimits({ ...l, fileBytes: l.fileBytes ?? LIMITS.run.fileBytes, processes: l.processes ?? LIMITS.run.processes });
}

export function messageLimits(l: StepLimits): LimitsForMessages {
  return { wallMs: l.wallMs, cpuMs: l.cpuMs, memoryBytes: l.memoryBytes, fileSizeBytes: l.fileSizeBytes, diskBytes: l.diskBytes };
}

/** A clean environment: nothing of the runner's (no AWS_*, no ECS_*), only what toolchains need. */
export function sandboxEnv(lang: Language, workDir: string, toolDirs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {
    PATH: toolDirs.join(':'),
    HOME: workDir,
    // Well-behaved temp files land in the work dir, where they are counted and removed with it.
    TMPDIR: `${workDir}/tmp`,
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
  };
  for (const [key, value] of Object.entries(lang.env ?? {})) env[key] = value.replaceAll('{dir}', workDir);
  return env;
}

const fill = (argv: string[], workDir: string) => argv.map((a) => a.replaceAll('{dir}', workDir));

export function systemError(message: string, durationMs = 0): RunResult {
  return {
    status: 'SYSTEM_ERROR',
    stdout: '',
    stderr: `[sandbox] ${message}\n`,
    compileOutput: '',
    exitCode: null,
    signal: null,
    durationMs,
    truncated: { stdout: false, stderr: false },
  };
}

export interface BoxStep {
  argv: string[];
  limits: StepLimits;
  stdin: string;
  output: StepSpec['output'];
  /** The box's last step: the helper deletes the work dir's contents as the uid once it proved no process is left. */
  last?: boolean;
}

/** A work dir of one uid, and the steps run in it. */
export interface Box {
  workDir: string;
  step(s: BoxStep): Promise<StepReport>;
}

export interface BoxOutcome<T> {
  value?: T;
  /** The uid is proven free of processes and files: it may run another step elsewhere. */
  clean: boolean;
  cause?: unknown;
}

/**
 * A work dir for `uid` holding `files`, `body`'s steps in it, then the proof that nothing is left.
 * A step marked `last` (a run) deletes the dir's contents itself, as the uid, after proving no process
 * of it is left. Anything else (no such step ran: a failed compile, a test run's compile dir; the
 * runner's guard fired, the helper died or gave no report, leftovers) goes through a sweep that must prove the uid clean before
 * the dir is touched and the uid released; if it cannot, the uid is retired and the dir kept.
 */
export async function inBox<T>(ctx: JobContext, uid: number | undefined, lang: Language, files: WorkFile[], body: (box: Box) => Promise<T>): Promise<BoxOutcome<T>> {
  const workDir = await createWorkDir(ctx.workRoot, uid, files);
  const base = {
    helper: ctx.helper,
    ...(uid !== undefined ? { uid } : {}),
    ...(ctx.group !== undefined ? { group: ctx.group } : {}),
    workDir,
    env: sandboxEnv(lang, workDir, ctx.toolDirs),
    scanDirs: [workDir],
    register: ctx.register,
  };
  let emptied = false;
  let abnormal = false;
  const box: Box = {
    workDir,
    async step(s) {
      const report = await runStep({ ...base, argv: fill(s.argv, workDir), limits: s.limits, stdin: s.stdin, output: s.output, ...(s.last ? { removeDirs: [workDir] } : {}) });
      if (report.error || report.leftProcesses > 0 || report.leftFiles > 0) abnormal = true;
      else if (s.last) emptied = true;
      return report;
    },
  };
  let value: T | undefined;
  let cause: unknown;
  try {
    value = await body(box);
  } catch (err) {
    cause = err;
  }
  // After a failure too: the uid is never handed back without proof.
  const clean = await cleanUp().catch(() => false);
  return { ...(value !== undefined ? { value } : {}), clean, ...(cause !== undefined ? { cause } : {}) };

  async function cleanUp(): Promise<boolean> {
    if (!emptied || abnormal) {
      if (!(await ctx.sweep(uid, [workDir]))) return false; // the work dir stays for inspection
    }
    await removeEmptyDir(workDir);
    return true;
  }
}

/** The outcome of a compile step: its output, and the job's result when it failed. */
export interface Compiled {
  output: string;
  failed?: RunResult;
}

/** Compiles in `box` when the language needs it (one compile at a time per runner: compileGate). */
export async function compileIn(ctx: JobContext, box: Box, lang: Language, argv: string[] | undefined): Promise<Compiled> {
  const limits = compileLimits(lang);
  if (!argv || !limits) return { output: '' };
  const report = await ctx.compileGate(() => box.step({ argv, limits, stdin: '', output: { ...OUTPUT, merge: true } }));
  const output = report.stdout.text();
  const verdict = compileVerdict(report, messageLimits(limits));
  if (!verdict) return { output };
  if (verdict.status === 'SYSTEM_ERROR') return { output, failed: systemError(verdict.note ?? 'compile step failed', report.wallMs) };
  const compileOutput = verdict.note ? `${output}${output && !output.endsWith('\n') ? '\n' : ''}${verdict.note}\n` : output;
  return {
    output,
    failed: {
      status: verdict.status,
      stdout: '',
      stderr: '',
      compileOutput,
      exitCode: report.exitCode,
      signal: report.signal,
      durationMs: report.wallMs,
      truncated: { stdout: false, stderr: false },
    },
  };
}

export interface RunSpec {
  argv: string[];
  limits: StepLimits;
  stdin: string;
  language: LanguageId;
  compileOutput: string;
  onOutput?: RunHooks['onOutput'];
  /** Bytes of stdout kept (default the 32 KiB of docs/protocol.md §4; a test keeps enough to compare). */
  stdoutBytes?: number;
}

/** The run step, always the box's last: the program with its stdin, and its docs/protocol.md §6 result. */
export async function runIn(box: Box, spec: RunSpec): Promise<RunResult> {
  const onText = spec.onOutput;
  const report = await box.step({
    argv: spec.argv,
    limits: spec.limits,
    stdin: spec.stdin,
    last: true,
    output: { ...OUTPUT, ...(spec.stdoutBytes ? { maxBytes: spec.stdoutBytes } : {}), ...(onText ? { onText } : {}) },
  });
  const verdict = runVerdict(report, messageLimits(spec.limits), spec.language);
  if (verdict.status === 'SYSTEM_ERROR') return { ...systemError(verdict.note ?? 'run step failed', report.wallMs), compileOutput: spec.compileOutput };
  return {
    status: verdict.status,
    stdout: report.stdout.text(),
    stderr: report.stderr.text(),
    compileOutput: spec.compileOutput,
    exitCode: report.exitCode,
    signal: report.signal,
    durationMs: report.wallMs,
    cpuTimeMs: report.cpuMs,
    ...(report.peakRssKb > 0 ? { memoryKb: report.peakRssKb } : {}),
    truncated: { stdout: report.stdout.truncated, stderr: report.stderr.truncated },
  };
}

/** A plain run: source, compile (if any) and run in one work dir of one uid. */
export async function executeJob(ctx: JobContext, uid: number | undefined, job: RunJob, hooks: RunHooks = {}): Promise<JobOutcome> {
  const lang = LANGUAGES[job.language];
  const resolved = resolveLanguage(lang, ctx.toolDirs, uid !== undefined);
  if (!resolved.ok) return { result: systemError(resolved.reason), clean: true };
  hooks.onStarted?.();
  const argv = resolved.argv;
  const { value, clean, cause } = await inBox(ctx, uid, lang, [{ name: lang.fileName, content: job.code }], async (box) => {
    const compiled = await compileIn(ctx, box, lang, argv.compile);
    if (compiled.failed) return compiled.failed;
    return runIn(box, { argv: argv.run, limits: RUN_LIMITS, stdin: job.stdin, language: job.language, compileOutput: compiled.output, onOutput: hooks.onOutput });
  });
  const result = value ?? systemError((cause as Error | undefined)?.message ?? 'the job ended without a result');
  return { result, clean, ...(cause !== undefined ? { cause } : {}) };
}
