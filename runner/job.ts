/**
 * One job in one slot: work directory, optional compile step, run step, verdict, cleanup.
 * The limits come from shared/contract/limits.ts (SPEC §4) and the language table; this file only decides
 * how each limit maps onto the helper's knobs.
 */
import { LIMITS } from '#contract/limits.js';
import { LANGUAGES, type Language, type StepLimits as LanguageStepLimits } from '#contract/languages.js';
import type { OutputStream, RunJob, RunResult } from '#contract/execution-types.js';
import { compileVerdict, runVerdict, type LimitsForMessages } from './status.js';
import { runStep, type StepLimits } from './sandbox/step.js';
import { resolveLanguage } from './sandbox/toolchain.js';
import { createWorkDir, removeEmptyDir } from './sandbox/workdir.js';

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

function stepLimits(l: LanguageStepLimits & { fileBytes: number; processes: number }): StepLimits {
  return {
    wallMs: l.wallMs,
    cpuMs: l.cpuMs,
    memoryBytes: l.memoryBytes,
    // RLIMIT_DATA is only a backstop: it counts reserved, untouched memory, which the JVM (heap and
    // 64 MiB thread stacks) and Go reserve generously, so at 2x the JVM fails to start. Touched memory
    // is what the helper's 20 ms RSS poll limits; this just refuses absurd single allocations early.
    dataBytes: 4 * l.memoryBytes,
    processes: l.processes,
    fileSizeBytes: l.fileBytes,
    diskBytes: l.fileBytes,
    openFiles: LIMITS.run.openFiles,
    stackBytes: 64 * MIB,
  };
}

export const RUN_LIMITS = stepLimits({ ...LIMITS.run, fileBytes: LIMITS.run.fileBytes, processes: LIMITS.run.processes });

export function compileLimits(lang: Language): StepLimits | undefined {
  const l = lang.compile?.limits;
  if (!l) return undefined;
  return stepLimits({ ...l, fileBytes: l.fileBytes ?? LIMITS.run.fileBytes, processes: l.processes ?? LIMITS.run.processes });
}

function messageLimits(l: StepLimits): LimitsForMessages {
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

/**
 * The last step of a job (the run, or a failed compile) deletes the work dir's contents itself, as the
 * uid, after proving no process of it is left. Anything else (the runner's guard fired, the helper died
 * or gave no report, leftovers) is abnormal: a separate sweep must prove the uid clean before the work
 * dir is touched and the slot released; if it cannot, the uid is retired and the dir kept.
 */
export async function executeJob(ctx: JobContext, uid: number | undefined, job: RunJob, hooks: RunHooks = {}): Promise<JobOutcome> {
  const lang = LANGUAGES[job.language];
  const resolved = resolveLanguage(lang, ctx.toolDirs, uid !== undefined);
  if (!resolved.ok) return { result: systemError(resolved.reason), clean: true };
  hooks.onStarted?.();
  const workDir = await createWorkDir(ctx.workRoot, uid, lang.fileName, job.code);
  const base = {
    helper: ctx.helper,
    ...(uid !== undefined ? { uid } : {}),
    ...(ctx.group !== undefined ? { group: ctx.group } : {}),
    workDir,
    env: sandboxEnv(lang, workDir, ctx.toolDirs),
    scanDirs: [workDir],
    register: ctx.register,
  };
  const output = { maxBytes: LIMITS.outputMaxBytesPerStream, floodBytes: LIMITS.outputMaxBytesPerStream * FLOOD_FACTOR };
  let emptied = false;
  let abnormal = false;
  const step = async (spec: Parameters<typeof runStep>[0]) => {
    const report = await runStep(spec);
    if (report.error || report.leftProcesses > 0 || report.leftFiles > 0) abnormal = true;
    else if (spec.removeDirs?.length) emptied = true;
    return report;
  };
  let result: RunResult;
  let cause: unknown;
  try {
    result = await steps();
  } catch (err) {
    cause = err;
    result = systemError((err as Error).message);
  }
  // After a failure too: the uid is never handed back without proof.
  const clean = await cleanUp().catch(() => false);
  return { result, clean, ...(cause !== undefined ? { cause } : {}) };

  async function cleanUp(): Promise<boolean> {
    if (!emptied || abnormal) {
      if (!(await ctx.sweep(uid, [workDir]))) return false; // the work dir stays for inspection
    }
    await removeEmptyDir(workDir);
    return true;
  }

  async function steps(): Promise<RunResult> {
    let compileOutput = '';
    const cLimits = compileLimits(lang);
    if (resolved.ok && resolved.argv.compile && cLimits) {
      const compileArgv = resolved.argv.compile;
      const report = await ctx.compileGate(() =>
        step({
          ...base,
          argv: fill(compileArgv, workDir),
          limits: cLimits,
          stdin: '',
          output: { ...output, merge: true },
        }),
      );
      compileOutput = report.stdout.text();
      const verdict = compileVerdict(report, messageLimits(cLimits));
      if (verdict?.status === 'SYSTEM_ERROR') return systemError(verdict.note ?? 'compile step failed', report.wallMs);
      if (verdict) {
        return {
          status: verdict.status,
          stdout: '',
          stderr: '',
          compileOutput: verdict.note ? `${compileOutput}${compileOutput && !compileOutput.endsWith('\n') ? '\n' : ''}${verdict.note}\n` : compileOutput,
          exitCode: report.exitCode,
          signal: report.signal,
          durationMs: report.wallMs,
          truncated: { stdout: false, stderr: false },
        };
      }
    }
    if (!resolved.ok) return systemError(resolved.reason);
    const onText = hooks.onOutput;
    const report = await step({
      ...base,
      argv: fill(resolved.argv.run, workDir),
      limits: RUN_LIMITS,
      stdin: job.stdin,
      removeDirs: [workDir],
      output: { ...output, ...(onText ? { onText } : {}) },
    });
    const verdict = runVerdict(report, messageLimits(RUN_LIMITS), job.language);
    if (verdict.status === 'SYSTEM_ERROR') return { ...systemError(verdict.note ?? 'run step failed', report.wallMs), compileOutput };
    return {
      status: verdict.status,
      stdout: report.stdout.text(),
      stderr: report.stderr.text(),
      compileOutput,
      exitCode: report.exitCode,
      signal: report.signal,
      durationMs: report.wallMs,
      cpuTimeMs: report.cpuMs,
      ...(report.peakRssKb > 0 ? { memoryKb: report.peakRssKb } : {}),
      truncated: { stdout: report.stdout.truncated, stderr: report.stderr.truncated },
    };
  }
}
