/** Execution statuses and the execution object of docs/protocol.md §6: one definition for handlers, runner and store. */
import type { LanguageId } from './languages.js';
import type { ExecutionMode, TestResult, TestSummary } from './questions.js';

export const FINAL_STATUSES = [
  'COMPLETED',
  'FAILED',
  'COMPILE_ERROR',
  'TIMEOUT',
  'MEMORY_LIMIT',
  'OUTPUT_LIMIT',
  'SYSTEM_ERROR',
] as const;
export const EXECUTION_STATUSES = ['QUEUED', 'RUNNING', ...FINAL_STATUSES] as const;
export type FinalStatus = (typeof FINAL_STATUSES)[number];
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

/** What the sandbox runner produces for one job. */
export interface RunResult {
  status: FinalStatus;
  stdout: string;
  stderr: string;
  compileOutput: string;
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  cpuTimeMs?: number;
  memoryKb?: number;
  truncated: { stdout: boolean; stderr: boolean };
}

/** The execution object of docs/protocol.md §6. */
export interface Execution extends Omit<RunResult, 'status'> {
  executionId: string;
  sessionId: string;
  status: ExecutionStatus;
  language: LanguageId;
  userId: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** docs/protocol.md §8: `tests` for a run of the session question's tests (absent: a plain run). */
  mode?: ExecutionMode;
  /** Per-test verdicts and their count, once a `mode:"tests"` run finished; see shared/core/execution-view.ts for a candidate's view. */
  tests?: TestResult[];
  summary?: TestSummary;
}

/** A job as the runner receives it. */
export interface RunJob {
  executionId: string;
  language: LanguageId;
  code: string;
  stdin: string;
}

export type OutputStream = 'stdout' | 'stderr';
