/**
 * Persistence of the shared document (see shared/aws/table.ts for the keys):
 *
 *   DOC#<v>#U       the Yjs update that made version v, written in ONE transaction with the session's
 *                   `version` moving from v-1 to v. No reservations, no holes: version v exists exactly
 *                   when its item does, so a version names one document state (updates 1..v).
 *   DOC#<v>#S<n>    a compacted state holding updates 1..v, split in parts below the 400 KB item limit.
 *
 * The interviewers' notes (docs/protocol.md §10) are a second document with the same layout under `NOTE#` and their
 * own counter `notesVersion`: every function here takes a DOCUMENT ID (#contract/documents.ts), which is
 * the session id for the code and `<sessionId>~notes` for the notes.
 *
 * Log items are never rewritten or deleted before the session's TTL: compaction only adds a state (and
 * drops states two generations old), so a reader can always rebuild any version, and playback keeps
 * every edit. Readers read newest first and stop at the first complete state: a read touches the log
 * tail since the last compaction plus one state, whatever the session's age.
 */
import { randomBytes } from 'node:crypto';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#aws/clients.js';
import { parseDocumentId } from '#contract/documents.js';
import { isLive, keys } from '#aws/table.js';
import { historyItem } from './history.js';
import { asBytes, cancellationCodes, isTransactionCanceled, table, transactWriteMarshalled } from './items.js';
import { sessionRange } from './range.js';
import { ACTIVE_CONDITION, activeValues, batchDelete } from './sessions.js';
import { connectionGuard, dropConnectionCopy, noteUnguardedAppend } from './connection-cache.js';
import type { AppendInput, AppendOutcome, LogUpdate, SessionItem, StoredDocument, StoredState } from '#core/records.js';

/** Items per Query page: the log tail between two compactions plus a state's parts fit in one page. */
const PAGE_ITEMS = 64;
/** A state is split into parts of this many bytes (an item holds at most 400 KB with its keys). */
export const STATE_PART_BYTES = 300 * 1024;

type Item = Record<string, unknown>;

const isUpdateItem = (i: Item) => typeof i.SK === 'string' && i.SK.endsWith('#U');
const isStateItem = (i: Item) => typeof i.SK === 'string' && /#S\d{3}$/.test(i.SK);
const toLogUpdate = (i: Item): LogUpdate => ({ version: Number(i.version), update: asBytes(i.update) ?? new Uint8Array(), at: String(i.at) });

/** The document items of a session between two SKs, page by page (range.ts). */
const documentItems = (documentId: string, lo: string, hi: string, newestFirst: boolean) =>
  sessionRange(parseDocumentId(documentId).sessionId, lo, hi, { newestFirst, pageItems: PAGE_ITEMS });

/**
 * The document at its newest version, or at `atVersion` (the newest version ≤ it), read newest first.
 * Stops at the first complete state; `maxItems` bounds how far back it will go (undefined: to version
 * 1). Returns undefined when the bound was hit first.
 */
export async function readDocument(sessionId: string, opts: { atVersion?: number; maxItems?: number } = {}): Promise<StoredDocument | undefined> {
  const { doc } = parseDocumentId(sessionId);
  const hi = opts.atVersion === undefined ? `${keys.docPrefixOf(doc)}~` : `${keys.docVersion(opts.atVersion, doc)}~`;
  const updates: LogUpdate[] = [];
  const parts = new Map<number, Map<number, Item>>();
  let seen = 0;
  for await (const item of documentItems(sessionId, keys.docPrefixOf(doc), hi, true)) {
    if (opts.maxItems !== undefined && ++seen > opts.maxItems) return undefined;
    if (!isLive(item)) continue;
    if (isUpdateItem(item)) {
      updates.push(toLogUpdate(item));
      continue;
    }
    if (!isStateItem(item)) continue;
    const version = Number(item.version);
    const have = parts.get(version) ?? new Map<number, Item>();
    have.set(Number(item.part), item);
    parts.set(version, have);
    if (have.size === Number(item.parts)) return assemble(joinParts(version, have), updates);
  }
  return assemble(undefined, updates);
}

function joinParts(version: number, items: Map<number, Item>): StoredState {
  const chunks = [...items.entries()].sort(([a], [b]) => a - b).map(([, i]) => asBytes(i.state) ?? new Uint8Array());
  return { version, parts: items.size, bytes: Buffer.concat(chunks) };
}

function assemble(state: StoredState | undefined, newestFirst: LogUpdate[]): StoredDocument {
  const base = state?.version ?? 0;
  const updates = newestFirst.filter((u) => u.version > base).sort((a, b) => a.version - b.version);
  const last = updates[updates.length - 1];
  return { state, updates, version: last?.version ?? base, updatedAt: last?.at ?? new Date(0).toISOString() };
}

/** The log items above `version`, ascending: what a copy at `version` lacks. One small Query. */
export async function readUpdatesAfter(sessionId: string, version: number): Promise<LogUpdate[]> {
  const out: LogUpdate[] = [];
  const { doc } = parseDocumentId(sessionId);
  for await (const item of documentItems(sessionId, keys.docVersion(version + 1, doc), `${keys.docPrefixOf(doc)}~`, false)) {
    if (isUpdateItem(item) && isLive(item)) out.push(toLogUpdate(item));
  }
  return out;
}

/**
 * Appends one update as version expectedVersion + 1 in one transaction with the session's counter.
 * A failed condition returns the session item as it was (ReturnValuesOnConditionCheckFailure): the
 * caller learns the current version without another read. The log item's own ALL_OLD tells a retry of
 * a write whose response was lost that the write already happened (same writeId): it is reported as
 * the success it was. ClientRequestToken makes the SDK's own retries idempotent for 10 minutes.
 */
export async function appendUpdate(input: AppendInput): Promise<AppendOutcome> {
  const nowMs = input.nowMs ?? Date.now();
  const at = new Date(nowMs).toISOString();
  const next = input.expectedVersion + 1;
  const { sessionId, doc } = parseDocumentId(input.session.sessionId);
  const { ttl } = input.session;
  const counter = keys.versionAttributeOf(doc);
  // The notes' counter does not exist until their first write.
  const counterIs = doc === 'notes' && input.expectedVersion === 0 ? `attribute_not_exists(${counter})` : `${counter} = :expected`;
  const names: Record<string, string> = { '#status': 'status' };
  let set = `SET ${counter} = :next, lastActivity = :at`;
  const values: Record<string, unknown> = { ':next': next, ':expected': input.expectedVersion, ':at': at, ...activeValues(nowMs) };
  // DynamoDB refuses a value the expressions do not use.
  if (!counterIs.includes(':expected')) delete values[':expected'];
  // The lock is checked in the append's own condition: no extra read per edit, and no edit slips in
  // between a read of the flag and the write.
  const lock = input.session.lockable ? ' AND (attribute_not_exists(editingLocked) OR editingLocked <> :locked)' : '';
  if (lock) values[':locked'] = true;
  // With a copy of the session's connections in this container, the append also proves the copy is
  // current (no join since it was read): the relay can use it without a Query (connection-cache.ts).
  const guard = doc === 'code' ? connectionGuard(sessionId) : undefined;
  const epochIs = guard === undefined ? '' : guard === 0 ? ' AND attribute_not_exists(connEpoch)' : ' AND connEpoch = :connEpoch';
  if (guard) values[':connEpoch'] = guard;
  if (input.language) {
    // A restore's language is a settings change too: a PATCH judged on the session before it goes again.
    set += ', #language = :language ADD settingsRevision :one';
    names['#language'] = 'language';
    values[':language'] = input.language;
    values[':one'] = 1;
  }
  try {
    await transactWriteMarshalled({
      ClientRequestToken: `${input.writeId}-${next}`, // ≤ 36 characters: a 16-character writeId
      TransactItems: [
        {
          Update: {
            TableName: table(),
            Key: keys.session(sessionId),
            UpdateExpression: set,
            ConditionExpression: `${counterIs} AND ${ACTIVE_CONDITION}${lock}${epochIs}`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
        {
          Put: {
            TableName: table(),
            Item: { ...keys.docUpdate(sessionId, next, doc), version: next, update: input.update, at, userId: input.userId, writeId: input.writeId, ttl },
            ConditionExpression: 'attribute_not_exists(SK)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
        ...(input.history
          // The entry names the version it made: playback orders it right after that edit.
          ? [{ Put: { TableName: table(), Item: historyItem(sessionId, ttl, input.history.type, { ...input.history.detail, version: next }, input.userId, nowMs) } }]
          : []),
      ],
    });
    // Unguarded, the relay must read the connections after this commit: no copy read before it may serve.
    if (doc === 'code' && guard === undefined) noteUnguardedAppend(sessionId);
    return { ok: true, version: next, at };
  } catch (err) {
    if (!isTransactionCanceled(err)) throw err;
    const outcome = failedAppend(err, input.writeId, next, nowMs, counter, input.session.lockable === true);
    // Someone joined since the copy was read: drop it; the retry ('moved' retries at once) goes unguarded.
    if (guard !== undefined && joinedSince(err, guard)) dropConnectionCopy(sessionId);
    if (outcome.ok && doc === 'code' && guard === undefined) noteUnguardedAppend(sessionId);
    return outcome;
  }
}

/** The session item as the failed condition saw it counts other joins than the copy the append relied on. */
function joinedSince(err: unknown, guard: number): boolean {
  const meta = (err as { CancellationReasons?: { Item?: Record<string, never> }[] }).CancellationReasons?.[0]?.Item;
  return meta !== undefined && Number(unmarshall(meta).connEpoch ?? 0) !== guard;
}

function failedAppend(err: unknown, writeId: string, next: number, nowMs: number, counter: string, lockable: boolean): AppendOutcome {
  const reasons = (err as { CancellationReasons?: { Code?: string; Item?: Record<string, never> }[] }).CancellationReasons ?? [];
  const old = (i: number) => (reasons[i]?.Item ? unmarshall(reasons[i]!.Item!) : undefined);
  const logItem = old(1);
  if (logItem?.writeId === writeId) return { ok: true, version: next, at: String(logItem.at) };
  const codes = cancellationCodes(err);
  if (codes[0] !== 'ConditionalCheckFailed') {
    // Nothing of ours failed its condition: a concurrent transaction on the same item (TransactionConflict).
    return { ok: false, reason: 'conflict' };
  }
  const meta = old(0);
  if (!meta || !isLive(meta, nowMs)) return { ok: false, reason: 'missing' };
  if (meta.status !== 'active' || Number(meta.expiresAtEpoch) * 1000 <= nowMs) return { ok: false, reason: 'inactive' };
  if (lockable && meta.editingLocked === true) return { ok: false, reason: 'locked' };
  // The log item that took our version came back with the cancellation (ALL_OLD): say who wrote it.
  const wonBy = typeof logItem?.userId === 'string' ? logItem.userId : undefined;
  return { ok: false, reason: 'moved', currentVersion: Number(meta[counter] ?? 0), ...(wonBy !== undefined ? { wonBy } : {}) };
}

/**
 * Stores a compacted state holding exactly updates 1..version. Each part is written only if absent:
 * two containers compacting the same version write the same content, and a repeat after a lost
 * response is harmless. Parts are written before anything older is dropped, and readers ignore a state
 * until all its parts are present.
 */
export async function writeState(session: Pick<SessionItem, 'sessionId' | 'ttl'>, version: number, state: Uint8Array): Promise<number> {
  const { sessionId, doc } = parseDocumentId(session.sessionId);
  const parts = Math.max(1, Math.ceil(state.length / STATE_PART_BYTES));
  const at = new Date().toISOString();
  await Promise.all(
    Array.from({ length: parts }, (_, part) =>
      dynamo()
        .send(
          new PutCommand({
            TableName: table(),
            Item: {
              ...keys.docState(sessionId, version, part, doc),
              version,
              part,
              parts,
              state: state.subarray(part * STATE_PART_BYTES, (part + 1) * STATE_PART_BYTES),
              at,
              ttl: session.ttl,
            },
            ConditionExpression: 'attribute_not_exists(SK)',
          }),
        )
        .catch((err: unknown) => {
          if ((err as { name?: string }).name !== 'ConditionalCheckFailedException') throw err;
        }),
    ),
  );
  return parts;
}

/** Drops states a newer one replaced (readers stop at the newest complete state; the log stays). */
export async function deleteStates(sessionId: string, states: { version: number; parts: number }[]): Promise<void> {
  const { sessionId: session, doc } = parseDocumentId(sessionId);
  await batchDelete(states.flatMap((s) => Array.from({ length: s.parts }, (_, p) => keys.docState(session, s.version, p, doc))));
}

/** 16 random characters: with `-<version>` it fits DynamoDB's 36-character ClientRequestToken. */
export const newWriteId = (): string => randomBytes(12).toString('base64url');

export const isContentionError = (err: unknown): boolean => {
  const name = (err as { name?: string })?.name ?? '';
  return name === 'ProvisionedThroughputExceededException' || name === 'ThrottlingException' || name === 'RequestLimitExceeded'
    || name === 'TransactionInProgressException' || (isTransactionCanceled(err) && cancellationCodes(err).includes('ThrottlingError'));
};
