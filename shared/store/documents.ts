/**
 * Persistence of the shared document: a compacted Yjs state (SK `DOC`) plus an append-only log of
 * updates (SK `DOC#U#<version>`). Appending advances the session's `version` in the same transaction,
 * conditioned on the version the writer read: two Lambdas racing for the same version cannot both win.
 */
import { PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../clients.js';
import { isLive, keys } from '../table.js';
import { historyItem, type HistoryType } from './history.js';
import { asBytes, isConditionFailure, isTransactionCanceled, table } from './items.js';
import { batchDelete, ACTIVE_CONDITION, activeValues, type SessionItem } from './sessions.js';
import type { LanguageId } from '../languages.js';

export interface LogUpdate {
  version: number;
  update: Uint8Array;
  at: string;
}

export interface StoredDocument {
  state?: Uint8Array;
  /** Highest version included in `state`. */
  stateVersion: number;
  /** Every log item present (not yet compacted away), ascending by version; versions may have holes. */
  updates: LogUpdate[];
  /** Current version: the highest one read. */
  version: number;
  updatedAt: string;
  /** Bytes in the log: drives compaction. */
  logBytes: number;
}


/**
 * Reads state + log in one strongly consistent Query. The log is read newest first and the state last,
 * so a compaction that runs mid-read (writes the state, then deletes exactly the log items it folded in)
 * cannot hide an update: anything deleted is already in the state we read afterwards. Every log item
 * present is applied, whatever its version: Yjs updates are idempotent and commute, and a version may
 * be reserved before its item is written (appendReserved), so versions can arrive out of order or,
 * after a crash between the two writes, never.
 */
export async function readDocument(sessionId: string): Promise<StoredDocument> {
  return readNewestFirst('PK = :pk AND begins_with(SK, :doc)', { ':pk': keys.sessionPk(sessionId), ':doc': keys.docPrefix }, assembleDocument);
}

/** One strongly consistent Query of a session's SK range, newest SK first (readDocument says why). */
export async function readNewestFirst<T>(
  keyCondition: string,
  values: Record<string, unknown>,
  assemble: (items: Record<string, unknown>[]) => T,
): Promise<T> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await dynamo().send(
      new QueryCommand({
        TableName: table(),
        KeyConditionExpression: keyCondition,
        ExpressionAttributeValues: values,
        ConsistentRead: true,
        ScanIndexForward: false,
        ExclusiveStartKey,
      }),
    );
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return assemble(items);
}

/**
 * The log items above `version`, ascending: what a writer that lost the race missed. Cheap: a few
 * small items, not the whole document.
 */
export async function readUpdatesAfter(sessionId: string, version: number): Promise<LogUpdate[]> {
  const out = await dynamo().send(
    new QueryCommand({
      TableName: table(),
      KeyConditionExpression: 'PK = :pk AND SK BETWEEN :lo AND :hi',
      ExpressionAttributeValues: {
        ':pk': keys.sessionPk(sessionId),
        ':lo': keys.docUpdate(sessionId, version + 1).SK,
        ':hi': `${keys.docUpdatePrefix}\uffff`,
      },
      ConsistentRead: true,
    }),
  );
  return (out.Items ?? [])
    .filter((i) => isLive(i))
    .map((i) => ({ version: Number(i.version), update: asBytes(i.update) ?? new Uint8Array(), at: String(i.at) }));
}

/** Turns the items of the `DOC` range into a document; exported for the combined connections+doc read. */
export function assembleDocument(items: Record<string, unknown>[]): StoredDocument {
  const stateItem = items.find((i) => i.SK === 'DOC' && isLive(i));
  const stateVersion = stateItem ? Number(stateItem.version) : 0;
  const updates = items
    .filter((i) => typeof i.SK === 'string' && i.SK.startsWith(keys.docUpdatePrefix) && isLive(i))
    .map((i) => ({ version: Number(i.version), update: asBytes(i.update) ?? new Uint8Array(), at: String(i.at) }))
    .sort((a, b) => a.version - b.version);
  const last = updates[updates.length - 1];
  return {
    state: asBytes(stateItem?.state),
    stateVersion,
    updates,
    version: Math.max(stateVersion, last?.version ?? 0),
    updatedAt: last?.at ?? String(stateItem?.at ?? new Date(0).toISOString()),
    logBytes: updates.reduce((n, u) => n + u.update.length, 0),
  };
}

/** `ok: false`: a condition failed: another writer took the version, or the session stopped being active. */
export type AppendOutcome = { ok: true; version: number } | { ok: false };

export interface AppendInput {
  session: Pick<SessionItem, 'sessionId' | 'ttl'>;
  /** The version the update was computed against; the append fails if the session moved on. */
  expectedVersion: number;
  update: Uint8Array;
  userId: string;
  /** Also switch the session language in the same transaction (snapshot restore). */
  language?: LanguageId;
  history?: { type: HistoryType; detail: Record<string, unknown> };
  nowMs?: number;
}

/**
 * Appends one update as version expectedVersion+1, atomically with the session's version counter.
 * The session must still be active. 'conflict' means another writer took the version first.
 */
export async function appendUpdate(input: AppendInput): Promise<AppendOutcome> {
  const nowMs = input.nowMs ?? Date.now();
  const at = new Date(nowMs).toISOString();
  const next = input.expectedVersion + 1;
  const { sessionId, ttl } = input.session;
  const names: Record<string, string> = { '#status': 'status' };
  let set = 'SET version = :next, lastActivity = :at';
  const values: Record<string, unknown> = { ':next': next, ':expected': input.expectedVersion, ':at': at, ...activeValues(nowMs) };
  if (input.language) {
    set += ', #language = :language';
    names['#language'] = 'language';
    values[':language'] = input.language;
  }
  try {
    await dynamo().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: table(),
              Key: keys.session(sessionId),
              UpdateExpression: set,
              ConditionExpression: `version = :expected AND ${ACTIVE_CONDITION}`,
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
            },
          },
          {
            Put: {
              TableName: table(),
              Item: { ...keys.docUpdate(sessionId, next), version: next, update: input.update, at, userId: input.userId, ttl },
              ConditionExpression: 'attribute_not_exists(SK)',
            },
          },
          ...(input.history
            ? [{ Put: { TableName: table(), Item: historyItem(sessionId, ttl, input.history.type, input.history.detail, input.userId, nowMs) } }]
            : []),
        ],
      }),
    );
    return { ok: true, version: next };
  } catch (err) {
    // ConditionalCheckFailed (lost the race / session inactive) or TransactionConflict (a concurrent
    // transaction on the same items): either way the caller re-reads and decides.
    if (isTransactionCanceled(err)) return { ok: false };
    throw err;
  }
}

/**
 * Appends without a version race, for updates that commute (Yjs): reserve the next version with an
 * atomic increment of the session's counter (conditional on the session being active), then write the
 * log item. Two calls instead of one transaction, but no writer ever loses: used after a lost race, so
 * a busy session keeps merging every edit. Returns undefined when the session is no longer active.
 */
export async function appendReserved(input: AppendInput): Promise<AppendOutcome | undefined> {
  const nowMs = input.nowMs ?? Date.now();
  const at = new Date(nowMs).toISOString();
  const { sessionId, ttl } = input.session;
  let version: number;
  try {
    const out = await dynamo().send(
      new UpdateCommand({
        TableName: table(),
        Key: keys.session(sessionId),
        UpdateExpression: 'SET version = version + :one, lastActivity = :at',
        ConditionExpression: ACTIVE_CONDITION,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':one': 1, ':at': at, ...activeValues(nowMs) },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    version = Number(out.Attributes!.version);
  } catch (err) {
    if (isConditionFailure(err)) return undefined;
    throw err;
  }
  await dynamo().send(
    new PutCommand({
      TableName: table(),
      Item: { ...keys.docUpdate(sessionId, version), version, update: input.update, at, userId: input.userId, ttl },
      ConditionExpression: 'attribute_not_exists(SK)',
    }),
  );
  return { ok: true, version };
}

/**
 * Stores `state` as the compacted state, then deletes exactly the log items folded into it. `state`
 * must have been built from the state at `baseStateVersion` plus those items: the write is conditional
 * on that state still being the current one, so a compaction built on a stale state (which could lack
 * what another compaction folded in) never replaces a newer one. Log items it did not read (a version
 * reserved but written late) stay in the log, so nothing is lost.
 */
export async function compactDocument(
  session: Pick<SessionItem, 'sessionId' | 'ttl'>,
  state: Uint8Array,
  throughVersion: number,
  compactedVersions: number[],
  baseStateVersion: number,
): Promise<boolean> {
  const { sessionId, ttl } = session;
  try {
    await dynamo().send(
      new PutCommand({
        TableName: table(),
        Item: { ...keys.docState(sessionId), state, version: throughVersion, at: new Date().toISOString(), ttl },
        ConditionExpression: 'version = :base',
        ExpressionAttributeValues: { ':base': baseStateVersion },
      }),
    );
  } catch (err) {
    if (isConditionFailure(err)) return false; // someone compacted meanwhile: theirs stands
    throw err;
  }
  await batchDelete(compactedVersions.map((v) => keys.docUpdate(sessionId, v)));
  return true;
}
