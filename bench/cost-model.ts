/**
 * The cost model (entry point and documentation: bench/cost.ts): idle per stage, per interview-hour,
 * warm mode. Counts that depend on the deployment (alarms and their metrics, event-source pollers, schedules,
 * function memory, task size, PITR, Container Insights) are read from the synthesized template, so the
 * model follows the stack; prices and usage assumptions are named constants below.
 */
import { PRICES, type Price } from './cost-prices.js';

export { PRICES };

const HOURS_PER_MONTH = 730;
const MINUTES_PER_MONTH = HOURS_PER_MONTH * 60;
const KB = 1 / (1024 * 1024); // in GB

type Json = Record<string, any>;

/** What the model needs from a synthesized template. */
export interface TemplateFacts {
  /** One entry per alarm: the number of metrics it evaluates (each is billed). */
  alarmMetrics: number[];
  compositeAlarms: number;
  dashboards: number;
  /** SQS event-source mappings: Lambda keeps pollers long-polling each, messages or not. */
  sqsEventSources: number;
  /** Scheduled rules: invocations per month and the target's memory (MB). */
  schedules: { perMonth: number; memoryMB: number }[];
  pitr: boolean;
  containerInsights: boolean;
  /** The on-demand runner task size. */
  task: { vcpu: number; memoryGB: number };
  /** Always-on runner tasks (warm services). */
  warmTasks: number;
  functionMemoryMB: number;
}

export function templateFacts(template: Json): TemplateFacts {
  const resources = Object.entries((template.Resources ?? {}) as Record<string, Json>);
  const ofType = (type: string) => resources.filter(([, r]) => r.Type === type).map(([id, r]) => [id, r.Properties ?? {}] as [string, Json]);
  const functions = new Map(ofType('AWS::Lambda::Function'));
  const memoryOf = (target: Json) => Number(functions.get(target?.['Fn::GetAtt']?.[0])?.MemorySize ?? 128);
  const schedules = ofType('AWS::Events::Rule')
    .filter(([, p]) => typeof p.ScheduleExpression === 'string')
    .map(([, p]) => {
      const m = /^rate\((\d+) (minute|minutes|hour|hours)\)$/.exec(p.ScheduleExpression as string);
      if (!m) throw new Error(`cost model: cannot read schedule ${p.ScheduleExpression}`);
      const everyMinutes = Number(m[1]) * (m[2]!.startsWith('hour') ? 60 : 1);
      return { perMonth: MINUTES_PER_MONTH / everyMinutes, memoryMB: memoryOf((p.Targets as Json[])[0]!.Arn) };
    });
  const tasks = ofType('AWS::ECS::TaskDefinition');
  const onDemand = tasks.find(([, p]) => !String(JSON.stringify(p.Family)).includes('-warm')) ?? tasks[0];
  const clusters = ofType('AWS::ECS::Cluster');
  // The project's functions (ProjectFunction sets POWERTOOLS_SERVICE_NAME), not CDK's deployment helpers.
  const memories = [...functions.values()].filter((f) => f.Environment?.Variables?.POWERTOOLS_SERVICE_NAME).map((f) => Number(f.MemorySize ?? 128));
  return {
    alarmMetrics: ofType('AWS::CloudWatch::Alarm').map(([, p]) => (p.MetricName ? 1 : (p.Metrics as Json[]).filter((m) => m.MetricStat).length)),
    compositeAlarms: ofType('AWS::CloudWatch::CompositeAlarm').length,
    dashboards: ofType('AWS::CloudWatch::Dashboard').length,
    sqsEventSources: ofType('AWS::Lambda::EventSourceMapping').length,
    schedules,
    pitr: ofType('AWS::DynamoDB::Table').some(([, p]) => p.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled === true),
    containerInsights: clusters.some(([, p]) => (p.ClusterSettings as Json[] | undefined)?.some((s) => s.Name === 'containerInsights' && s.Value !== 'disabled')),
    task: { vcpu: Number(onDemand?.[1].Cpu ?? 1024) / 1024, memoryGB: Number(onDemand?.[1].Memory ?? 2048) / 1024 },
    warmTasks: ofType('AWS::ECS::Service').reduce((n, [, p]) => n + Number(p.DesiredCount ?? 0), 0),
    functionMemoryMB: memories.length ? memories.reduce((a, b) => a + b, 0) / memories.length : 512,
  };
}

/**
 * The facts of a stack with nothing idle-billed, for callers that only need the per-hour model without
 * synthesizing (bench/pipeline.ts sets the task size from infra/constructs/runners.ts).
 */
export const NO_STACK_FACTS: TemplateFacts = {
  alarmMetrics: [],
  compositeAlarms: 0,
  dashboards: 0,
  sqsEventSources: 0,
  schedules: [],
  pitr: false,
  containerInsights: false,
  task: { vcpu: 1, memoryGB: 2 },
  warmTasks: 0,
  functionMemoryMB: 512,
};

export interface Line {
  item: string;
  quantity: string;
  usd: number;
  /** The price(s) and the assumption behind the quantity. */
  basis: string;
}

const cost = (item: string, quantity: number, unit: string, price: Price, basis: string): Line => ({
  item,
  quantity: `${Number(quantity.toPrecision(4)).toLocaleString('en-US')} ${unit}`,
  usd: quantity * price.usd,
  basis: `${basis}; ${price.label}`,
});

/** Idle usage assumptions (a stage with no interview running, a month after its first deploy). */
export const IDLE = {
  /** Lambda keeps ~5 pollers on a standard queue while it is empty, each long-polling 20 s. */
  pollersPerEventSource: 5,
  receivesPerPollerPerMinute: 3,
  /** Watchdog tick with nothing overdue: 2 index Queries + 1 of the live-connection gauges, ~150 ms billed, ~0.5 KB of platform log lines. */
  watchdogQueries: 3,
  watchdogBilledSeconds: 0.15,
  watchdogLogKB: 0.5,
  /** DynamoDB asks KMS for the AWS managed key about every 5 min per caller while called (watchdog). */
  kmsRequestsPerMonth: (MINUTES_PER_MONTH / 5),
  /** 8 runner images: shared Node/Debian layers once + one toolchain each, compressed (ECR bills stored bytes). */
  ecrGB: 1.5,
  /** Table size after weeks of use with 7-day retention (sessions, logs, snapshots of a few hundred interviews). */
  tableGB: 0.2,
  /** Retained CloudWatch Logs (2 weeks dev / 3 months prod of what the interviews logged). */
  logStorageGB: 0.2,
} as const;

export function idleModel(facts: TemplateFacts): Line[] {
  const metrics = facts.alarmMetrics.reduce((a, b) => a + b, 0);
  const polls = facts.sqsEventSources * IDLE.pollersPerEventSource * IDLE.receivesPerPollerPerMinute * MINUTES_PER_MONTH;
  const ticks = facts.schedules.reduce((n, s) => n + s.perMonth, 0);
  const gbSeconds = facts.schedules.reduce((n, s) => n + s.perMonth * IDLE.watchdogBilledSeconds * (s.memoryMB / 1024), 0);
  return [
    cost('CloudWatch alarms', metrics, 'alarm metrics', PRICES.alarmMetric, `${facts.alarmMetrics.length} standard-resolution alarms (template)`),
    ...(facts.compositeAlarms ? [cost('CloudWatch composite alarms', facts.compositeAlarms, 'alarms', PRICES.compositeAlarm, 'template')] : []),
    ...(facts.dashboards ? [cost(DASHBOARDS_ITEM, facts.dashboards, 'dashboards', PRICES.dashboard, 'template; free when the account has at most 3 dashboards (not subtracted)')] : []),
    cost('SQS polls of the Lambda event sources', polls, 'requests', PRICES.sqsRequest, `${facts.sqsEventSources} mappings × ${IDLE.pollersPerEventSource} pollers × ${IDLE.receivesPerPollerPerMinute}/min (20 s long polls); the 1M free requests/account not counted`),
    cost('Watchdog invocations', ticks, 'requests', PRICES.lambdaRequest, `EventBridge schedule (template; scheduled rules are free)`),
    cost('Watchdog compute', gbSeconds, 'GB-s', PRICES.lambdaGbSecond, `${IDLE.watchdogBilledSeconds * 1000} ms billed per tick at the function's memory; free tier not counted`),
    cost('Watchdog index queries', ticks * IDLE.watchdogQueries * 0.5, 'RRU', PRICES.dynamoRead, `${IDLE.watchdogQueries} eventually consistent Queries per tick, 0.5 RRU each`),
    cost('Watchdog log lines', ticks * IDLE.watchdogLogKB * KB, 'GB ingested', PRICES.logIngestion, `START/END/REPORT, ${IDLE.watchdogLogKB} KB per tick`),
    cost('KMS (table key, AWS managed)', IDLE.kmsRequestsPerMonth, 'requests', PRICES.kmsRequest, 'DynamoDB refreshes its data key about every 5 min per caller'),
    cost('ECR image storage', IDLE.ecrGB, 'GB-month', PRICES.ecrStorage, '8 runner images, shared base layers stored once (the CDK asset repository keeps old images too)'),
    cost('DynamoDB storage', IDLE.tableGB, 'GB-month', PRICES.dynamoStorage, 'assumed table size; the 25 GB free tier not counted'),
    ...(facts.pitr ? [cost('DynamoDB point-in-time recovery', IDLE.tableGB, 'GB-month', PRICES.dynamoPitr, 'same size (template: PITR on)')] : []),
    cost('CloudWatch Logs storage', IDLE.logStorageGB, 'GB-month', PRICES.logStorage, 'assumed retained volume'),
    ...(facts.warmTasks ? warmLines(facts, facts.warmTasks, 'always-on task(s) in the template') : []),
  ];
}

/** One interview: the usage behind the per-hour figure. */
export const INTERVIEW = {
  participants: 2,
  minutes: 60,
  /** Runner idle tail after the last run (LIMITS.execution.runnerIdleMs). */
  tailMinutes: 10,
  /** Document edits (code-change / yjs-update): each is 1 message in, 1 relay per other participant, 1 ack. */
  edits: 3000,
  /** Cursor and awareness updates (client-throttled): each is 1 message in and 1 relay. */
  cursorUpdates: 6000,
  runs: 30,
  /** Output batches per run pushed to every participant. */
  outputBatches: 2,
  pingsPerClientPerMinute: 1,
  httpRequests: 20,
  /** Lambda: average billed duration. */
  lambdaBilledSeconds: 0.05,
  /** DynamoDB units: an edit is a 2-item transaction (4 WRU) and 2 reads; a cursor update 2 reads. */
  editWru: 4,
  editRru: 2,
  cursorRru: 2,
  /** A run: request transaction, claim, finish transaction, rate counter, index writes. */
  runWru: 13,
  runRru: 7,
  /** Runner heartbeat every 15 s and a 20 s long poll while it lives. */
  heartbeatsPerMinute: 4,
  runnerPollsPerMinute: 3,
  /** Logs: Lambda platform + Powertools lines per invocation, WebSocket access log per message in, runner per run. */
  lambdaLogKB: 0.8,
  wsAccessLogKB: 0.4,
  runnerLogKBPerRun: 1,
  flowLogKB: 60,
  /** Container Insights, when on: metrics published for the runner (cluster + task family dimensions). */
  insightsMetrics: 20,
} as const;

export function interviewHourModel(facts: TemplateFacts): Line[] {
  const i = INTERVIEW;
  const others = i.participants - 1;
  const runnerHours = (i.minutes + i.tailMinutes) / 60;
  const pings = i.participants * i.minutes * i.pingsPerClientPerMinute;
  const runMessages = i.runs * (1 + i.participants * (3 + i.outputBatches));
  const wsMessages = i.edits * (2 + others) + i.cursorUpdates * (1 + others) + pings * 2 + runMessages;
  const wsIn = i.edits + i.cursorUpdates + pings + i.runs;
  const invocations = wsIn + i.participants * 2 + i.httpRequests + 1;
  const wru = i.edits * i.editWru + i.runs * i.runWru + (i.minutes + i.tailMinutes) * i.heartbeatsPerMinute;
  const rru = i.edits * i.editRru + i.cursorUpdates * i.cursorRru + i.runs * i.runRru;
  const logGB = (invocations * i.lambdaLogKB + wsIn * i.wsAccessLogKB + i.runs * i.runnerLogKBPerRun + i.flowLogKB) * KB;
  const { vcpu, memoryGB } = facts.task;
  return [
    cost('Fargate runner vCPU (ARM)', vcpu * runnerHours, 'vCPU-h', PRICES.fargateVcpuHour, `${i.minutes} min + ${i.tailMinutes} min idle tail, ${vcpu} vCPU (template)`),
    cost('Fargate runner memory (ARM)', memoryGB * runnerHours, 'GB-h', PRICES.fargateGbHour, `${memoryGB} GB (template); 20 GB task storage included`),
    cost('Public IPv4 of the runner task', runnerHours, 'h', PRICES.publicIpv4Hour, 'public subnet, no NAT (docs/execution.md)'),
    cost('API Gateway WebSocket messages', wsMessages, 'messages', PRICES.wsMessage, `${i.edits} edits × (in + relay + ack), ${i.cursorUpdates} cursor/awareness × (in + relay), pings, run events to ${i.participants} people`),
    cost('API Gateway WebSocket connection time', i.participants * i.minutes, 'connection-min', PRICES.wsConnectionMinute, `${i.participants} participants`),
    cost('HTTP API requests', i.httpRequests, 'requests', PRICES.httpRequest, 'session, code reads, snapshots, history'),
    cost('Lambda requests', invocations, 'requests', PRICES.lambdaRequest, 'one per WebSocket message in, connect/disconnect, HTTP request, launch'),
    cost('Lambda compute (ARM)', invocations * i.lambdaBilledSeconds * (facts.functionMemoryMB / 1024), 'GB-s', PRICES.lambdaGbSecond, `${i.lambdaBilledSeconds * 1000} ms billed on average at ${Math.round(facts.functionMemoryMB)} MB (template)`),
    cost('DynamoDB writes', wru, 'WRU', PRICES.dynamoWrite, `edit ${i.editWru}, run ${i.runWru}, runner heartbeat every 15 s`),
    cost('DynamoDB reads', rru, 'RRU', PRICES.dynamoRead, `edit ${i.editRru}, cursor ${i.cursorRru}, run ${i.runRru}`),
    cost('SQS requests', i.runs * 3 + (i.minutes + i.tailMinutes) * i.runnerPollsPerMinute + 2, 'requests', PRICES.sqsRequest, 'send/receive/delete per run, the runner\'s long polls, the launch request'),
    cost('CloudWatch Logs ingestion', logGB, 'GB', PRICES.logIngestion, `${i.lambdaLogKB} KB per invocation at INFO (prod; dev logs DEBUG, more), ${i.wsAccessLogKB} KB WebSocket access log per message in, runner and flow logs`),
    ...(facts.containerInsights
      ? [cost('Container Insights metrics', (i.insightsMetrics * runnerHours) / HOURS_PER_MONTH, 'metric-months', PRICES.customMetric, `${i.insightsMetrics} metrics while the runner lives (pro-rated hourly)`)]
      : []),
  ];
}

function warmLines(facts: TemplateFacts, tasks: number, source: string): Line[] {
  const { vcpu, memoryGB } = facts.task;
  const i = INTERVIEW;
  return [
    cost('Warm runners: vCPU', tasks * vcpu * HOURS_PER_MONTH, 'vCPU-h', PRICES.fargateVcpuHour, `${tasks} ${source}`),
    cost('Warm runners: memory', tasks * memoryGB * HOURS_PER_MONTH, 'GB-h', PRICES.fargateGbHour, `${memoryGB} GB each`),
    cost('Warm runners: public IPv4', tasks * HOURS_PER_MONTH, 'h', PRICES.publicIpv4Hour, 'one per task'),
    cost('Warm runners: heartbeats', tasks * MINUTES_PER_MONTH * i.heartbeatsPerMinute, 'WRU', PRICES.dynamoWrite, 'every 15 s'),
    cost('Warm runners: long polls', tasks * MINUTES_PER_MONTH * i.runnerPollsPerMinute, 'requests', PRICES.sqsRequest, 'every 20 s'),
  ];
}

/** What `-c warmRunners=1` adds per month (8 languages × 1 task), from the template's task size. */
export function warmModel(facts: TemplateFacts, languages = 8): Line[] {
  return warmLines(facts, languages, `always-on tasks: 1 per language × ${languages} languages`);
}

export const total = (lines: Line[]) => lines.reduce((sum, l) => sum + l.usd, 0);

const DASHBOARDS_ITEM = 'CloudWatch dashboards';

/** The figures every document quotes. */
export interface CostSummary {
  /** Everything a stage costs by existing, at list price. */
  idleMonthly: number;
  /** The part of it that is the CloudWatch dashboard(s): $0 for an account's first 3. */
  dashboardsMonthly: number;
  interviewHour: number;
  warmMonthly: number;
}

export function summarize(facts: TemplateFacts): CostSummary {
  const idle = idleModel(facts);
  return {
    idleMonthly: total(idle),
    dashboardsMonthly: total(idle.filter((l) => l.item === DASHBOARDS_ITEM)),
    interviewHour: total(interviewHourModel(facts)), warmMonthly: total(warmModel(facts)),
  };
}

/** How documents write the figures (a test checks that they do). */
export const formatUsd = {
  idle: (usd: number) => `$${usd.toFixed(2)}/month`,
  hour: (usd: number) => `$${usd.toFixed(3)}`,
  warm: (usd: number) => `$${usd.toFixed(0)}/month`,
};

