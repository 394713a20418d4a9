/**
 * One Query for what a document write needs: the session's live connections (fan-out) and its document
 * (state + log). The SK range `C#` .. `DOC#U#~` holds exactly those items (see shared/table.ts), so an
 * edit costs this read plus the append transaction: two DynamoDB calls.
 */
import { isLive, keys } from '../table.js';
import type { ConnectionItem } from './connections.js';
import { assembleDocument, readNewestFirst, type StoredDocument } from './documents.js';

export interface SessionState {
  connections: ConnectionItem[];
  document: StoredDocument;
}

export async function readSessionState(sessionId: string): Promise<SessionState> {
  // Newest log items first, then the state, then connections: see readDocument for why.
  return readNewestFirst(
    'PK = :pk AND SK BETWEEN :lo AND :hi',
    { ':pk': keys.sessionPk(sessionId), ':lo': keys.connectionPrefix, ':hi': `${keys.docUpdatePrefix}\uffff` },
    (items) => ({
      connections: items.filter(
        (i) => typeof i.SK === 'string' && i.SK.startsWith(keys.connectionPrefix) && isLive(i),
      ) as unknown as ConnectionItem[],
      document: assembleDocument(items.filter((i) => typeof i.SK === 'string' && i.SK.startsWith(keys.docPrefix))),
    }),
  );
}
