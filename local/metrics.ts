/**
 * `npm run metrics`: what the dashboard would show, without AWS. The local stack appends every metric
 * line the handlers and runners emit (CloudWatch embedded metric format, shared/telemetry/metrics.ts) to one file
 * (`--data DIR`: DIR/metrics.log, else metrics.log in the OS temp dir); this reads the last N minutes
 * of it and prints one line per metric and dimension value.
 *
 * A file rather than an endpoint of the running stack: the runner processes write to it too (they are
 * separate processes), it survives a restart, and it can be read after the stack has stopped.
 *
 *   npm run metrics -- [--minutes 15] [--file PATH] [--json]
 */
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { METRICS, METRIC_NAMES, parseEmfLine, type MetricName, type MetricPoint } from '#telemetry/metrics.js';

/** Where the local stack writes its metric lines (local/stack.ts). */
export function defaultMetricsFile(dataDir?: string): string {
  return dataDir ? join(resolve(dataDir), 'metrics.log') : join(tmpdir(), 'interview-backend-metrics.log');
}

export function readMetricPoints(file: string, sinceMs: number): MetricPoint[] {
  if (!existsSync(file)) return [];
  const points: MetricPoint[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    for (const p of parseEmfLine(line) ?? []) if (p.timestamp >= sinceMs) points.push(p);
  }
  return points;
}

export interface MetricSummary {
  /** Sum of counts; for gauges the latest value; for durations the number of samples. */
  total: number;
  /** The same, by the values of the metric's most detailed dimension set (`Status=FAILED,Language=python`). */
  by: Record<string, number>;
  /** Durations only. */
  p50?: number;
  p99?: number;
  max?: number;
}

const GAUGES = new Set<MetricName>(['ActiveSessions', 'ConnectedUsers']);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Per metric name of the one list: totals and breakdowns. Each event counts once (one EMF line). */
export function summarise(points: MetricPoint[]): Partial<Record<MetricName, MetricSummary>> {
  const out: Partial<Record<MetricName, MetricSummary>> = {};
  for (const name of METRIC_NAMES) {
    const mine = points.filter((p) => p.name === name).sort((a, b) => a.timestamp - b.timestamp);
    if (mine.length === 0) continue;
    const isMs = METRICS[name].unit === 'Milliseconds';
    const amount = (p: MetricPoint) => (isMs ? 1 : p.value);
    const by: Record<string, number> = {};
    for (const p of mine) {
      const detailed = p.dimensionSets.reduce((a, b) => (Object.keys(b).length > Object.keys(a).length ? b : a), {});
      const key = Object.entries(detailed).map(([k, v]) => `${k}=${v}`).join(',');
      if (!key) continue;
      by[key] = GAUGES.has(name) ? p.value : (by[key] ?? 0) + amount(p);
    }
    const summary: MetricSummary = {
      total: GAUGES.has(name) ? mine[mine.length - 1]!.value : mine.reduce((s, p) => s + amount(p), 0),
      by,
    };
    if (isMs) {
      const sorted = mine.map((p) => p.value).sort((a, b) => a - b);
      Object.assign(summary, { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] });
    }
    out[name] = summary;
  }
  return out;
}

export function formatSummary(summary: Partial<Record<MetricName, MetricSummary>>, minutes: number, file: string): string {
  const lines = [`Metrics of the last ${minutes} min (${file})`];
  if (Object.keys(summary).length === 0) lines.push('  nothing recorded: start the stack (npm start) and use it');
  for (const [name, s] of Object.entries(summary) as [MetricName, MetricSummary][]) {
    const stats = s.p50 !== undefined ? `  p50 ${s.p50} ms  p99 ${s.p99} ms  max ${s.max} ms` : '';
    const note = GAUGES.has(name) ? ' (latest)' : s.p50 !== undefined ? ' samples' : '';
    lines.push(`  ${name.padEnd(18)} ${String(s.total).padStart(6)}${note}${stats}`);
    for (const [key, value] of Object.entries(s.by).sort()) lines.push(`      ${key.padEnd(40)} ${String(value).padStart(6)}`);
  }
  const runs = summary.RunsFinished;
  if (runs && runs.total > 0) {
    // As the dashboard and its alarm define it (infra/constructs/dashboard.ts): a verdict from the sandbox.
    const of = (status: string) => Object.entries(runs.by).filter(([k]) => k.startsWith(`Status=${status},`)).reduce((s, [, v]) => s + v, 0);
    const pct = (n: number) => Math.round((1000 * n) / runs.total) / 10;
    lines.push(`  execution success rate ${pct(runs.total - of('SYSTEM_ERROR'))} % (not SYSTEM_ERROR); COMPLETED ${pct(of('COMPLETED'))} %`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '15' },
      file: { type: 'string' },
      data: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log('usage: npm run metrics -- [--minutes 15] [--file PATH | --data DIR] [--json]');
    return;
  }
  const minutes = Number(values.minutes);
  if (!Number.isFinite(minutes) || minutes <= 0) {
    console.error('--minutes takes a positive number');
    process.exit(2);
  }
  const file = values.file ?? process.env.INTERVIEW_METRICS_FILE ?? defaultMetricsFile(values.data);
  const summary = summarise(readMetricPoints(file, Date.now() - minutes * 60_000));
  console.log(values.json ? JSON.stringify(summary, null, 2) : formatSummary(summary, minutes, file));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
