/**
 * One Query loop for the reads that walk a range of a session's partition: the document log and its
 * states (documents.ts), and playback's log and history (timeline.ts). Strongly consistent: a reader
 * must see the append another invocation just made. The caller stops iterating when it has what it
 * needs, so no page is read beyond that one.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#aws/clients.js';
import { keys } from '#aws/table.js';
import type { ReadStats } from '#core/records.js';
import { table } from './items.js';

export interface RangeRead {
  /** Items per Query page: what the caller needs, plus room for items it skips. */
  pageItems: number;
  newestFirst?: boolean;
  /** Read only these attributes (a compacted state's parts still count towards read units, but never travel). */
  projection?: { expression: string; names: Record<string, string> };
  /** Counts Queries and the read units DynamoDB reports. */
  stats?: ReadStats;
}

/** The items of session `sessionId`'s partition with a sort key between `lo` and `hi`, page by page. */
export async function* sessionRange(sessionId: string, lo: string, hi: string, read: RangeRead): AsyncGenerator<Record<string, unknown>> {
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await dynamo().send(
      new QueryCommand({
        TableName: table(),
        KeyConditionExpression: 'PK = :pk AND SK BETWEEN :lo AND :hi',
        ExpressionAttributeValues: { ':pk': keys.sessionPk(sessionId), ':lo': lo, ':hi': hi },
        ...(read.projection ? { ProjectionExpression: read.projection.expression, ExpressionAttributeNames: read.projection.names } : {}),
        ConsistentRead: true,
        ScanIndexForward: read.newestFirst !== true,
        Limit: read.pageItems,
        ...(read.stats ? { ReturnConsumedCapacity: 'TOTAL' as const } : {}),
        ExclusiveStartKey,
      }),
    );
    if (read.stats) {
      read.stats.queries++;
      read.stats.capacityUnits += page.ConsumedCapacity?.CapacityUnits ?? 0;
    }
    yield* page.Items ?? [];
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
}
