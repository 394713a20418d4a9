/**
 * Live output of one execution as `execution-output` pushes, numbered with `seq` and sent one after
 * another so clients receive them in order. The runner already bounds what it emits (32 KiB per stream);
 * this bounds how many messages carry it, whatever the program does:
 *
 * - Within a flush window (outputFlushMs, or outputFlushBytes pending) each stream's chunks become ONE
 *   message, not one per change of stream: a program alternating 1-byte writes to stdout and stderr made
 *   one message per byte, each posted to every socket of the session, and held its slot for minutes
 *   (each stream keeps its order; the interleaving of the two within 50 ms is not kept, as a terminal's).
 * - One send at a time: what arrives while a send is under way goes out as one batch after it, when its
 *   window is over (not at once: fast posts must not turn the window into one message per post), so slow
 *   posts (many sockets) mean fewer, larger messages instead of a growing queue.
 * - `drain` waits at most LIMITS.execution.outputDrainMs: the live copy is a courtesy, the stored result
 *   (execution-finished, GET) has the whole output; what is left past it is dropped and logged, so the
 *   slot and the claim are never held by a slow audience.
 */
import { LIMITS } from '#contract/limits.js';
import { logger } from '#telemetry/log.js';
import type { OutputStream } from '#contract/execution-types.js';
import type { ConnectionItem } from '#aws/store/connections.js';
import { broadcast } from '#aws/notify.js';
import type { ServerMessage } from '#contract/messages.js';

type Pending = { stream: OutputStream; data: string } | { frame: string };

export class OutputPusher {
  private seq = 0;
  private pending: Pending[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  /** When the last batch started: the next one waits for the end of its window. */
  private lastBatchAt = 0;
  private draining = false;
  private stopped = false;
  /** Messages posted (each to every socket): for the logs and the tests. */
  messagesSent = 0;

  constructor(
    private readonly executionId: string,
    private readonly connections: () => ConnectionItem[],
    private readonly drainMs: number = LIMITS.execution.outputDrainMs,
  ) {}

  push(stream: OutputStream, data: string): void {
    if (this.stopped) return;
    // The stream's entry since the last frame, if any: a frame (a test result) keeps its place.
    let same: { stream: OutputStream; data: string } | undefined;
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const p = this.pending[i]!;
      if ('frame' in p) break;
      if (p.stream === stream) {
        same = p;
        break;
      }
    }
    if (same) same.data += data;
    else this.pending.push({ stream, data });
    this.pendingBytes += data.length;
    if (this.pendingBytes >= LIMITS.execution.outputFlushBytes) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), LIMITS.execution.outputFlushMs);
  }

  /** Sends a ready frame (`execution-test-result`) after everything pushed before it. */
  send(frame: string): void {
    if (this.stopped) return;
    this.pending.push({ frame });
    this.flush();
  }

  /** Starts sending what is pending, unless a send is under way (what is pending when it ends goes next). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.sending || this.pending.length === 0 || this.stopped) return;
    this.sending = this.sendBatch().finally(() => {
      this.sending = undefined;
      this.next();
    });
  }

  /** After a send: what arrived meanwhile goes at the end of the window that send opened (at once if 4 KiB are pending, or draining). */
  private next(): void {
    if (this.pending.length === 0 || this.stopped) return;
    const wait = this.lastBatchAt + LIMITS.execution.outputFlushMs - Date.now();
    if (this.draining || this.pendingBytes >= LIMITS.execution.outputFlushBytes || wait <= 0) return this.flush();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), wait);
  }

  /** Flushes and waits until everything was sent, or outputDrainMs: call before `execution-finished`. */
  async drain(): Promise<void> {
    this.draining = true;
    this.flush();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), this.drainMs)));
    try {
      while (this.sending) if ((await Promise.race([this.sending, late])) === 'late') break;
    } finally {
      clearTimeout(timer);
    }
    if (this.sending || this.pending.length > 0) {
      this.stopped = true;
      const dropped = this.pending.length;
      this.pending = [];
      logger.warn('live output not delivered within the drain time: the rest is dropped (the stored result has it all)', {
        executionId: this.executionId,
        drainMs: this.drainMs,
        messagesSent: this.messagesSent,
        batchesDropped: dropped,
      });
    }
  }

  private async sendBatch(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.lastBatchAt = Date.now();
    const messages = batch.flatMap((b): (string | ServerMessage)[] =>
      'frame' in b
        ? [b.frame]
        : pieces(b.data).map((data) => ({ type: 'execution-output' as const, executionId: this.executionId, stream: b.stream, data, seq: this.seq++ })),
    );
    for (const m of messages) {
      if (this.stopped) return;
      try {
        await broadcast(this.connections(), m);
        this.messagesSent++;
      } catch (err) {
        logger.warn('output push failed', { executionId: this.executionId, error: err as Error });
      }
    }
  }
}

/**
 * JSON escaping can grow a character to 6 bytes (`\u0000`): 16 Ki characters per message stay under API
 * Gateway's 128 KiB whatever the output holds. Never splits a surrogate pair.
 */
const PIECE = 16 * 1024;
export function pieces(data: string): string[] {
  if (data.length <= PIECE) return [data];
  const out: string[] = [];
  for (let i = 0; i < data.length; ) {
    let end = Math.min(data.length, i + PIECE);
    const last = data.charCodeAt(end - 1);
    if (end < data.length && last >= 0xd800 && last <= 0xdbff) end--;
    out.push(data.slice(i, end));
    i = end;
  }
  return out;
}
