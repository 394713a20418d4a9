/**
 * The operator dashboard and the alarms on the product's own metrics (issue 11): every widget reads a
 * metric of the one list in shared/telemetry/metrics.ts, under a dimension set the code emits, and every metric of
 * the list is on the dashboard.
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperatorDashboard } from '../../infra/constructs/dashboard.js';
import { METRIC_NAMES, METRICS, METRICS_SERVICE } from '#telemetry/metrics.js';
import { buildApp, logicalId, type Built } from './harness.js';

type Json = Record<string, any>;

let built: Built;
let resources: Record<string, Json>;
const NAMESPACE = 'InterviewBackend/dev';

beforeAll(() => {
  built = buildApp({ stage: 'dev', bundle: false });
  resources = Template.fromStack(built.stack).toJSON().Resources as Record<string, Json>;
});
afterAll(() => built?.cleanup());

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

/** The dashboard body with CloudFormation tokens (function names, region) replaced by placeholders. */
function dashboardBody(): Json {
  const body = ofType('AWS::CloudWatch::Dashboard')[0]![1].Properties.DashboardBody;
  const parts: unknown[] = body['Fn::Join']?.[1] ?? [body];
  return JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'TOKEN')).join(''));
}

/** Every metric array of every widget: [namespace, name, dim, value, ..., {options}?]. */
function widgetMetrics(): { widget: string; metric: unknown[] }[] {
  return (dashboardBody().widgets as Json[]).flatMap((w) =>
    ((w.properties.metrics ?? []) as unknown[][]).map((metric) => ({ widget: w.properties.title as string, metric })),
  );
}

describe('operator dashboard', () => {
  it('is one dashboard per stage (CloudWatch gives three free per account)', () => {
    expect(ofType('AWS::CloudWatch::Dashboard')).toHaveLength(1);
    expect(ofType('AWS::CloudWatch::Dashboard')[0]![1].Properties.DashboardName).toBe('interview-dev');
  });

  it('reads every metric of the one list, and only those, in the stage namespace with the service dimension', () => {
    const ours = widgetMetrics().filter(({ metric }) => metric[0] === NAMESPACE);
    const names = new Set(ours.map(({ metric }) => metric[1] as string));
    expect([...names].sort()).toEqual([...METRIC_NAMES].sort());
    for (const { metric } of ours) {
      const dims = metric.slice(2).filter((m) => typeof m === 'string') as string[];
      const pairs = Object.fromEntries(dims.flatMap((d, i) => (i % 2 === 0 ? [[d, dims[i + 1]]] : [])));
      expect(pairs.service).toBe(METRICS_SERVICE);
      // The dimension set the widget asks for is one the code publishes (CloudWatch matches sets exactly).
      const declared = (METRICS[metric[1] as keyof typeof METRICS].dimensionSets as readonly (readonly string[])[]).map((s) => [...s].sort().join(','));
      expect(declared).toContain(Object.keys(pairs).filter((k) => k !== 'service').sort().join(','));
    }
  });

  it('has the widgets an operator asked for', () => {
    const titles = (dashboardBody().widgets as Json[]).map((w) => w.properties.title).filter(Boolean);
    expect(titles).toEqual(
      expect.arrayContaining([
        'Sessions and users now',
        'Runs per minute by status',
        'Execution success rate (%: not SYSTEM_ERROR; and COMPLETED)',
        'Run duration (ms)',
        'Queue to start (ms)',
        'HTTP errors by code per minute',
        'WebSocket errors by code per minute',
        'WebSocket messages, edits merged, BUSY per minute',
        'Lambda errors per minute',
        'Lambda throttles per minute (account)',
        'Dead letters (DLQ activity)',
      ]),
    );
    const stats = widgetMetrics().filter(({ metric }) => metric[1] === 'RunDuration' || metric[1] === 'RunQueueToStart').map(({ metric }) => (metric.at(-1) as Json).stat);
    expect(stats.sort()).toEqual(['p50', 'p50', 'p99', 'p99']);
  });

  it('refuses a widget on a dimension set the code does not emit', () => {
    const stack = new Stack();
    const dashboard = new OperatorDashboard(stack, 'D', { stageName: 'x', functions: {}, deadLetterFunction: built.stack.execution.pipeline.functions.deadLetter, alarmTopic: new Topic(stack, 'T') });
    expect(() => dashboard.metric('RunsFinished', { Language: 'python' }, 'Sum')).toThrow(/not emitted with dimensions \[Language\]/);
  });
});

describe('alarms on the product metrics', () => {
  const alarm = (id: string) => resources[logicalId(built.stack.dashboard.alarms.find((a) => a.node.id === id)!)]!.Properties;
  const topic = () => logicalId(built.stack.observability.topic);

  it('execution success rate under 90 % over 15 minutes (SYSTEM_ERROR share of finished runs)', () => {
    const p = alarm('ExecutionSuccessRate');
    expect(p).toMatchObject({ Threshold: 90, ComparisonOperator: 'LessThanThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching' });
    const stats = (p.Metrics as Json[]).filter((m) => m.MetricStat).map((m) => m.MetricStat);
    expect(stats).toHaveLength(2); // billed per metric: $0.20/month
    for (const s of stats) {
      expect(s).toMatchObject({ Period: 900, Stat: 'Sum', Metric: { Namespace: NAMESPACE, MetricName: 'RunsFinished' } });
    }
    expect(stats.map((s) => s.Metric.Dimensions)).toContainEqual(expect.arrayContaining([{ Name: 'Status', Value: 'SYSTEM_ERROR' }]));
    expect(p.AlarmActions).toEqual([{ Ref: topic() }]);
  });

  it('a SYSTEM_ERROR burst: 3 or more in 5 minutes', () => {
    const p = alarm('SystemErrorBurst');
    expect(p).toMatchObject({ Threshold: 3, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    const stats = (p.Metrics as Json[]).filter((m) => m.MetricStat).map((m) => m.MetricStat);
    expect(stats).toHaveLength(1); // $0.10/month
    expect(stats[0]).toMatchObject({ Period: 300, Stat: 'Sum', Metric: { Namespace: NAMESPACE, MetricName: 'RunsFinished' } });
    expect(stats[0].Metric.Dimensions).toEqual(expect.arrayContaining([{ Name: 'Status', Value: 'SYSTEM_ERROR' }, { Name: 'service', Value: METRICS_SERVICE }]));
    expect(p.AlarmActions).toEqual([{ Ref: topic() }]);
  });
});
