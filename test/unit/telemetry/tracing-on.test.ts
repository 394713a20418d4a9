/**
 * shared/telemetry/tracing.ts as a function deployed with `-c tracing=true` runs it: POWERTOOLS_TRACE_ENABLED
 * set and Lambda's X-Ray environment (trace header, daemon address). The X-Ray SDK sends each closed
 * subsegment to the daemon over UDP; the test is the daemon and reads what would reach X-Ray: one
 * `## <handler>` subsegment per invocation (cold start annotated, no response recorded) and the AWS SDK
 * call as a DynamoDB subsegment inside it.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

type Doc = Record<string, any>;
const received: Doc[] = [];
let daemon: Socket;
let dynamoServer: Server;
let tracing: typeof import('#telemetry/tracing.js');

const savedEnv = { ...process.env };

beforeAll(async () => {
  daemon = createSocket('udp4');
  daemon.on('message', (msg) => {
    // Each datagram: a header line, then one segment or subsegment document.
    const [, body] = msg.toString('utf8').split('\n');
    if (body) received.push(JSON.parse(body) as Doc);
  });
  await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
  // A DynamoDB endpoint answering every call with an empty item: the call itself is what is traced.
  dynamoServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}'));
  await new Promise<void>((resolve) => dynamoServer.listen(0, '127.0.0.1', resolve));
  Object.assign(process.env, {
    POWERTOOLS_TRACE_ENABLED: 'true',
    POWERTOOLS_SERVICE_NAME: 'interview-ws-message',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_FUNCTION_NAME: 'interview-dev-ws-message',
    LAMBDA_TASK_ROOT: '/var/task',
    _HANDLER: 'index.handler',
    _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
    AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${(daemon.address() as AddressInfo).port}`,
    AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
  });
  tracing = await import('#telemetry/tracing.js');
});

afterAll(() => {
  daemon?.close();
  dynamoServer?.close();
  for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
  Object.assign(process.env, savedEnv);
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
}

describe('tracing on (-c tracing=true)', () => {
  it('records the handler as a subsegment with the SDK call inside it, and never the response', async () => {
    const { DynamoDBClient, GetItemCommand } = await import('@aws-sdk/client-dynamodb');
    expect(tracing.tracer?.isTracingEnabled()).toBe(true);
    const client = tracing.traceClient(
      new DynamoDBClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${(dynamoServer.address() as AddressInfo).port}`, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
    );
    expect(client.middlewareStack.identify().join('\n')).toMatch(/XRay/);
    const handler = tracing.traceHandler(async (key: string) => {
      await client.send(new GetItemCommand({ TableName: 'interview-dev', Key: { PK: { S: key } } }));
      return { statusCode: 201, body: '{"interviewerToken":"secret-token"}' };
    });
    expect(await handler('S#1')).toEqual({ statusCode: 201, body: '{"interviewerToken":"secret-token"}' });

    await until(() => received.some((d) => d.name === '## index.handler'));
    const handlerSegment = received.find((d) => d.name === '## index.handler');
    expect(handlerSegment).toMatchObject({ trace_id: '1-5759e988-bd862e3fe1be46a994272793', parent_id: '53995c3f42cd8ad8' });
    expect(handlerSegment!.annotations).toMatchObject({ ColdStart: true, Service: 'interview-ws-message' });
    expect(JSON.stringify(received)).not.toContain('secret-token');
    // The SDK call: its own subsegment (streamed on close) or nested in the handler's.
    const all = received.flatMap(function flat(d: Doc): Doc[] {
      return [d, ...((d.subsegments ?? []) as Doc[]).flatMap(flat)];
    });
    const call = all.find((d) => d.name === 'DynamoDB');
    expect(call).toMatchObject({ namespace: 'aws', aws: { operation: 'GetItem', table_name: 'interview-dev' } });
    expect(call!.parent_id ?? handlerSegment!.id).toBe(handlerSegment!.id);
  });

  it('records a failing handler with its error, and rethrows it', async () => {
    received.length = 0;
    const handler = tracing.traceHandler(async () => {
      throw new Error('boom');
    });
    await expect(handler()).rejects.toThrow('boom');
    await until(() => received.some((d) => d.name === '## index.handler'));
    const doc = received.find((d) => d.name === '## index.handler')!;
    expect(doc.annotations.ColdStart).toBe(false);
    expect(doc.fault || doc.error).toBe(true);
    expect(JSON.stringify(doc.cause)).toContain('boom');
  });
});
