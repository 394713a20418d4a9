/**
 * A test run's verdicts (docs/protocol.md §8) and who sees what of them: no zod here, so the execution
 * view that every stored run goes through does not bring the question schemas into a bundle.
 */

export const TEST_STATUSES = [
  'PASSED',
  'FAILED',
  'TIMEOUT',
  'MEMORY_LIMIT',
  'OUTPUT_LIMIT',
  'RUNTIME_ERROR',
  'COMPILE_ERROR',
] as const;
export type TestStatus = (typeof TEST_STATUSES)[number];

/** One test's verdict in a `mode:"tests"` execution (docs/protocol.md §8). */
export interface TestResult {
  name: string;
  hidden: boolean;
  status: TestStatus;
  durationMs: number;
  stdout?: string;
  stderr?: string;
  expectedStdout?: string;
}

export interface TestSummary {
  passed: number;
  total: number;
}

/**
 * Roles that see hidden tests in full. Everything else (candidate, and any role added later) gets the
 * restricted view: the check fails closed.
 */
const FULL_VIEW_ROLES: ReadonlySet<string> = new Set(['interviewer', 'reviewer']);
export const seesHiddenTests = (role: string): boolean => FULL_VIEW_ROLES.has(role);

export function testResultForRole(result: TestResult, role: string): TestResult {
  if (seesHiddenTests(role) || !result.hidden) return result;
  return { name: result.name, hidden: true, status: result.status, durationMs: result.durationMs };
}

/**
 * docs/protocol.md §8's comparison: trailing whitespace of every line and trailing blank lines do not
 * count. Linear on purpose: the output is the candidate's program's, and `/\s+$/` (or `/\n+$/`) is
 * quadratic on a long run of whitespace before one last character (32 KB of spaces and an "x" took
 * 1.8 s of the runner's CPU per test, 64 KB 6 s). `trimEnd` removes the same characters as `\s`.
 */
export function normalizeOutput(text: string): string {
  const lines = text.split(/\r?\n/).map((line) => line.trimEnd());
  let end = lines.length;
  while (end > 0 && lines[end - 1] === '') end--;
  return lines.slice(0, end).join('\n');
}

export const outputMatches = (stdout: string, expectedStdout: string): boolean =>
  normalizeOutput(stdout) === normalizeOutput(expectedStdout);
