/**
 * The one view of an execution per role (docs/protocol.md §8): a candidate never receives a hidden test's stdin,
 * expectedStdout, stdout or stderr; its entry keeps only `name`, `hidden`, `status` and `durationMs`.
 * Every path that hands an execution to a client goes through here: `GET .../executions`,
 * `GET .../executions/{id}`, an idempotent replay, and `execution-finished` (shared/aws/finished-push.ts).
 * The rule fails closed: only the roles `seesHiddenTests` names (interviewer, reviewer) get everything.
 */
import type { Execution } from '#contract/execution-types.js';
import { seesHiddenTests, testResultForRole } from '#contract/questions.js';

export function viewExecution<E extends Execution>(execution: E, role: string): E {
  if (!execution.tests || seesHiddenTests(role)) return execution;
  return { ...execution, tests: execution.tests.map((t) => testResultForRole(t, role)) };
}

/** The same for a list (newest first, as stored). */
export const viewExecutions = <E extends Execution>(executions: readonly E[], role: string): E[] => executions.map((e) => viewExecution(e, role));
