import {
  commandNames,
  conditionFailed,
  connectionItem,
  ddb,
  docItems,
  endedSession,
  givenConnections,
  givenDocument,
  givenRunners,
  givenSender,
  givenSession,
  pushed,
  runMessages,
  pushedTo,
  runnerItem,
  SESSION_ID,
  sqsMock,
  transactItems,
  useMockedDynamo,
  writes,
} from '../fixtures.js';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { newConnectionId, send } from './events.js';
import { runQueueUrl } from '../env.js';

function givenRoom(me: string, joined = true): void {
  givenSession();
  givenSender(me);
  givenConnections([
    connectionItem('ann-1', { joined: true, userId: 'ann', role: 'interviewer' }),
    connectionItem('lurker-1'),
    connectionItem(me, joined ? { joined: true, userId: 'carla' } : {}),
  ]);
  givenDocument(docItems('print(input()[::-1])\n'));
  givenRunners([runnerItem('r-1')]);
}

const queued = runMessages;

describe('run-code', () => {
  useMockedDynamo();

  it('queues the current document and tells everyone, the sender included, execution-queued', async () => {
    const me = newConnectionId('runner');
    givenRoom(me);
    expect(await send(me, { action: 'run-code', stdin: 'abc\n' })).toEqual({ statusCode: 200 });

    const item = transactItems()[0]!.Put!.Item!;
    expect(item).toMatchObject({ status: 'QUEUED', language: 'python', code: 'print(input()[::-1])\n', stdin: 'abc\n', userId: 'carla' });
    expect(queued()).toEqual([
      { QueueUrl: runQueueUrl('python'), MessageBody: JSON.stringify({ sessionId: SESSION_ID, executionId: item.executionId }) },
    ]);
    const message = { type: 'execution-queued', executionId: item.executionId, language: 'python', userId: 'carla' };
    expect(pushed()).toEqual([
      { connectionId: 'ann-1', message },
      { connectionId: me, message },
    ]);
    // Sender lookup, session + connections (read once, reused for the fan-out), code, the resend key,
    // rate limit, insert, runners.
    expect(commandNames()).toEqual([
      'GetCommand',
      'GetCommand',
      'QueryCommand',
      'QueryCommand',
      'GetCommand',
      'UpdateCommand',
      'TransactWriteCommand',
      'QueryCommand',
    ]);
  });

  it('runs in another language when asked', async () => {
    const me = newConnectionId('go');
    givenRoom(me);
    await send(me, { action: 'run-code', language: 'go' });
    expect(queued()[0]?.QueueUrl).toBe(runQueueUrl('go'));
  });

  it.each([
    ['before join-session', { action: 'run-code' }, false, 'NOT_JOINED'],
    ['an unsupported language', { action: 'run-code', language: 'cobol' }, true, 'UNSUPPORTED_LANGUAGE'],
    ['stdin over 64 KiB', { action: 'run-code', stdin: 'x'.repeat(64 * 1024 + 1) }, true, 'PAYLOAD_TOO_LARGE'],
  ])('answers %s with an error and queues nothing', async (_, body, joined, code) => {
    const me = newConnectionId('bad');
    givenRoom(me, joined);
    await send(me, body);
    expect(pushed()).toEqual([{ connectionId: me, message: expect.objectContaining({ type: 'error', code, action: 'run-code' }) }]);
    expect(writes()).toEqual([]);
    expect(queued()).toEqual([]);
  });

  it('answers SESSION_EXPIRED on an ended session', async () => {
    const me = newConnectionId('late');
    givenRoom(me);
    givenSession(endedSession());
    await send(me, { action: 'run-code' });
    expect(pushedTo(me)).toEqual([expect.objectContaining({ type: 'error', code: 'SESSION_EXPIRED' })]);
    expect(queued()).toEqual([]);
  });

  it('answers RATE_LIMIT_EXCEEDED after 10 runs a minute, storing and queueing nothing', async () => {
    const me = newConnectionId('eager');
    givenRoom(me);
    ddb.on(UpdateCommand).rejects(conditionFailed());
    await send(me, { action: 'run-code' });
    expect(pushedTo(me)).toEqual([
      expect.objectContaining({ type: 'error', code: 'RATE_LIMIT_EXCEEDED', details: { retryAfterSeconds: expect.any(Number) } }),
    ]);
    expect(writes()).toEqual(['UpdateCommand']);
    expect(queued()).toEqual([]);
  });

  it('answers INTERNAL_ERROR to the sender and execution-finished SYSTEM_ERROR to everyone when the queue is down', async () => {
    const me = newConnectionId('down');
    givenRoom(me);
    sqsMock.on(SendMessageCommand).rejects(new Error('ENOTFOUND'));
    ddb.on(UpdateCommand).callsFake((input: { Key: { SK: string } }) =>
      input.Key.SK.startsWith('X#') ? { Attributes: { ...transactItems()[0]!.Put!.Item!, status: 'SYSTEM_ERROR' } } : {},
    );
    await send(me, { action: 'run-code' });
    const executionId = transactItems()[0]!.Put!.Item!.executionId;
    expect(pushedTo('ann-1')).toEqual([
      expect.objectContaining({ type: 'execution-queued', executionId }),
      expect.objectContaining({ type: 'execution-finished', executionId, status: 'SYSTEM_ERROR' }),
    ]);
    expect(pushedTo(me)).toEqual([
      expect.objectContaining({ type: 'execution-queued', executionId }),
      expect.objectContaining({ type: 'execution-finished', executionId, status: 'SYSTEM_ERROR' }),
      expect.objectContaining({ type: 'error', code: 'INTERNAL_ERROR', action: 'run-code', details: { executionId, status: 'SYSTEM_ERROR' } }),
    ]);
  });

  it('a run-code resent while its run is pending gets that run (only the sender is told again); once final, the same request runs again', async () => {
    const me = newConnectionId('resend');
    givenRoom(me);
    await send(me, { action: 'run-code', stdin: 'abc\n' });
    const [first, idempotency] = transactItems().map((t) => t.Put!);
    const execution = first!.Item!;
    // The run and its resend key as the insert stored them, read back by the resend.
    expect(idempotency!.Item).toMatchObject({ SK: expect.stringMatching(/^I#candidate:resend:/), executionId: execution.executionId });
    ddb.on(GetCommand, { Key: { PK: idempotency!.Item!.PK, SK: idempotency!.Item!.SK } }).resolves({ Item: idempotency!.Item });
    const stored = { ...execution };
    ddb.on(GetCommand, { Key: { PK: execution.PK, SK: execution.SK } }).callsFake(() => ({ Item: stored }));

    await send(me, { action: 'run-code', stdin: 'abc\n' }); // no answer seen within 10 s: resent
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1); // no second run stored
    const again = { type: 'execution-queued', executionId: execution.executionId, language: 'python', userId: 'carla' };
    expect(pushedTo('ann-1')).toEqual([again]);
    expect(pushedTo(me)).toEqual([again, again]);
    expect(queued().map((m) => m.MessageBody)).toEqual([0, 1].map(() => JSON.stringify({ sessionId: SESSION_ID, executionId: execution.executionId })));

    stored.status = 'COMPLETED';
    await send(me, { action: 'run-code', stdin: 'abc\n' });
    const ids = ddb.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems![0]!.Put!.Item!.executionId);
    expect(ids).toHaveLength(2);
    expect(ids[1]).not.toBe(execution.executionId);
    const takeover = ddb.commandCalls(TransactWriteCommand)[1]!.args[0].input.TransactItems![1]!.Put!;
    expect(takeover).toMatchObject({ ConditionExpression: 'attribute_not_exists(SK) OR executionId = :replacing', ExpressionAttributeValues: { ':replacing': execution.executionId } });
  });
});
