/**
 * In-memory SQS standard queues with exactly the semantics the execution pipeline relies on, and nothing
 * else: at-least-once delivery, a visibility timeout per receive, redelivery once it lapses, long polling,
 * and redrive to a dead-letter queue after maxReceiveCount receives. Queues are fixed at start (the stack
 * declares them, as the CDK stack does); no delays, message attributes, FIFO or retention. One process, no
 * persistence: a restart of the local stack drops every message.
 *
 * Receipt handles: every receive issues a new one. Deleting with a stale handle (the message has been
 * received again since) succeeds without deleting, as in SQS, so a slow runner's late delete cannot remove
 * the copy another runner is now working on; ChangeMessageVisibility with one fails (MessageNotInflight).
 */
import { createHash, randomUUID } from 'node:crypto';

export const ACCOUNT_ID = '000000000000';
export const REGION = 'us-east-1';
export const queueArn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT_ID}:${name}`;

/** SQS's classic maximum message size; run messages are tiny, so a local overshoot means a bug. */
const MAX_MESSAGE_BYTES = 256 * 1024;

export interface LocalQueueDefinition {
  name: string;
  /** Default visibility timeout of a receive (AWS default 30). */
  visibilityTimeoutSeconds?: number;
  /** Redrive: after maxReceiveCount receives, the next receive moves the message to targetName instead. */
  deadLetter?: { targetName: string; maxReceiveCount: number };
}

/** Error codes the real SDK turns into its typed exceptions (server.ts puts them on the wire). */
export type SqsErrorCode = 'QueueDoesNotExist' | 'ReceiptHandleIsInvalid' | 'MessageNotInflight' | 'InvalidParameterValue' | 'MissingParameter' | 'UnknownOperationException';

export class SqsError extends Error {
  constructor(
    readonly code: SqsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

interface StoredMessage {
  id: string;
  body: string;
  md5: string;
  sentAt: number;
  firstReceiveAt?: number;
  receiveCount: number;
  /** Epoch ms before which the message cannot be received (visibility timeout). */
  visibleAt: number;
  /** Token of the latest receive; only that receipt handle may delete it or change its visibility. */
  receipt?: string;
  deadLetterSourceArn?: string;
}

interface Queue {
  name: string;
  visibilityTimeoutSeconds: number;
  deadLetter?: { targetName: string; maxReceiveCount: number };
  /** Insertion order is delivery order (SQS standard queues promise none; this is one valid choice). */
  messages: Map<string, StoredMessage>;
  /** Long polls waiting for this queue to change. */
  waiters: Set<() => void>;
}

/** A received message in the ReceiveMessage response shape (system attributes always included). */
export interface ReceivedMessage {
  MessageId: string;
  ReceiptHandle: string;
  MD5OfBody: string;
  Body: string;
  Attributes: Record<string, string>;
}

export interface ReceiveInput {
  max?: number;
  visibilityTimeoutSeconds?: number;
  waitTimeSeconds?: number;
  /** Ends a long poll early with no messages (the HTTP client went away). */
  signal?: AbortSignal;
}

function inRange(name: string, value: number | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SqsError('InvalidParameterValue', `Value ${value} for parameter ${name} is invalid. Reason: Must be between ${min} and ${max}, if provided.`);
  }
  return value;
}

export class LocalQueues {
  private readonly queues = new Map<string, Queue>();
  private readonly closing = new AbortController();

  constructor(definitions: readonly LocalQueueDefinition[]) {
    for (const d of definitions) {
      this.queues.set(d.name, { name: d.name, visibilityTimeoutSeconds: d.visibilityTimeoutSeconds ?? 30, deadLetter: d.deadLetter, messages: new Map(), waiters: new Set() });
    }
    for (const d of definitions) {
      if (d.deadLetter && !this.queues.has(d.deadLetter.targetName)) throw new Error(`local SQS: dead-letter target ${d.deadLetter.targetName} of ${d.name} is not declared`);
    }
  }

  send(name: string, body: unknown): { MessageId: string; MD5OfMessageBody: string } {
    const queue = this.queue(name);
    if (typeof body !== 'string' || body === '') throw new SqsError('MissingParameter', 'The request must contain the parameter MessageBody.');
    if (Buffer.byteLength(body) > MAX_MESSAGE_BYTES) {
      throw new SqsError('InvalidParameterValue', `One or more parameters are invalid. Reason: Message must be shorter than ${MAX_MESSAGE_BYTES} bytes.`);
    }
    const now = Date.now();
    // The SDK checks MD5OfMessageBody / MD5OfBody against the body on every send and receive.
    const message: StoredMessage = { id: randomUUID(), body, md5: createHash('md5').update(body).digest('hex'), sentAt: now, receiveCount: 0, visibleAt: now };
    queue.messages.set(message.id, message);
    wake(queue);
    return { MessageId: message.id, MD5OfMessageBody: message.md5 };
  }

  /** Returns at once when messages are visible, else waits up to waitTimeSeconds for one (long polling). */
  async receive(name: string, input: ReceiveInput = {}): Promise<ReceivedMessage[]> {
    const queue = this.queue(name);
    const max = inRange('MaxNumberOfMessages', input.max, 1, 10) ?? 1;
    const visibility = inRange('VisibilityTimeout', input.visibilityTimeoutSeconds, 0, 43_200) ?? queue.visibilityTimeoutSeconds;
    const wait = inRange('WaitTimeSeconds', input.waitTimeSeconds, 0, 20) ?? 0;
    const signal = input.signal ? AbortSignal.any([input.signal, this.closing.signal]) : this.closing.signal;
    const deadline = Date.now() + wait * 1000;
    for (;;) {
      if (signal.aborted) return [];
      const taken = this.take(queue, max, visibility);
      const now = Date.now();
      if (taken.length > 0 || now >= deadline) return taken;
      // Also wake when an in-flight message becomes visible again before the deadline.
      let next = deadline;
      for (const m of queue.messages.values()) if (m.visibleAt > now && m.visibleAt < next) next = m.visibleAt;
      await changed(queue, next - now, signal);
    }
  }

  delete(name: string, receiptHandle: unknown): void {
    const queue = this.queue(name);
    const { messageId, token } = decodeHandle(receiptHandle, name);
    // Already deleted, or received again since this handle was issued: succeed, delete nothing (see header).
    if (queue.messages.get(messageId)?.receipt === token) queue.messages.delete(messageId);
  }

  changeVisibility(name: string, receiptHandle: unknown, seconds: number | undefined): void {
    const queue = this.queue(name);
    if (seconds === undefined) throw new SqsError('MissingParameter', 'The request must contain the parameter VisibilityTimeout.');
    inRange('VisibilityTimeout', seconds, 0, 43_200);
    const { messageId, token } = decodeHandle(receiptHandle, name);
    const message = queue.messages.get(messageId);
    if (!message) throw new SqsError('ReceiptHandleIsInvalid', 'The receipt handle refers to a message that no longer exists.');
    const now = Date.now();
    if (message.receipt !== token || message.visibleAt <= now) throw new SqsError('MessageNotInflight', 'The message referred to is not in flight.');
    message.visibleAt = now + seconds * 1000;
    wake(queue);
  }

  /** ApproximateNumberOfMessages (visible now) and ApproximateNumberOfMessagesNotVisible (in flight). */
  counts(name: string): { visible: number; inFlight: number } {
    const now = Date.now();
    let visible = 0;
    let inFlight = 0;
    for (const m of this.queue(name).messages.values()) m.visibleAt <= now ? (visible += 1) : (inFlight += 1);
    return { visible, inFlight };
  }

  /** Ends every pending long poll (they return no messages); used when the server stops. */
  close(): void {
    this.closing.abort();
  }

  private queue(name: string): Queue {
    const queue = this.queues.get(name);
    if (!queue) throw new SqsError('QueueDoesNotExist', 'The specified queue does not exist.');
    return queue;
  }

  private take(queue: Queue, max: number, visibilitySeconds: number): ReceivedMessage[] {
    const now = Date.now();
    const taken: ReceivedMessage[] = [];
    for (const message of queue.messages.values()) {
      if (taken.length >= max) break;
      if (message.visibleAt > now) continue;
      // SQS moves a message instead of delivering it for the (maxReceiveCount + 1)-th time, keeping its id.
      if (queue.deadLetter && message.receiveCount >= queue.deadLetter.maxReceiveCount) {
        queue.messages.delete(message.id);
        const target = this.queues.get(queue.deadLetter.targetName)!;
        target.messages.set(message.id, { ...message, receipt: undefined, visibleAt: now, deadLetterSourceArn: queueArn(queue.name) });
        wake(target);
        continue;
      }
      message.receiveCount += 1;
      message.firstReceiveAt ??= now;
      message.receipt = randomUUID();
      message.visibleAt = now + visibilitySeconds * 1000;
      taken.push({
        MessageId: message.id,
        ReceiptHandle: Buffer.from(JSON.stringify([queue.name, message.id, message.receipt])).toString('base64url'),
        MD5OfBody: message.md5,
        Body: message.body,
        // What a Lambda SQS record carries (event-source.ts passes them on).
        Attributes: {
          SenderId: ACCOUNT_ID,
          SentTimestamp: String(message.sentAt),
          ApproximateReceiveCount: String(message.receiveCount),
          ApproximateFirstReceiveTimestamp: String(message.firstReceiveAt),
          ...(message.deadLetterSourceArn && { DeadLetterQueueSourceArn: message.deadLetterSourceArn }),
        },
      });
    }
    return taken;
  }
}

function wake(queue: Queue): void {
  for (const waiter of [...queue.waiters]) waiter();
}

/** Resolves on wake(), after timeoutMs, or on abort, whichever comes first. */
function changed(queue: Queue, timeoutMs: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      queue.waiters.delete(done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, timeoutMs));
    signal.addEventListener('abort', done, { once: true });
    queue.waiters.add(done);
  });
}

function decodeHandle(handle: unknown, queue: string): { messageId: string; token: string } {
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
