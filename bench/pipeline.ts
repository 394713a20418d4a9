/**
 * Execution pipeline figures against a local stack of its own (printed, no pass/fail):
 *   npx tsx bench/pipeline.ts
 *  (a) `run-code` → `execution-finished` latency, python hello world, sequential (goal: p50 ≤ 300 ms);
 *  (b) throughput of a burst of python runs, with 1 and then 2 local runners (2 slots each);
 *  (c) AWS calls per run: measured in the handlers (they run in this process: observeCommands), and the
 *      runner's calls counted from runner/execution-job.ts (runners are separate processes);
 *  (d) a modeled AWS timeline, and the cost of one interview-hour from THE cost model (bench/cost.ts).
 * Budget: under ~3 minutes.
 */
import './quiet.js';
import { observeCommands } from '#aws/clients.js';
import { liveRunners } from '#aws/store/runner-registry.js';
import { startLocalStack, type LocalStack } from '../local/stack.js';
import { api, createSession, TextClient, type CreatedSession } from '../test/integration/clients.js';
import { DEFAULT_CPU, DEFAULT_MEMORY_MIB } from '../infra/constructs/runners.js';
import { formatUsd, INTERVIEW, interviewHourModel, NO_STACK_FACTS, PRICES, summarize, type TemplateFacts } from './cost.js';
import { percentile, round, table } from './stats.js';

const LATENCY_RUNS = Number(process.env.BENCH_RUNS ?? 40);
const BURST = Number(process.env.BENCH_BURST ?? 60);
const HELLO = 'print("Hello, world!")\n';
/** docs/protocol.md §4: 10 runs/min per user; the benches spread runs so none is refused. */
const RUNS_PER_USER = 5;

interface Room {
  session: CreatedSession;
  client: TextClient;
}

async function openRoom(stack: LocalStack): Promise<Room> {
  const session = await createSession(stack.httpUrl, { language: 'python' });
  const client = await TextClient.join({ httpUrl: stack.httpUrl, wsUrl: stack.wsUrl, sessionId: session.sessionId, token: session.interviewerToken });
  await client.change(HELLO);
  return { session, client };
}

/** One `run-code` from the room's client; times to queued / started / finished as that client saw them. */
async function runOnce(room: Room): Promise<{ queued: number; started: number; finished: number; durationMs: number }> {
  const t0 = performance.now();
  room.client.ws.send({ action: 'run-code' });
  const queued = await room.client.ws.take('execution-queued', () => true, 30_000);
  const tq = performance.now() - t0;
  const started = await room.client.ws.take('execution-started', (m) => m.executionId === queued.executionId, 30_000);
  const ts = performance.now() - t0;
  const finished = await room.client.ws.take('execution-finished', (m) => m.executionId === started.executionId, 30_000);
  if (finished.status !== 'COMPLETED') throw new Error(`run ended ${finished.status}: ${finished.stderr}`);
  return { queued: tq, started: ts, finished: performance.now() - t0, durationMs: finished.durationMs };
}

async function waitForRunners(count: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await liveRunners('python')).length < count) {
    if (Date.now() > deadline) throw new Error(`fewer than ${count} python runners after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** `n` runs POSTed at once over HTTP, both roles of n/10 sessions; runs/s from first POST to last finished. */
async function burst(stack: LocalStack, n: number): Promise<{ seconds: number; perSecond: number; p50: number; p99: number }> {
  const rooms = await Promise.all(Array.from({ length: Math.ceil(n / (2 * RUNS_PER_USER)) }, () => openRoom(stack)));
  const t0 = performance.now();
  const posts: Promise<{ room: Room; id: string }>[] = [];
  for (let i = 0; i < n; i++) {
    const room = rooms[Math.floor(i / (2 * RUNS_PER_USER))]!;
    const token = i % 2 === 0 ? room.session.interviewerToken : room.session.candidateToken;
    posts.push(
      api(stack.httpUrl, 'POST', `/api/sessions/${room.session.sessionId}/executions`, token, { code: HELLO }).then((res) => {
        if (res.status !== 202) throw new Error(`POST /executions -> ${res.status} ${JSON.stringify(res.body)}`);
        return { room, id: res.body.executionId as string };
      }),
    );
  }
  const latencies = await Promise.all(
    (await Promise.all(posts)).map(async ({ room, id }) => {
      const finished = await room.client.ws.take('execution-finished', (m) => m.executionId === id, 120_000);
      if (finished.status !== 'COMPLETED') throw new Error(`burst run ended ${finished.status}`);
      return performance.now() - t0;
    }),
  );
  await Promise.all(rooms.map((r) => r.client.ws.close()));
  const seconds = Math.max(...latencies) / 1000;
  return { seconds: round(seconds, 2), perSecond: round(n / seconds, 1), p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)) };
}

/** Handler-side AWS calls per run request, averaged over `rounds` requests (DynamoDB, SQS, management API). */
async function handlerCalls(stack: LocalStack, rounds: number, via: 'ws' | 'http'): Promise<Record<string, number>> {
  const room = await openRoom(stack);
  const peer = await TextClient.join({ httpUrl: stack.httpUrl, wsUrl: stack.wsUrl, sessionId: room.session.sessionId, token: room.session.candidateToken });
  await new Promise((r) => setTimeout(r, 500)); // the joins' tails (user-joined push, history) are not a run's calls
  const counts: Record<string, number> = {};
  const stop = observeCommands((service, command) => {
    const key = `${service}:${command.replace(/Command$/, '')}`;
    counts[key] = (counts[key] ?? 0) + 1;
  });
  try {
    for (let i = 0; i < rounds; i++) {
      if (via === 'ws') {
        room.client.ws.send({ action: 'run-code' });
        const queued = await room.client.ws.take('execution-queued', () => true, 30_000);
        await room.client.ws.take('execution-finished', (m) => m.executionId === queued.executionId, 30_000);
      } else {
        const res = await api(stack.httpUrl, 'POST', `/api/sessions/${room.session.sessionId}/executions`, room.session.interviewerToken, { code: HELLO });
        await room.client.ws.take('execution-finished', (m) => m.executionId === res.body.executionId, 30_000);
      }
    }
  } finally {
    stop();
    await Promise.all([room.client.ws.close(), peer.ws.close()]);
  }
  return Object.fromEntries(Object.entries(counts).sort().map(([k, v]) => [k, round(v / rounds, 2)]));
}

/** Read off runner/execution-job.ts and runner/worker.ts (P = participants connected, B = output batches). */
const RUNNER_CALLS = [
  { call: 'sqs:ReceiveMessage', perRun: '≤ 1 (one long poll takes up to min(10, free slots) messages)', note: 'idle: 1 per 20 s per runner' },
  { call: 'dynamodb:UpdateItem (claim)', perRun: '1', note: '+1 GetItem only when the claim is refused (duplicate, busy)' },
  { call: 'dynamodb:Query (connections)', perRun: '2', note: 'before execution-started and before execution-finished' },
  { call: 'execute-api:PostToConnection', perRun: 'P × (1 started + B output + 1 finished)', note: 'B = 1 for a hello world, ≤ 1 per 50 ms of output' },
  { call: 'dynamodb:TransactWriteItems (finish)', perRun: '1 (2 items: execution + history)', note: '4 WRU (transactions cost 2 per item)' },
  { call: 'sqs:DeleteMessage', perRun: '1', note: '' },
  { call: 'sqs:ChangeMessageVisibility', perRun: '0', note: 'every 20 s while a job runs: only compile + run > 20 s' },
  { call: 'dynamodb:PutItem (heartbeat)', perRun: '0', note: '1 per 15 s per runner' },
];

/**
 * (d) the interview-hour and warm-mode figures of THE cost model (bench/cost.ts, docs/cost.md), for the
 * default stack; `npx tsx bench/cost.ts` derives the same from the synthesized template.
 */
function costModel(): void {
  const facts: TemplateFacts = {
    ...NO_STACK_FACTS,
    task: { vcpu: DEFAULT_CPU / 1024, memoryGB: DEFAULT_MEMORY_MIB / 1024 },
  };
  const lines = interviewHourModel(facts);
  const s = summarize(facts);
  console.log(`\n(d) Modeled cost of one interview-hour (${INTERVIEW.participants} participants, ${INTERVIEW.minutes} min, ${INTERVIEW.edits} edits, ${INTERVIEW.cursorUpdates} cursor updates, ${INTERVIEW.runs} runs, 1 language)`);
  console.log(table([...lines, { item: 'TOTAL per interview-hour', quantity: '', usd: s.interviewHour, basis: '' }].map((l) => ({ item: l.item, quantity: l.quantity, usd: `$${l.usd.toFixed(5)}` }))));
  console.log(
    [
      `Prices and assumptions: docs/cost.md (bench/cost.ts, bench/cost-prices.ts). Fargate ARM ${facts.task.vcpu} vCPU/${facts.task.memoryGB} GB = $${(facts.task.vcpu * PRICES.fargateVcpuHour.usd + facts.task.memoryGB * PRICES.fargateGbHour.usd + PRICES.publicIpv4Hour.usd).toFixed(4)}/h with its public IPv4.`,
      `Warm mode (-c warmRunners=1, 8 languages): ${formatUsd.warm(s.warmMonthly)} more per month; cold mode is cheaper below ~${Math.round(s.warmMonthly / s.interviewHour)} interview-hours/month`,
      '  (and concurrent interviews of one language share a runner: 2 slots, up to 4 runners per language).',
    ].join('\n'),
  );
}

function timeline(medians: { durationMs: number }): void {
  console.log('\n(d) Modeled AWS timeline of a run (warm runner; typical in-region latencies, assumed)');
  const steps: [string, number][] = [
    ['client → API Gateway WS → ws-message Lambda (warm)', 25],
    ['session + connections read, rate limit, execution TransactWrite', 25],
    ['SQS SendMessage; execution-queued PostToConnection ×P (parallel)', 25],
    ['runner long poll returns the message', 10],
    ['claim UpdateItem + connections Query', 15],
    ['execution-started PostToConnection ×P', 20],
    [`sandbox: python hello world (measured locally, median)`, medians.durationMs + 30],
    ['last output batch PostToConnection ×P', 20],
    ['finish TransactWrite + connections Query', 20],
    ['execution-finished PostToConnection → client', 25],
  ];
  let at = 0;
  console.log(table(steps.map(([step, ms]) => ({ step, ms, 'at (ms)': (at += ms) }))));
  console.log(
    'Cold runner: the first join launches a task (launch queue → launcher Lambda → RunTask); RUNNING after 30–60 s\n' +
      '  (image pull + boot), usually before the first run of an interview; a run that arrives earlier waits for it.',
  );
}

export async function main(): Promise<void> {
  const t0 = performance.now();
  const stack = await startLocalStack({ port: 0, ddbPort: 0, quiet: true });
  try {
    // (a) latency: one warm-up (boots the runner the join asked for), then sequential runs across rooms.
    const rooms = await Promise.all(Array.from({ length: Math.ceil(LATENCY_RUNS / 8) }, () => openRoom(stack)));
    await runOnce(rooms[0]!);
    const samples = [];
    for (let i = 0; i < LATENCY_RUNS; i++) samples.push(await runOnce(rooms[Math.floor(i / 8)]!));
    await Promise.all(rooms.map((r) => r.client.ws.close()));
    const row = (what: string, xs: number[]) => ({ 'since run-code': what, p50: round(percentile(xs, 50)), p99: round(percentile(xs, 99)), max: round(Math.max(...xs)) });
    console.log(`(a) run-code → events at the sender, python hello world, ${LATENCY_RUNS} sequential runs, warm runner (ms; goal p50 finished ≤ 300)`);
    console.log(
      table([
        row('execution-queued', samples.map((s) => s.queued)),
        row('execution-started', samples.map((s) => s.started)),
        row('execution-finished', samples.map((s) => s.finished)),
        row('(sandbox durationMs)', samples.map((s) => s.durationMs)),
      ]),
    );

    // (b) throughput: one runner, then a second one launched through the stack's launcher.
    const one = await burst(stack, BURST);
    const runnersBefore = (await liveRunners('python')).length;
    await stack.pipeline!.runners.launch('python', 2 - runnersBefore);
    await waitForRunners(2);
    const two = await burst(stack, BURST);
    console.log(`\n(b) Burst of ${BURST} python runs POSTed at once (${BURST / (2 * RUNS_PER_USER)} sessions × 2 roles × ${RUNS_PER_USER}), 2 slots per runner`);
    console.log(
      table([
        { runners: runnersBefore, 'total s': one.seconds, 'runs/s': one.perSecond, 'p50 finished (ms)': one.p50, 'p99 finished (ms)': one.p99 },
        { runners: (await liveRunners('python')).length, 'total s': two.seconds, 'runs/s': two.perSecond, 'p50 finished (ms)': two.p50, 'p99 finished (ms)': two.p99 },
      ]),
    );

    // (c) calls per run.
    const ws = await handlerCalls(stack, 8, 'ws');
    const http = await handlerCalls(stack, 8, 'http');
    console.log('\n(c) AWS calls per run request made by the handlers (measured; 2 participants connected; averaged over 8 runs)');
    console.log(table([...new Set([...Object.keys(ws), ...Object.keys(http)])].sort().map((call) => ({ call, 'WS run-code': ws[call] ?? 0, 'HTTP POST': http[call] ?? 0 }))));
    console.log('    AWS calls per run made by the runner (counted from runner/execution-job.ts, runner/worker.ts)');
    console.log(table(RUNNER_CALLS));

    timeline({ durationMs: percentile(samples.map((s) => s.durationMs), 50) });
    costModel();
    console.log(`\nbench/pipeline.ts took ${round((performance.now() - t0) / 1000)} s`);
  } finally {
    await stack.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
