/**
 * Operator API key items (docs/protocol.md §2): one item per key in the `APIKEYS` partition, keyed by the SHA-256 of
 * the key, so authenticating a request is one GetItem and listing the keys one Query. The key itself is
 * never stored. A revoked key stays listed (with `revokedAt`) until its TTL removes it.
 */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#aws/clients.js';
import { isLive, keys } from '#aws/table.js';
import { isConditionFailure, queryAll, table } from './items.js';
import type { ApiKeyItem } from '#core/records.js';
import { epochSeconds } from '#contract/limits.js';

/** How long a revoked key stays listed before TTL deletes it. */
const REVOKED_RETENTION_SECONDS = 90 * 24 * 3600;

export async function putApiKey(item: ApiKeyItem): Promise<void> {
  await dynamo().send(
    new PutCommand({
      TableName: table(),
      Item: { ...keys.apiKey(item.keyHash), ...item },
      // Never overwrite a key item: a revoked key must not come back by being written again.
      ConditionExpression: 'attribute_not_exists(PK)',
    }),
  );
}

/**
 * The key with this hash, whether revoked or not; undefined when unknown. Consistent read: a key revoked
 * a moment ago must stop working now, not after DynamoDB's replication delay.
 */
export async function getApiKey(keyHash: string): Promise<ApiKeyItem | undefined> {
  const out = await dynamo().send(new GetCommand({ TableName: table(), Key: keys.apiKey(keyHash), ConsistentRead: true }));
  return isLive(out.Item) ? (out.Item as ApiKeyItem) : undefined;
}

/** Every key, oldest first (a deployment has few operators: one partition, one paged Query). */
export async function listApiKeys(): Promise<ApiKeyItem[]> {
  const items = await queryAll<Record<string, unknown>>({
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :k)',
    ExpressionAttributeValues: { ':pk': keys.apiKeysPk, ':k': 'K#' },
    ConsistentRead: true,
  });
  return items
    .map(({ PK: _pk, SK: _sk, ...item }) => item as unknown as ApiKeyItem)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/**
 * Marks a key revoked. Returns the item as it is now, `'already'` when it was revoked before, or undefined
 * when no key has this id.
 */
export async function revokeApiKey(keyId: string, nowMs: number = Date.now()): Promise<ApiKeyItem | 'already' | undefined> {
  const item = (await listApiKeys()).find((k) => k.keyId === keyId);
  if (!item) return undefined;
  if (item.revokedAt) return 'already';
  const revokedAt = new Date(nowMs).toISOString();
  try {
    await dynamo().send(
      new UpdateCommand({
        TableName: table(),
        Key: keys.apiKey(item.keyHash),
        UpdateExpression: 'SET revokedAt = :at, #ttl = :ttl',
        ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(revokedAt)',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':at': revokedAt, ':ttl': epochSeconds(nowMs) + REVOKED_RETENTION_SECONDS },
      }),
    );
  } catch (err) {
    if (isConditionFailure(err)) return 'already';
    throw err;
  }
  return { ...item, revokedAt };
}

/** Deletes a key item outright (the local stack's previous INTERVIEW_API_KEY). */
export async function deleteApiKey(keyHash: string): Promise<void> {
  await dynamo().send(new DeleteCommand({ TableName: table(), Key: keys.apiKey(keyHash) }));
}
