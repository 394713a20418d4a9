import {
  conditionFailed,
  connectionItem,
  ddb,
  executionItem,
  givenConnections,
  pushed,
  sent,
  SESSION_ID,
  sqsEvent,
  useMockedDynamo,
  writes,
} from '../fixtures.js';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { handler } from '../../../functions/pipeline/dead-letter.js';
import { logger } from '#telemetry/log.js';

const ID_A = '01JA0000000000000000000001';
const ID_B = '01JA0000000000000000000002';
const ID_C = '01JA0000000000000000000003';
const body = (executionId: string) => JSON.stringify({ sessionId: SESSION_ID, executionId });

/** failExecution's update answers the execution as it became (ReturnValues ALL_NEW). */
function givenFailable(executionId: string, outcome: 'fails' | 'already-final' | 'store-error' = 'fails'): void {
  const on = ddb.on(UpdateCommand, { Key: { PK: `S#${SESSION_ID}`, SK: `X#${executionId}` } });
  if (outcome === 'already-final') on.rejects(conditionFailed());
  else if (outcome === 'store-error') on.rejects(new Error('ServiceUnavailable'));
  else on.resolves({ Attributes: executionItem({ executionId, status: 'SYSTEM_ERROR', stderr: '[system] dead-lettered', watchPk: undefined }) });
}

describe('dead-letter handler (the shared DLQ of the run queues and the launch queue)', () => {
  useMockedDynamo();

  it('ends a dead-lettered execution SYSTEM_ERROR and pushes execution-finished to the joined users', async () => {
    givenFailable(ID_A);
    givenConnections([connectionItem('ann-1', { joined: true, userId: 'ann' }), connectionItem('lurker-1')]);
    expect(await handler(sqsEvent(body(ID_A)))).toEqual({ batchItemFailures: [] });
    expect(sent(UpdateCommand)).toEqual([
      expect.objectContaining({
        Key: { PK: `S#${SESSION_ID}`, SK: `X#${ID_A}` },
        ConditionExpression: '#status IN (:queued, :running)',
        UpdateExpression: expect.stringContaining('REMOVE watchPk, watchDeadline'),
        ExpressionAttributeValues: expect.objectContaining({ ':sys': 'SYSTEM_ERROR', ':reason': expect.stringMatching(/^\[system\] .*dead-lettered/) }),
      }),
    ]);
    expect(pushed()).toEqual([
      { connectionId: 'ann-1', message: expect.objectContaining({ type: 'execution-finished', executionId: ID_A, status: 'SYSTEM_ERROR' }) },
    ]);
    expect(pushed()[0]!.message).not.toHaveProperty('code'); // the public execution object only
  });

  it('leaves an execution that already finished alone (it ran after all): nothing pushed, not a failure', async () => {
    givenFailable(ID_A, 'already-final');
    givenConnections([connectionItem('ann-1', { joined: true, userId: 'ann' })]);
    expect(await handler(sqsEvent(body(ID_A)))).toEqual({ batchItemFailures: [] });
    expect(pushed()).toEqual([]);
  });

  it('reports only the record whose processing threw; drops an unreadable body; processes the rest', async () => {
    givenFailable(ID_A);
    givenFailable(ID_B, 'store-error');
    givenFailable(ID_C);
    givenConnections([connectionItem('ann-1', { joined: true, userId: 'ann' })]);
    const event = sqsEvent(body(ID_A), body(ID_B), 'not json at all', JSON.stringify({ sessionId: 'nope', executionId: ID_C }), body(ID_C));
    const res = await handler(event);

    expect(res).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-2' }] });
    expect(sent(UpdateCommand).map((u) => u.Key?.SK)).toEqual([`X#${ID_A}`, `X#${ID_B}`, `X#${ID_C}`]); // the unreadable ones touched nothing
    expect(pushed().map((p) => p.message.executionId)).toEqual([ID_A, ID_C]);
  });

  it('reports the whole batch failed when every record threw (SQS retries it)', async () => {
    givenFailable(ID_A, 'store-error');
    await expect(handler(sqsEvent(body(ID_A)))).rejects.toThrow();
    expect(writes()).toEqual(['UpdateCommand']);
  });

  it('logs a dead-lettered launch request as an error naming the language, touching no execution', async () => {
    const error = vi.spyOn(logger, 'error');
    try {
      expect(await handler(sqsEvent(JSON.stringify({ language: 'rust', count: 1 })))).toEqual({ batchItemFailures: [] });
      expect(writes()).toEqual([]);
      expect(pushed()).toEqual([]);
      expect(error).toHaveBeenCalledWith(expect.stringMatching(/launch dead-lettered/), expect.objectContaining({ language: 'rust', count: 1 }));
    } finally {
      error.mockRestore();
    }
  });
});
