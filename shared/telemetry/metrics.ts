/**
 * The numbers an operator watches (issue 11): ONE list of metric names, units and dimension sets, read
 * by the code that emits them (`emit`) and by the CDK dashboard and alarms (infra/constructs/dashboard.ts).
 *
 * Emitted with Powertools Metrics in CloudWatch embedded metric format (EMF): one JSON log line per
 * event on stdout, which CloudWatch Logs turns into metrics (Lambda, and the runners' awslogs driver,
 * which sends with PutLogEvents). No API call, nothing while idle. Namespace `InterviewBackend/<stage>`.
 *
 * Dimensions are low-cardinality by construction: every dimension value must be one of a closed list
 * below (anything else is recorded as `other`), so a session id, connection id or token can never become
 * a dimension, and the number of metrics CloudWatch bills stays bounded.
 *
 * Locally (`npm start`, the integration tests) the stack sets INTERVIEW_METRICS_FILE: the same lines are
 * appended to that file instead of stdout (the local stack's "CloudWatch Logs"), and `npm run metrics`
 * (local/metrics.ts) summarises them.
 */
import { appendFileSync } from 'node:fs';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { ERROR_STATUS } from '#contract/errors.js';
import { FINAL_STATUSES } from '#contract/execution-types.js';
import { LANGUAGE_IDS } from '#contract/languages.js';
import { logger } from './log.js';

/** The one `service` dimension every metric carries (Powertools' default dimension): the dashboard queries it. */
export const METRICS_SERVICE = 'interview-backend';
/** Local stacks point this at a file: metric lines go there instead of stdout. */
export const METRICS_FILE_ENV = 'INTERVIEW_METRICS_FILE';

export function metricsNamespace(stage: string): string {
  return `InterviewBackend/${stage}`;
}

const ACTIONS = [
  'join-session', 'code-change', 'yjs-update', 'sync', 'awareness-update', 'cursor-update', 'language-change',
  'run-code', 'ping', 'leave-session', 'invalid', 'PUT /api/sessions/{sessionId}/code',
] as const;

/** The closed value list of every dimension. */
export const DIMENSION_VALUES = {
  /** A WebSocket action (or `invalid`: unparseable/unknown), or the HTTP route that edits. */
  Action: ACTIONS,
  /** Which API answered an error. */
  Api: ['http', 'websocket'],
  Code: Object.keys(ERROR_STATUS) as (keyof typeof ERROR_STATUS)[],
  Language: LANGUAGE_IDS,
  Status: FINAL_STATUSES,
  /** Why a session ended (shared/core/sessions.ts endSession). */
  Reason: ['ended-by-interviewer', 'expired'],
  /** What the dead-letter function received. */
  Kind: ['run', 'launch', 'unreadable'],
  /** Whether a run found a runner of its language alive (warm) or had to wait for one (cold). */
  Runner: ['warm', 'cold'],
} as const;
export type DimensionName = keyof typeof DIMENSION_VALUES;

interface MetricDef {
  readonly unit: 'Count' | 'Milliseconds';
  /** Each inner list is one dimension set the metric is published under (besides `service`). */
  readonly dimensionSets: readonly (readonly DimensionName[])[];
  readonly description: string;
}

function count<const S extends readonly (readonly DimensionName[])[]>(description: string, ...dimensionSets: S) {
  return { unit: 'Count' as const, dimensionSets, description };
}
function ms<const S extends readonly (readonly DimensionName[])[]>(description: string, ...dimensionSets: S) {
  return { unit: 'Milliseconds' as const, dimensionSets, description };
}

/**
 * THE list. A dimension set `[]` is the total (service only): alarms need one metric, not a SEARCH, and
 * the dashboard's totals are exact without metric math.
 */
export const METRICS = {
  SessionsCreated: count('POST /api/sessions created a session', []),
  SessionsEnded: count('A session was ended (DELETE), by reason', ['Reason']),
  ConnectionsOpened: count('$connect accepted a WebSocket', []),
  ConnectionsClosed: count('$disconnect: a WebSocket closed', []),
  Messages: count('WebSocket messages received, total and by action', [], ['Action']),
  EditsMerged: count('Edits merged into a document (yjs-update, code-change, PUT code)', [], ['Action']),
  BusyAnswers: count('Writes refused with BUSY (the document is contended)', [], ['Action']),
  Errors: count('Answers with an error code, by API and code', ['Api', 'Code']),
  RunsQueued: count('Runs stored QUEUED and sent to their queue', [], ['Language', 'Runner']),
  RunsFinished: count('Runs that reached a final status', [], ['Status'], ['Status', 'Language']),
  RunQueueToStart: ms('From QUEUED to a runner starting it', [], ['Language']),
  RunDuration: ms('Wall time of the program (compile excluded)', [], ['Language']),
  RunnerLaunches: count('Runner tasks started by the launcher', [], ['Language']),
  DeadLettered: count('Dead letters received, total and by kind', [], ['Kind']),
  ActiveSessions: count('Gauge (watchdog, every minute, only when > 0): sessions with a connected user', []),
  ConnectedUsers: count('Gauge (watchdog, every minute, only when > 0): open WebSocket connections', []),
} as const satisfies Record<string, MetricDef>;
export type MetricName = keyof typeof METRICS;
export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

type DimsOf<N extends MetricName> = { [D in (typeof METRICS)[N]['dimensionSets'][number][number]]: string };

/** A dimension value from its closed list, or `other`. */
export function dimensionValue(name: DimensionName, value: string): string {
  return (DIMENSION_VALUES[name] as readonly string[]).includes(value) ? value : 'other';
}

let current: { namespace: string; metrics: Metrics } | undefined;

type MetricsLogger = NonNullable<NonNullable<ConstructorParameters<typeof Metrics>[0]>['logger']>;
/**
 * Powertools' own warnings go to our log, but one: it warns whenever a key is in two dimension sets, which
 * is how a metric is published both by Status and by Status+Language. Ours always carry one value per
 * key (every set is built from the same `dims`), so that warning is noise: it was one WARN line per
 * finished run.
 */
const SAME_KEY_IN_TWO_SETS = /^EMF key ".+" is defined as both a dimension set and dimension set;/;
// Powertools Metrics hands its logger one message string per call.
const metricsLogger: MetricsLogger = {
  debug: (message: unknown) => logger.debug(String(message)),
  info: (message: unknown) => logger.info(String(message)),
  warn: (message: unknown) => {
    if (!SAME_KEY_IN_TWO_SETS.test(String(message))) logger.warn(String(message));
  },
  error: (message: unknown) => logger.error(String(message)),
};

/**
 * One Powertools Metrics instance per namespace (the stage is read at the first emit, so tests and the
 * local stack can set STAGE before). Its `service` is ours, not POWERTOOLS_SERVICE_NAME: that variable
 * names each function for its logs, and one service per function would split every metric in 13.
 * Its own warnings (a dimension it refused) go to the structured log.
 */
function powertools(): Metrics {
  const namespace = metricsNamespace(process.env.STAGE || 'local');
  if (current?.namespace !== namespace) current = { namespace, metrics: new Metrics({ namespace, serviceName: METRICS_SERVICE, logger: metricsLogger }) };
  return current.metrics;
}

/** One event for `emitAll`: a metric name, its value and the values of its dimensions. */
export type MetricEvent = { [N in MetricName]: readonly [N, number, DimsOf<N>] }[MetricName];

/**
 * Emits one EMF line for one event: `emit('RunsFinished', 1, { Status: 'COMPLETED', Language: 'python' })`.
 * One line carries every dimension set of the metric (CloudWatch extracts one metric per set): each set
 * is a Powertools dimension set, `[]` the service alone. The line is flushed at once rather than at the
 * end of the invocation: `emit` is synchronous, so two events never share the instance's buffer, and a
 * metric is not lost when the invocation fails or times out.
 * Never throws: a metric must not fail the request it describes.
 */
export function emit<N extends MetricName>(name: N, value: number, dims: DimsOf<N>): void {
  emitAll([[name, value, dims] as unknown as MetricEvent]);
}

/**
 * Emits the events of one request (a WebSocket message: `Messages` and `EditsMerged` by the same action)
 * in as few EMF lines as CloudWatch reads them the same: events whose dimension sets and values are equal
 * share one line, since every metric of a line is published under every set of the line. A merged edit
 * was two lines; now one serialisation and one write (bench/realtime.ts, docs/document.md).
 */
export function emitAll(events: readonly MetricEvent[]): void {
  const lines = new Map<string, { sets: Record<string, string>[]; metrics: [MetricName, number][] }>();
  try {
    for (const [name, value, dims] of events) {
      const def: MetricDef = METRICS[name];
      const sets = def.dimensionSets.map((set) =>
        Object.fromEntries(set.map((d) => [d, dimensionValue(d, String((dims as Record<string, string>)[d]))])),
      );
      const key = JSON.stringify(sets);
      const line = lines.get(key) ?? { sets, metrics: [] };
      line.metrics.push([name, value]);
      lines.set(key, line);
    }
  } catch (err) {
    process.stderr.write(`metrics not emitted: ${(err as Error).message}\n`);
    return;
  }
  for (const { sets, metrics: line } of lines.values()) publishLine(sets, line);
}

function publishLine(sets: Record<string, string>[], line: [MetricName, number][]): void {
  let metrics: Metrics | undefined;
  try {
    metrics = powertools();
    for (const set of sets) metrics.addDimensions(set);
    for (const [name, value] of line) metrics.addMetric(name, METRICS[name].unit, value);
    const file = process.env[METRICS_FILE_ENV];
    // Powertools writes to stdout only (its own Console; the `logger` option is for its warnings), so the
    // local file gets the line Powertools serialised, which is the one it would have printed.
    if (file) appendFileSync(file, `${JSON.stringify(metrics.serializeMetrics())}\n`, { mode: 0o600 });
    else metrics.publishStoredMetrics();
  } catch (err) {
    process.stderr.write(`metric ${line.map(([n]) => n).join(', ')} not emitted: ${(err as Error).message}\n`);
  } finally {
    metrics?.clearMetrics();
    metrics?.clearDimensions();
  }
}

/** One metric value read back from an EMF line (tests, `npm run metrics`). */
export interface MetricPoint {
  timestamp: number;
  namespace: string;
  name: string;
  unit: string;
  value: number;
  /** One entry per dimension set: its dimension values (without `service`). */
  dimensionSets: Record<string, string>[];
}

/** Parses an EMF line; undefined for any other line. */
export function parseEmfLine(line: string): MetricPoint[] | undefined {
  if (!line.startsWith('{"_aws"')) return undefined;
  let doc: Record<string, unknown> & { _aws?: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] } };
  try {
    doc = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!doc._aws?.CloudWatchMetrics) return undefined;
  const points: MetricPoint[] = [];
  for (const directive of doc._aws.CloudWatchMetrics) {
    const dimensionSets = directive.Dimensions.map((set) =>
      Object.fromEntries(set.filter((d) => d !== 'service').map((d) => [d, String(doc[d])])),
    );
    for (const metric of directive.Metrics) {
      points.push({ timestamp: doc._aws.Timestamp, namespace: directive.Namespace, name: metric.Name, unit: metric.Unit, value: Number(doc[metric.Name]), dimensionSets });
    }
  }
  return points;
}
