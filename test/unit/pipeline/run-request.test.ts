import {
  call,
  CANDIDATE_TOKEN,
  commandNames,
  connectionItem,
  ddb,
  docItems,
  endedSession,
  EXECUTION_ID,
  executionItem,
  givenConnections,
  givenDocument,
  givenRunners,
  givenSession,
  INTERVIEWER_TOKEN,
  launchRequests,
  runMessages,
  pushed,
  runnerItem,
  sent,
  sessionItem,
  SESSION_ID,
  sqsMock,
  transactItems,
  useMockedDynamo,
  writes,
  conditionFailed,
} from '../fixtures.js';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../../functions/http/executions.js';
import { runQueueUrl, useFunctionEnv } from '../env.js';

// The handler under test is the executions route's function: its environment, as the stack sets it.
useFunctionEnv('http-executions');
const PYTHON_QUEUE = runQueueUrl('python');
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

const run = (body: unknown = {}, headers: Record<string, string> = {}, token = CANDIDATE_TOKEN) =>
  call(handler, { routeKey: 'POST /api/sessions/{sessionId}/executions', sessionId: SESSION_ID, token, body, headers });
const queued = runMessages;

function givenLiveSession(): void {
  givenSession();
  givenDocument(docItems('print(input())\n'));
  givenConnections([connectionItem('ann-1', { joined: true, userId: 'ann' }), connectionItem('lurker-1')]);
  givenRunners([runnerItem('r-1')]);
}

describe('POST /api/sessions/{sessionId}/executions', () => {
  useMockedDynamo();

  it('stores the run QUEUED, queues one message, tells the session, then answers 202: 6 DynamoDB calls, 1 SQS message', async () => {
    givenLiveSession();
    const res = await run({ stdin: '42\n' });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ executionId: expect.stringMatching(ULID), status: 'QUEUED' });
    const { executionId } = res.body;

    expect(commandNames()).toEqual(['GetCommand', 'UpdateCommand', 'QueryCommand', 'TransactWriteCommand', 'QueryCommand', 'QueryCommand']);
    expect(sent(UpdateCommand)[0]).toMatchObject({
      Key: { PK: `RL#run#${SESSION_ID}:candidate`, SK: expect.stringMatching(/^W#\d+$/) },
      ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
      ExpressionAttributeValues: expect.objectContaining({ ':limit': 10 }),
    });
    const [execution, history] = transactItems();
    expect(execution?.Put).toMatchObject({
      ConditionExpression: 'attribute_not_exists(SK)',
      Item: { PK: `S#${SESSION_ID}`, SK: `X#${executionId}`, status: 'QUEUED', language: 'python', code: 'print(input())\n', stdin: '42\n', userId: 'candidate', watchPk: 'WATCH' },
    });
    expect(history?.Put?.Item).toMatchObject({ type: 'execution-queued', detail: { executionId, language: 'python' } });
    expect(transactItems()).toHaveLength(2); // no idempotency record without a key

    expect(queued()).toEqual([{ QueueUrl: PYTHON_QUEUE, MessageBody: JSON.stringify({ sessionId: SESSION_ID, executionId }) }]);
    expect(pushed()).toEqual([{ connectionId: 'ann-1', message: { type: 'execution-queued', executionId, language: 'python', userId: 'candidate' } }]);
    expect(launchRequests()).toEqual([]); // a runner is warm
  });

  it('runs the given code and language, and launches a runner when none is alive', async () => {
    givenSession();
    const res = await run({ language: 'go', code: 'package main\nfunc main() {}\n' }, {}, INTERVIEWER_TOKEN);
    expect(res.status).toBe(202);
    expect(transactItems()[0]?.Put?.Item).toMatchObject({ language: 'go', code: 'package main\nfunc main() {}\n', userId: 'interviewer' });
    expect(queued()[0]?.QueueUrl).toBe(runQueueUrl('go'));
    expect(launchRequests()).toEqual([{ language: 'go', count: 1 }]);
  });

  it.each([
    ['an unsupported language', { language: 'cobol' }, {}, 400, 'UNSUPPORTED_LANGUAGE'],
    ['code over 100 KiB', { code: 'x'.repeat(100 * 1024 + 1) }, {}, 413, 'PAYLOAD_TOO_LARGE'],
    ['stdin over 64 KiB', { stdin: 'é'.repeat(32 * 1024 + 1) }, {}, 413, 'PAYLOAD_TOO_LARGE'],
    ['a malformed Idempotency-Key', {}, { 'idempotency-key': 'has spaces/and slashes' }, 400, 'VALIDATION_ERROR'],
    ['an unknown body field', { timeoutMs: 1 }, {}, 400, 'VALIDATION_ERROR'],
  ])('refuses %s, storing and queueing nothing', async (_, body, headers, status, code) => {
    givenLiveSession();
    const res = await run(body, headers);
    expect(res.status).toBe(status);
    expect(res.body.error).toBe(code);
    expect(writes()).toEqual([]);
    expect(queued()).toEqual([]);
  });

  it('refuses an ended session with 410 and a missing token with 401', async () => {
    givenSession(endedSession());
    expect((await run()).status).toBe(410);
    expect((await run({}, {}, '')).status).toBe(401);
    expect(writes()).toEqual([]);
  });

  it('answers 429 RATE_LIMIT_EXCEEDED with Retry-After once the user used 10 runs this minute', async () => {
    givenLiveSession();
    ddb.on(UpdateCommand).rejects(conditionFailed());
    const res = await run();
    expect(res.status).toBe(429);
    expect(res.body.error).toBe('RATE_LIMIT_EXCEEDED');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(commandNames()).toEqual(['GetCommand', 'UpdateCommand']);
    expect(queued()).toEqual([]);
  });

  it('ends the run SYSTEM_ERROR, tells the session and answers 500 INTERNAL_ERROR when the queue is unreachable', async () => {
    givenLiveSession();
    sqsMock.on(SendMessageCommand).rejects(new Error('getaddrinfo ENOTFOUND sqs.eu-west-1.amazonaws.com'));
    // failExecution's conditional update answers the execution as it now is (ReturnValues ALL_NEW).
    ddb.on(UpdateCommand).callsFake((input: { Key: { SK: string } }) =>
      input.Key.SK.startsWith('X#')
        ? { Attributes: executionItem({ executionId: input.Key.SK.slice(2), status: 'SYSTEM_ERROR', stderr: '[system] the run queue could not be reached' }) }
        : {},
    );
    const res = await run();
    expect(res.status).toBe(500);
    expect(res.body.error).toBe('INTERNAL_ERROR');
    expect(res.raw).not.toMatch(/ENOTFOUND/);

    const executionId = transactItems()[0]!.Put!.Item!.executionId;
    const fail = sent(UpdateCommand).find((u) => u.Key?.SK === `X#${executionId}`);
    expect(fail).toMatchObject({
      ConditionExpression: '#status IN (:queued, :running)',
      ExpressionAttributeValues: expect.objectContaining({ ':sys': 'SYSTEM_ERROR' }),
    });
    // queued is told before the send (so started can never overtake it), then the failure.
    expect(pushed()).toEqual([
      { connectionId: 'ann-1', message: expect.objectContaining({ type: 'execution-queued', executionId }) },
      { connectionId: 'ann-1', message: expect.objectContaining({ type: 'execution-finished', executionId, status: 'SYSTEM_ERROR' }) },
    ]);
  });
});

describe('GET /api/sessions/{sessionId}/executions[/{executionId}]', () => {
  useMockedDynamo();

  const getOne = (executionId: string) =>
    call(handler, { routeKey: 'GET /api/sessions/{sessionId}/executions/{executionId}', sessionId: SESSION_ID, executionId, token: CANDIDATE_TOKEN });

  it('answers one execution as the public object (no code, no stdin, no bookkeeping)', async () => {
    givenSession();
    ddb.on(GetCommand, { Key: { PK: `S#${SESSION_ID}`, SK: `X#${EXECUTION_ID}` } }).resolves({
      Item: executionItem({ status: 'COMPLETED', stdout: 'hi\n', exitCode: 0, durationMs: 31, claimedBy: 'w-1', startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:01.000Z' }),
    });
    const res = await getOne(EXECUTION_ID);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      executionId: EXECUTION_ID,
      sessionId: SESSION_ID,
      status: 'COMPLETED',
      language: 'python',
      userId: 'candidate',
      stdout: 'hi\n',
      stderr: '',
      compileOutput: '',
      exitCode: 0,
      signal: null,
      durationMs: 31,
      truncated: { stdout: false, stderr: false },
      createdAt: expect.any(String),
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:00:01.000Z',
    });
  });

  it('answers 404 NOT_FOUND for an unknown id, and for a malformed one without reading it', async () => {
    givenSession();
    const unknown = await getOne('01JZZZZZZZZZZZZZZZZZZZZZZZ');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe('NOT_FOUND');
    const reads = sent(GetCommand).length;
    const malformed = await getOne('X#../../META');
    expect(malformed.status).toBe(404);
    expect(malformed.body.error).toBe('NOT_FOUND');
    expect(sent(GetCommand)).toHaveLength(reads + 1); // the session only
  });

  it('lists the session executions newest first', async () => {
    givenSession();
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':pk': `S#${SESSION_ID}`, ':x': 'X#' } }).resolves({
      Items: [executionItem({ executionId: '01JB0000000000000000000002' }), executionItem({ executionId: '01JB0000000000000000000001' })],
    });
    const res = await call(handler, { routeKey: 'GET /api/sessions/{sessionId}/executions', sessionId: SESSION_ID, token: CANDIDATE_TOKEN });
    expect(res.status).toBe(200);
    expect(res.body.executions.map((e: { executionId: string }) => e.executionId)).toEqual(['01JB0000000000000000000002', '01JB0000000000000000000001']);
    expect(res.body.executions[0]).not.toHaveProperty('code');
    // Consistent: the run was written by POST /executions (another invocation) a moment before.
    expect(sent(QueryCommand)[0]).toMatchObject({ ScanIndexForward: false, ConsistentRead: true });
  });
});
