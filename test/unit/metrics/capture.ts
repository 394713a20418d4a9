/**
 * Captures the EMF lines a handler writes on stdout (as Lambda would ship them to CloudWatch Logs) and
 * reads them back as CloudWatch would: the `_aws` directive, its dimension sets and the values. Parsed
 * here from the raw JSON, not with the product's own parser, so a malformed line fails the test.
 */
import { afterEach, beforeEach, expect, vi } from 'vitest';
import { METRICS_FILE_ENV } from '#telemetry/metrics.js';

export interface Emitted {
  name: string;
  unit: string;
  value: number;
  namespace: string;
  /** Each dimension set as name → value (service included). */
  sets: Record<string, string>[];
  raw: string;
}

let lines: string[] = [];

/** Installs the stdout capture around every test of the file. */
export function captureMetrics(): void {
  beforeEach(() => {
    lines = [];
    // Under `npm test` the integration project's local stack may have exported its metrics file.
    delete process.env[METRICS_FILE_ENV];
    const write = process.stdout.write.bind(process.stdout);
    vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      if (text.startsWith('{"_aws"')) {
        lines.push(...text.split('\n').filter(Boolean));
        return true;
      }
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write);
  });
  afterEach(() => vi.restoreAllMocks());
}

/** The EMF lines written so far, raw. */
export const emittedLines = (): readonly string[] => lines;

/**
 * Every metric value of the lines, in order. A line may carry several metrics (the events of one
 * request with the same dimensions): CloudWatch publishes each of them under every set of the line.
 */
export function emitted(): Emitted[] {
  return lines.flatMap((raw) => {
    const doc = JSON.parse(raw) as Record<string, any>;
    const [directive, ...more] = doc._aws.CloudWatchMetrics as { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
    expect(more).toEqual([]);
    expect(directive!.Metrics.length).toBeGreaterThan(0);
    expect(typeof doc._aws.Timestamp).toBe('number');
    const sets = directive!.Dimensions.map((set) => Object.fromEntries(set.map((d) => [d, doc[d]])));
    return directive!.Metrics.map(({ Name, Unit }) => ({ name: Name, unit: Unit, value: doc[Name], namespace: directive!.Namespace, sets, raw }));
  });
}

/** `name{Dim=value,...}` of the most detailed dimension set (service left out): compact to compare. */
export function summary(): string[] {
  return emitted().map((m) => {
    const detailed = m.sets.reduce((a, b) => (Object.keys(b).length > Object.keys(a).length ? b : a), {});
    const dims = Object.entries(detailed).filter(([k]) => k !== 'service').map(([k, v]) => `${k}=${v}`).join(',');
    return `${m.name}${dims ? `{${dims}}` : ''}=${m.value}`;
  });
}

/** No metric line carries any of these strings (session ids, connection ids, tokens), anywhere. */
export function expectNoneCarries(...secrets: string[]): void {
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines) for (const s of secrets) expect(line, `a metric line carries ${s}`).not.toContain(s);
  for (const m of emitted()) {
    expect(m.namespace).toBe('InterviewBackend/dev');
    for (const set of m.sets) expect(set.service).toBe('interview-backend');
  }
}
