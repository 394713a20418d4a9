/**
 * One job in one slot: work directory, optional compile step, run step, verdict, cleanup.
 * The limits come from shared/limits.ts (SPEC §4) and the language table; this file only decides
 * how each limit maps onto the helper's knobs.
 */
import { LIMITS } from '../shared/limits.js';
import { LANGUAGES, type Language, type StepLimits as LanguageStepLimits } from '../shared/languages.js';
import type { OutputStream, RunJob, RunResult } from '../shared/execution-types.js';
import { compileVerdict, runVerdict, type LimitsForMessages } from './status.js';
import { runStep, type StepLimits, type StepReport } from './sandbox/step.js';
import { resolveLanguage } from './sandbox/toolchain.js';
import { createWorkDir, removeWorkDir } from './sandbox/workdir.js';

const MIB = 1024 * 1024;

export interface JobContext {
  helper: string;
  workRoot: string;
  toolDirs: readonly string[];
  /** World-writable dirs whose files of the run uid are removed after each step (root only). */
  tempDirs: readonly string[];
  /** Called when a step reports that processes or files of the uid survived its cleanup. */
  onLeftovers: (uid: number, report: StepReport) => Promise<void>;
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

function systemError(message: string, durationMs = 0): RunResult {
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

export async function executeJob(ctx: JobContext, uid: number | undefined, job: RunJob, hooks: RunHooks = {}): Promise<RunResult> {
  const lang = LANGUAGES[job.language];
  const resolved = resolveLanguage(lang, ctx.toolDirs, uid !== undefined);
  if (!resolved.ok) return systemError(resolved.reason);
  hooks.onStarted?.();
  const workDir = await createWorkDir(ctx.workRoot, uid, lang.fileName, job.code);
  const base = {
    helper: ctx.helper,
    ...(uid !== undefined ? { uid } : {}),
    workDir,
    env: sandboxEnv(lang, workDir, ctx.toolDirs),
    scanDirs: [workDir],
    // Without our own uid, "files of the uid" in /tmp would be the developer's: never clean those.
    cleanDirs: uid !== undefined ? [...ctx.tempDirs] : [],
  };
  const output = { maxBytes: LIMITS.outputMaxBytesPerStream, floodBytes: LIMITS.outputMaxBytesPerStream * FLOOD_FACTOR };
  const step = async (spec: Parameters<typeof runStep>[0]) => {
    const report = await runStep(spec);
    if (uid !== undefined && (report.leftProcesses > 0 || report.leftFiles > 0)) await ctx.onLeftovers(uid, report);
    return report;
  };
  try {
    let compileOutput = '';
    const cLimits = compileLimits(lang);
    if (resolved.argv.compile && cLimits) {
      const report = await step({
        ...base,
        argv: fill(resolved.argv.compile, workDir),
        limits: cLimits,
        stdin: '',
        output: { ...output, merge: true },
      });
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
    const onText = hooks.onOutput;
    const report = await step({
      ...base,
      argv: fill(resolved.argv.run, workDir),
      limits: RUN_LIMITS,
      stdin: job.stdin,
      output: { ...output, ...(onText ? { onText } : {}) },
    });
    const verdict = runVerdict(report, messageLimits(RUN_LIMITS));
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
  } finally {
    await removeWorkDir(workDir);
  }
}
