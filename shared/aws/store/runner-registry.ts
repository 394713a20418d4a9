/**
 * Which runners are alive, per language: each runner heartbeats an item `RUNNERS#<language>/<runnerId>`
 * and deletes it on exit. A launch lease (`LEASE#<language>`) taken with a conditional write makes
 * concurrent requests start one runner, not one each.
 */
import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#aws/clients.js';
import { LIMITS, epochSeconds } from '#contract/limits.js';
import { keys } from '#aws/table.js';
import { isConditionFailure, table } from './items.js';

export interface RunnerRecord {
  runnerId: string;
  language: string;
  slots: number;
  busy: number;
  heartbeatAt: number;
}

export async function heartbeat(record: RunnerRecord): Promise<void> {
  await dynamo().send(
    new PutCommand({
      TableName: table(),
      Item: { ...keys.runner(record.language, record.runnerId), ...record, ttl: epochSeconds(record.heartbeatAt) + 3600 },
    }),
  );
}

export async function deregister(language: string, runnerId: string): Promise<void> {
  await dynamo().send(new DeleteCommand({ TableName: table(), Key: keys.runner(language, runnerId) }));
}

/**
 * Runners of a language whose heartbeat is recent. Consistent: the heartbeats were written by other
 * processes, and an eventually consistent read may miss a runner that just registered (one launch too many).
 */
export async function liveRunners(language: string, nowMs: number = Date.now()): Promise<RunnerRecord[]> {
  const out = await dynamo().send(
    new QueryCommand({
      TableName: table(),
      KeyConditionExpression: 'PK = :pk',
      FilterExpression: 'heartbeatAt > :fresh',
      ExpressionAttributeValues: { ':pk': keys.runnersPk(language), ':fresh': nowMs - LIMITS.execution.runnerStaleMs },
      ConsistentRead: true,
    }),
  );
  return (out.Items ?? []) as RunnerRecord[];
}

/**
 * Takes the launch lease for a language unless a launch happened within launchLeaseMs. True: the
 * caller may start runners now; false: another request just did (its runners are still booting).
 */
export async function takeLaunchLease(language: string, nowMs: number = Date.now()): Promise<boolean> {
  try {
    await dynamo().send(
      new PutCommand({
        TableName: table(),
        Item: { ...keys.lease(language), launchedAt: nowMs, ttl: epochSeconds(nowMs) + 3600 },
        ConditionExpression: 'attribute_not_exists(PK) OR launchedAt < :cutoff',
        ExpressionAttributeValues: { ':cutoff': nowMs - LIMITS.execution.launchLeaseMs },
      }),
    );
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
}

/**
 * Gives the lease back after a launch that failed (no launch request queued, RunTask refused, or the
 * deployment-wide cap left no room), so the next request or watchdog tick tries again at once instead of
 * being told "booting" for launchLeaseMs. Only the lease this caller took (same launchedAt) is removed.
 */
export async function releaseLaunchLease(language: string, launchedAt: number): Promise<void> {
  try {
    await dynamo().send(
      new DeleteCommand({
        TableName: table(),
        Key: keys.lease(language),
        ConditionExpression: 'launchedAt = :at',
        ExpressionAttributeValues: { ':at': launchedAt },
      }),
    );
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
  }
}

/** Drops the lease of a language whoever took it: the launcher found no room under the cap. */
export async function clearLaunchLease(language: string): Promise<void> {
  await dynamo().send(new DeleteCommand({ TableName: table(), Key: keys.lease(language) }));
}
