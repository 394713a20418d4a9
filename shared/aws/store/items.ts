/** Small helpers shared by every store module: table name, paging, TTL filtering, binary attributes. */
import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#aws/clients.js';
import { config } from '#aws/config.js';
import { isLive } from '#aws/table.js';

export const table = (): string => config().tableName;

/** Runs a Query to the end (or `limit` live items), dropping items whose TTL has passed. */
export async function queryAll<T extends Record<string, unknown>>(
  input: Omit<QueryCommandInput, 'TableName'>,
  nowMs: number = Date.now(),
): Promise<T[]> {
  const out: T[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await dynamo().send(new QueryCommand({ TableName: table(), ...input, ExclusiveStartKey }));
    for (const item of page.Items ?? []) if (isLive(item, nowMs)) out.push(item as T);
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return out;
}

/** DynamoDB returns binary attributes as Uint8Array; DynamoDB Local and the SDK agree on that. */
export const asBytes = (v: unknown): Uint8Array | undefined =>
  v instanceof Uint8Array ? v : Buffer.isBuffer(v) ? new Uint8Array(v) : undefined;

export const isConditionFailure = (err: unknown): boolean =>
  (err as { name?: string })?.name === 'ConditionalCheckFailedException';

export const isTransactionCanceled = (err: unknown): boolean =>
  (err as { name?: string })?.name === 'TransactionCanceledException';

/** Reasons of a cancelled transaction, one per item, in order ('None' for items that were fine). */
export const cancellationCodes = (err: unknown): string[] =>
  ((err as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? []).map((r) => r.Code ?? 'None');

/**
 * Runs a transactional write again when DynamoDB cancelled it only because another transaction touched
 * the same item at that instant (`TransactionConflict`, no condition failed). A code edit updates the
 * session item, so this happens whenever someone acts while another person types.
 */
export async function retryTransactionConflicts<T>(write: () => Promise<T>, attempts = 6): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      const codes = isTransactionCanceled(err) ? cancellationCodes(err) : [];
      const conflictOnly = codes.includes('TransactionConflict') && !codes.includes('ConditionalCheckFailed');
      if (!conflictOnly || attempt >= attempts) throw err;
      await new Promise((r) => setTimeout(r, Math.random() * 20 * 2 ** attempt));
    }
  }
}
