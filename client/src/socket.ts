/**
 * The WebSocket the client talks through: the global one (browsers, Node 22+) or the `ws` package
 * (Node 20), behind the few members both share. Also the pacing of edit messages.
 */

/** What the client uses of a WebSocket; the DOM's and `ws`'s both fit. */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type SocketConstructor = new (url: string) => SocketLike;

export const OPEN = 1;

export async function socketConstructor(custom?: SocketConstructor): Promise<SocketConstructor> {
  if (custom) return custom;
  const global = (globalThis as { WebSocket?: SocketConstructor }).WebSocket;
  if (typeof global === 'function') return global;
  // Node 20 has no global WebSocket. The specifier is a variable so browser bundlers leave it alone.
  const specifier = 'ws';
  const mod = (await import(/* @vite-ignore */ specifier)) as { WebSocket: SocketConstructor };
  return mod.WebSocket;
}

/**
 * A token bucket for edit messages. The server allows 50 edits/s per connection (docs/protocol.md §4) with a burst
 * of 50; staying at `perSecond` (below it) leaves room for the server's clock and a second container.
 */
export class Pacer {
  private readonly queue: string[] = [];
  private tokens: number;
  private at = Date.now();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly perSecond: number,
    private readonly send: (data: string) => boolean,
    /** Messages beyond this many waiting are dropped (for reports that lose their worth when late). */
    private readonly maxQueue = Infinity,
  ) {
    this.tokens = perSecond;
  }

  push(data: string): void {
    if (this.queue.length >= this.maxQueue) return;
    this.queue.push(data);
    this.drain();
  }

  get idle(): boolean {
    return this.queue.length === 0;
  }

  /** Forget what was not sent (the connection is gone; a sync after reconnect re-sends what matters). */
  clear(): void {
    this.queue.length = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private drain(): void {
    if (this.timer) return;
    const now = Date.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.at) / 1000) * this.perSecond);
    this.at = now;
    while (this.queue.length > 0 && this.tokens >= 1) {
      if (!this.send(this.queue[0]!)) return this.clear();
      this.queue.shift();
      this.tokens -= 1;
    }
    if (this.queue.length > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.drain();
      }, Math.ceil(((1 - this.tokens) / this.perSecond) * 1000));
    }
  }
}
