/**
 * The local SQS (local/sqs) against the real @aws-sdk/client-sqs SQSClient, configured with nothing but
 * its endpoint: the delivery semantics the runner pipeline relies on (visibility timeout, redelivery,
 * long polling, dead-lettering) and the Lambda-like event source poller; and that it answers only the
 * operations the product sends. Queues default to a 1 s visibility timeout so the redelivery tests stay
 * quick; where a test needs a message to stay hidden while it looks, it receives with a longer one (server
 * and client share this process: a stall of a second must not be what the test observes). These tests
 * start their own server; they do not need the global stack.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  MessageNotInflight,
  QueueDoesNotExist,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SQSClient,
  SQSServiceException,
  SendMessageCommand,
  type Message,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { pollToHandler, startLocalSqs, type LocalSqs } from '../../local/sqs/index.js';

let local: LocalSqs;
let sqs: SQSClient;
let queueCount = 0;
/** Queues are declared at start, as the local stack declares its run queues: one fresh queue per test. */
const TEST_QUEUES = 20;

beforeAll(async () => {
  // Listed source-first on purpose: a dead-letter target may be declared after the queue that names it.
  local = await startLocalSqs({
    port: 0,
    queues: [
      { name: 'runs', visibilityTimeoutSeconds: 1, deadLetter: { targetName: 'runs-dlq', maxReceiveCount: 3 } },
      { name: 'runs-dlq' },
      ...Array.from({ length: TEST_QUEUES }, (_, i) => ({ name: `test-${i + 1}`, visibilityTimeoutSeconds: 1 })),
      { name: 'slow', visibilityTimeoutSeconds: 30 },
    ],
  });
  sqs = new SQSClient({
    endpoint: local.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  sqs?.destroy();
  await local?.stop();
});

/** A fresh queue per test, with a 1 s visibility timeout. */
function newQueue(): string {
  if (queueCount >= TEST_QUEUES) throw new Error('declare more test queues');
  return local.queueUrl(`test-${++queueCount}`);
}

async function receive(QueueUrl: string, extra: Partial<ConstructorParameters<typeof ReceiveMessageCommand>[0]> = {}): Promise<Message[]> {
  const out = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'], ...extra }),
  );
  return out.Messages ?? [];
}

async function counts(QueueUrl: string): Promise<{ visible: number; inFlight: number }> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return { visible: Number(Attributes.ApproximateNumberOfMessages), inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}

describe('local SQS with the real SQSClient', () => {
  it('sends, receives and deletes a message; the SDK accepts the MD5 digests', async () => {
    const QueueUrl = newQueue();
    const body = JSON.stringify({ run: 'r-1', source: 'print("héllo ✓")' });
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
    expect(sent.MD5OfMessageBody).toBe(createHash('md5').update(body).digest('hex'));

    // Hidden for 30 s: in flight while the test counts, whatever the machine's pauses.
    const [message, ...rest] = await receive(QueueUrl, { VisibilityTimeout: 30 });
    expect(rest).toEqual([]);
    expect(message).toMatchObject({ MessageId: sent.MessageId, Body: body, MD5OfBody: sent.MD5OfMessageBody });
    expect(Number(message!.Attributes!.SentTimestamp)).toBeGreaterThan(Date.now() - 10_000);
    expect(await counts(QueueUrl)).toEqual({ visible: 0, inFlight: 1 });

    // Back to a 1 s timeout before the delete, so that waiting past it shows the message is really gone.
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: message!.ReceiptHandle, VisibilityTimeout: 1 }));
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message!.ReceiptHandle }));
    expect(await counts(QueueUrl)).toEqual({ visible: 0, inFlight: 0 });
    await sleep(1_100);
    expect(await receive(QueueUrl)).toEqual([]);
  });

  it('hides a received message until its visibility timeout, then redelivers it with ApproximateReceiveCount 2', async () => {
    const QueueUrl = newQueue();
    const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'job' }));
    // 3 s: long enough for the next receive to come well inside it, however slow the machine.
    const received = Date.now();
    const [first] = await receive(QueueUrl, { VisibilityTimeout: 3 });
    expect(first!.Attributes!.ApproximateReceiveCount).toBe('1');
    expect(await receive(QueueUrl)).toEqual([]);

    // A long poll returns as soon as the message is visible again: not before its 3 s are over. Received
    // with 30 s this time, so it stays in flight for the checks below.
    const [second] = await receive(QueueUrl, { WaitTimeSeconds: 20, VisibilityTimeout: 30 });
    expect(Date.now() - received).toBeGreaterThanOrEqual(3_000);
    expect(second).toMatchObject({ MessageId, Body: 'job' });
    expect(second!.Attributes!.ApproximateReceiveCount).toBe('2');
    expect(second!.Attributes!.ApproximateFirstReceiveTimestamp).toBe(first!.Attributes!.ApproximateFirstReceiveTimestamp);
    expect(second!.ReceiptHandle).not.toBe(first!.ReceiptHandle);

    // A late delete from the first consumer must not remove the copy the second one is working on.
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: first!.ReceiptHandle }));
    expect(await counts(QueueUrl)).toEqual({ visible: 0, inFlight: 1 });
    await expect(
      sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: first!.ReceiptHandle, VisibilityTimeout: 60 })),
    ).rejects.toBeInstanceOf(MessageNotInflight);
  });

  it('extends invisibility with ChangeMessageVisibility, and 0 makes the message visible at once', async () => {
    const QueueUrl = newQueue();
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'long job' }));
    // Received for 3 s (room for the change to come while it is still in flight), extended to 30 s, and
    // looked for again once the first 3 s are over: still hidden.
    const [message] = await receive(QueueUrl, { VisibilityTimeout: 3 });
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: message!.ReceiptHandle, VisibilityTimeout: 30 }));
    await sleep(3_500);
    expect(await receive(QueueUrl)).toEqual([]);

    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: message!.ReceiptHandle, VisibilityTimeout: 0 }));
    expect((await receive(QueueUrl)).map((m) => m.Body)).toEqual(['long job']);
  });

  describe('long polling', () => {
    it('returns as soon as a message is sent', async () => {
      const QueueUrl = newQueue();
      const started = Date.now();
      const polling = receive(QueueUrl, { WaitTimeSeconds: 20 });
      await sleep(200);
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'wake up' }));
      expect((await polling).map((m) => m.Body)).toEqual(['wake up']);
      // Far below the 20 s a poll that ignored the message would wait, however busy the machine.
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it('returns as soon as an in-flight message becomes visible again', async () => {
      const QueueUrl = newQueue();
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'retry me' }));
      await receive(QueueUrl);
      const started = Date.now();
      expect((await receive(QueueUrl, { WaitTimeSeconds: 20 })).map((m) => m.Body)).toEqual(['retry me']);
      // Back after its 1 s visibility timeout, not at the end of the 20 s poll.
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it('returns empty after WaitTimeSeconds when nothing arrives', async () => {
      const QueueUrl = newQueue();
      const started = Date.now();
      expect(await receive(QueueUrl, { WaitTimeSeconds: 1 })).toEqual([]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    });

    it('takes no message for a client that aborted its poll', async () => {
      const QueueUrl = newQueue();
      const abort = new AbortController();
      const abandoned = sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 5 }), { abortSignal: abort.signal });
      await sleep(100);
      abort.abort();
      await expect(abandoned).rejects.toThrow();
      await sleep(100);
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'for the next poll' }));
      expect((await receive(QueueUrl)).map((m) => m.Body)).toEqual(['for the next poll']);
    });
  });

  it('moves a message to the dead-letter queue instead of its (maxReceiveCount + 1)-th delivery', async () => {
    const QueueUrl = local.queueUrl('runs');
    const dlqUrl = local.queueUrl('runs-dlq');
    const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'poison' }));
    for (const count of ['1', '2', '3']) {
      // VisibilityTimeout 0 on the receive makes the message visible again at once: a crashing consumer.
      const [message] = await receive(QueueUrl, { VisibilityTimeout: 0 });
      expect(message!.Attributes!.ApproximateReceiveCount).toBe(count);
    }
    expect(await receive(QueueUrl)).toEqual([]);
    const [dead] = await receive(dlqUrl);
    expect(dead).toMatchObject({ MessageId, Body: 'poison' });
    expect(dead!.Attributes!.DeadLetterQueueSourceArn).toBe(local.queueArn('runs'));

    expect(await counts(QueueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('never gives two concurrent consumers the same message while it is invisible', async () => {
    const QueueUrl = local.queueUrl('slow');
    // Pollers wait first, so every send wakes several of them at once.
    const consumers = Array.from({ length: 6 }, () => receive(QueueUrl, { WaitTimeSeconds: 2, MaxNumberOfMessages: 3 }));
    await sleep(100);
    await Promise.all(Array.from({ length: 10 }, (_, i) => sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: `job ${i}` }))));
    const received = (await Promise.all(consumers)).flat();
    const more = (await Promise.all([receive(QueueUrl), receive(QueueUrl)])).flat();
    const ids = [...received, ...more].map((m) => m.MessageId);
    expect(ids).toHaveLength(10);
    expect(new Set(ids).size).toBe(10);
  });

  it('deletes in batches and reports an invalid receipt handle per entry', async () => {
    const QueueUrl = newQueue();
    for (const MessageBody of ['a', 'b']) await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody }));
    const messages = await receive(QueueUrl);
    const result = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl,
        Entries: [...messages.map((m, i) => ({ Id: `ok${i}`, ReceiptHandle: m.ReceiptHandle! })), { Id: 'bad', ReceiptHandle: 'not-a-handle' }],
      }),
    );
    expect(result.Successful?.map((s) => s.Id).sort()).toEqual(['ok0', 'ok1']);
    expect(result.Failed).toEqual([expect.objectContaining({ Id: 'bad', Code: 'ReceiptHandleIsInvalid', SenderFault: true })]);
    expect(await counts(QueueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  describe('errors are the SDK typed exceptions', () => {
    it('QueueDoesNotExist for an undeclared queue', async () => {
      const missing = sqs.send(new SendMessageCommand({ QueueUrl: local.queueUrl('missing'), MessageBody: 'x' }));
      await expect(missing).rejects.toBeInstanceOf(QueueDoesNotExist);
      // Code is the query-protocol code from x-amzn-query-error, which code written for AWS may inspect.
      await expect(missing).rejects.toMatchObject({ Code: 'AWS.SimpleQueueService.NonExistentQueue', $metadata: { httpStatusCode: 400 } });
    });

    it('UnknownOperationException for an operation the product does not use', async () => {
      const create = sqs.send(new CreateQueueCommand({ QueueName: 'made-at-runtime' }));
      await expect(create).rejects.toBeInstanceOf(SQSServiceException);
      await expect(create).rejects.toMatchObject({ name: 'UnknownOperationException', $metadata: { httpStatusCode: 400 } });
    });

    it('ReceiptHandleIsInvalid for a handle the queue never issued', async () => {
      const QueueUrl = newQueue();
      await expect(sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: 'garbage' }))).rejects.toBeInstanceOf(ReceiptHandleIsInvalid);
    });

    it('InvalidParameterValue for a body over 256 KiB and for MaxNumberOfMessages over 10', async () => {
      const QueueUrl = newQueue();
      const tooBig = sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x'.repeat(256 * 1024 + 1) }));
      await expect(tooBig).rejects.toMatchObject({ name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } });
      await expect(tooBig).rejects.toBeInstanceOf(SQSServiceException);
      await expect(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x'.repeat(256 * 1024) }))).resolves.toBeDefined();
      await expect(receive(QueueUrl, { MaxNumberOfMessages: 11 })).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    });
  });
});

describe('event source poller', () => {
  it('deletes records that succeed and leaves batchItemFailures for redelivery', async () => {
    const QueueUrl = newQueue();
    const events: SQSEvent[] = [];
    const poller = pollToHandler({
      client: sqs,
      queueUrl: QueueUrl,
      waitTimeSeconds: 1,
      handler: (event) => {
        events.push(event);
        return { batchItemFailures: event.Records.filter((r) => r.body === 'fails').map((r) => ({ itemIdentifier: r.messageId })) };
      },
    });
    try {
      for (const MessageBody of ['works', 'fails']) await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody }));
      await eventually(async () => events.flatMap((e) => e.Records).some((r) => r.body === 'fails' && r.attributes.ApproximateReceiveCount === '2'));
    } finally {
      await poller.stop();
    }
    const records = events.flatMap((e) => e.Records);
    expect(records.filter((r) => r.body === 'works')).toHaveLength(1);
    expect(records[0]).toMatchObject({ eventSource: 'aws:sqs', eventSourceARN: local.queueArn(`test-${queueCount}`), awsRegion: 'us-east-1' });
    expect(records[0]!.md5OfBody).toBe(createHash('md5').update(records[0]!.body).digest('hex'));
    // One message left, visible or in flight (its 1 s timeout may lapse at any moment): the failed one.
    const left = await counts(QueueUrl);
    expect(left.visible + left.inFlight).toBe(1);
    expect((await receive(QueueUrl, { WaitTimeSeconds: 20 })).map((m) => m.Body)).toEqual(['fails']);
  });

  it('keeps the whole batch when the handler throws', async () => {
    const QueueUrl = newQueue();
    let calls = 0;
    const poller = pollToHandler({
      client: sqs,
      queueUrl: QueueUrl,
      waitTimeSeconds: 1,
      onError: () => {},
      handler: () => {
        calls += 1;
        throw new Error('handler crashed');
      },
    });
    try {
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'boom' }));
      await eventually(async () => calls >= 2);
    } finally {
      await poller.stop();
    }
    // Still there, visible or in flight (one reading: its 1 s timeout may lapse between two).
    const left = await counts(QueueUrl);
    expect(left.visible + left.inFlight).toBe(1);
  });

  it('stops promptly in the middle of a 20 s long poll', async () => {
    const QueueUrl = newQueue();
    const poller = pollToHandler({ client: sqs, queueUrl: QueueUrl, handler: () => {} });
    await sleep(200);
    const started = Date.now();
    await poller.stop();
    expect(Date.now() - started).toBeLessThan(5_000); // not the 20 s the poll had left
    // The abandoned poll takes nothing once the server has seen the disconnect (a few ms after the abort):
    // a message sent then is there for the next consumer.
    await sleep(100);
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'after stop' }));
    expect((await receive(QueueUrl)).map((m) => m.Body)).toEqual(['after stop']);
  });
});
