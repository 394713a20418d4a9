/**
 * What the execution-pipeline integration tests share: run requests over HTTP, waiting for a final
 * status, the execution events a socket saw, the runner process that holds a claim, and the depth of a
 * run queue. Everything goes through the contract (docs/protocol.md §3, §5, §6) except `rawExecution` (the stored
 * item, with the bookkeeping the contract hides: attempts, claim holder, deadline) and `queueDepth`.
 */
import { readFileSync } from 'node:fs';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { inject } from 'vitest';
import { sqs } from '#aws/sqs-client.js';
import { FINAL_STATUSES } from '#contract/execution-types.js';
import type { LanguageId } from '#contract/languages.js';
import { queueUrlFor } from '#aws/runners/run-queue.js';
import { getExecution, type ExecutionItem } from '#aws/store/executions.js';
import type { ServerMessage, SessionAccess, WsClient } from './clients.js';
import { call, createSession, type NewSession, type Res } from './http.js';

export const EXECUTION_EVENTS = ['execution-queued', 'execution-started', 'execution-output', 'execution-finished'];

export const isFinal = (status: string) => (FINAL_STATUSES as readonly string[]).includes(status);

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function accessOf(session: NewSession, token = session.interviewerToken): SessionAccess {
  return { httpUrl: inject('httpUrl'), wsUrl: inject('wsUrl'), sessionId: session.sessionId, token };
}

export async function newSession(language = 'python'): Promise<NewSession> {
  return createSession({ language });
}

export interface RunBody {
  language?: string;
  code?: string;
  stdin?: string;
}

/** POST /executions; `key` becomes the Idempotency-Key header. */
export function postRun(session: NewSession, body: RunBody, opts: { token?: string; key?: string } = {}): Promise<Res> {
  return call('POST', `/api/sessions/${session.sessionId}/executions`, {
    token: opts.token ?? session.interviewerToken,
    body,
    ...(opts.key ? { headers: { 'idempotency-key': opts.key } } : {}),
  });
}

/** POST /executions expecting 202; returns the execution id. */
export async function submitRun(session: NewSession, body: RunBody, opts: { token?: string; key?: string } = {}): Promise<string> {
  const res = await postRun(session, body, opts);
  if (res.status !== 202) throw new Error(`POST /executions -> ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.executionId as string;
}

export async function getExecutionOverHttp(session: NewSession, executionId: string): Promise<Res> {
  return call('GET', `/api/sessions/${session.sessionId}/executions/${executionId}`, { token: session.interviewerToken });
}

export async function listExecutionsOverHttp(session: NewSession): Promise<any[]> {
  const res = await call('GET', `/api/sessions/${session.sessionId}/executions`, { token: session.interviewerToken });
  if (res.status !== 200) throw new Error(`GET /executions -> ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.executions;
}

/** Polls GET /executions/{id} until the execution reaches a final status. */
export async function waitForFinal(session: NewSession, executionId: string, timeoutMs = 30_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const res = await getExecutionOverHttp(session, executionId);
    last = res.body;
    if (res.status === 200 && isFinal(res.body.status)) return res.body;
    await sleep(100);
  }
  throw new Error(`execution ${executionId} not final within ${timeoutMs} ms; last seen ${JSON.stringify(last)}`);
}

/** Every execution event a socket received for one execution, in arrival order. */
export const eventsFor = (ws: WsClient, executionId: string): ServerMessage[] =>
  ws.log.filter((m) => EXECUTION_EVENTS.includes(m.type) && m.executionId === executionId);

export const finishedOn = (ws: WsClient, executionId: string, timeoutMs = 30_000) =>
  ws.take('execution-finished', (m) => m.executionId === executionId, timeoutMs);

/** The stored execution item, bookkeeping included (attempts, claimedBy, watchDeadline). */
export async function rawExecution(sessionId: string, executionId: string): Promise<ExecutionItem> {
  const item = await getExecution(sessionId, executionId);
  if (!item) throw new Error(`execution ${executionId} is not stored`);
  return item;
}

/**
 * The pid of the runner process holding an execution's claim (runner/worker.ts names workers
 * `<host>-<pid>-<hex>`), checked to be a runner of this stack: other engineers' stacks run runner
 * processes on the same machine, and they must not be touched.
 */
export function claimingRunnerPid(item: ExecutionItem): number {
  const pid = Number(/-(\d+)-[0-9a-f]+$/.exec(item.claimedBy ?? '')?.[1]);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no runner pid in claimedBy ${item.claimedBy}`);
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  const ownQueue = JSON.parse(process.env.RUN_QUEUE_URLS ?? '{}')[item.language];
  if (!cmdline.includes('runner/main.ts') || !environ.includes(`RUN_QUEUE_URL=${ownQueue}`)) {
    throw new Error(`pid ${pid} is not a ${item.language} runner of this stack`);
  }
  return pid;
}

/** Messages in a language's run queue, visible or in flight (received, not yet deleted). */
export async function queueDepth(language: LanguageId): Promise<{ visible: number; inFlight: number }> {
  const { Attributes = {} } = await sqs().send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrlFor(language), AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return { visible: Number(Attributes.ApproximateNumberOfMessages), inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible) };
}

/** Waits until every message of the queue was deleted (each delivery handled to its end). */
export async function queueDrained(language: LanguageId, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const depth = await queueDepth(language);
    if (depth.visible + depth.inFlight === 0) return;
    if (Date.now() > deadline) throw new Error(`run-${language} still holds ${JSON.stringify(depth)} after ${timeoutMs} ms`);
    await sleep(250);
  }
}
