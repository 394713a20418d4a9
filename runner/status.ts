/**
 * From the helper's reports to the docs/protocol.md §6 status. Pure, so every rule here is unit-testable.
 *
 * Writing files past the limit counts as OUTPUT_LIMIT: files are output the program produced, and the
 * contract has no separate status for them. A limit hit during compilation is a COMPILE_ERROR with a
 * sentence saying which limit: the program never ran, so TIMEOUT or MEMORY_LIMIT would mislead.
 */
import type { FinalStatus } from '#contract/execution-types.js';
import type { LanguageId } from '#contract/languages.js';
import type { StepReport } from './sandbox/step.js';

export interface StepVerdict {
  status: FinalStatus;
  /** Human explanation of a limit, appended to the output the user sees. */
  note?: string;
}

const MIB = 1024 * 1024;
const fmtMiB = (bytes: number) => `${Math.round(bytes / MIB)} MiB`;
const fmtS = (ms: number) => `${ms / 1000} s`;

export interface LimitsForMessages {
  wallMs: number;
  cpuMs: number;
  memoryBytes: number;
  fileSizeBytes: number;
  diskBytes: number;
}

/**
 * What each runtime prints when its own memory cap stops the program (docs/protocol.md §6: MEMORY_LIMIT, as if the
 * sandbox had killed it). Matched only in the last few KiB of stderr and only for a failed run, so a
 * program printing the words and exiting 0 stays COMPLETED. A program can fake the message to relabel
 * its own failure; that changes nothing but its own status.
 */
const RUNTIME_MEMORY_FAILURES: Partial<Record<LanguageId, RegExp>> = {
  java: /java\.lang\.OutOfMemoryError/,
  python: /^MemoryError\b/m,
  go: /^fatal error: runtime: (out of memory|cannot allocate memory)/m,
  rust: /^memory allocation of \d+ bytes failed/m,
  cpp: /std::bad_alloc/,
  javascript: /JavaScript heap out of memory|Reached heap limit/,
  typescript: /JavaScript heap out of memory|Reached heap limit/,
};

export function runtimeMemoryFailure(language: LanguageId | undefined, r: Pick<StepReport, 'exitCode' | 'stderr'>): boolean {
  const pattern = language && RUNTIME_MEMORY_FAILURES[language];
  // The head too: Go prints the reason first and then a stack trace longer than the tail.
  return !!pattern && r.exitCode !== 0 && (pattern.test(r.stderr.tail()) || pattern.test(r.stderr.text()));
}

export function runVerdict(r: StepReport, l: LimitsForMessages, language?: LanguageId): StepVerdict {
  if (r.error) return { status: 'SYSTEM_ERROR', note: `sandbox error: ${r.error}` };
  if (r.flooded) return { status: 'OUTPUT_LIMIT', note: 'stopped: the program kept writing output' };
  switch (r.reason) {
    case 'memory':
      return { status: 'MEMORY_LIMIT', note: `stopped: memory limit of ${fmtMiB(l.memoryBytes)} exceeded` };
    case 'wall':
      return { status: 'TIMEOUT', note: `stopped: time limit of ${fmtS(l.wallMs)} exceeded` };
    case 'cpu':
      return { status: 'TIMEOUT', note: `stopped: CPU time limit of ${fmtS(l.cpuMs)} exceeded` };
    case 'disk':
      return { status: 'OUTPUT_LIMIT', note: `stopped: more than ${fmtMiB(l.diskBytes)} written to files` };
    case 'task-memory':
      return { status: 'MEMORY_LIMIT', note: "stopped: the runner's memory ran short (memory no process shows, e.g. kernel buffers)" };
    case 'killed':
      return { status: 'SYSTEM_ERROR', note: 'stopped by the runner' };
    case 'exit':
      break;
  }
  if (r.signal === 'SIGXCPU') return { status: 'TIMEOUT', note: `stopped: CPU time limit of ${fmtS(l.cpuMs)} exceeded` };
  // SIGXFSZ kills a writer at the file size limit; runtimes that ignore it (Python) get EFBIG instead,
  // which the largest file reaching the limit reveals.
  if (r.signal === 'SIGXFSZ' || r.maxFileBytes >= l.fileSizeBytes) {
    return { status: 'OUTPUT_LIMIT', note: `stopped: a file reached the size limit of ${fmtMiB(l.fileSizeBytes)}` };
  }
  if (runtimeMemoryFailure(language, r)) return { status: 'MEMORY_LIMIT', note: `stopped: the runtime ran out of memory (limit ${fmtMiB(l.memoryBytes)})` };
  return { status: r.exitCode === 0 ? 'COMPLETED' : 'FAILED' };
}

/** A compile step either succeeds (undefined) or ends the job as COMPILE_ERROR / SYSTEM_ERROR. */
export function compileVerdict(r: StepReport, l: LimitsForMessages): StepVerdict | undefined {
  const run = runVerdict(r, l);
  if (run.status === 'COMPLETED') return undefined;
  if (run.status === 'SYSTEM_ERROR') return run;
  const note = run.note?.replace('stopped:', 'compilation stopped:').replace('the program', 'the compiler');
  return { status: 'COMPILE_ERROR', ...(note ? { note } : {}) };
}
