/**
 * The shared document as a Yjs CRDT: one `Y.Text` named "code". Pure functions, no I/O — the store
 * (shared/aws/store/documents.ts) persists the state and the update log these produce.
 */
import * as Y from 'yjs';
import { diffChars } from 'diff';
import * as decoding from 'lib0/decoding';

export const TEXT_NAME = 'code';

/** Builds a document from a compacted state plus log updates. Order does not matter (CRDT). */
export function loadDoc(state: Uint8Array | undefined, updates: Iterable<Uint8Array>): Y.Doc {
  const doc = new Y.Doc();
  doc.transact(() => {
    if (state && state.length > 0) Y.applyUpdate(doc, state);
    for (const u of updates) Y.applyUpdate(doc, u);
  });
  return doc;
}

export const textOf = (doc: Y.Doc): string => doc.getText(TEXT_NAME).toString();

/** The whole document as one update: what compaction stores and what a fresh client needs. */
export const encodeState = (doc: Y.Doc, stateVector?: Uint8Array): Uint8Array =>
  Y.encodeStateAsUpdate(doc, stateVector);


/**
 * The most character insertions + deletions the diff looks for between the changed middles before it
 * gives up and replaces the middle whole. Myers' diff costs about the square of that distance (measured
 * with jsdiff on this machine: ~14 ms for 151 changes in 20 K characters, at most 40-100 ms for
 * anything up to the 100 KB code limit at 500), where an unbounded character diff of two unrelated
 * 19 K texts took 6-15 s of CPU: more than a Lambda's timeout, and a denial of service by PUT.
 */
export const DIFF_MAX_EDITS = 500;

/**
 * Replaces the document text by `next` as a minimal edit and returns the Yjs update that does it (or
 * undefined when nothing changes). Unchanged text keeps its Yjs identity, so concurrent edits elsewhere
 * from Yjs clients survive a text client's full-text replace. Beyond DIFF_MAX_EDITS the changed middle
 * (between the common prefix and suffix) is replaced whole: the text is still exactly `next`, and a
 * concurrent Yjs insert inside it is still kept (it is not among the deleted items), only placed by
 * its neighbours as they were.
 */
export function replaceText(doc: Y.Doc, next: string): Uint8Array | undefined {
  const text = doc.getText(TEXT_NAME);
  const current = text.toString();
  if (current === next) return undefined;

  let prefix = 0;
  const max = Math.min(current.length, next.length);
  while (prefix < max && current.charCodeAt(prefix) === next.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  while (
    suffix < max - prefix &&
    current.charCodeAt(current.length - 1 - suffix) === next.charCodeAt(next.length - 1 - suffix)
  ) suffix++;
  // Never split a surrogate pair: Y.Text counts UTF-16 units, and half a pair would corrupt the text.
  if (prefix > 0 && isHighSurrogate(current.charCodeAt(prefix - 1))) prefix--;
  if (suffix > 0 && isLowSurrogate(current.charCodeAt(current.length - suffix))) suffix--;

  const oldMid = current.slice(prefix, current.length - suffix);
  const newMid = next.slice(prefix, next.length - suffix);
  // Only when both sides have text is there anything to find; jsdiff works on code points (a pair is
  // one token), and its chunks' string lengths are UTF-16 units, as Y.Text counts.
  const changes = oldMid && newMid ? diffChars(oldMid, newMid, { maxEditLength: DIFF_MAX_EDITS }) : undefined;

  let captured: Uint8Array | undefined;
  const capture = (u: Uint8Array) => (captured = u);
  doc.once('update', capture);
  doc.transact(() => {
    if (!changes) {
      if (oldMid) text.delete(prefix, oldMid.length);
      if (newMid) text.insert(prefix, newMid);
      return;
    }
    let pos = prefix;
    for (const change of changes) {
      if (change.removed) text.delete(pos, change.value.length);
      else if (change.added) {
        text.insert(pos, change.value);
        pos += change.value.length;
      } else pos += change.value.length;
    }
  });
  doc.off('update', capture);
  return captured;
}

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;

export class InvalidUpdate extends Error {}

/**
 * Checks an update without the document: it must decode, and every item it adds must be plain text of
 * the root type `rootName` (characters, deletions, formatting). An item that names its parent must name
 * that root; one that does not inherits its origin's parent, and since no stored item was ever let in
 * elsewhere, that parent is the same root. Nested types, map entries and other roots are refused: they
 * would grow the stored state without showing in the text. Returns the UTF-8 bytes the update inserts
 * (an upper bound on how much it can grow the text).
 */
export function inspectUpdate(update: Uint8Array, rootName: string = TEXT_NAME): { insertedBytes: number } {
  let decoded: ReturnType<typeof Y.decodeUpdate>;
  try {
    decoded = Y.decodeUpdate(update);
  } catch (err) {
    throw new InvalidUpdate(`not a valid Yjs update: ${(err as Error).message}`);
  }
  let insertedBytes = 0;
  for (const struct of decoded.structs) {
    if (!(struct instanceof Y.Item)) continue; // GC and Skip ranges carry no content
    const parent = struct.parent as unknown;
    if ((parent !== null && parent !== rootName) || struct.parentSub !== null) {
      throw new InvalidUpdate(`only the text "${rootName}" may be edited`);
    }
    const content = struct.content;
    if (content instanceof Y.ContentString) insertedBytes += utf8Bytes(content.str);
    else if (!(content instanceof Y.ContentDeleted) && !(content instanceof Y.ContentFormat)) {
      throw new InvalidUpdate(`only text may be inserted into "${rootName}"`);
    }
  }
  return { insertedBytes };
}

export const utf8Bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/**
 * Whether `doc` already holds everything `update` would add: each of its items (by id) and each of its
 * deletions. A client re-sends what it thinks the server lacks (`sync`, every 30 s while editing), and
 * an update still on its way at that moment comes twice; the second changes nothing and must not take a
 * version of its own. Cost: one decode of the update plus a binary search per deleted range, never a
 * walk of the whole document (`Y.snapshotContainsUpdate` would build the document's delete set first).
 */
export function holdsUpdate(doc: Y.Doc, update: Uint8Array): boolean {
  const { structs, ds } = Y.decodeUpdate(update);
  for (const struct of structs) {
    if (struct instanceof Y.Skip) continue;
    if (Y.getState(doc.store, struct.id.client) < struct.id.clock + struct.length) return false;
  }
  for (const [client, ranges] of ds.clients) {
    const held = doc.store.clients.get(client);
    for (const { clock, len } of ranges) {
      if (!held || Y.getState(doc.store, client) < clock + len) return false;
      // The client's structs cover its clocks 0..state without gaps (collected items stay as GC structs).
      for (let i = Y.findIndexSS(held, clock); i < held.length && held[i]!.id.clock < clock + len; i++) {
        if (!held[i]!.deleted) return false;
      }
    }
  }
  return true;
}

/**
 * Checks that bytes are a y-protocols awareness update (`encodeAwarenessUpdate`): a count, then per client
 * its id, clock and state as JSON text, and nothing after. The server relays awareness without keeping
 * it, but garbage relayed would make every other client's decoder throw.
 */
export function isAwarenessUpdate(bytes: Uint8Array): boolean {
  try {
    const decoder = decoding.createDecoder(bytes);
    const count = decoding.readVarUint(decoder);
    for (let i = 0; i < count; i++) {
      decoding.readVarUint(decoder); // clientID
      decoding.readVarUint(decoder); // clock
      JSON.parse(decoding.readVarString(decoder));
    }
    return !decoding.hasContent(decoder);
  } catch {
    return false;
  }
}
