/** What `connect()` takes, and the timings of the protocol with the reasons for their defaults. */
import type * as Y from 'yjs';
import type { SocketConstructor } from './socket.js';

export interface ConnectOptions {
  /** WebSocket base URL (`wsUrl` of `POST /api/sessions`, e.g. `ws://localhost:3001/ws`). */
  wsUrl: string;
  sessionId: string;
  token: string;
  username?: string;
  /** Keep the same identity across page loads (the server assigns one on the first join otherwise). */
  userId?: string;
  /** HTTP API base URL, for documents too large for a message. Default: the origin of `wsUrl`. */
  httpUrl?: string;
  /** Bring your own document (it must hold only the text `code`). */
  doc?: Y.Doc;
  /** A WebSocket implementation (default: the global one, else the `ws` package). */
  WebSocket?: SocketConstructor;
  timing?: Partial<Timing>;
}

export interface Timing {
  /** Local updates are merged and sent at most this often (25 messages/s, under the 50/s limit). */
  flushMs: number;
  /** Edit messages per second at most, big documents' pieces included. */
  editsPerSecond: number;
  /** Own awareness (cursor) at most this often: the server allows 10 cursor messages/s. */
  awarenessMs: number;
  /** While editing, a `sync` this often catches anything lost on the way (docs/protocol.md §5: every 30 s). */
  syncEveryMs: number;
  /** A `ping` after this long without sending anything: API Gateway closes idle sockets after 10 min. */
  keepaliveMs: number;
  /** While sending edits, a `ping` at most this often; no message back within pongTimeoutMs = dead socket. */
  livenessEveryMs: number;
  pongTimeoutMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** A sync this long after the last change seen (local or remote). */
  settleMs: number;
  /** Delay of the re-sync after an error answering an update (unless the error says how long to wait). */
  resyncDelayMs: number;
}

export const DEFAULT_TIMING: Timing = {
  flushMs: 40,
  editsPerSecond: 40,
  awarenessMs: 150,
  syncEveryMs: 30_000,
  keepaliveMs: 4 * 60_000,
  livenessEveryMs: 5_000,
  pongTimeoutMs: 10_000,
  backoffBaseMs: 500,
  backoffMaxMs: 10_000,
  resyncDelayMs: 500,
  settleMs: 3_000,
};

/** A client frame may not exceed 32 KiB: base64 grows 4/3 and the JSON envelope needs a little room. */
export const MAX_UPDATE_BYTES = 22 * 1024;
