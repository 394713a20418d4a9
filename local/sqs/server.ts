/**
 * An SQS-compatible endpoint for the local stack: a node:http server speaking the AWS JSON 1.0 protocol
 * (POST / with `x-amz-target: AmazonSQS.<Operation>`), so the unchanged @aws-sdk/client-sqs SQSClient works
 * against it with only `endpoint` configured. Requests are not authenticated: SigV4 headers are ignored.
 *
 * It answers the six operations the product sends, no more (any other is UnknownOperationException, so
 * code that starts relying on another one fails locally first): SendMessage (API, watchdog), ReceiveMessage,
 * DeleteMessage, ChangeMessageVisibility and GetQueueAttributes (runner/worker.ts, runner/execution-job.ts),
 * DeleteMessageBatch (the event-source poller of the dead-letter Lambda).
 *
 *   const sqs = await startLocalSqs({ port: 0, queues: [{ name: 'runs-dlq' }, { name: 'runs',
 *     deadLetter: { targetName: 'runs-dlq', maxReceiveCount: 3 } }] });
 *   new SQSClient({ endpoint: sqs.endpoint, region: 'us-east-1', credentials }) ... sqs.queueUrl('runs')
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { ACCOUNT_ID, LocalQueues, SqsError, queueArn, type LocalQueueDefinition, type SqsErrorCode } from './queues.js';

export interface LocalSqsOptions {
  /** 0 = any free port; default 9324 (the port ElasticMQ made conventional for a local SQS). */
  port?: number;
  /** Default 127.0.0.1: queue contents are run requests, keep them off the network. */
  host?: string;
  queues?: LocalQueueDefinition[];
}

export interface LocalSqs {
  /** The SQSClient `endpoint`, e.g. http://127.0.0.1:9324. */
  endpoint: string;
  queueUrl(name: string): string;
  queueArn(name: string): string;
  /** Ends pending long polls (empty responses), closes connections and the port. */
  stop(): Promise<void>;
}

type Input = Record<string, unknown>;

/**
 * SQS speaks AWS JSON 1.0 in "awsQueryCompatible" mode: the SDK reads the code from the
 * `x-amzn-query-error: <code>;Sender` header and picks the exception class whose `awsQueryError` trait
 * matches (e.g. AWS.SimpleQueueService.NonExistentQueue -> QueueDoesNotExist); codes without a class come
 * out as SQSServiceException named after the code. Pairs copied from the SDK model.
 */
const WIRE: Record<SqsErrorCode, readonly [string, number]> = {
  QueueDoesNotExist: ['AWS.SimpleQueueService.NonExistentQueue', 400],
  ReceiptHandleIsInvalid: ['ReceiptHandleIsInvalid', 404],
  MessageNotInflight: ['AWS.SimpleQueueService.MessageNotInflight', 400],
  InvalidParameterValue: ['InvalidParameterValue', 400],
  MissingParameter: ['MissingParameter', 400],
  UnknownOperationException: ['UnknownOperationException', 400],
};

const number = (input: Input, name: string): number | undefined => {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') throw new SqsError('InvalidParameterValue', `Value ${String(value)} for parameter ${name} is invalid. Reason: Must be a number.`);
  return value;
};

/** Only the queue name in the URL's path counts, so localhost and 127.0.0.1 URLs both work. */
function queueName(input: Input): string {
  const url = input.QueueUrl;
  if (typeof url !== 'string' || url === '') throw new SqsError('MissingParameter', 'The request must contain the parameter QueueUrl.');
  const segments = URL.canParse(url) ? new URL(url).pathname.split('/').filter(Boolean) : [];
  if (segments.length !== 2 || segments[0] !== ACCOUNT_ID) throw new SqsError('QueueDoesNotExist', 'The specified queue does not exist.');
  return segments[1]!;
}

const OPERATIONS: Record<string, (queues: LocalQueues, input: Input, signal: AbortSignal) => object | Promise<object>> = {
  SendMessage: (queues, input) => queues.send(queueName(input), input.MessageBody),
  async ReceiveMessage(queues, input, signal) {
    const messages = await queues.receive(queueName(input), {
      max: number(input, 'MaxNumberOfMessages'),
      visibilityTimeoutSeconds: number(input, 'VisibilityTimeout'),
      waitTimeSeconds: number(input, 'WaitTimeSeconds'),
      signal,
    });
    return messages.length > 0 ? { Messages: messages } : {};
  },
  DeleteMessage(queues, input) {
    queues.delete(queueName(input), input.ReceiptHandle);
    return {};
  },
  /** Per-entry errors become Failed entries, not a request error (what the poller reports). */
  DeleteMessageBatch(queues, input) {
    const name = queueName(input);
    const entries = Array.isArray(input.Entries) ? (input.Entries as Input[]) : [];
    const Successful: object[] = [];
    const Failed: object[] = [];
    for (const entry of entries) {
      try {
        queues.delete(name, entry.ReceiptHandle);
        Successful.push({ Id: entry.Id });
      } catch (err) {
        if (!(err instanceof SqsError)) throw err;
        Failed.push({ Id: entry.Id, SenderFault: true, Code: err.code, Message: err.message });
      }
    }
    return { Successful, Failed };
  },
  ChangeMessageVisibility(queues, input) {
    queues.changeVisibility(queueName(input), input.ReceiptHandle, number(input, 'VisibilityTimeout'));
    return {};
  },
  /** Only the counts: the runner asks for ApproximateNumberOfMessages to decide on scaling out. */
  GetQueueAttributes(queues, input) {
    const { visible, inFlight } = queues.counts(queueName(input));
    const all: Record<string, string> = { ApproximateNumberOfMessages: String(visible), ApproximateNumberOfMessagesNotVisible: String(inFlight) };
    const wanted = Array.isArray(input.AttributeNames) ? input.AttributeNames.map(String) : [];
    return { Attributes: wanted.includes('All') ? all : Object.fromEntries(Object.entries(all).filter(([k]) => wanted.includes(k))) };
  },
};

export async function startLocalSqs(options: LocalSqsOptions = {}): Promise<LocalSqs> {
  const queues = new LocalQueues(options.queues ?? []);
  const server = createServer((req, res) => {
    handle(queues, req, res).catch((err: unknown) => {
      // Only a bug reaches here (operation errors are SqsErrors): answer like an AWS 500, keep the cause visible.
      console.error('local SQS: request failed', err);
      if (!res.headersSent) send(res, 500, { __type: 'com.amazonaws.sqs#InternalError', message: String(err) });
      else res.destroy();
    });
  });
  // Pollers reuse keep-alive sockets between long polls; Node's 5 s default closes idle ones so often that a
  // reuse races the close (ECONNRESET). AWS keeps them about a minute.
  server.keepAliveTimeout = 60_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((ready, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 9324, host, () => {
      server.off('error', fail);
      ready();
    });
  });
  const { port } = server.address() as { port: number };
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const endpoint = `http://${urlHost}:${port}`;
  return {
    endpoint,
    queueUrl: (name) => `${endpoint}/${ACCOUNT_ID}/${name}`,
    queueArn,
    stop: async () => {
      queues.close();
      // One turn for the ended long polls to write their empty responses before connections are cut.
      await new Promise((resolve) => setImmediate(resolve));
      const closed = new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
      // The SDK keeps connections alive; without this, close() waits for them to idle out.
      server.closeAllConnections();
      await closed;
    },
  };
}

async function handle(queues: LocalQueues, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // A client that gives up on a long poll closes the socket; stop waiting so no message is taken for nobody.
  const aborted = new AbortController();
  res.once('close', () => aborted.abort());
  try {
    const target = String(req.headers['x-amz-target'] ?? '');
    const name = target.replace(/^AmazonSQS\./, '');
    const operation = req.method === 'POST' && target !== name && Object.hasOwn(OPERATIONS, name) ? OPERATIONS[name]! : undefined;
    if (!operation) throw new SqsError('UnknownOperationException', `${target || req.method} is not an operation the local SQS answers (it serves only those the product uses).`);
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const input: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    const output = await operation(queues, input as Input, aborted.signal);
    if (!aborted.signal.aborted) send(res, 200, output);
  } catch (err) {
    if (!(err instanceof SqsError)) throw err;
    const [queryCode, status] = WIRE[err.code];
    send(res, status, { __type: `com.amazonaws.sqs#${err.code}`, message: err.message }, { 'x-amzn-query-error': `${queryCode};Sender` });
  }
}

function send(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(payload), 'x-amzn-requestid': randomUUID(), ...headers });
  res.end(payload);
}
