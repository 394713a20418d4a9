/**
 * The run queue cannot be reached (docs/protocol.md §6: a run request is stored before it is acknowledged, and
 * every execution reaches a final status). Breaking SQS of the shared stack would break every other
 * test, so this file runs its own HTTP + WebSocket front (the same handlers, in this worker) on the shared
 * DynamoDB Local, with SQS pointed at a port nobody listens on: every SendMessage is refused, exactly as
 * the SDK sees an unreachable queue. The caller is told, the execution ends SYSTEM_ERROR, and so does
 * everyone in the session.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { resetClients } from '#aws/clients.js';
import { ENV, resetConfig } from '#aws/config.js';
import { LANGUAGE_IDS } from '#contract/languages.js';
import { logger } from '#telemetry/log.js';
import { startLocalStack, type LocalStack } from '../../local/stack.js';
import { api, createSession, TextClient, type CreatedSession, type SessionAccess } from './clients.js';

async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('run queue unreachable', () => {
  let stack: LocalStack;
  let session: CreatedSession;
  let runner: TextClient;
  let watcher: TextClient;
  const access = (token: string): SessionAccess => ({ httpUrl: stack.httpUrl, wsUrl: stack.wsUrl, sessionId: session.sessionId, token });

  beforeAll(async () => {
    stack = await startLocalStack({ port: 0, ddbEndpoint: inject('ddbEndpoint'), tableName: inject('tableName'), pipeline: false, quiet: true });
    const dead = `http://127.0.0.1:${await refusedPort()}`;
    process.env[ENV.sqsEndpoint] = dead;
    process.env[ENV.runQueueUrls] = JSON.stringify(Object.fromEntries(LANGUAGE_IDS.map((id) => [id, `${dead}/000000000000/run-${id}`])));
    resetConfig();
    resetClients();
    // The handlers log the refused sends (and the runner launch they cannot request) as errors: expected here.
    logger.setLogLevel('CRITICAL');
    session = await createSession(stack.httpUrl, { language: 'python' });
    runner = await TextClient.join(access(session.candidateToken), 'candidate');
    watcher = await TextClient.join(access(session.interviewerToken), 'interviewer');
    await runner.change('print("never runs")');
  }, 60_000);

  afterAll(async () => {
    await Promise.all([runner?.ws.close(), watcher?.ws.close()]);
    await stack?.stop();
  });

  it('answers POST /executions with INTERNAL_ERROR naming the execution, stored as SYSTEM_ERROR', async () => {
    const res = await api(stack.httpUrl, 'POST', `/api/sessions/${session.sessionId}/executions`, session.interviewerToken, {});
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ error: 'INTERNAL_ERROR', details: { status: 'SYSTEM_ERROR' } });
    const id: string = res.body.details.executionId;

    const stored = await api(stack.httpUrl, 'GET', `/api/sessions/${session.sessionId}/executions/${id}`, session.interviewerToken);
    expect(stored.body).toMatchObject({ executionId: id, status: 'SYSTEM_ERROR', stdout: '' });
    expect(stored.body.stderr).toMatch(/^\[system\] .*queue/);
    expect(stored.body.finishedAt).not.toBeNull();

    const told = await watcher.ws.take('execution-finished', (m) => m.executionId === id, 30_000);
    expect(told).toMatchObject({ executionId: id, status: 'SYSTEM_ERROR' });
    // Everyone is told it was queued before the send is tried (so execution-started can never come
    // first), then that it ended.
    expect(watcher.ws.received('execution-queued').filter((m) => m.executionId === id)).toHaveLength(1);
  });

  it('answers run-code with an error to the sender and execution-finished SYSTEM_ERROR to everyone', async () => {
    runner.ws.send({ action: 'run-code' });
    const error = await runner.ws.take('error', (m) => m.action === 'run-code', 30_000);
    expect(error).toMatchObject({ code: 'INTERNAL_ERROR', details: { status: 'SYSTEM_ERROR' } });
    const id: string = error.details.executionId;

    for (const ws of [runner.ws, watcher.ws]) {
      expect(await ws.take('execution-finished', (m) => m.executionId === id, 30_000)).toMatchObject({ status: 'SYSTEM_ERROR', userId: runner.joined.userId });
    }
    const list = await api(stack.httpUrl, 'GET', `/api/sessions/${session.sessionId}/executions`, session.candidateToken);
    expect(list.body.executions[0]).toMatchObject({ executionId: id, status: 'SYSTEM_ERROR' });
  }, 120_000);
});
