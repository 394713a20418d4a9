/**
 * One Query for what a document write needs: the session's live connections (fan-out) and its document
 * (state + log). The SK range `C#` .. `DOC#U#~` holds exactly those items (see shared/table.ts), so an
 * edit costs this read plus the append transaction: two DynamoDB calls.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../clients.js';
import { isLive, keys } from '../table.js';
import type { ConnectionItem } from './connections.js';
import { assembleDocument, type StoredDocument } from './documents.js';
import { table } from './items.js';

export interface SessionState {
  connections: ConnectionItem[];
  document: StoredDocument;
}

export async function readSessionState(sessionId: string): Promise<SessionState> {
  for (let attempt = 0; ; attempt++) {
    const items: Record<string, unknown>[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      // Newest log items first, then the state, then connections: see readDocument for why.
      const page = await dynamo().send(
        new QueryCommand({
          TableName: table(),
          KeyConditionExpression: 'PK = :pk AND SK BETWEEN :lo AND :hi',
          ExpressionAttributeValues: { ':pk': keys.sessionPk(sessionId), ':lo': keys.connectionPrefix, ':hi': `${keys.docUpdatePrefix}\uffff` },
          ConsistentRead: true,
          ScanIndexForward: false,
          ExclusiveStartKey,
        }),
      );
      items.push(...(page.Items ?? []));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    try {
      const connections = items.filter(
        (i) => typeof i.SK === 'string' && i.SK.startsWith(keys.connectionPrefix) && isLive(i),
      ) as unknown as ConnectionItem[];
      const document = assembleDocument(items.filter((i) => typeof i.SK === 'string' && i.SK.startsWith(keys.docPrefix)));
      return { connections, document };
    } catch (err) {
      if (attempt >= 4 || !(err instanceof Error) || err.name !== 'LogGap') throw err;
    }
  }
}
