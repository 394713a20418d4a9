/**
 * Review links (docs/protocol.md §10): one item per link in the session's partition (`R#<linkId>`), holding the
 * SHA-256 of its token (never the token), its expiry and, once revoked, `revokedAt`. The items live as
 * long as the session's data (its `ttl`): a link never outlives what it gives access to.
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#aws/clients.js';
import { isLive, keys } from '#aws/table.js';
import { isConditionFailure, queryAll, table } from './items.js';
import type { ReviewLinkItem } from '#core/records.js';

/**
 * Stores a new link (its id is fresh, so the item cannot exist). When the SDK retries a put whose first
 * response was lost, the retry finds the item the first attempt wrote: that is our own write (same
 * token hash), not a collision, and the link was created.
 */
export async function putReviewLink(link: ReviewLinkItem): Promise<void> {
  const key = keys.reviewLink(link.sessionId, link.linkId);
  try {
    await dynamo().send(new PutCommand({ TableName: table(), Item: { ...key, ...link }, ConditionExpression: 'attribute_not_exists(SK)' }));
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
    const stored = await dynamo().send(new GetCommand({ TableName: table(), Key: key, ConsistentRead: true }));
    if ((stored.Item as ReviewLinkItem | undefined)?.tokenHash !== link.tokenHash) throw err;
  }
}

/**
 * One link (strongly consistent: a revocation must take effect on the next request, whichever
 * container serves it). Undefined when absent or past the session's retention.
 */
export async function getReviewLink(sessionId: string, linkId: string): Promise<ReviewLinkItem | undefined> {
  const out = await dynamo().send(new GetCommand({ TableName: table(), Key: keys.reviewLink(sessionId, linkId), ConsistentRead: true }));
  return isLive(out.Item) ? (out.Item as ReviewLinkItem) : undefined;
}

/** The session's links, oldest first (ids are ULIDs). */
export async function listReviewLinks(sessionId: string): Promise<ReviewLinkItem[]> {
  return queryAll<ReviewLinkItem & Record<string, unknown>>({
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :r)',
    ExpressionAttributeValues: { ':pk': keys.sessionPk(sessionId), ':r': keys.reviewLinkPrefix },
    ConsistentRead: true,
  });
}

/**
 * Marks a link revoked. Idempotent: revoking a revoked link keeps its first `revokedAt`. Returns the
 * link as it is now, or undefined when it does not exist.
 */
export async function revokeReviewLink(sessionId: string, linkId: string, nowMs: number = Date.now()): Promise<ReviewLinkItem | undefined> {
  try {
    const out = await dynamo().send(
      new UpdateCommand({
        TableName: table(),
        Key: keys.reviewLink(sessionId, linkId),
        UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :now)',
        // Never create an item: an unknown linkId is NOT_FOUND, not a new revoked stub.
        ConditionExpression: 'attribute_exists(SK)',
        ExpressionAttributeValues: { ':now': new Date(nowMs).toISOString() },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return isLive(out.Attributes, nowMs) ? (out.Attributes as ReviewLinkItem) : undefined;
  } catch (err) {
    if (isConditionFailure(err)) return undefined;
    throw err;
  }
}
