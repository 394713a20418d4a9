/**
 * The numbers an operator watches (issue 11): ONE list of metric names, units and dimension sets, read
 * by the code that emits them (`emit`) and by the CDK dashboard and alarms (infra/constructs/dashboard.ts).
 *
 * Emitted in CloudWatch embedded metric format (EMF): one JSON log line per event on stdout, which
 * CloudWatch Logs turns into metrics (Lambda, and the runners' awslogs driver, which sends with
 * PutLogEvents). No API call, nothing while idle. Namespace `InterviewBackend/<stage>`.
 * Written here rather than with Powertools Metrics: the format is one object (below), and Powertools
 * Metrics (with its own copy of Powertools commons) added 16 KB to every bundle, which put ws-message
 * over its 500 KB budget (bench/bundles.ts; docs/metrics.md has the figures).
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
import { ERROR_STATUS } from '#contract/errors.js';
import { FINAL_STATUSES } from '#contract/execution-types.js';
import { LANGUAGE_IDS } from '#contract/languages.js';

/** The one service dimension every metric carries (as Powertools would add it): the dashboard queries it. */
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

/**
 * Emits one EMF line for one event: `emit('RunsFinished', 1, { Status: 'COMPLETED', Language: 'python' })`.
 * One line carries every dimension set of the metric (CloudWatch extracts one metric per set).
 * Never throws: a metric must not fail the request it describes.
 */
export function emit<N extends MetricName>(name: N, value: number, dims: DimsOf<N>): void {
  try {
    const def: MetricDef = METRICS[name];
    const values: Record<string, string> = {};
    for (const set of def.dimensionSets) for (const d of set) values[d] = dimensionValue(d, String((dims as Record<string, string>)[d]));
    const line = JSON.stringify({
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [
          { Namespace: metricsNamespace(process.env.STAGE || 'local'), Dimensions: def.dimensionSets.map((set) => ['service', ...set]), Metrics: [{ Name: name, Unit: def.unit }] },
        ],
      },
      service: METRICS_SERVICE,
      ...values,
      [name]: value,
    });
    write(line);
  } catch (err) {
    process.stderr.write(`metric ${name} not emitted: ${(err as Error).message}\n`);
  }
}

function write(line: string): void {
  const file = process.env[METRICS_FILE_ENV];
  if (file) appendFileSync(file, `${line}\n`);
  else process.stdout.write(`${line}\n`);
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
