/**
 * The messages of a run's end, per role (SPEC §8). `execution-finished` carries the execution as the
 * recipient's role may see it (shared/core/execution-view.ts): one message per role present, so a
 * candidate's socket never receives a hidden test's stdin, expected output, stdout or stderr.
 * `execution-test-result` carries no test data at all, so one message serves every role.
 */
import type { Execution } from '#contract/execution-types.js';
import type { TestResult } from '#contract/questions.js';
import { viewExecution } from '#core/execution-view.js';
import { encodeMessage, fanOut, fitsInMessage } from './push.js';
import { joinedRecipients } from './notify.js';
import type { ConnectionItem } from './store/connections.js';
import type { ServerMessage } from '#contract/messages.js';

/**
 * `execution-finished` within 128 KiB: outputs are capped (32 KiB per stream, test details 128 KiB in
 * all: runner/test-results.ts) but JSON escaping can grow them up to 6×; past the limit the outputs and
 * the tests' details are left out (each test keeps name, hidden, status, durationMs) and `resultUrl`
 * says where to read them, with the caller's token, as its role may see them.
 */
export function finishedFrame(execution: Execution): string {
  const full = encodeMessage({ type: 'execution-finished', ...execution });
  if (fitsInMessage(full)) return full;
  const slim = {
    type: 'execution-finished' as const,
    ...execution,
    stdout: '',
    stderr: '',
    compileOutput: '',
    ...(execution.tests ? { tests: execution.tests.map(({ name, hidden, status, durationMs }) => ({ name, hidden, status, durationMs })) } : {}),
    resultUrl: `/api/sessions/${execution.sessionId}/executions/${execution.executionId}`,
  };
  return encodeMessage(slim as ServerMessage);
}

/** `execution-finished` to every joined connection, each with its role's view. */
export async function broadcastFinished(connections: ConnectionItem[], execution: Execution): Promise<void> {
  const byRole = new Map<string, ConnectionItem[]>();
  for (const c of joinedRecipients(connections)) byRole.set(c.role, [...(byRole.get(c.role) ?? []), c]);
  await Promise.all([...byRole].map(([role, recipients]) => fanOut(recipients, finishedFrame(viewExecution(execution, role)))));
}

/** `execution-test-result`: a test's verdict and nothing it could be fitted to, the same for every role. */
export function testResultFrame(executionId: string, index: number, r: TestResult): string {
  return JSON.stringify({ type: 'execution-test-result', executionId, index, name: r.name, hidden: r.hidden, status: r.status, durationMs: r.durationMs });
}
