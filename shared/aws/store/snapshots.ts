/** Snapshots (SK `P#<ulid>`): a named copy of the code and language at one moment. */
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#aws/clients.js';
import { isLive, keys } from '#aws/table.js';
import { historyItem } from './history.js';
import { queryAll, table } from './items.js';
import type { Snapshot, SnapshotWithCode } from '#core/records.js';

const PUBLIC_FIELDS = ['snapshotId', 'label', 'language', 'createdAt', 'createdBy', 'size', 'version'] as const;

export async function putSnapshot(sessionId: string, ttl: number, snapshot: SnapshotWithCode): Promise<void> {
  await dynamo().send(
    new TransactWriteCommand({
      TransactItems: [
        {
          Put: {
            TableName: table(),
            Item: { ...keys.snapshot(sessionId, snapshot.snapshotId), ...snapshot, ttl },
            ConditionExpression: 'attribute_not_exists(SK)',
          },
        },
        {
          Put: {
            TableName: table(),
            Item: historyItem(sessionId, ttl, 'snapshot-created', { snapshotId: snapshot.snapshotId, label: snapshot.label, version: snapshot.version }, snapshot.createdBy),
          },
        },
      ],
    }),
  );
}

/** All snapshots without their code, newest first. */
export async function listSnapshots(sessionId: string): Promise<Snapshot[]> {
  const items = await queryAll<Record<string, unknown>>({
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :p)',
    ExpressionAttributeValues: { ':pk': keys.sessionPk(sessionId), ':p': keys.snapshotPrefix },
    ProjectionExpression: [...PUBLIC_FIELDS, 'ttl'].map((f) => `#${f}`).join(', '),
    ExpressionAttributeNames: Object.fromEntries([...PUBLIC_FIELDS, 'ttl'].map((f) => [`#${f}`, f])),
    ScanIndexForward: false,
  });
  return items.map(pick);
}

export async function getSnapshot(sessionId: string, snapshotId: string): Promise<SnapshotWithCode | undefined> {
  const out = await dynamo().send(new GetCommand({ TableName: table(), Key: keys.snapshot(sessionId, snapshotId) }));
  if (!isLive(out.Item)) return undefined;
  return { ...pick(out.Item!), code: String(out.Item!.code ?? '') };
}

function pick(item: Record<string, unknown>): Snapshot {
  return Object.fromEntries(PUBLIC_FIELDS.map((f) => [f, item[f]])) as unknown as Snapshot;
}
