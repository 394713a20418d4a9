/**
 * Live output of one execution as `execution-output` pushes: chunks are batched (flush every
 * outputFlushMs or outputFlushBytes), numbered with `seq`, and sent one batch after another so clients
 * receive them in order. The runner already bounds what it emits (32 KiB per stream).
 */
import { LIMITS } from '#contract/limits.js';
import { logger } from '#telemetry/log.js';
import type { OutputStream } from '#contract/execution-types.js';
import type { ConnectionItem } from '#aws/store/connections.js';
import { broadcast } from '#aws/notify.js';

export class OutputPusher {
  private seq = 0;
  private pending: { stream: OutputStream; data: string }[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly executionId: string,
    private readonly connections: () => ConnectionItem[],
  ) {}

  push(stream: OutputStream, data: string): void {
    const last = this.pending[this.pending.length - 1];
    if (last && last.stream === stream) last.data += data;
    else this.pending.push({ stream, data });
    this.pendingBytes += data.length;
    if (this.pendingBytes >= LIMITS.execution.outputFlushBytes) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), LIMITS.execution.outputFlushMs);
  }

  /** Sends what is pending (in order, after what was sent before). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    if (batch.length === 0) return;
    const messages = batch.flatMap((b) =>
      pieces(b.data).map((data) => ({ type: 'execution-output' as const, executionId: this.executionId, stream: b.stream, data, seq: this.seq++ })),
    );
    this.chain = this.chain.then(async () => {
      for (const m of messages) {
        try {
          await broadcast(this.connections(), m);
        } catch (err) {
          logger.warn('output push failed', { executionId: this.executionId, error: err as Error });
        }
      }
    });
  }

  /** Sends a ready frame (`execution-test-result`) after everything pushed before it. */
  send(frame: string): void {
    this.flush();
    this.chain = this.chain.then(async () => {
      try {
        await broadcast(this.connections(), frame);
      } catch (err) {
        logger.warn('push failed', { executionId: this.executionId, error: err as Error });
      }
    });
  }

  /** Flushes and waits until every batch was sent: call before `execution-finished`. */
  async drain(): Promise<void> {
    this.flush();
    await this.chain;
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
