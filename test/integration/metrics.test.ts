/**
 * Issue 11: a short interview on a local stack of its own (the same handlers and runner processes, on a
 * table of its own in the shared DynamoDB Local) with its own metrics file, summarised by the code behind `npm run metrics`.
 * Create, two clients join, one edit, two runs (one fails), end: the summary shows exactly that.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { formatSummary, readMetricPoints, summarise } from '../../local/metrics.js';
import { startLocalStack, type LocalStack } from '../../local/stack.js';
import { METRIC_NAMES } from '#telemetry/metrics.js';
import { api, createSession, eventually, TextClient, type CreatedSession, type SessionAccess } from './clients.js';

describe('npm run metrics after a short interview', () => {
  let stack: LocalStack;
  let dir: string;
  let session: CreatedSession;
  const access = (token: string): SessionAccess => ({ httpUrl: stack.httpUrl, wsUrl: stack.wsUrl, sessionId: session.sessionId, token });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'metrics-test-'));
    stack = await startLocalStack({
      port: 0,
      ddbEndpoint: inject('ddbEndpoint'),
      // A table of its own: in the shared one, the runner registry would show the shared stack's python
      // runners as warm, and this stack's runs would wait in its own queue for a runner never started.
      tableName: 'interview-metrics-test',
      quiet: true,
      metricsFile: join(dir, 'metrics.log'),
    });
  }, 90_000);

  afterAll(async () => {
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function run(token: string, code: string, watcher: TextClient): Promise<string> {
    const res = await api(stack.httpUrl, 'POST', `/api/sessions/${session.sessionId}/executions`, token, { language: 'python', code });
    expect(res.status).toBe(202);
    const finished = await watcher.ws.take('execution-finished', (m) => m.executionId === res.body.executionId, 60_000);
    return finished.status as string;
  }

  // A runner process has to start (tsx + sandbox): generous on a loaded machine.
  it('counts 1 session created and ended, 2 connections, 1 edit, 3 messages and 2 runs (1 COMPLETED, 1 FAILED)', { timeout: 180_000 }, async () => {
    session = await createSession(stack.httpUrl, { language: 'python' });
    const interviewer = await TextClient.join(access(session.interviewerToken), 'Ann');
    const candidate = await TextClient.join(access(session.candidateToken), 'Bob');
    await candidate.change('print("hello")');

    expect(await run(session.candidateToken, 'print("hello")', interviewer)).toBe('COMPLETED');
    expect(await run(session.candidateToken, 'import sys; sys.exit(3)', interviewer)).toBe('FAILED');

    expect((await api(stack.httpUrl, 'DELETE', `/api/sessions/${session.sessionId}`, session.interviewerToken)).status).toBe(200);
    await Promise.all([interviewer.ws.closed, candidate.ws.closed]);

    // The runner is another process: its lines (RunsFinished, RunDuration) land in the file a moment later.
    const summary = await eventually(() => {
      const s = summarise(readMetricPoints(stack.metricsFile, 0));
      return s.ConnectionsClosed?.total === 2 && s.RunsFinished?.total === 2 ? s : undefined;
    }, 30_000, 'both runs finished and both sockets closed in the metrics');

    expect(summary.SessionsCreated?.total).toBe(1);
    expect(summary.SessionsEnded).toMatchObject({ total: 1, by: { 'Reason=ended-by-interviewer': 1 } });
    expect(summary.ConnectionsOpened?.total).toBe(2);
    expect(summary.Messages).toMatchObject({ total: 3, by: { 'Action=join-session': 2, 'Action=code-change': 1 } });
    expect(summary.EditsMerged).toMatchObject({ total: 1, by: { 'Action=code-change': 1 } });
    expect(summary.RunsQueued?.total).toBe(2);
    expect(summary.RunsFinished?.by).toEqual({ 'Status=COMPLETED,Language=python': 1, 'Status=FAILED,Language=python': 1 });
    expect(summary.RunDuration?.total).toBe(2); // samples
    expect(summary.RunQueueToStart?.total).toBe(2);
    expect(summary.Errors).toBeUndefined();
    expect(summary.BusyAnswers).toBeUndefined();

    const text = formatSummary(summary, 15, stack.metricsFile);
    expect(text).toContain('execution success rate 100 % (not SYSTEM_ERROR); COMPLETED 50 %');
    // Every line in the file is a metric of the one list (nothing else is written there).
    const names = new Set(readMetricPoints(stack.metricsFile, 0).map((p) => p.name));
    for (const name of names) expect(METRIC_NAMES).toContain(name);
  });
});
