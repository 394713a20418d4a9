/**
 * An SQS-compatible endpoint for the local stack: a node:http server speaking the AWS JSON 1.0 protocol
 * (POST / with `x-amz-target: AmazonSQS.<Operation>`), so the unchanged @aws-sdk/client-sqs SQSClient works
 * against it with only `endpoint` configured. Requests are not authenticated: SigV4 headers are ignored.
 *
 *   const sqs = await startLocalSqs({ port: 0, queues: [{ name: 'runs-dlq' }, { name: 'runs',
 *     deadLetter: { targetName: 'runs-dlq', maxReceiveCount: 3 } }] });
 *   new SQSClient({ endpoint: sqs.endpoint, region: 'us-east-1', credentials }) ... sqs.queueUrl('runs')
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { SqsError, wireError } from './errors.js';
import { OPERATIONS } from './operations.js';
import { ACCOUNT_ID, QueueEngine, queueArn } from './queue.js';

export interface LocalQueueDefinition {
  name: string;
  /** Default visibility timeout of a receive (AWS default 30). */
  visibilityTimeoutSeconds?: number;
  /** Redrive: after maxReceiveCount receives, the next receive moves the message to targetName instead. */
  deadLetter?: { targetName: string; maxReceiveCount: number };
}

export interface LocalSqsOptions {
  /** 0 = any free port; default 9324 (the port ElasticMQ made conventional for a local SQS). */
  port?: number;
  /** Default 127.0.0.1: queue contents are run requests, keep them off the network. */
  host?: string;
  /** Created at start, dead-letter targets first whatever the order given. */
  queues?: LocalQueueDefinition[];
}

export interface LocalSqs {
  /** The SQSClient `endpoint`, e.g. http://127.0.0.1:9324. */
  endpoint: string;
  queueUrl(name: string): string;
  queueArn(name: string): string;
  /** The in-process engine, for inspection (describe) without going through HTTP. */
  engine: QueueEngine;
  /** Ends pending long polls (empty responses), closes connections and the port. */
  stop(): Promise<void>;
}

const JSON_CONTENT_TYPE = 'application/x-amz-json-1.0';
const TARGET_PREFIX = 'AmazonSQS.';
/** Largest request accepted: a batch of ten 256 KiB messages as JSON with escaping headroom. */
const MAX_REQUEST_BYTES = 8 * 1024 * 1024;

export async function startLocalSqs(options: LocalSqsOptions = {}): Promise<LocalSqs> {
  const engine = new QueueEngine();
  createQueues(engine, options.queues ?? []);

  const host = options.host ?? '127.0.0.1';
  let endpoint = '';
  const queueUrl = (name: string) => `${endpoint}/${ACCOUNT_ID}/${name}`;
  const server = createServer((req, res) => {
    handle(engine, queueUrl, req, res).catch((err: unknown) => {
      // Only a bug reaches here (operation errors are SqsErrors): answer like an AWS 500, keep the cause visible.
      console.error('local SQS: request failed', err);
      if (!res.headersSent) send(res, 500, { __type: 'com.amazonaws.sqs#InternalError', message: String(err) });
      else res.destroy();
    });
  });
  // Pollers reuse keep-alive sockets between long polls; Node's 5 s default closes idle ones so often that a
  // reuse races the close (ECONNRESET). AWS keeps them about a minute.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((ready, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 9324, host, () => {
      server.off('error', fail);
      ready();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  endpoint = `http://${urlHost}:${port}`;

  return {
    endpoint,
    queueUrl,
    queueArn,
    engine,
    stop: async () => {
      engine.close();
      // One turn for the ended long polls to write their empty responses before connections are cut.
      await new Promise((resolve) => setImmediate(resolve));
      const closed = new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
      // The SDK keeps connections alive; without this, close() waits for them to idle out.
      server.closeAllConnections();
      await closed;
    },
  };
}

/** Dead-letter targets must exist before the queue whose RedrivePolicy names them (SQS checks). */
function createQueues(engine: QueueEngine, queues: LocalQueueDefinition[]): void {
  const pending = [...queues];
  while (pending.length > 0) {
    const index = pending.findIndex((q) => !q.deadLetter || engine.has(q.deadLetter.targetName));
    if (index < 0) throw new Error(`local SQS: dead-letter target missing or cyclic for ${pending.map((q) => q.name).join(', ')}`);
    const [queue] = pending.splice(index, 1) as [LocalQueueDefinition];
    engine.createQueue(queue.name, {
      ...(queue.visibilityTimeoutSeconds !== undefined && { visibilityTimeoutSeconds: queue.visibilityTimeoutSeconds }),
      ...(queue.deadLetter && {
        redrive: { deadLetterTargetArn: queueArn(queue.deadLetter.targetName), maxReceiveCount: queue.deadLetter.maxReceiveCount },
      }),
    });
  }
}

async function handle(engine: QueueEngine, queueUrl: (name: string) => string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // A client that gives up on a long poll closes the socket; stop waiting so no message is taken for nobody.
  const aborted = new AbortController();
  res.once('close', () => aborted.abort());
  try {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (req.method !== 'POST' || !target.startsWith(TARGET_PREFIX)) {
      throw new SqsError('UnknownOperationException', 'The local SQS speaks only the AWS JSON 1.0 protocol (POST with x-amz-target).');
    }
    const name = target.slice(TARGET_PREFIX.length);
    const operation = Object.hasOwn(OPERATIONS, name) ? OPERATIONS[name] : undefined;
    if (!operation) throw new SqsError('UnknownOperationException', `Operation ${target} is not supported by the local SQS.`);
    const input = parseBody(await readBody(req));
    const output = await operation(input, { engine, queueUrl, signal: aborted.signal });
    if (!aborted.signal.aborted) send(res, 200, output);
  } catch (err) {
    if (!(err instanceof SqsError)) throw err;
    const wire = wireError(err);
    send(res, wire.status, wire.body, wire.headers);
  }
}

function parseBody(raw: string): Record<string, unknown> {
  try {
    const input: unknown = JSON.parse(raw === '' ? '{}' : raw);
    if (input && typeof input === 'object' && !Array.isArray(input)) return input as Record<string, unknown>;
  } catch {
    // fall through to the protocol's error for a body that is not a JSON object
  }
  throw new SqsError('SerializationException', 'The request body is not a JSON object.');
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REQUEST_BYTES) throw new SqsError('InvalidParameterValue', 'The request is too large.');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': JSON_CONTENT_TYPE,
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': randomUUID(),
    ...headers,
  });
  res.end(payload);
}
