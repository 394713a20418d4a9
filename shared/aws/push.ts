/**
 * Server → client pushes through the API Gateway Management API (the real SDK client, pointed at the
 * local front's endpoint in the local stack). Fan-out rules from docs/aws-notes.md:
 *  - bounded concurrency, and every post awaited before the handler returns;
 *  - GoneException (410) means *that* recipient is dead: delete that connection, not the sender's;
 *  - throttling shares the account's 10,000 req/s: back off and retry;
 *  - a failure for one recipient never fails the sender's request;
 *  - a reply to the sender itself (policy REPLY) also retries 5xx and network failures, and a lost one is an ERROR.
 */
import { DeleteConnectionCommand, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { management } from './clients.js';
import { LIMITS } from '#contract/limits.js';
import { logger } from '#telemetry/log.js';
import { deleteConnection } from '#aws/store/connections.js';
import { forgetCachedConnection } from '#aws/store/connection-cache.js';
import type { ServerMessage } from '#contract/messages.js';

export interface Recipient {
  connectionId: string;
  sessionId: string;
}

export type PostOutcome = 'sent' | 'gone' | 'failed';

/**
 * Where pushes go (STYLE: a port at the edge). In AWS and for separate processes (runner workers): API
 * Gateway's Management API through the SDK client. The local stack's own handlers, which run inside the
 * process that holds the sockets, push through the front directly (local/management-api.ts) with the
 * same semantics — 410 GoneException for a closed connection, 413 over 128 KiB — instead of paying an
 * HTTP round trip and a SigV4 signature per post.
 */
export interface PushTransport {
  /** Throws an error named GoneException when the connection is gone. */
  post(connectionId: string, data: Uint8Array): Promise<void>;
  close(connectionId: string): Promise<void>;
}

const managementApi: PushTransport = {
  post: async (connectionId, data) => {
    await management().send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }));
  },
  close: async (connectionId) => {
    await management().send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
  },
};

let transport: PushTransport = managementApi;

/** The local stack installs its front here; without an argument, back to the Management API. */
export function usePushTransport(next?: PushTransport): void {
  transport = next ?? managementApi;
}

const THROTTLED = new Set(['ThrottlingException', 'TooManyRequestsException', 'LimitExceededException']);
/** Failures of the request itself, not of the recipient: the same post may well succeed a moment later. */
const TRANSIENT = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);

/** How hard a post tries before it gives up on a recipient. */
export interface PostPolicy {
  attempts: number;
  /** Also retry 5xx and network failures, not only throttling. */
  retryTransient: boolean;
  /** How a post that never got through is logged. */
  lostLevel: 'warn' | 'error';
}

/** Fan-out to other recipients: a broken recipient must not hold up the sender's request for long. */
export const FAN_OUT: PostPolicy = { attempts: 5, retryTransient: false, lostLevel: 'warn' };

/**
 * A reply to the sender of the current message (`code-ack`, `pong`, `error`, `session-joined`): the client
 * waits for it, and its socket was alive a moment ago, so any failure but 410 is worth retrying; one that
 * is lost anyway is logged as an ERROR (alarmed), not dropped with a warning.
 */
export const REPLY: PostPolicy = { attempts: 6, retryTransient: true, lostLevel: 'error' };

function retryable(err: unknown, policy: PostPolicy): boolean {
  const name = (err as { name?: string }).name ?? '';
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (THROTTLED.has(name) || status === 429) return true;
  if (!policy.retryTransient) return false;
  const code = (err as { code?: string }).code ?? '';
  return (status !== undefined && status >= 500) || TRANSIENT.has(name) || TRANSIENT.has(code);
}

export const encodeMessage = (message: ServerMessage): string => JSON.stringify(message);

/** True when a message fits API Gateway's 128 KiB limit. */
export const fitsInMessage = (data: string): boolean => Buffer.byteLength(data, 'utf8') <= LIMITS.websocket.messageMaxBytes;

export async function post(recipient: Recipient, message: ServerMessage | string, policy: PostPolicy = FAN_OUT): Promise<PostOutcome> {
  const data = typeof message === 'string' ? message : encodeMessage(message);
  if (!fitsInMessage(data)) {
    // Callers shrink large payloads before sending (see messages.ts); this is the last line of defence.
    logger.error('refusing to push a message over 128 KiB', { connectionId: recipient.connectionId, bytes: data.length });
    return 'failed';
  }
  for (let attempt = 1; ; attempt++) {
    try {
      await transport.post(recipient.connectionId, Buffer.from(data));
      return 'sent';
    } catch (err) {
      const name = (err as { name?: string }).name ?? '';
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (name === 'GoneException' || status === 410) {
        // Departures do not move connEpoch: the container's copy learns of this one here.
        forgetCachedConnection(recipient.sessionId, recipient.connectionId);
        await deleteConnection(recipient.sessionId, recipient.connectionId).catch((e) =>
          logger.warn('could not delete a gone connection', { connectionId: recipient.connectionId, error: e as Error }),
        );
        return 'gone';
      }
      if (retryable(err, policy) && attempt < policy.attempts) {
        await sleep(Math.random() * 50 * 2 ** attempt);
        continue;
      }
      logger[policy.lostLevel](policy === REPLY ? 'reply to the sender lost' : 'push failed', {
        connectionId: recipient.connectionId,
        attempts: attempt,
        error: name || String(err),
      });
      return 'failed';
    }
  }
}

/**
 * Sends one message to many connections with bounded concurrency; resolves when every post settled.
 * The message is serialised once. Returns per-outcome counts (for logs and benches).
 */
export async function fanOut(recipients: Recipient[], message: ServerMessage | string): Promise<Record<PostOutcome, number>> {
  const data = typeof message === 'string' ? message : encodeMessage(message);
  const counts: Record<PostOutcome, number> = { sent: 0, gone: 0, failed: 0 };
  let next = 0;
  const worker = async () => {
    while (next < recipients.length) {
      const r = recipients[next++]!;
      counts[await post(r, data)]++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(LIMITS.websocket.fanOutConcurrency, recipients.length) }, worker));
  return counts;
}

/** Closes a connection (leave-session, session ended). Gone already is fine. */
export async function closeConnection(connectionId: string): Promise<void> {
  try {
    await transport.close(connectionId);
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name !== 'GoneException') logger.warn('could not close connection', { connectionId, error: name ?? String(err) });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
