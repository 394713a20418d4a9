/**
 * The CPU one AWS request costs the process that makes it, by way of making it:  npx tsx bench/sdk-call.ts
 *
 * Every edit pays at least one such request (its append: a TransactWriteItems), and in AWS one
 * PostToConnection per recipient, so this is the floor under "our CPU per edit" (bench/realtime.ts,
 * docs/document.md). The server is a child process that answers every request with an empty 200 at
 * once, so only the client's side is measured: the product's clients (shared/aws/clients.ts, configured
 * as in the local stack) against bare `node:http` with and without a SigV4 signature (@smithy/signature-v4,
 * the SDK's own signer) over a keep-alive agent, the least any client could do.
 * Sequential requests, BENCH_CALLS each (default 2,000) after 300 to warm up; CPU from process.cpuUsage.
 */
import './quiet.js';
import { fork } from 'node:child_process';
import http from 'node:http';
import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@smithy/core/checksum';
import { dynamo, dynamoBase, localCredentials, management } from '#aws/clients.js';
import { ENV, resetConfig } from '#aws/config.js';
import { marshallTransaction } from '#aws/store/items.js';
import { round, table } from './stats.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 2_000);

if (process.argv[2] === 'server') {
  // The child: answers everything with an empty JSON 200 as soon as the request is read.
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'r', 'content-length': 2 });
      res.end('{}');
    });
  });
  server.listen(0, '127.0.0.1', () => process.send!((server.address() as { port: number }).port));
} else {
  await main();
}

async function main(): Promise<void> {
  const child = fork(new URL(import.meta.url).pathname, ['server'], { execArgv: ['--import', 'tsx'] });
  const port = await new Promise<number>((resolve) => child.once('message', (p) => resolve(Number(p))));
  const endpoint = `http://127.0.0.1:${port}`;
  process.env[ENV.dynamoEndpoint] = endpoint;
  process.env[ENV.wsManagementEndpoint] = `${endpoint}/@connections-api`;
  process.env[ENV.tableName] = 'interview-bench';
  resetConfig();

  const rows: Record<string, string | number>[] = [];
  const measure = async (way: string, call: () => Promise<unknown>) => {
    for (let i = 0; i < 300; i++) await call();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < CALLS; i++) await call();
    const cpu = process.cpuUsage(cpu0);
    rows.push({ way, 'CPU ms/request': round((cpu.user + cpu.system) / CALLS / 1000, 3), 'wall ms/request': round((performance.now() - t0) / CALLS, 3) });
  };

  let n = 0;
  const append = (): TransactWriteCommandInput => {
    const next = ++n;
    const at = new Date().toISOString();
    return {
      ClientRequestToken: `abcdefghijklmnop-${next}`,
      TransactItems: [
        {
          Update: {
            TableName: 'interview-bench',
            Key: { PK: 'S#01J0BENCH', SK: 'META' },
            UpdateExpression: 'SET version = :next, lastActivity = :at',
            ConditionExpression: 'version = :expected AND #status = :active AND expiresAtEpoch > :now AND connEpoch = :connEpoch',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':next': next, ':expected': next - 1, ':at': at, ':active': 'active', ':now': 1_796_000_000, ':connEpoch': 5 },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
        {
          Put: {
            TableName: 'interview-bench',
            Item: { PK: 'S#01J0BENCH', SK: `DOC#${String(next).padStart(12, '0')}#U`, version: next, update: new Uint8Array(40), at, userId: 'u-1', writeId: 'abcdefghijklmnop', ttl: 1_796_000_000 },
            ConditionExpression: 'attribute_not_exists(SK)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
      ],
    };
  };

  await measure('append: DocumentClient TransactWriteCommand (before)', () => dynamo().send(new TransactWriteCommand(append())));
  await measure('append: base client, marshalled by us (now)', () => dynamoBase().send(new TransactWriteItemsCommand(marshallTransaction(append()))));
  const data = new TextEncoder().encode(JSON.stringify({ type: 'yjs-update', update: 'AQHx8/6pDgAEAQRjb2RlAWE=', userId: 'u-1' }));
  await measure('PostToConnection: management client (AWS path)', () => management().send(new PostToConnectionCommand({ ConnectionId: 'Abc123=', Data: data })));

  const agent = new http.Agent({ keepAlive: true });
  const signer = new SignatureV4({ service: 'dynamodb', region: process.env.AWS_REGION ?? 'us-east-1', credentials: localCredentials, sha256: Sha256 });
  const bare = async (signed: boolean) => {
    const body = JSON.stringify(marshallTransaction(append()));
    let headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.TransactWriteItems', host: `127.0.0.1:${port}` };
    if (signed) {
      const request = await signer.sign({ method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port, path: '/', headers, body, query: {} });
      headers = request.headers;
    }
    await new Promise<void>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => (JSON.parse(Buffer.concat(chunks).toString()), resolve()));
      });
      req.on('error', reject);
      req.end(body);
    });
  };
  await measure('append: bare node:http + SigV4 (no SDK client)', () => bare(true));
  await measure('append: bare node:http, unsigned', () => bare(false));

  console.log(`CPU of one request in the process that makes it (${CALLS} sequential requests each, answered at once by another process)`);
  console.log(table(rows));
  agent.destroy();
  child.kill();
  process.exit(0);
}
