/** Metric lines of the dead-letter and watchdog functions (issue 11), parsed from stdout. */
import { conditionFailed, ddb, executionItem, SESSION_ID, sqsEvent, useMockedDynamo } from '../fixtures.js';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler as deadLetter } from '../../../functions/pipeline/dead-letter.js';
import { handler as watchdog } from '../../../functions/pipeline/watchdog.js';
import { captureMetrics, emitted, expectNoneCarries, summary } from './capture.js';

const EXEC = '01JA0000000000000000000001';

describe('dead-letter metrics', () => {
  useMockedDynamo();
  captureMetrics();

  it('a run: DeadLettered{run} and, when it ends the execution, RunsFinished{SYSTEM_ERROR, language}', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: executionItem({ executionId: EXEC, status: 'SYSTEM_ERROR', language: 'python' }) });
    await deadLetter(sqsEvent(JSON.stringify({ sessionId: SESSION_ID, executionId: EXEC })));
    expect(summary()).toEqual(['DeadLettered{Kind=run}=1', 'RunsFinished{Status=SYSTEM_ERROR,Language=python}=1']);
    // Total, by status, by status and language: the alarm reads the first two.
    expect(emitted()[1]!.sets.map((s) => Object.keys(s).sort().join(','))).toEqual(['service', 'Status,service', 'Language,Status,service']);
    expectNoneCarries(SESSION_ID, EXEC);
  });

  it('a run already final: DeadLettered only; a launch request: DeadLettered{launch}; garbage: DeadLettered{unreadable}', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    await deadLetter(sqsEvent(JSON.stringify({ sessionId: SESSION_ID, executionId: EXEC }), JSON.stringify({ language: 'go', count: 1 }), '???'));
    expect(summary()).toEqual(['DeadLettered{Kind=run}=1', 'DeadLettered{Kind=launch}=1', 'DeadLettered{Kind=unreadable}=1']);
  });
});

describe('watchdog gauges', () => {
  useMockedDynamo();
  captureMetrics();

  const live = (items: Record<string, unknown>[]) =>
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'LIVE' } }).resolves({ Items: items });

  it('ActiveSessions and ConnectedUsers from one Query of the LIVE partition (not a Scan), ids never emitted', async () => {
    const ttl = Math.floor(Date.now() / 1000) + 3600;
    live([
      { PK: 'LIVE', SK: 'C#a', sessionId: 's-1', ttl },
      { PK: 'LIVE', SK: 'C#b', sessionId: 's-1', ttl },
      { PK: 'LIVE', SK: 'C#c', sessionId: 's-2', ttl },
      { PK: 'LIVE', SK: 'C#d', sessionId: 's-3', ttl: ttl - 7200 }, // its $disconnect never came: past its TTL
    ]);
    await watchdog();
    expect(summary()).toEqual(['ActiveSessions=2', 'ConnectedUsers=3']);
    const reads = ddb.calls().map((c) => c.args[0].input as Record<string, any>).filter((i) => i.ExpressionAttributeValues?.[':pk'] === 'LIVE');
    expect(reads).toHaveLength(1);
    expect(ddb.calls().map((c) => c.args[0].constructor.name)).not.toContain('ScanCommand');
    expectNoneCarries('s-1', 's-2', 'C#a');
  });

  it('emits nothing while idle (no metric, no cost), and a failed read does not stop the tick', async () => {
    live([]);
    expect(await watchdog()).toEqual({ ended: 0, nudged: 0 });
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'LIVE' } }).rejects(new Error('throttled'));
    expect(await watchdog()).toEqual({ ended: 0, nudged: 0 });
    expect(emitted()).toEqual([]);
  });
});
