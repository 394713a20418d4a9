/**
 * What a Lambda SQS event source mapping does, for the local stack: long-poll a queue, hand batches to a
 * handler as an SQSEvent, delete what succeeded. With ReportBatchItemFailures the handler may return
 * `{ batchItemFailures: [{ itemIdentifier: messageId }] }`: those stay on the queue and come back after
 * their visibility timeout. A handler that throws keeps the whole batch, like Lambda; so does a response
 * naming an id that is not in the batch (Lambda treats it as a failure of every record).
 *
 * Batches are handled one at a time per poller; start more pollers for more concurrency.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord, SQSRecordAttributes } from 'aws-lambda';
import { REGION } from './queues.js';

export type SqsHandler = (event: SQSEvent) => Promise<SQSBatchResponse | void> | SQSBatchResponse | void;

export interface PollerOptions {
  /** A client to share, or an endpoint to build one for (local dummy credentials). */
  client?: SQSClient;
  endpoint?: string;
  queueUrl: string;
  /** The mapping's ARN for eventSourceARN; derived from the queue URL when absent. */
  queueArn?: string;
  handler: SqsHandler;
  /** Records per invocation, 1-10 (the mapping's BatchSize). */
  batchSize?: number;
  /** Long-poll wait per receive (Lambda uses 20). */
  waitTimeSeconds?: number;
  /** Called with a handler or polling error; polling goes on. Default: console.error. */
  onError?: (err: unknown) => void;
}

export interface Poller {
  /** Stops polling, aborting the in-flight long poll; resolves after the current batch finishes. */
  stop(): Promise<void>;
}

/** Pause after a failed receive (e.g. the queue server restarting) before polling again. */
const RETRY_DELAY_MS = 500;

export function pollToHandler(options: PollerOptions): Poller {
  const client =
    options.client ??
    new SQSClient({
      endpoint: options.endpoint,
      region: REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  const queueArn = options.queueArn ?? arnFromQueueUrl(options.queueUrl);
  const onError = options.onError ?? ((err: unknown) => console.error(`SQS poller for ${options.queueUrl}:`, err));
  const stopping = new AbortController();

  const loop = async () => {
    while (!stopping.signal.aborted) {
      let messages: Message[];
      try {
        const received = await client.send(
          new ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: options.batchSize ?? 10,
            WaitTimeSeconds: options.waitTimeSeconds ?? 20,
            MessageSystemAttributeNames: ['All'],
          }),
          { abortSignal: stopping.signal },
        );
        messages = received.Messages ?? [];
      } catch (err) {
        if (stopping.signal.aborted) return;
        onError(err);
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
        continue;
      }
      if (messages.length > 0) await deliver(client, options, queueArn, messages, onError);
    }
  };
  // loop() handles its own errors; anything else is a bug, reported rather than left unhandled.
  const running = loop().catch(onError);

  return {
    stop: async () => {
      stopping.abort();
      await running;
      if (!options.client) client.destroy();
    },
  };
}

async function deliver(client: SQSClient, options: PollerOptions, queueArn: string, messages: Message[], onError: (err: unknown) => void): Promise<void> {
  const records = messages.map((m) => toRecord(m, queueArn));
  let failed: Set<string>;
  try {
    const response = await options.handler({ Records: records });
    failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    const known = new Set(records.map((r) => r.messageId));
    if ([...failed].some((id) => !known.has(id))) failed = known;
  } catch (err) {
    onError(err);
    return;
  }
  const done = messages.filter((m) => !failed.has(m.MessageId!));
  if (done.length === 0) return;
  const result = await client
    .send(
      new DeleteMessageBatchCommand({
        QueueUrl: options.queueUrl,
        Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    )
    .catch((err: unknown) => {
      // The messages are redelivered after their timeout: at-least-once, as with a real mapping.
      onError(err);
      return undefined;
    });
  if (result?.Failed?.length) onError(new Error(`SQS poller: ${result.Failed.length} deletes failed: ${JSON.stringify(result.Failed)}`));
}

function toRecord(message: Message, queueArn: string): SQSRecord {
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: (message.Attributes ?? {}) as unknown as SQSRecordAttributes,
    // The product sends no message attributes; Lambda's record always has the field.
    messageAttributes: {},
    md5OfBody: message.MD5OfBody!,
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: REGION,
  };
}

/** http://host/000000000000/name -> arn:aws:sqs:us-east-1:000000000000:name */
function arnFromQueueUrl(queueUrl: string): string {
  const [account, name] = new URL(queueUrl).pathname.split('/').filter(Boolean);
  return `arn:aws:sqs:${REGION}:${account}:${name}`;
}
