/** Small helpers shared by every store module: table name, paging, TTL filtering, binary attributes. */
import { TransactWriteItemsCommand, type TransactWriteItem, type TransactWriteItemsCommandInput } from '@aws-sdk/client-dynamodb';
import { QueryCommand, type QueryCommandInput, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { dynamo, dynamoBase } from '#aws/clients.js';
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

/** The DocumentClient's marshalling options (clients.ts): the same attributes on the wire either way. */
const MARSHALL = { removeUndefinedValues: true, convertEmptyValues: false } as const;
const marshalled = <T extends Record<string, unknown> | undefined>(v: T) => (v === undefined ? undefined : marshall(v, MARSHALL));

type DocTransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

function marshallItem(item: DocTransactItem): TransactWriteItem {
  const { Put, Update, Delete, ConditionCheck } = item;
  if (Put) return { Put: { ...Put, Item: marshalled(Put.Item)!, ExpressionAttributeValues: marshalled(Put.ExpressionAttributeValues) } };
  if (Update) return { Update: { ...Update, Key: marshalled(Update.Key)!, ExpressionAttributeValues: marshalled(Update.ExpressionAttributeValues) } };
  if (Delete) return { Delete: { ...Delete, Key: marshalled(Delete.Key)!, ExpressionAttributeValues: marshalled(Delete.ExpressionAttributeValues) } };
  if (ConditionCheck) {
    return { ConditionCheck: { ...ConditionCheck, Key: marshalled(ConditionCheck.Key)!, ExpressionAttributeValues: marshalled(ConditionCheck.ExpressionAttributeValues) } };
  }
  throw new Error('empty transaction item');
}

/**
 * A TransactWriteItems written as for the DocumentClient, marshalled here and sent through its base
 * client: the same request on the wire and the same errors (a cancelled transaction's reasons carry
 * marshalled items with either client). For the hottest request only, the document append: the
 * DocumentClient adds its marshalling middleware to each command's stack and resolves the chain again
 * on every call: 1.0 of an append's 2.4 ms of CPU in isolation (`npx tsx bench/sdk-call.ts`), less in the
 * running stack, where the difference is within the spread of its CPU per edit (docs/document.md).
 */
export async function transactWriteMarshalled(input: TransactWriteCommandInput): Promise<void> {
  await dynamoBase().send(new TransactWriteItemsCommand(marshallTransaction(input)));
}

/** The low-level input the DocumentClient would have made of `input` (test/unit/clients.test.ts compares the wire bodies). */
export const marshallTransaction = (input: TransactWriteCommandInput): TransactWriteItemsCommandInput => ({
  ...input,
  TransactItems: (input.TransactItems ?? []).map(marshallItem),
});
