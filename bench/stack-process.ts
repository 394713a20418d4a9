/**
 * A local stack in a process of its own, for benches that must tell the server's CPU from their
 * clients': the bench forks this file (`startStackProcess`), drives the stack over HTTP and WebSocket,
 * and asks it over IPC for
 *  - CPU used by the stack's Node process (handlers and the local fronts) and by DynamoDB Local's JVM;
 *  - AWS calls made by the handlers and the DynamoDB capacity they consumed, between `observe` and
 *    `collect` (while observing, every DynamoDB call asks for ReturnConsumedCapacity=TOTAL).
 *  - the CPU of one DynamoDB call through the SDK in that process (`probe`: sequential GetItems), the
 *    floor under the CPU of an edit, which makes at least one such call.
 *  - who spent the stack's CPU between `profileStart` and `profileStop` (node:inspector's sampling
 *    profiler, sorted by bench/profile-summary.ts into what would run in Lambda and the API Gateway
 *    emulation);
 * BENCH_PROFILE_DIR=dir runs the stack under `node --cpu-prof` (the profile is written when it stops;
 * `npx tsx bench/profile-summary.ts FILE` sorts it by who spends). BENCH_PUSH_VIA=management-api makes the
 * handlers push through the SDK client and the local Management API over HTTP, as in AWS (default: direct).
 * BENCH_DDB_ENDPOINT=http://127.0.0.1:PORT uses a DynamoDB Local that is already running.
 */
import './quiet.js';
import { fork, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Usage {
  /** CPU microseconds (user + system) of the stack's Node process since it started. */
  stackCpuUs: number;
  /** CPU microseconds of DynamoDB Local's JVM since it started (0 when it was not found). */
  jvmCpuUs: number;
}

export interface Observed {
  /** `dynamodb:Query`, `apigatewaymanagementapi:PostToConnection`, … → count. */
  calls: Record<string, number>;
  /** Capacity units DynamoDB reported (TransactWriteItems reports per table; cancelled calls report none). */
  readUnits: number;
  writeUnits: number;
  /** DynamoDB calls that failed (a transaction cancelled by its condition, …): no capacity reported. */
  failed: number;
}

type Request = { id: number; cmd: 'usage' | 'observe' | 'collect' | 'probe' | 'profile-start' | 'profile-stop' | 'stop' };
type Reply = { id: number; result: unknown } | { ready: { httpUrl: string; wsUrl: string; ddbEndpoint: string } };

export interface StackProcess {
  httpUrl: string;
  wsUrl: string;
  usage(): Promise<Usage>;
  observe(): Promise<void>;
  collect(): Promise<Observed>;
  /** CPU microseconds per DynamoDB GetItem through the handlers' SDK client (mean of sequential calls). */
  probe(): Promise<number>;
  /** Starts sampling the stack's main thread (every 10 ms, BENCH_PROFILE_INTERVAL_US: at 2 ms the profiler added 0.6-1.0 CPU-s per 1,000 edits at 40 edits/s). */
  profileStart(): Promise<void>;
  /** Sampled milliseconds by part since profileStart (bench/profile-summary.ts `summarise`). */
  profileStop(): Promise<{ part: string; ms: number }[]>;
  stop(): Promise<void>;
}

/** Forks the stack (DynamoDB Local on a free port, no execution pipeline) and waits until it serves. */
export async function startStackProcess(): Promise<StackProcess> {
  const profile = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
  const child = fork(fileURLToPath(import.meta.url), ['--child'], { execArgv: ['--import', 'tsx', ...profile], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map<number, (v: unknown) => void>();
  let nextId = 0;
  const ready = new Promise<{ httpUrl: string; wsUrl: string }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`stack process exited (${code}) before it was ready`)));
    child.on('message', (m: Reply) => {
      if ('ready' in m) resolve(m.ready);
      else pending.get(m.id)?.(m.result), pending.delete(m.id);
    });
  });
  const ask = <T>(cmd: Request['cmd']) =>
    new Promise<T>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve as (v: unknown) => void);
      child.send({ id, cmd } satisfies Request);
    });
  const urls = await ready;
  return {
    ...urls,
    usage: () => ask<Usage>('usage'),
    observe: () => ask<void>('observe'),
    collect: () => ask<Observed>('collect'),
    probe: () => ask<number>('probe'),
    profileStart: () => ask<void>('profile-start'),
    profileStop: () => ask<{ part: string; ms: number }[]>('profile-stop'),
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      await ask('stop');
      await exited;
    },
  };
}

/** CPU microseconds of a process from /proc/<pid>/stat (utime + stime, in clock ticks of 10 ms). */
export function procCpuUs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return 0;
  }
}

/** DynamoDB Local's JVM: the java process whose command line holds `-port <port>`. */
function findJvm(port: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args.some((a) => a.includes('DynamoDBLocal')) && args[args.indexOf('-port') + 1] === port) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

async function runChild(child: ChildProcess | NodeJS.Process): Promise<void> {
  const { startLocalStack } = await import('../local/stack.js');
  const { dynamo, observeCommands } = await import('#aws/clients.js');
  const { GetCommand } = await import('@aws-sdk/lib-dynamodb');
  const { Session } = await import('node:inspector/promises');
  const { summarise } = await import('./profile-summary.js');
  const inspector = new Session();
  const pushVia = process.env.BENCH_PUSH_VIA === 'management-api' ? 'management-api' : 'direct';
  // BENCH_DDB_ENDPOINT: a DynamoDB Local already running (on a busy machine its JVM can take longer to
  // start than the stack waits); its JVM is still found by its port.
  const ddbEndpoint = process.env.BENCH_DDB_ENDPOINT || undefined;
  const stack = await startLocalStack({ port: 0, ddbPort: 0, quiet: true, pipeline: false, pushVia, ddbEndpoint });
  const jvm = findJvm(new URL(stack.ddbEndpoint).port);

  let observed: Observed | undefined;
  let stopObserving: (() => void) | undefined;
  const client = dynamo();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (!observed) return next(args);
      const input = args.input as { ReturnConsumedCapacity?: string };
      input.ReturnConsumedCapacity ??= 'TOTAL';
      const seen = observed;
      const reads = /^(Get|BatchGet|TransactGet|Query|Scan)/.test(String(context.commandName));
      try {
        const out = await next(args);
        const cc = (out.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
        for (const c of (Array.isArray(cc) ? cc : cc ? [cc] : []) as { CapacityUnits?: number }[]) {
          if (reads) seen.readUnits += c.CapacityUnits ?? 0;
          else seen.writeUnits += c.CapacityUnits ?? 0;
        }
        return out;
      } catch (err) {
        seen.failed++;
        throw err;
      }
    },
    { step: 'initialize', name: 'benchConsumedCapacity' },
  );

  const handle = async (m: Request): Promise<unknown> => {
    switch (m.cmd) {
      case 'usage': {
        const cpu = process.cpuUsage();
        return { stackCpuUs: cpu.user + cpu.system, jvmCpuUs: jvm ? procCpuUs(jvm) : 0 } satisfies Usage;
      }
      case 'observe': {
        const current: Observed = { calls: {}, readUnits: 0, writeUnits: 0, failed: 0 };
        observed = current;
        stopObserving = observeCommands((service, command) => {
          const key = `${service}:${command.replace(/Command$/, '')}`;
          current.calls[key] = (current.calls[key] ?? 0) + 1;
        });
        return undefined;
      }
      case 'collect': {
        stopObserving?.();
        const out = observed;
        observed = undefined;
        return out;
      }
      case 'probe': {
        const get = () => client.send(new GetCommand({ TableName: stack.tableName, Key: { PK: 'BENCH', SK: 'PROBE' }, ConsistentRead: true }));
        for (let i = 0; i < 50; i++) await get();
        const calls = 300;
        const cpu0 = process.cpuUsage();
        for (let i = 0; i < calls; i++) await get();
        const cpu = process.cpuUsage(cpu0);
        return (cpu.user + cpu.system) / calls;
      }
      case 'profile-start':
        inspector.connect();
        await inspector.post('Profiler.enable');
        await inspector.post('Profiler.setSamplingInterval', { interval: Number(process.env.BENCH_PROFILE_INTERVAL_US ?? 10_000) });
        await inspector.post('Profiler.start');
        return undefined;
      case 'profile-stop': {
        const { profile } = await inspector.post('Profiler.stop');
        inspector.disconnect();
        // BENCH_PROFILE_PHASE=file keeps the profile for bench/profile-summary.ts (its top frames).
        if (process.env.BENCH_PROFILE_PHASE) writeFileSync(process.env.BENCH_PROFILE_PHASE, JSON.stringify(profile));
        return summarise(profile as Parameters<typeof summarise>[0]);
      }
      case 'stop':
        await stack.stop();
        setImmediate(() => process.exit(0));
        return undefined;
    }
  };
  // The bench died without asking: do not leave a stack (and its JVM) behind.
  process.once('disconnect', () => void stack.stop().finally(() => process.exit(0)));
  child.on('message', (m: Request) => {
    void handle(m).then((result) => child.send!({ id: m.id, result }));
  });
  child.send!({ ready: { httpUrl: stack.httpUrl, wsUrl: stack.wsUrl, ddbEndpoint: stack.ddbEndpoint } } satisfies Reply);
}

if (process.argv.includes('--child') && process.send) await runChild(process);
