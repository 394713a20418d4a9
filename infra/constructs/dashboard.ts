/**
 * The operator's dashboard (issue 11) and the alarms that read the product's own metrics. Every metric
 * comes from the one list in shared/telemetry/metrics.ts (names, dimension sets), the same list the handlers emit
 * from, so a renamed metric cannot leave a widget reading nothing (test/infra/dashboard.test.ts).
 *
 * One dashboard: CloudWatch's free tier covers three per account, so a stage's idle cost is unchanged
 * (docs/cost.md). Metrics exist only for the hours they have data (EMF lines): idle, the widgets read
 * gaps, which FILL(…, 0) draws as zero.
 *
 * Alarms (to the stage's alarm topic):
 *  - execution success rate under 90 % over 15 min: a run "succeeds" when the sandbox gave a verdict,
 *    i.e. anything but SYSTEM_ERROR (a candidate's program exiting 3 is FAILED, and that is the product
 *    working). Two metrics (total and SYSTEM_ERROR) = $0.20/month;
 *  - a SYSTEM_ERROR burst: 3 or more in 5 minutes ($0.10/month).
 */
import { Duration, Tags } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  SingleValueWidget,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { FINAL_STATUSES } from '#contract/execution-types.js';
import { DIMENSION_VALUES, METRICS, METRICS_SERVICE, metricsNamespace, type DimensionName, type MetricName } from '#telemetry/metrics.js';
import type { ProjectFunction } from './project-function.js';

export interface DashboardProps {
  readonly stageName: string;
  readonly functions: Readonly<Record<string, ProjectFunction>>;
  readonly deadLetterFunction: ProjectFunction;
  readonly alarmTopic: ITopic;
}

const MINUTE = Duration.minutes(1);

export class OperatorDashboard extends Construct {
  readonly dashboard: Dashboard;
  readonly alarms: Alarm[] = [];
  private readonly namespace: string;

  constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    this.namespace = metricsNamespace(props.stageName);
    const fill = (label: string, metric: IMetric, id: string) =>
      new MathExpression({ expression: `FILL(${id}, 0)`, usingMetrics: { [id]: metric }, label, period: MINUTE });

    const byStatus = Object.fromEntries(FINAL_STATUSES.map((s) => [s.toLowerCase(), this.metric('RunsFinished', { Status: s }, 'Sum')]));
    const errorCodes = (api: string) =>
      Object.fromEntries(DIMENSION_VALUES.Code.map((code) => [`${api}_${code.toLowerCase()}`, this.metric('Errors', { Api: api, Code: code }, 'Sum')]));

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `interview-${props.stageName}`,
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new TextWidget({ markdown: `# Interviews (${props.stageName})\nMetrics: docs/metrics.md · namespace \`${this.namespace}\``, width: 6, height: 4 }),
          new SingleValueWidget({
            title: 'Sessions and users now',
            metrics: [fill('Active sessions', this.metric('ActiveSessions', {}, 'Maximum'), 'active'), fill('Connected users', this.metric('ConnectedUsers', {}, 'Maximum'), 'users')],
            width: 6, height: 4,
          }),
          this.graph('Sessions created / ended per minute', [this.metric('SessionsCreated', {}, 'Sum'), ...DIMENSION_VALUES.Reason.map((r) => this.metric('SessionsEnded', { Reason: r }, 'Sum'))], 12, 4),
        ],
        [
          this.graph('Runs per minute by status', Object.values(byStatus), 12),
          new GraphWidget({
            title: 'Execution success rate (%: not SYSTEM_ERROR; and COMPLETED)',
            left: [
              new MathExpression({ expression: '100 * (total - FILL(sys, 0)) / total', usingMetrics: { total: this.metric('RunsFinished', {}, 'Sum', Duration.minutes(5)), sys: this.metric('RunsFinished', { Status: 'SYSTEM_ERROR' }, 'Sum', Duration.minutes(5)) }, label: 'success (sandbox verdict)', period: Duration.minutes(5) }),
              new MathExpression({ expression: '100 * FILL(done, 0) / total', usingMetrics: { total: this.metric('RunsFinished', {}, 'Sum', Duration.minutes(5)), done: this.metric('RunsFinished', { Status: 'COMPLETED' }, 'Sum', Duration.minutes(5)) }, label: 'COMPLETED', period: Duration.minutes(5) }),
            ],
            leftYAxis: { min: 0, max: 100 },
            width: 12, height: 6,
          }),
        ],
        [
          this.graph('Run duration (ms)', [this.metric('RunDuration', {}, 'p50'), this.metric('RunDuration', {}, 'p99')], 8),
          this.graph('Queue to start (ms)', [this.metric('RunQueueToStart', {}, 'p50'), this.metric('RunQueueToStart', {}, 'p99')], 8),
          this.graph('Runs queued and runner launches per minute', [this.metric('RunsQueued', {}, 'Sum'), this.metric('RunnerLaunches', {}, 'Sum')], 8),
        ],
        [
          this.graph('HTTP errors by code per minute', Object.values(errorCodes('http')), 8),
          this.graph('WebSocket errors by code per minute', Object.values(errorCodes('websocket')), 8),
          this.graph('WebSocket messages, edits merged, BUSY per minute', [this.metric('Messages', {}, 'Sum'), this.metric('EditsMerged', {}, 'Sum'), this.metric('BusyAnswers', {}, 'Sum'), this.metric('ConnectionsOpened', {}, 'Sum'), this.metric('ConnectionsClosed', {}, 'Sum')], 8),
        ],
        [
          this.graph('Lambda errors per minute', Object.entries(props.functions).map(([name, f]) => f.fn.metricErrors({ period: MINUTE, statistic: 'Sum', label: name })), 8),
          this.graph('Lambda throttles per minute (account)', [new Metric({ namespace: 'AWS/Lambda', metricName: 'Throttles', period: MINUTE, statistic: 'Sum' })], 8),
          this.graph('Dead letters (DLQ activity)', [...DIMENSION_VALUES.Kind.map((k) => this.metric('DeadLettered', { Kind: k }, 'Sum')), props.deadLetterFunction.fn.metricInvocations({ period: MINUTE, statistic: 'Sum', label: 'dead-letter function invocations' })], 8),
        ],
      ],
    });

    // CloudFormation's AWS::CloudWatch::Dashboard takes no Tags (cfn-lint E3002; the deploy would fail):
    // the app-wide project/stage tags (infra/app.ts) skip it.
    for (const key of ['project', 'stage']) Tags.of(this.dashboard).remove(key, { priority: 300 });

    const total15 = this.metric('RunsFinished', {}, 'Sum', Duration.minutes(15));
    const sys15 = this.metric('RunsFinished', { Status: 'SYSTEM_ERROR' }, 'Sum', Duration.minutes(15));
    this.alarm(props.alarmTopic, 'ExecutionSuccessRate', {
      metric: new MathExpression({ expression: '100 * (total - FILL(sys, 0)) / total', usingMetrics: { total: total15, sys: sys15 }, period: Duration.minutes(15), label: 'execution success rate %' }),
      threshold: 90,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      alarmDescription: 'Execution success rate (runs not ending SYSTEM_ERROR) under 90 % over 15 minutes',
    });
    this.alarm(props.alarmTopic, 'SystemErrorBurst', {
      metric: this.metric('RunsFinished', { Status: 'SYSTEM_ERROR' }, 'Sum', Duration.minutes(5)),
      threshold: 3,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      alarmDescription: '3 or more runs ended SYSTEM_ERROR within 5 minutes (runners, queues or the sandbox are failing)',
    });
  }

  /** A metric of the one list, with exactly one of its declared dimension sets (else CloudWatch finds nothing). */
  metric(name: MetricName, dims: Partial<Record<DimensionName, string>>, statistic: string, period: Duration = MINUTE): Metric {
    const keys = Object.keys(dims).sort().join(',');
    const declared = (METRICS[name].dimensionSets as readonly (readonly string[])[]).some((set) => [...set].sort().join(',') === keys);
    if (!declared) throw new Error(`${name} is not emitted with dimensions [${keys}] (shared/telemetry/metrics.ts)`);
    const label = [name, ...Object.values(dims)].join(' ') + (statistic.startsWith('p') ? ` ${statistic}` : '');
    return new Metric({ namespace: this.namespace, metricName: name, dimensionsMap: { service: METRICS_SERVICE, ...dims }, statistic, period, label });
  }

  private graph(title: string, left: IMetric[], width: number, height = 6): GraphWidget {
    return new GraphWidget({ title, left, width, height });
  }

  private alarm(topic: ITopic, id: string, props: { metric: IMetric; threshold: number; comparisonOperator: ComparisonOperator; alarmDescription: string }): void {
    // No runs is the normal idle state, not a problem.
    const alarm = new Alarm(this, id, { ...props, evaluationPeriods: 1, treatMissingData: TreatMissingData.NOT_BREACHING });
    alarm.addAlarmAction(new SnsAction(topic));
    this.alarms.push(alarm);
  }
}
