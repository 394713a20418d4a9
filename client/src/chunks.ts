/**
 * Splits a Yjs update into updates that each fit in one WebSocket frame. API Gateway refuses client
 * frames over 32 KiB (and browsers send a message as one frame), so a large paste or an offline
 * session's worth of edits cannot travel as one `yjs-update`.
 *
 * Yjs has no public "slice an update" call, but its update format is simple: per client, a run of
 * structs starting at some clock; an Item written from an offset gets its left origin rewritten to the
 * character before it (that is how Yjs itself sends "the rest of an item" in a state-vector diff). So a
 * long string item is cut into [a, b) pieces, each an Item whose left origin is the previous piece:
 * applied in any order they integrate exactly as the original (a piece whose origin has not arrived yet
 * waits as pending, which the server accepts). The delete set travels as its own last piece.
 */
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';

/** One struct of a decoded update (Item, GC or Skip: all have id, length and write()). */
type Struct = ReturnType<typeof Y.decodeUpdate>['structs'][number];

interface Piece {
  struct: Struct;
  /** Offset into the struct where this piece starts, and where it ends (exclusive). */
  from: number;
  to: number;
}

const STRUCT_OVERHEAD = 24; // info byte + left/right origin ids + length prefix, generously

/** Returns the update unchanged when it fits, else pieces of at most about `maxBytes` each. */
export function splitUpdate(update: Uint8Array, maxBytes: number): Uint8Array[] {
  if (update.length <= maxBytes) return [update];
  const { structs } = Y.decodeUpdate(update);
  const byClient = new Map<number, Struct[]>();
  for (const s of structs) {
    const list = byClient.get(s.id.client) ?? [];
    list.push(s);
    byClient.set(s.id.client, list);
  }
  const out: Uint8Array[] = [];
  for (const [client, list] of byClient) {
    let group: Piece[] = [];
    let size = 0;
    const flush = () => {
      if (group.length) out.push(encodePieces(client, group));
      group = [];
      size = 0;
    };
    for (const struct of list) {
      let from = 0;
      while (from < struct.length) {
        const room = maxBytes - size - STRUCT_OVERHEAD;
        const text = stringOf(struct);
        if (text === undefined) {
          // Not a string item (deleted content, GC, skip, other content): small, never split.
          if (size > 0 && room < STRUCT_OVERHEAD) flush();
          group.push({ struct, from, to: struct.length });
          size += STRUCT_OVERHEAD + 16;
          from = struct.length;
          continue;
        }
        if (size > 0 && room < 64) {
          flush();
          continue;
        }
        const to = cutPoint(text, from, Math.max(room, 64));
        group.push({ struct, from, to });
        size += STRUCT_OVERHEAD + utf8Length(text, from, to);
        from = to;
        if (from < struct.length) flush();
      }
    }
    flush();
  }
  // Deletions: the same update with every struct already known leaves only its delete set.
  const deletesOnly = Y.diffUpdate(update, Y.encodeStateVectorFromUpdate(update));
  if (hasDeletes(deletesOnly)) out.push(deletesOnly);
  return out;
}

function stringOf(struct: Struct): string | undefined {
  const content = (struct as Y.Item).content;
  return content instanceof Y.ContentString ? content.str : undefined;
}

/** The end (exclusive, in UTF-16 units) of the longest run from `from` within `budget` UTF-8 bytes. */
function cutPoint(text: string, from: number, budget: number): number {
  let bytes = 0;
  let i = from;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    const pair = code >= 0xd800 && code <= 0xdbff && i + 1 < text.length;
    const size = pair ? 4 : code < 0x80 ? 1 : code < 0x800 ? 2 : 3;
    if (bytes + size > budget) break;
    bytes += size;
    i += pair ? 2 : 1; // never cut a surrogate pair: Yjs would replace both halves with U+FFFD
  }
  return i;
}

function utf8Length(text: string, from: number, to: number): number {
  return new TextEncoder().encode(text.slice(from, to)).length;
}

/** One client's consecutive pieces as a V1 update with an empty delete set. */
function encodePieces(client: number, pieces: Piece[]): Uint8Array {
  const encoder = new Y.UpdateEncoderV1();
  encoding.writeVarUint(encoder.restEncoder, 1); // one client
  encoding.writeVarUint(encoder.restEncoder, pieces.length);
  encoder.writeClient(client);
  const first = pieces[0]!;
  encoding.writeVarUint(encoder.restEncoder, first.struct.id.clock + first.from);
  for (const { struct, from, to } of pieces) {
    const text = stringOf(struct);
    if (text !== undefined && to < struct.length) {
      const item = struct as Y.Item;
      const head = new Y.Item(item.id, null, item.origin, null, item.rightOrigin, item.parent, item.parentSub, new Y.ContentString(text.slice(0, to)));
      head.write(encoder, from);
    } else {
      struct.write(encoder, from);
    }
  }
  encoding.writeVarUint(encoder.restEncoder, 0); // no deletions in this piece
  return encoder.toUint8Array();
}

function hasDeletes(update: Uint8Array): boolean {
  const { ds } = Y.decodeUpdate(update);
  return ds.clients.size > 0;
}
