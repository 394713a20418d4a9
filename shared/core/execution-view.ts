/**
 * The one view of an execution per role (docs/protocol.md §8): a candidate never receives a hidden test's stdin,
 * expectedStdout, stdout or stderr; its entry keeps only `name`, `hidden`, `status` and `durationMs`.
 * Every path that hands an execution to a client goes through here: `GET .../executions`,
 * `GET .../executions/{id}`, an idempotent replay, and `execution-finished` (shared/aws/finished-push.ts).
 * The rule fails closed: only the roles `seesHiddenTests` names (interviewer, reviewer) get everything.
 */
import type { Execution } from '#contract/execution-types.js';
import { seesHiddenTests, testResultForRole } from '#contract/test-results.js';

export const VIEW_FIELDS = [
  'executionId', 'sessionId', 'status', 'language', 'userId', 'stdout', 'stderr', 'compileOutput', 'exitCode',
  'signal', 'durationMs', 'cpuTimeMs', 'memoryKb', 'truncated', 'createdAt', 'startedAt', 'finishedAt',
  'mode', 'tests', 'summary',
] as const;
/** Present only on some executions (a measured run, a test run): absent rather than null. */
const OPTIONAL_FIELDS = ['cpuTimeMs', 'memoryKb', 'mode', 'tests', 'summary'] as const;

/** The public execution object of docs/protocol.md §6 (no code, no stdin, no bookkeeping) of a stored one. */
export function executionView(item: object): Execution {
  const source = item as Record<string, unknown>;
  const view: Record<string, unknown> = {};
  for (const f of VIEW_FIELDS) view[f] = source[f] ?? null;
  view.truncated ??= { stdout: false, stderr: false };
  for (const f of OPTIONAL_FIELDS) if (view[f] === null) delete view[f];
  return view as unknown as Execution;
}

export function viewExecution<E extends Execution>(execution: E, role: string): E {
  if (!execution.tests || seesHiddenTests(role)) return execution;
  return { ...execution, tests: execution.tests.map((t) => testResultForRole(t, role)) };
}

/** The same for a list (newest first, as stored). */
export const viewExecutions = <E extends Execution>(executions: readonly E[], role: string): E[] => executions.map((e) => viewExecution(e, role));
