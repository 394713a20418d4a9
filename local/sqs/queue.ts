/**
 * In-memory SQS standard queues with the semantics the product relies on: at-least-once delivery, a
 * visibility timeout per receive, redelivery once it lapses, long polling, delays and dead-lettering.
 * One process, no persistence: a restart of the local stack drops every message, as a purge would.
 *
 * Receipt handles: every receive issues a new one. Deleting with a stale handle (the message has been
 * received again since) succeeds without deleting, so a slow consumer's late delete cannot remove the copy
 * another consumer is now working on; ChangeMessageVisibility with one fails with MessageNotInflight.
 */
import { randomUUID } from 'node:crypto';
import { SqsError, invalidParameter } from './errors.js';
import { checkAttributes, checkBody, md5Hex, md5OfAttributes, selectAttributes, type MessageAttributes } from './message.js';
import { ACCOUNT_ID, DEFAULT_CONFIG, LocalQueue, decodeHandle, encodeHandle, queueArn, type QueueConfig, type StoredMessage } from './queue-state.js';

export { ACCOUNT_ID, REGION, queueArn, type QueueConfig } from './queue-state.js';

export interface SendInput {
  body: unknown;
  delaySeconds?: number;
  messageAttributes?: MessageAttributes;
}

export interface SendResult {
  MessageId: string;
  MD5OfMessageBody: string;
  MD5OfMessageAttributes?: string;
}

export interface ReceiveInput {
  maxNumberOfMessages?: number;
  visibilityTimeoutSeconds?: number;
  waitTimeSeconds?: number;
  /** System attributes to return (AttributeNames / MessageSystemAttributeNames): names or `All`. */
  systemAttributeNames?: string[];
  messageAttributeNames?: string[];
  /** Ends a long poll early with no messages (the HTTP client went away, or the server stops). */
  signal?: AbortSignal;
}

/** A received message in the ReceiveMessage response shape. */
export interface ReceivedMessage {
  MessageId: string;
  ReceiptHandle: string;
  MD5OfBody: string;
  Body: string;
  Attributes?: Record<string, string>;
  MessageAttributes?: MessageAttributes;
  MD5OfMessageAttributes?: string;
}

export interface QueueStats {
  /** Visible now (ApproximateNumberOfMessages). */
  visible: number;
  /** Received and inside their visibility timeout (ApproximateNumberOfMessagesNotVisible). */
  inFlight: number;
  delayed: number;
}

function inRange(name: string, value: number | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < min || value > max) throw invalidParameter(name, value, `Must be between ${min} and ${max}, if provided.`);
  return value;
}

export class QueueEngine {
  private readonly queues = new Map<string, LocalQueue>();
  private readonly closing = new AbortController();

  /** Idempotent like SQS: the same name with no conflicting attributes returns the existing queue. */
  createQueue(name: string, config: Partial<QueueConfig> = {}): void {
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) {
      throw invalidParameter('QueueName', name, 'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length (FIFO queues are not supported locally).');
    }
    const existing = this.queues.get(name);
    if (existing) {
      const differs = (Object.keys(config) as (keyof QueueConfig)[]).some(
        (key) => JSON.stringify(config[key]) !== JSON.stringify(existing.config[key]),
      );
      if (differs) throw new SqsError('QueueNameExists', `A queue already exists with the same name and a different value for attribute(s)`);
      return;
    }
    this.checkRedrive(config.redrive);
    this.queues.set(name, new LocalQueue(name, { ...DEFAULT_CONFIG, ...config }));
  }

  setConfig(name: string, config: Partial<QueueConfig>): void {
    const queue = this.queue(name);
    this.checkRedrive(config.redrive);
    queue.config = { ...queue.config, ...config };
    queue.lastModifiedTimestamp = Date.now();
    queue.wake();
  }

  has(name: string): boolean {
    return this.queues.has(name);
  }

  names(prefix = ''): string[] {
    return [...this.queues.keys()].filter((name) => name.startsWith(prefix)).sort();
  }

  describe(name: string): { config: QueueConfig; stats: QueueStats; arn: string; createdTimestamp: number; lastModifiedTimestamp: number } {
    const queue = this.queue(name);
    const now = Date.now();
    const stats: QueueStats = { visible: 0, inFlight: 0, delayed: 0 };
    for (const m of queue.messages.values()) {
      if (m.visibleAt <= now) stats.visible += 1;
      else if (m.receipt === undefined) stats.delayed += 1;
      else stats.inFlight += 1;
    }
    return { config: queue.config, stats, arn: queue.arn, createdTimestamp: queue.createdTimestamp, lastModifiedTimestamp: queue.lastModifiedTimestamp };
  }

  send(name: string, input: SendInput): SendResult {
    const queue = this.queue(name);
    const body = checkBody(input.body);
    const attributes = input.messageAttributes ?? {};
    const size = Buffer.byteLength(body) + checkAttributes(attributes);
    if (size > queue.config.maximumMessageSize) {
      throw new SqsError('InvalidParameterValue', `One or more parameters are invalid. Reason: Message must be shorter than ${queue.config.maximumMessageSize} bytes.`);
    }
    const delay = inRange('DelaySeconds', input.delaySeconds, 0, 900) ?? queue.config.delaySeconds;
    const now = Date.now();
    const message: StoredMessage = {
      id: randomUUID(),
      body,
      md5OfBody: md5Hex(body),
      attributes,
      sentTimestamp: now,
      receiveCount: 0,
      visibleAt: now + delay * 1000,
    };
    queue.messages.set(message.id, message);
    queue.wake();
    const attributesMd5 = md5OfAttributes(attributes);
    return { MessageId: message.id, MD5OfMessageBody: message.md5OfBody, ...(attributesMd5 && { MD5OfMessageAttributes: attributesMd5 }) };
  }

  /** Returns at once when messages are visible, else waits up to WaitTimeSeconds for one (long polling). */
  async receive(name: string, input: ReceiveInput = {}): Promise<ReceivedMessage[]> {
    const queue = this.queue(name);
    const max = inRange('MaxNumberOfMessages', input.maxNumberOfMessages, 1, 10) ?? 1;
    const visibility = inRange('VisibilityTimeout', input.visibilityTimeoutSeconds, 0, 43_200) ?? queue.config.visibilityTimeoutSeconds;
    const wait = inRange('WaitTimeSeconds', input.waitTimeSeconds, 0, 20) ?? queue.config.receiveWaitTimeSeconds;
    const signal = input.signal ? AbortSignal.any([input.signal, this.closing.signal]) : this.closing.signal;
    const deadline = Date.now() + wait * 1000;
    for (;;) {
      if (signal.aborted) return [];
      const taken = this.take(queue, max, visibility, input);
      const now = Date.now();
      if (taken.length > 0 || now >= deadline) return taken;
      // Also wake when an in-flight or delayed message becomes visible before the deadline.
      await queue.changed(Math.min(deadline, queue.nextVisibleAt(now) ?? deadline) - now, signal);
    }
  }

  deleteMessage(name: string, receiptHandle: unknown): void {
    const queue = this.queue(name);
    const { messageId, token } = decodeHandle(receiptHandle, name);
    const message = queue.messages.get(messageId);
    // Already deleted, or received again since this handle was issued: succeed, delete nothing (see header).
    if (message?.receipt === token) queue.messages.delete(messageId);
  }

  changeVisibility(name: string, receiptHandle: unknown, seconds: number | undefined): void {
    const queue = this.queue(name);
    if (seconds === undefined) throw new SqsError('MissingParameter', 'The request must contain the parameter VisibilityTimeout.');
    const timeout = inRange('VisibilityTimeout', seconds, 0, 43_200)!;
    const { messageId, token } = decodeHandle(receiptHandle, name);
    const message = queue.messages.get(messageId);
    if (!message) throw new SqsError('ReceiptHandleIsInvalid', 'The receipt handle refers to a message that no longer exists.');
    const now = Date.now();
    if (message.receipt !== token || message.visibleAt <= now) {
      throw new SqsError('MessageNotInflight', 'The message referred to is not in flight.');
    }
    message.visibleAt = now + timeout * 1000;
    queue.wake();
  }

  purge(name: string): void {
    this.queue(name).messages.clear();
  }

  /** Ends every pending long poll (they return no messages); used when the server stops. */
  close(): void {
    this.closing.abort();
  }

  private queue(name: string): LocalQueue {
    const queue = this.queues.get(name);
    if (!queue) throw new SqsError('QueueDoesNotExist', 'The specified queue does not exist.');
    return queue;
  }

  private checkRedrive(redrive: QueueConfig['redrive']): void {
    if (!redrive) return;
    const target = redrive.deadLetterTargetArn.split(':').pop() ?? '';
    if (redrive.deadLetterTargetArn !== queueArn(target) || !this.queues.has(target)) {
      throw invalidParameter('RedrivePolicy', redrive.deadLetterTargetArn, 'Dead letter target does not exist.');
    }
    inRange('maxReceiveCount', redrive.maxReceiveCount, 1, 1000);
  }

  private take(queue: LocalQueue, max: number, visibilitySeconds: number, input: ReceiveInput): ReceivedMessage[] {
    const now = Date.now();
    const taken: ReceivedMessage[] = [];
    for (const message of queue.messages.values()) {
      if (taken.length >= max) break;
      if (message.visibleAt > now) continue;
      if (now - message.sentTimestamp > queue.config.messageRetentionSeconds * 1000) {
        queue.messages.delete(message.id);
        continue;
      }
      const redrive = queue.config.redrive;
      // SQS moves a message instead of delivering it for the (maxReceiveCount + 1)-th time.
      if (redrive && message.receiveCount >= redrive.maxReceiveCount) {
        this.deadLetter(queue, message, redrive.deadLetterTargetArn, now);
        continue;
      }
      message.receiveCount += 1;
      message.firstReceiveTimestamp ??= now;
      message.receipt = randomUUID();
      message.visibleAt = now + visibilitySeconds * 1000;
      taken.push(this.view(queue, message, input));
    }
    return taken;
  }

  /** Keeps MessageId, SentTimestamp and the receive count, as SQS does; the copy is visible at once. */
  private deadLetter(source: LocalQueue, message: StoredMessage, targetArn: string, now: number): void {
    source.messages.delete(message.id);
    const target = this.queues.get(targetArn.split(':').pop() ?? '');
    if (!target) return;
    target.messages.set(message.id, { ...message, receipt: undefined, visibleAt: now, deadLetterSourceArn: source.arn });
    target.wake();
  }

  private view(queue: LocalQueue, message: StoredMessage, input: ReceiveInput): ReceivedMessage {
    const system: Record<string, string> = {
      SenderId: ACCOUNT_ID,
      SentTimestamp: String(message.sentTimestamp),
      ApproximateReceiveCount: String(message.receiveCount),
      ApproximateFirstReceiveTimestamp: String(message.firstReceiveTimestamp),
      ...(message.deadLetterSourceArn && { DeadLetterQueueSourceArn: message.deadLetterSourceArn }),
    };
    const wanted = input.systemAttributeNames ?? [];
    const attributes = Object.fromEntries(Object.entries(system).filter(([key]) => wanted.includes('All') || wanted.includes(key)));
    const messageAttributes = selectAttributes(message.attributes, input.messageAttributeNames);
    const md5 = md5OfAttributes(messageAttributes);
    return {
      MessageId: message.id,
      ReceiptHandle: encodeHandle(queue.name, message.id, message.receipt!),
      MD5OfBody: message.md5OfBody,
      Body: message.body,
      ...(Object.keys(attributes).length > 0 && { Attributes: attributes }),
      ...(md5 && { MessageAttributes: messageAttributes, MD5OfMessageAttributes: md5 }),
    };
  }
}
