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
import { cancellationCodes, isConditionFailure, isTransactionCanceled, queryAll, retryTransactionConflicts, table } from './items.js';
import { operatorIndexItem, operatorIndexKey, operatorIndexUpdate } from './operator-sessions.js';
import { epochSeconds } from '#contract/limits.js';
import { isActive, SessionContention, type SessionFields, type SessionItem } from '#core/records.js';

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
 * history entry, in one transaction). Whether a field changed (its history entry, the operator's list,
 * the caller's starter code) is judged against the session as read, so the write is conditional on
 * `settingsRevision` still being the one read: every write of these settings (this one, and a snapshot
 * restore's language, documents.ts) adds one to it. Without that, a request judging "no change" on a
 * stale read would overwrite a concurrent change and skip its consequences (the operator's list left on
 * the other value), and its answer and `session-updated` would carry the other fields as they were.
 * When another change got in first, the session is read again and the change judged again. Returns
 * the session as judged (`before`) and as written (`after`: exact for these settings, since none
 * changed in between); undefined when the session stopped being active. Throws `SessionContention`
 * when other changes kept getting in first.
 */
export async function updateSessionFields(
  session: SessionItem,
  fields: SessionFields,
  userId: string,
  nowMs: number = Date.now(),
): Promise<{ before: SessionItem; after: SessionItem } | undefined> {
  let before = session;
  for (let attempt = 1; ; attempt++) {
    const after = await tryUpdateFields(before, fields, userId, nowMs);
    if (after) return { before, after };
    // A condition failed: the session ended, or another change got in since `before` was read.
    const current = await getSession(session.sessionId);
    if (!current || !isActive(current)) return undefined;
    if (attempt >= FIELD_UPDATE_ATTEMPTS) throw new SessionContention();
    await new Promise((r) => setTimeout(r, Math.random() * 5 * 2 ** attempt));
    before = current;
  }
}

/** Tries before giving up with SessionContention (BUSY): each lost try means another change committed. */
const FIELD_UPDATE_ATTEMPTS = 6;

/** Condition and value that `settingsRevision` is still `seen`'s (absent on a session never changed). */
export function settingsRevisionIs(seen: Pick<SessionItem, 'settingsRevision'>): { condition: string; values: Record<string, number> } {
  return seen.settingsRevision === undefined
    ? { condition: 'attribute_not_exists(settingsRevision)', values: {} }
    : { condition: 'settingsRevision = :seenRevision', values: { ':seenRevision': seen.settingsRevision } };
}

/** One conditional write of `fields` judged against `seen`: the session as written, or undefined when a condition failed. */
async function tryUpdateFields(seen: SessionItem, fields: SessionFields, userId: string, nowMs: number): Promise<SessionItem | undefined> {
  const sets = ['lastActivity = :now'];
  const revision = settingsRevisionIs(seen);
  const values: Record<string, unknown> = { ':now': new Date(nowMs).toISOString(), ':one': 1, ...activeValues(nowMs), ...revision.values };
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
    if (fields[flag] !== (seen[flag] === true)) controls[flag] = fields[flag];
  }
  const history: TransactItem[] = [];
  const changed: { title?: string; language?: LanguageId } = {};
  if (fields.language !== undefined && fields.language !== seen.language) {
    changed.language = fields.language;
    history.push({ Put: { TableName: table(), Item: historyItem(seen.sessionId, seen.ttl, 'language-changed', { from: seen.language, to: fields.language }, userId, nowMs) } });
  }
  if (fields.title !== undefined && fields.title !== seen.title) {
    changed.title = fields.title;
    history.push({ Put: { TableName: table(), Item: historyItem(seen.sessionId, seen.ttl, 'title-changed', { title: fields.title }, userId, nowMs) } });
  }
  if (Object.keys(controls).length > 0) {
    history.push({ Put: { TableName: table(), Item: historyItem(seen.sessionId, seen.ttl, 'controls-changed', controls, userId, nowMs) } });
  }
  // The operator's list shows title and language: it changes in the same transaction as META.
  if ((changed.title !== undefined || changed.language !== undefined) && seen.createdBy) history.push({ Update: operatorIndexUpdate(seen, changed) });
  const update = {
    TableName: table(),
    Key: keys.session(seen.sessionId),
    UpdateExpression: `SET ${sets.join(', ')} ADD settingsRevision :one`,
    ConditionExpression: `${ACTIVE_CONDITION} AND ${revision.condition}`,
    ExpressionAttributeNames: { '#status': 'status', ...(fields.language !== undefined ? { '#language': 'language' } : {}) },
    ExpressionAttributeValues: values,
  };
  try {
    if (history.length === 0) {
      await dynamo().send(new UpdateCommand({ ...update, ReturnValues: 'NONE' }));
    } else {
      await retryTransactionConflicts(() => dynamo().send(new TransactWriteCommand({ TransactItems: [{ Update: update }, ...history] })));
    }
  } catch (err) {
    // A failed condition, or contention that outlasted the retries (another write on META at that instant).
    const name = (err as { name?: string }).name;
    if (isConditionFailure(err) || name === 'TransactionCanceledException' || name === 'TransactionConflictException') return undefined;
    throw err;
  }
  return {
    ...seen,
    ...(fields.title !== undefined ? { title: fields.title } : {}),
    ...(fields.language !== undefined ? { language: fields.language } : {}),
    ...(fields.runsDisabled !== undefined ? { runsDisabled: fields.runsDisabled } : {}),
    ...(fields.editingLocked !== undefined ? { editingLocked: fields.editingLocked } : {}),
    lastActivity: values[':now'] as string,
    settingsRevision: (seen.settingsRevision ?? 0) + 1,
  };
}

/**
 * Ends an active session. Idempotent: ending an ended session reports false and changes nothing.
 * Throws SessionContention when other writes on the session kept cancelling the transaction.
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
    // Not active any more: ended by another call (or before). Cancelled only by contention that outlasted
    // the retries, it is still active: saying "already ended" would tell everyone it ended.
    if (isTransactionCanceled(err) && cancellationCodes(err)[0] === 'ConditionalCheckFailed') return false;
    if (isTransactionCanceled(err)) throw new SessionContention();
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
