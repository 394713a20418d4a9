/**
 * Fixed-window rate limiting with state in DynamoDB (not memory: Lambdas do not share it). One
 * conditional increment per request: it either counts the request or fails because the window is full.
 * A fixed window admits at most 2×limit in any sliding window of the same length: the accepted bound.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#aws/clients.js';
import { errors } from '#contract/errors.js';
import { keys } from '#aws/table.js';
import { isConditionFailure, table } from './items.js';
import { epochSeconds } from '#contract/limits.js';

export async function consumeRateLimit(
  scope: string,
  who: string,
  limit: number,
  windowSeconds: number,
  nowMs: number = Date.now(),
): Promise<void> {
  const nowSec = epochSeconds(nowMs);
  const window = nowSec - (nowSec % windowSeconds);
  try {
    await dynamo().send(
      new UpdateCommand({
        TableName: table(),
        Key: keys.rateLimit(scope, who, window),
        UpdateExpression: 'ADD #count :one SET #ttl = if_not_exists(#ttl, :ttl)',
        ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
        ExpressionAttributeNames: { '#count': 'count', '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':one': 1, ':limit': limit, ':ttl': window + windowSeconds * 2 },
      }),
    );
  } catch (err) {
    if (isConditionFailure(err)) throw errors.rateLimited(window + windowSeconds - nowSec);
    throw err;
  }
}
