/**
 * A container's copy of each session's connections, so that a Yjs edit costs ONE DynamoDB call (its
 * append) instead of two (a Query of the connections, then the append). docs/document.md, "Who gets a
 * relay".
 *
 * The copy is kept honest by `connEpoch`, a counter on the session item that every join increments
 * after marking its connection joined (`bumpConnEpoch`). A copy is read as: the epoch (GetItem), THEN
 * the connections (Query): every join counted in that epoch is in the list. An append made with a copy
 * carries `connEpoch = <the copy's epoch>` in its condition (shared/aws/store/documents.ts): if a join
 * happened since, the append fails, the copy is dropped, the append is retried without the condition,
 * and the relay reads the connections after the append committed. So a relay always reaches every
 * connection that had joined when its edit was committed, and a joiner that read the document before
 * that commit sees its join fail and reads again (functions/ws/presence-actions.ts).
 *
 * Departures need no epoch: a post to a gone connection answers 410, and push.ts drops it from the copy
 * (`forgetCachedConnection`) as it deletes its item.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#aws/clients.js';
import { keys } from '#aws/table.js';
import { listConnections, type ConnectionItem } from './connections.js';
import { table } from './items.js';

interface Copy {
  /** The session's `connEpoch` when the list was read (0: never incremented). */
  epoch: number;
  connections: ConnectionItem[];
  /** `unguardedSeq` when the read began: the copy holds every join committed before that. */
  readFrom: number;
}

/** Sessions a container keeps; the least recently used goes first. A copy is small (a few connections). */
const MAX_SESSIONS = 2_000;
const copies = new Map<string, Copy>();

/**
 * Appends made without a copy to guard them (a cold container, or just after a join) prove nothing
 * about the connections: their relays need a list read after they committed. Each such commit takes a
 * number from `unguardedSeq`; `lastUnguarded` keeps the newest per session (bounded: a session pushed
 * out raises `unguardedFloor`, which then holds for every session).
 */
let unguardedSeq = 0;
let unguardedFloor = 0;
const lastUnguarded = new Map<string, number>();

/** The session's connections for a message before its write: this container's copy, or read now. */
export async function sessionConnections(sessionId: string): Promise<ConnectionItem[]> {
  const copy = copies.get(sessionId);
  if (!copy) return reading.get(sessionId)?.connections ?? reloadConnections(sessionId);
  copies.delete(sessionId);
  copies.set(sessionId, copy); // most recently used last
  return copy.connections;
}

/**
 * Who gets the relay of an edit that has committed: the copy, if it was read after every unguarded
 * append of the session (a guarded append proved it current when it committed); else read now.
 */
export async function relayConnections(sessionId: string): Promise<ConnectionItem[]> {
  // Asked again after waiting: a copy dropped meanwhile raises what is needed.
  const needed = () => Math.max(unguardedFloor, lastUnguarded.get(sessionId) ?? 0);
  const valid = () => {
    const copy = copies.get(sessionId);
    return copy && copy.readFrom >= needed() ? copy.connections : undefined;
  };
  const read = reading.get(sessionId);
  if (!valid() && read && read.readFrom >= needed()) await read.connections.catch(() => undefined);
  return valid() ?? reloadConnections(sessionId);
}

/** One read at a time per session: a burst of messages on a cold copy waits for the same read. */
const reading = new Map<string, { readFrom: number; connections: Promise<ConnectionItem[]> }>();

/** Reads the session's connections: the epoch first, then the list, so the list holds every join the epoch counts. */
export function reloadConnections(sessionId: string): Promise<ConnectionItem[]> {
  const readFrom = unguardedSeq;
  const connections = (async () => {
    const epoch = await readEpoch(sessionId);
    const list = await listConnections(sessionId);
    const current = copies.get(sessionId);
    // A copy never goes back to an older epoch, nor to an older read of the same epoch.
    if (!current || current.epoch < epoch || (current.epoch === epoch && current.readFrom <= readFrom)) {
      copies.delete(sessionId);
      copies.set(sessionId, { epoch, connections: list, readFrom });
      if (copies.size > MAX_SESSIONS) dropConnectionCopy(copies.keys().next().value!);
    }
    return list;
  })();
  const entry = { readFrom, connections };
  reading.set(sessionId, entry);
  const done = () => {
    if (reading.get(sessionId) === entry) reading.delete(sessionId);
  };
  connections.then(done, done);
  return connections;
}

async function readEpoch(sessionId: string): Promise<number> {
  const out = await dynamo().send(
    new GetCommand({ TableName: table(), Key: keys.session(sessionId), ProjectionExpression: 'connEpoch', ConsistentRead: true }),
  );
  return Number(out.Item?.connEpoch ?? 0);
}

/** The epoch an append of this session's code must still find, when this container holds a copy. */
export function connectionGuard(sessionId: string): number | undefined {
  return copies.get(sessionId)?.epoch;
}

/**
 * Someone joined since the copy was read (a guarded append failed on the epoch), or the copy was pushed
 * out: it guards nothing now, and a read that began before this may not serve a relay either.
 */
export function dropConnectionCopy(sessionId: string): void {
  copies.delete(sessionId);
  noteUnguardedAppend(sessionId);
}

/** An append of the session's code committed without a guard: its relay must read the list anew. */
export function noteUnguardedAppend(sessionId: string): void {
  lastUnguarded.delete(sessionId);
  lastUnguarded.set(sessionId, ++unguardedSeq);
  if (lastUnguarded.size > MAX_SESSIONS) {
    const [oldest, seq] = lastUnguarded.entries().next().value!;
    lastUnguarded.delete(oldest);
    unguardedFloor = Math.max(unguardedFloor, seq);
  }
}

/** A connection found gone (410 on a post): the copy stops relaying to it; the epoch is unchanged. */
export function forgetCachedConnection(sessionId: string, connectionId: string): void {
  const copy = copies.get(sessionId);
  if (copy) copy.connections = copy.connections.filter((c) => c.connectionId !== connectionId);
}

/** Tests: a fresh container. */
export function resetConnectionCache(): void {
  copies.clear();
  reading.clear();
  lastUnguarded.clear();
  unguardedSeq = 0;
  unguardedFloor = 0;
}
