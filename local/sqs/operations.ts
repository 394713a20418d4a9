/**
 * The SQS API operations (AWS JSON 1.0 request and response bodies) on top of the queue engine. Names and
 * fields are those of the SQS API reference; the real @aws-sdk/client-sqs is the client.
 */
import { SqsError, invalidParameter } from './errors.js';
import type { MessageAttributes } from './message.js';
import { ACCOUNT_ID, type QueueEngine } from './queue.js';
import { formatQueueAttributes, parseQueueAttributes } from './queue-attributes.js';

type Input = Record<string, unknown>;

export interface OperationContext {
  engine: QueueEngine;
  /** The queue URL clients should use, e.g. http://127.0.0.1:9324/000000000000/runs-python. */
  queueUrl(name: string): string;
  /** Aborted when the client disconnects: a long poll must stop without taking messages. */
  signal: AbortSignal;
}

type Operation = (input: Input, ctx: OperationContext) => object | Promise<object>;

/** SendMessageBatch's limit on the sum of all bodies, whatever each queue's MaximumMessageSize. */
const BATCH_MAX_BYTES = 256 * 1024;

function required(input: Input, name: string): string {
  const value = input[name];
  if (typeof value !== 'string' || value === '') throw new SqsError('MissingParameter', `The request must contain the parameter ${name}.`);
  return value;
}

function optionalNumber(input: Input, name: string): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') throw invalidParameter(name, value, 'Must be a number.');
  return value;
}

function optionalStrings(input: Input, name: string): string[] | undefined {
  const value = input[name];
  return Array.isArray(value) ? value.map(String) : undefined;
}

/** Only the queue name in the URL's path counts, so localhost and 127.0.0.1 URLs both work. */
function queueName(input: Input): string {
  const url = required(input, 'QueueUrl');
  let segments: string[];
  try {
    segments = new URL(url).pathname.split('/').filter(Boolean);
  } catch {
    throw new SqsError('InvalidAddress', `The address ${url} is not valid for this endpoint.`);
  }
  if (segments.length !== 2 || segments[0] !== ACCOUNT_ID) {
    throw new SqsError('InvalidAddress', `The address ${url} is not valid for this endpoint.`);
  }
  return segments[1]!;
}

/** Batch rules shared by the *Batch operations; per-entry errors become Failed entries, not a request error. */
function batch<R extends object>(input: Input, run: (entry: Input) => R): { Successful: R[]; Failed: object[] } {
  const entries = input.Entries;
  if (!Array.isArray(entries) || entries.length === 0) throw new SqsError('EmptyBatchRequest', 'There should be at least one entry in the request.');
  if (entries.length > 10) throw new SqsError('TooManyEntriesInBatchRequest', `Maximum number of entries per request are 10. You have sent ${entries.length}.`);
  const ids = new Set<string>();
  for (const entry of entries as Input[]) {
    const id = entry?.Id;
    if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,80}$/.test(id)) throw new SqsError('InvalidBatchEntryId', `A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.`);
    if (ids.has(id)) throw new SqsError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`);
    ids.add(id);
  }
  const Successful: R[] = [];
  const Failed: object[] = [];
  for (const entry of entries as Input[]) {
    try {
      Successful.push({ Id: entry.Id, ...run(entry) });
    } catch (err) {
      if (!(err instanceof SqsError)) throw err;
      Failed.push({ Id: entry.Id, SenderFault: true, Code: err.code, Message: err.message });
    }
  }
  return { Successful, Failed };
}

function send(ctx: OperationContext, name: string, entry: Input) {
  return ctx.engine.send(name, {
    body: entry.MessageBody,
    delaySeconds: optionalNumber(entry, 'DelaySeconds'),
    messageAttributes: entry.MessageAttributes as MessageAttributes | undefined,
  });
}

export const OPERATIONS: Record<string, Operation> = {
  CreateQueue(input, ctx) {
    const name = required(input, 'QueueName');
    ctx.engine.createQueue(name, parseQueueAttributes(input.Attributes as Record<string, string> | undefined));
    return { QueueUrl: ctx.queueUrl(name) };
  },
  GetQueueUrl(input, ctx) {
    const name = required(input, 'QueueName');
    if (!ctx.engine.has(name)) throw new SqsError('QueueDoesNotExist', 'The specified queue does not exist.');
    return { QueueUrl: ctx.queueUrl(name) };
  },
  ListQueues(input, ctx) {
    const names = ctx.engine.names(typeof input.QueueNamePrefix === 'string' ? input.QueueNamePrefix : '');
    const max = optionalNumber(input, 'MaxResults');
    if (max === undefined) return { QueueUrls: names.slice(0, 1000).map(ctx.queueUrl) };
    if (max < 1 || max > 1000) throw invalidParameter('MaxResults', max, 'Must be between 1 and 1000.');
    // NextToken is the offset of the next page: opaque to clients, stable enough for a local queue list.
    const start = Number(input.NextToken ?? 0) || 0;
    const page = names.slice(start, start + max);
    const next = start + max < names.length ? { NextToken: String(start + max) } : {};
    return { QueueUrls: page.map(ctx.queueUrl), ...next };
  },
  GetQueueAttributes(input, ctx) {
    return { Attributes: formatQueueAttributes(ctx.engine, queueName(input), optionalStrings(input, 'AttributeNames')) };
  },
  SetQueueAttributes(input, ctx) {
    ctx.engine.setConfig(queueName(input), parseQueueAttributes(input.Attributes as Record<string, string> | undefined));
    return {};
  },
  PurgeQueue(input, ctx) {
    ctx.engine.purge(queueName(input));
    return {};
  },
  SendMessage(input, ctx) {
    return send(ctx, queueName(input), input);
  },
  SendMessageBatch(input, ctx) {
    const name = queueName(input);
    const entries = Array.isArray(input.Entries) ? (input.Entries as Input[]) : [];
    const total = entries.reduce((sum, e) => sum + (typeof e?.MessageBody === 'string' ? Buffer.byteLength(e.MessageBody) : 0), 0);
    if (total > BATCH_MAX_BYTES) throw new SqsError('BatchRequestTooLong', `Batch requests cannot be longer than ${BATCH_MAX_BYTES} bytes.`);
    return batch(input, (entry) => send(ctx, name, entry));
  },
  async ReceiveMessage(input, ctx) {
    const messages = await ctx.engine.receive(queueName(input), {
      maxNumberOfMessages: optionalNumber(input, 'MaxNumberOfMessages'),
      visibilityTimeoutSeconds: optionalNumber(input, 'VisibilityTimeout'),
      waitTimeSeconds: optionalNumber(input, 'WaitTimeSeconds'),
      // SDKs since late 2023 send MessageSystemAttributeNames; older ones the deprecated AttributeNames.
      systemAttributeNames: [...(optionalStrings(input, 'AttributeNames') ?? []), ...(optionalStrings(input, 'MessageSystemAttributeNames') ?? [])],
      messageAttributeNames: optionalStrings(input, 'MessageAttributeNames'),
      signal: ctx.signal,
    });
    return messages.length > 0 ? { Messages: messages } : {};
  },
  DeleteMessage(input, ctx) {
    ctx.engine.deleteMessage(queueName(input), required(input, 'ReceiptHandle'));
    return {};
  },
  DeleteMessageBatch(input, ctx) {
    const name = queueName(input);
    return batch(input, (entry) => {
      ctx.engine.deleteMessage(name, entry.ReceiptHandle);
      return {};
    });
  },
  ChangeMessageVisibility(input, ctx) {
    ctx.engine.changeVisibility(queueName(input), required(input, 'ReceiptHandle'), optionalNumber(input, 'VisibilityTimeout'));
    return {};
  },
  ChangeMessageVisibilityBatch(input, ctx) {
    const name = queueName(input);
    return batch(input, (entry) => {
      ctx.engine.changeVisibility(name, entry.ReceiptHandle, optionalNumber(entry, 'VisibilityTimeout'));
      return {};
    });
  },
};
