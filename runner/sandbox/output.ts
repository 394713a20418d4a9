/**
 * One output stream of a step, capped. docs/protocol.md §4 keeps and pushes 32 KiB per stream, marked truncated.
 * Beyond the cap the program may keep writing for a while (a long but finite print is not an
 * offence: it ends COMPLETED with `truncated`), but a program still writing at `floodBytes` is
 * flooding and gets stopped (OUTPUT_LIMIT), so endless output costs a bounded amount of CPU.
 */
import { StringDecoder } from 'node:string_decoder';

const TAIL_BYTES = 4096;

export class CappedOutput {
  private readonly kept: Buffer[] = [];
  private keptBytes = 0;
  private readonly decoder = new StringDecoder('utf8');
  /** Every byte the program wrote to this stream, kept or not. */
  totalBytes = 0;
  /**
   * The last bytes written, kept or not: where a runtime prints why it died (status.ts). Chunks are
   * kept as they come and cut back to TAIL_BYTES only once they hold twice that: copying the tail on
   * every chunk cost 7 µs per 1-byte write, 7 s of the runner's CPU for a program that writes its
   * 1 MiB flood allowance a byte at a time (test/runner/output.test.ts).
   */
  private recent: Buffer[] = [];
  private recentBytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly floodBytes: number,
    /** Receives the kept part as it arrives, decoded without splitting UTF-8 characters. */
    private readonly onText?: (text: string) => void,
  ) {}

  /** Takes a chunk; returns false once the stream has reached the flood threshold. */
  push(chunk: Buffer): boolean {
    this.totalBytes += chunk.length;
    this.recent.push(chunk);
    this.recentBytes += chunk.length;
    if (this.recentBytes > 2 * TAIL_BYTES) {
      const last = Buffer.from(this.lastBytes());
      this.recent = [last];
      this.recentBytes = last.length;
    }
    const room = this.maxBytes - this.keptBytes;
    if (room > 0) {
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      this.kept.push(part);
      this.keptBytes += part.length;
      const text = this.decoder.write(part);
      if (text && this.onText) this.onText(text);
    }
    return this.totalBytes < this.floodBytes;
  }

  get truncated(): boolean {
    return this.totalBytes > this.maxBytes;
  }

  /** The last few KiB the program wrote, kept or not. */
  tail(): string {
    return this.lastBytes().toString('utf8');
  }

  private lastBytes(): Buffer {
    const joined = Buffer.concat(this.recent, this.recentBytes);
    return joined.subarray(Math.max(0, joined.length - TAIL_BYTES));
  }

  /**
   * The kept text. A character the cap cut in two is left out (as the live pushes leave it out), so
   * the kept text is at most maxBytes of UTF-8; bytes that were never valid UTF-8 become U+FFFD.
   */
  text(): string {
    const all = Buffer.concat(this.kept, this.keptBytes);
    return (this.truncated ? all.subarray(0, completeUtf8Length(all)) : all).toString('utf8');
  }
}

/** The length of `b` without a UTF-8 sequence its end cuts short. */
export function completeUtf8Length(b: Buffer): number {
  for (let back = 1; back <= Math.min(4, b.length); back++) {
    const byte = b[b.length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: its lead is further back
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return need > back ? b.length - back : b.length;
  }
  return b.length;
}
