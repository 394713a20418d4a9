/**
 * One local queue's state: its identity (URL account, region, ARN), configuration, stored messages, the
 * long polls waiting on it, and the receipt handles it issues. The delivery rules live in queue.ts.
 */
import { SqsError } from './errors.js';
import type { MessageAttributes } from './message.js';

export const ACCOUNT_ID = '000000000000';
export const REGION = 'us-east-1';

export function queueArn(name: string): string {
  return `arn:aws:sqs:${REGION}:${ACCOUNT_ID}:${name}`;
}

export interface QueueConfig {
  visibilityTimeoutSeconds: number;
  delaySeconds: number;
  /** Long-poll wait used when a ReceiveMessage does not say (ReceiveMessageWaitTimeSeconds). */
  receiveWaitTimeSeconds: number;
  maximumMessageSize: number;
  messageRetentionSeconds: number;
  redrive?: { deadLetterTargetArn: string; maxReceiveCount: number };
}

/** AWS's defaults for a new standard queue, with the classic 256 KiB MaximumMessageSize (settable up to 1 MiB). */
export const DEFAULT_CONFIG: QueueConfig = {
  visibilityTimeoutSeconds: 30,
  delaySeconds: 0,
  receiveWaitTimeSeconds: 0,
  maximumMessageSize: 256 * 1024,
  messageRetentionSeconds: 4 * 24 * 3600,
};

export interface StoredMessage {
  id: string;
  body: string;
  md5OfBody: string;
  attributes: MessageAttributes;
  sentTimestamp: number;
  firstReceiveTimestamp?: number;
  receiveCount: number;
  /** Epoch ms before which the message cannot be received (delay or visibility timeout). */
  visibleAt: number;
  /** Token of the latest receive; only that receipt handle may delete or change visibility. */
  receipt?: string;
  deadLetterSourceArn?: string;
}

export class LocalQueue {
  readonly messages = new Map<string, StoredMessage>();
  readonly arn: string;
  readonly createdTimestamp = Date.now();
  lastModifiedTimestamp = this.createdTimestamp;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly name: string,
    public config: QueueConfig,
  ) {
    this.arn = queueArn(name);
  }

  /** Long polls re-check the queue: a message arrived or a visibility/delay changed. */
  wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Resolves on wake(), after timeoutMs, or on abort, whichever comes first. */
  changed(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      signal?.addEventListener('abort', done, { once: true });
      this.waiters.add(done);
    });
  }

  nextVisibleAt(now: number): number | undefined {
    let next: number | undefined;
    for (const m of this.messages.values()) if (m.visibleAt > now && (next === undefined || m.visibleAt < next)) next = m.visibleAt;
    return next;
  }
}

export function encodeHandle(queue: string, messageId: string, token: string): string {
  return Buffer.from(JSON.stringify([queue, messageId, token])).toString('base64url');
}

export function decodeHandle(handle: unknown, queue: string): { messageId: string; token: string } {
  const invalid = new SqsError('ReceiptHandleIsInvalid', `The input receipt handle "${String(handle)}" is not a valid receipt handle.`);
  if (typeof handle !== 'string' || handle === '') throw invalid;
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(handle, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (!Array.isArray(parts) || parts.length !== 3 || parts[0] !== queue) throw invalid;
  return { messageId: String(parts[1]), token: String(parts[2]) };
}
