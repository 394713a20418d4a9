/**
 * From one test's run to its docs/protocol.md §8 verdict, and the verdicts of a whole test run as they are stored.
 * Pure, so every rule here is unit-testable (test/runner/test-results.test.ts).
 */
import type { FinalStatus, RunResult } from '#contract/execution-types.js';
import { outputMatches, type TestCase, type TestResult, type TestStatus, type TestSummary } from '#contract/questions.js';

const KIB = 1024;

/**
 * Bytes of stdout a test keeps for the comparison: the largest expected output (64 KiB) plus slack, so
 * a correct answer with trailing blank lines still compares whole. An output cut at this size cannot be
 * proven equal and fails.
 */
export const TEST_STDOUT_CAPTURE_BYTES = 68 * KIB;

/**
 * What the stored execution keeps of all tests' stdout, stderr and expectedStdout together. An
 * execution item must stay under DynamoDB's 400 KB: code (100 KiB) + stdin (64 KiB) + compileOutput
 * (32 KiB) + 50 test names (≤ 100 characters, ≤ 20 KB in UTF-8) + this 128 KiB leaves > 60 KB spare.
 * The share per field is even: 128 KiB / (3 × tests), at most 8 KiB (2 tests: 8 KiB each; 50 tests:
 * 873 bytes each). The comparison itself always used the full output (TEST_STDOUT_CAPTURE_BYTES).
 */
export const TEST_DETAIL_BUDGET_BYTES = 128 * KIB;
export const TEST_FIELD_MAX_BYTES = 8 * KIB;
export const TRUNCATION_MARK = '\n[… truncated]';

export function fieldShare(total: number): number {
  return Math.min(TEST_FIELD_MAX_BYTES, Math.floor(TEST_DETAIL_BUDGET_BYTES / (3 * Math.max(1, total))));
}

/** `text` within `maxBytes` of UTF-8 (mark included), never splitting a character. */
export function clip(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  const room = Math.max(0, maxBytes - Buffer.byteLength(TRUNCATION_MARK));
  let end = room;
  // Back off to the start of a character: continuation bytes are 10xxxxxx.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8') + TRUNCATION_MARK;
}

/** A test's status from its run's docs/protocol.md §6 status and its output (SYSTEM_ERROR is handled by the caller). */
export function testStatus(run: Pick<RunResult, 'status' | 'stdout' | 'truncated'>, expectedStdout: string): TestStatus {
  switch (run.status) {
    case 'COMPLETED':
      return !run.truncated.stdout && outputMatches(run.stdout, expectedStdout) ? 'PASSED' : 'FAILED';
    case 'FAILED':
      return 'RUNTIME_ERROR'; // non-zero exit or a signal: the program broke, whatever it printed
    case 'TIMEOUT':
    case 'MEMORY_LIMIT':
    case 'OUTPUT_LIMIT':
    case 'COMPILE_ERROR':
      return run.status;
    default:
      throw new Error(`no test status for a run that ended ${run.status}`);
  }
}

/** One test's stored result (its details clipped to the share of `total` tests). */
export function testResult(test: TestCase, status: TestStatus, durationMs: number, total: number, out: { stdout?: string; stderr?: string } = {}): TestResult {
  const share = fieldShare(total);
  return {
    name: test.name,
    hidden: test.hidden,
    status,
    durationMs,
    ...(out.stdout !== undefined ? { stdout: clip(out.stdout, share) } : {}),
    ...(out.stderr !== undefined ? { stderr: clip(out.stderr, share) } : {}),
    expectedStdout: clip(test.expectedStdout, share),
  };
}

export function summarize(results: readonly TestResult[]): TestSummary {
  return { passed: results.filter((r) => r.status === 'PASSED').length, total: results.length };
}

/** docs/protocol.md §8: COMPLETED when every test passed, FAILED when some did not, COMPILE_ERROR when it did not compile. */
export function overallStatus(results: readonly TestResult[], compileError: boolean, systemError: boolean): FinalStatus {
  if (compileError) return 'COMPILE_ERROR';
  if (systemError) return 'SYSTEM_ERROR';
  return results.every((r) => r.status === 'PASSED') ? 'COMPLETED' : 'FAILED';
}
