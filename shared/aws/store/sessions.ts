/**
 * Session items (SK `META`). The session's `version` counter lives here and is advanced in the same
 * transaction that appends a document update (shared/aws/store/documents.ts), so a version is never reused.
 * A session created by an operator also has an item in that operator's index (`OP#<operator>`, see
 * shared/aws/table.ts and operator-sessions.ts), written and updated in the same transactions as META.
 */
import {
  BatchWriteCommand,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#aws/clients.js';
import type { LanguageId } from '#contract/languages.js';
import { isLive, keys } from '#aws/table.js';
import { historyItem } from './history.js';
import { isConditionFailure, queryAll, retryTransactionConflicts, table } from './items.js';
import { operatorIndexItem, operatorIndexKey, operatorIndexUpdate } from './operator-sessions.js';
import { epochSeconds } from '#contract/limits.js';
import type { SessionFields, SessionItem } from '#core/records.js';

export type { SessionItem };

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** Creates the session, its initial document update and its first history entry atomically. */
export async function createSessionItems(
  session: SessionItem,
  initialUpdate: Uint8Array,
): Promise<void> {
  const { sessionId, ttl } = session;
  const items: TransactItem[] = [
    { Put: { TableName: table(), Item: { ...keys.session(sessionId), ...session }, ConditionExpression: 'attribute_not_exists(PK)' } },
    // The starter text is the document's first update (version 1): the log alone rebuilds every version.
    { Put: { TableName: table(), Item: { ...keys.docUpdate(sessionId, 1), version: 1, update: initialUpdate, at: session.createdAt, userId: 'system', writeId: 'create', ttl } } },
    { Put: { TableName: table(), Item: historyItem(sessionId, ttl, 'session-created', { language: session.language, title: session.title }) } },
  ];
  if (session.createdBy) items.push({ Put: { TableName: table(), Item: operatorIndexItem(session) } });
  await dynamo().send(new TransactWriteCommand({ TransactItems: items }));
}

/** The session, or undefined when it does not exist or its retention has passed (TTL runs late). */
export async function getSession(sessionId: string): Promise<SessionItem | undefined> {
  const out = await dynamo().send(new GetCommand({ TableName: table(), Key: keys.session(sessionId), ConsistentRead: true }));
  return isLive(out.Item) ? (out.Item as SessionItem) : undefined;
}

/** Condition that a session still accepts changes: not ended, not past expiresAt. */
export const ACTIVE_CONDITION = '#status = :active AND expiresAtEpoch > :nowSec';
export const activeValues = (nowMs: number) => ({ ':active': 'active', ':nowSec': epochSeconds(nowMs) });

/**
 * Sets title, language and/or the interviewer's controls of an active session (each change with its
 * history entry, in one transaction). Returns the new item, or undefined when the session
 * stopped being active in the meantime.
 */
export async function updateSessionFields(
  session: SessionItem,
  fields: SessionFields,
  userId: string,
  nowMs: number = Date.now(),
): Promise<SessionItem | undefined> {
  const sets = ['lastActivity = :now'];
  const values: Record<string, unknown> = { ':now': new Date(nowMs).toISOString(), ...activeValues(nowMs) };
  if (fields.title !== undefined) {
    sets.push('title = :title');
    values[':title'] = fields.title;
  }
  if (fields.language !== undefined) {
    sets.push('#language = :language');
    values[':language'] = fields.language;
  }
  const controls: { runsDisabled?: boolean; editingLocked?: boolean } = {};
  for (const flag of ['runsDisabled', 'editingLocked'] as const) {
    if (fields[flag] === undefined) continue;
    sets.push(`${flag} = :${flag}`);
    values[`:${flag}`] = fields[flag];
    if (fields[flag] !== (session[flag] === true)) controls[flag] = fields[flag];
  }
  const history: TransactItem[] = [];
  const changed: { title?: string; language?: LanguageId } = {};
  if (fields.language !== undefined && fields.language !== session.language) {
    changed.language = fields.language;
    history.push({ Put: { TableName: table(), Item: historyItem(session.sessionId, session.ttl, 'language-changed', { from: session.language, to: fields.language }, userId, nowMs) } });
  }
  if (fields.title !== undefined && fields.title !== session.title) {
    changed.title = fields.title;
    history.push({ Put: { TableName: table(), Item: historyItem(session.sessionId, session.ttl, 'title-changed', { title: fields.title }, userId, nowMs) } });
  }
  if (Object.keys(controls).length > 0) {
    history.push({ Put: { TableName: table(), Item: historyItem(session.sessionId, session.ttl, 'controls-changed', controls, userId, nowMs) } });
  }
  // The operator's list shows title and language: it changes in the same transaction as META.
  if ((changed.title !== undefined || changed.language !== undefined) && session.createdBy) history.push({ Update: operatorIndexUpdate(session, changed) });
  const update: TransactItem = {
    Update: {
      TableName: table(),
      Key: keys.session(session.sessionId),
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: ACTIVE_CONDITION,
      ExpressionAttributeNames: { '#status': 'status', ...(fields.language !== undefined ? { '#language': 'language' } : {}) },
      ExpressionAttributeValues: values,
    },
  };
  try {
    if (history.length === 0) {
      await dynamo().send(new UpdateCommand({ ...update.Update!, ReturnValues: 'NONE' }));
    } else {
      await retryTransactionConflicts(() => dynamo().send(new TransactWriteCommand({ TransactItems: [update, ...history] })));
    }
  } catch (err) {
    if (isConditionFailure(err) || (err as { name?: string }).name === 'TransactionCanceledException') return undefined;
    throw err;
  }
  return {
    ...session,
    ...(fields.title !== undefined ? { title: fields.title } : {}),
    ...(fields.language !== undefined ? { language: fields.language } : {}),
    ...(fields.runsDisabled !== undefined ? { runsDisabled: fields.runsDisabled } : {}),
    ...(fields.editingLocked !== undefined ? { editingLocked: fields.editingLocked } : {}),
    lastActivity: values[':now'] as string,
  };
}

/**
 * Ends an active session. Idempotent: ending an ended session reports false and changes nothing.
 */
export async function endSession(session: SessionItem, userId: string, reason: string, nowMs: number = Date.now()): Promise<boolean> {
  const at = new Date(nowMs).toISOString();
  try {
    await retryTransactionConflicts(() => dynamo().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: table(),
              Key: keys.session(session.sessionId),
              UpdateExpression: 'SET #status = :ended, endedAt = :at, lastActivity = :at',
              ConditionExpression: '#status = :active',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':ended': 'ended', ':active': 'active', ':at': at },
            },
          },
          { Put: { TableName: table(), Item: historyItem(session.sessionId, session.ttl, 'session-ended', { reason }, userId, nowMs) } },
          ...(session.createdBy ? [{ Update: operatorIndexUpdate(session, { status: 'ended' as const }) }] : []),
        ],
      }),
    ));
    return true;
  } catch (err) {
    if ((err as { name?: string }).name === 'TransactionCanceledException') return false;
    throw err;
  }
}

/** Deletes every item of the session now (`DELETE ?purge=true`). Safe to repeat. */
export async function purgeSession(sessionId: string): Promise<number> {
  const items = await queryAll<{ PK: string; SK: string }>({
    KeyConditionExpression: 'PK = :pk',
    ExpressionAttributeValues: { ':pk': keys.sessionPk(sessionId) },
    ProjectionExpression: 'PK, SK, connectionId, #createdBy, #createdAt',
    ExpressionAttributeNames: { '#createdBy': 'createdBy', '#createdAt': 'createdAt' },
  }, 0 /* include items past TTL: purge removes everything */);
  const lookups = (items as { SK: string; connectionId?: string }[])
    .filter((i) => i.SK.startsWith(keys.connectionPrefix) && i.connectionId)
    .map((i) => keys.connectionLookup(i.connectionId!));
  // The operator's index item lives outside the session's partition: found through META's createdBy.
  const meta = (items as { SK: string; createdBy?: string; createdAt?: string }[]).find((i) => i.SK === 'META');
  const index = meta?.createdBy && meta.createdAt ? [operatorIndexKey({ sessionId, createdBy: meta.createdBy, createdAt: meta.createdAt })] : [];
  await batchDelete([...items.map((i) => ({ PK: i.PK, SK: i.SK })), ...lookups, ...index]);
  return items.length;
}

/** BatchWriteItem deletes, 25 at a time, retrying unprocessed items with backoff. */
export async function batchDelete(keyList: { PK: string; SK: string }[]): Promise<void> {
  for (let i = 0; i < keyList.length; i += 25) {
    let requests = keyList.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
      const out = await dynamo().send(new BatchWriteCommand({ RequestItems: { [table()]: requests } }));
      requests = (out.UnprocessedItems?.[table()] ?? []) as typeof requests;
      if (attempt > 8 && requests.length > 0) throw new Error(`batchDelete: ${requests.length} items left unprocessed`);
    }
  }
}
