/**
 * The messages of a run's end, per role (docs/protocol.md §8). `execution-finished` carries the execution as the
 * recipient's role may see it (shared/core/execution-view.ts): one message per role present, so a
 * candidate's socket never receives a hidden test's stdin, expected output, stdout or stderr.
 * `execution-test-result` carries no test data at all, so one message serves every role.
 */
import type { Execution } from '#contract/execution-types.js';
import type { TestResult } from '#contract/questions.js';
import { fanOut } from './push.js';
import { finishedMessage, joinedRecipients } from './notify.js';
import type { ConnectionItem } from './store/connections.js';

/** `execution-finished` to every joined connection, each with its role's view. */
export async function broadcastFinished(connections: ConnectionItem[], execution: Execution): Promise<void> {
  const byRole = new Map<string, ConnectionItem[]>();
  for (const c of joinedRecipients(connections)) byRole.set(c.role, [...(byRole.get(c.role) ?? []), c]);
  await Promise.all([...byRole].map(([role, recipients]) => fanOut(recipients, finishedMessage(execution, role))));
}

/** `execution-test-result`: a test's verdict and nothing it could be fitted to, the same for every role. */
export function testResultFrame(executionId: string, index: number, r: TestResult): string {
  return JSON.stringify({ type: 'execution-test-result', executionId, index, name: r.name, hidden: r.hidden, status: r.status, durationMs: r.durationMs });
}
