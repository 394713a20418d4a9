/**
 * API Gateway's 32 KB WebSocket *frame* quota. The `ws` package only exposes whole messages (and enforces
 * `maxPayload` on the message total), never the size of the frames a message arrived in, so this reads
 * just the frame headers (RFC 6455 §5.2) from the raw socket, alongside `ws`, and skips the payloads.
 * It never consumes or alters data: `ws` still does all the parsing, unmasking and validation.
 */
import type { Duplex } from 'node:stream';

/**
 * Calls `onOversize(payloadLength)` once for the first data frame (text, binary or continuation) whose
 * payload length exceeds `maxFrameBytes`. Must be attached before `ws`'s own data listener sees the bytes
 * (prependListener), so the caller learns of the frame before `ws` can emit the message it completes.
 * Returns a function that detaches the guard.
 */
export function guardFrameSize(socket: Duplex, maxFrameBytes: number, onOversize: (payloadLength: number) => void): () => void {
  let header = Buffer.alloc(0);
  let skip = 0; // payload bytes of the current frame still to pass over

  const onData = (chunk: Buffer) => {
    let offset = 0;
    while (offset < chunk.length) {
      if (skip > 0) {
        const n = Math.min(skip, chunk.length - offset);
        skip -= n;
        offset += n;
        continue;
      }
      header = Buffer.concat([header, chunk.subarray(offset, offset + 1)]);
      offset += 1;
      const parsed = parseHeader(header);
      if (!parsed) continue;
      header = Buffer.alloc(0);
      skip = parsed.payloadLength;
      if (parsed.opcode < 0x8 && parsed.payloadLength > maxFrameBytes) {
        detach();
        onOversize(parsed.payloadLength);
        return;
      }
    }
  };
  const detach = () => socket.off('data', onData);
  socket.prependListener('data', onData);
  return detach;
}

/** The frame's opcode and payload length once `bytes` holds the complete header, else undefined. */
function parseHeader(bytes: Buffer): { opcode: number; payloadLength: number } | undefined {
  if (bytes.length < 2) return undefined;
  const len7 = bytes[1]! & 0x7f;
  const extended = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
  const masked = (bytes[1]! & 0x80) !== 0;
  if (bytes.length < 2 + extended + (masked ? 4 : 0)) return undefined;
  const payloadLength =
    len7 === 126 ? bytes.readUInt16BE(2) : len7 === 127 ? Number(bytes.readBigUInt64BE(2)) : len7;
  return { opcode: bytes[0]! & 0x0f, payloadLength };
}
