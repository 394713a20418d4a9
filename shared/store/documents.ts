/**
 * Persistence of the shared document: a compacted Yjs state (SK `DOC`) plus an append-only log of
 * updates (SK `DOC#U#<version>`). Appending advances the session's `version` in the same transaction,
 * conditioned on the version the writer read: two Lambdas racing for the same version cannot both win.
 */
import { PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
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
  /** Log updates above stateVersion, ascending and contiguous. */
  updates: LogUpdate[];
  /** Current version: the highest one read. */
  version: number;
  updatedAt: string;
  /** Bytes in the log: drives compaction. */
  logBytes: number;
}

/** A reader raced a compaction and saw a hole in the log: read again. */
class LogGap extends Error {
  override name = 'LogGap';
}

/**
 * Reads state + log in one strongly consistent Query. The log is read newest first and the state last,
 * so a compaction that runs mid-read (writes the state, then deletes log items) cannot hide an update:
 * anything deleted is already in the state we read afterwards. A hole in the versions means we raced
 * anyway (no isolation across items): retry.
 */
export async function readDocument(sessionId: string): Promise<StoredDocument> {
  return readNewestFirst('PK = :pk AND begins_with(SK, :doc)', { ':pk': keys.sessionPk(sessionId), ':doc': keys.docPrefix }, assembleDocument);
}

/**
 * One strongly consistent Query of a session's SK range, newest SK first (the order readDocument's
 * safety argument needs), assembled by `assemble`; read again when it reports a log gap.
 */
export async function readNewestFirst<T>(
  keyCondition: string,
  values: Record<string, unknown>,
  assemble: (items: Record<string, unknown>[]) => T,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
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
    try {
      return assemble(items);
    } catch (err) {
      if (!(err instanceof LogGap) || attempt >= 4) throw err;
    }
  }
}

/** Turns the items of the `DOC` range into a document; exported for the combined connections+doc read. */
export function assembleDocument(items: Record<string, unknown>[]): StoredDocument {
  const stateItem = items.find((i) => i.SK === 'DOC' && isLive(i));
  const stateVersion = stateItem ? Number(stateItem.version) : 0;
  const updates = items
    .filter((i) => typeof i.SK === 'string' && i.SK.startsWith(keys.docUpdatePrefix) && isLive(i))
    .map((i) => ({ version: Number(i.version), update: asBytes(i.update) ?? new Uint8Array(), at: String(i.at) }))
    .filter((u) => u.version > stateVersion)
    .sort((a, b) => a.version - b.version);
  updates.forEach((u, idx) => {
    if (u.version !== stateVersion + idx + 1) throw new LogGap(`expected ${stateVersion + idx + 1}, got ${u.version}`);
  });
  const last = updates[updates.length - 1];
  return {
    state: asBytes(stateItem?.state),
    stateVersion,
    updates,
    version: last?.version ?? stateVersion,
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
 * Stores `state` (which includes every update up to `throughVersion`) as the compacted state, then
 * deletes those log items. The condition never lets the state move backwards, so concurrent compactions
 * and concurrent appends are safe: appends only ever add versions above the state's.
 */
export async function compactDocument(
  session: Pick<SessionItem, 'sessionId' | 'ttl'>,
  state: Uint8Array,
  throughVersion: number,
  compactedVersions: number[],
): Promise<boolean> {
  const { sessionId, ttl } = session;
  try {
    await dynamo().send(
      new PutCommand({
        TableName: table(),
        Item: { ...keys.docState(sessionId), state, version: throughVersion, at: new Date().toISOString(), ttl },
        ConditionExpression: 'attribute_not_exists(SK) OR version < :through',
        ExpressionAttributeValues: { ':through': throughVersion },
      }),
    );
  } catch (err) {
    if (isConditionFailure(err)) return false; // someone compacted further already
    throw err;
  }
  await batchDelete(compactedVersions.map((v) => keys.docUpdate(sessionId, v)));
  return true;
}
