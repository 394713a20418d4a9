/**
 * The alarms, chosen by what a failure looks like from outside and by what each costs while idle
 * ($0.10 per alarm metric per month, docs/cost.md):
 *  - a function failing an invocation (Lambda `Errors`, one alarm per function: it names the culprit);
 *  - an ERROR line logged by any function or runner (one metric filled by metric filters on every log
 *    group): what handlers catch and log, e.g. a failed runner launch or an unreachable run queue;
 *  - a dead letter: any invocation of the dead-letter function. It drains the shared DLQ within seconds,
 *    so the queue's depth stays 0 and an alarm on it would never fire;
 *  - the HTTP API answering 5xx;
 *  - Lambda throttling, on the account-wide metric: the concurrency limit it signals is the account's.
 * All notify one SNS topic (`-c alarmEmail=…` subscribes an address).
 */
import { CfnOutput, Duration, Validations } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, type IMetric, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { FilterPattern, type ILogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { ProjectFunction } from './project-function.js';

export interface ObservabilityProps {
  readonly functions: Readonly<Record<string, ProjectFunction>>;
  readonly httpApi: HttpApi;
  /** Every invocation of it is a dead letter (run or launch request). */
  readonly deadLetterFunction: ProjectFunction;
  /** Log groups besides the functions' own (runners by language): `"level":"ERROR"` lines count too. */
  readonly extraLogGroups?: Readonly<Record<string, ILogGroup>>;
  /** Namespace of the metric extracted from logs. @default 'InterviewBackend' */
  readonly metricNamespace?: string;
  /** Subscribed to the alarm topic (`-c alarmEmail=ops@example.com`). @default none */
  readonly alarmEmail?: string;
}

const PERIOD = Duration.minutes(5);
/** The metric the ERROR-line filters feed (in `metricNamespace`). */
export const LOGGED_ERRORS_METRIC = 'LoggedErrors';

export class Observability extends Construct {
  readonly alarms: Alarm[] = [];
  readonly topic: Topic;
  /** The functions watched, by name (the dashboard graphs the same set). */
  readonly functions: Readonly<Record<string, ProjectFunction>>;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.functions = props.functions;

    this.topic = new Topic(this, 'AlarmTopic', { displayName: 'Interview backend alarms', enforceSSL: true });
    // CloudWatch publishes alarm state changes as its service principal; only this account's alarms may.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['sns:Publish'],
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        resources: [this.topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': this.topic.env.account } },
      }),
    );
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    new CfnOutput(this, 'AlarmTopicArn', { key: 'AlarmTopicArn', value: this.topic.topicArn, description: 'SNS topic of every alarm (subscribe to be told)' });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'CloudWatch alarms cannot publish to a topic encrypted with the AWS managed key (alias/aws/sns) and a customer managed key costs $1/month, a third of the idle budget (docs/cost.md); the messages hold alarm names and metric values only, no user data.',
    });

    for (const [name, { fn }] of Object.entries(props.functions)) {
      // Handlers map domain errors to responses: an invocation error is a bug, a crash or a timeout.
      this.alarm(`${name}-Errors`, fn.metricErrors({ period: PERIOD, statistic: 'Sum' }), 1, `${name}: Lambda invocation errors`);
    }

    const namespace = props.metricNamespace ?? 'InterviewBackend';
    const logGroups: [string, ILogGroup][] = [
      ...Object.entries(props.functions).map(([name, f]) => [name, f.logGroup] as [string, ILogGroup]),
      ...Object.entries(props.extraLogGroups ?? {}),
    ];
    for (const [name, logGroup] of logGroups) {
      // A metric filter is free; its metric is billed only for hours with data (none while idle).
      new MetricFilter(this, `ErrorLines-${name}`, {
        logGroup,
        filterPattern: FilterPattern.stringValue('$.level', '=', 'ERROR'),
        metricNamespace: namespace,
        metricName: LOGGED_ERRORS_METRIC,
        metricValue: '1',
      });
    }
    this.alarm(
      'LoggedErrors',
      new Metric({ namespace, metricName: LOGGED_ERRORS_METRIC, period: PERIOD, statistic: 'Sum' }),
      1,
      'A function or a runner logged an ERROR line (caught failures: launches, queues, pushes)',
    );

    this.alarm(
      'DeadLetters',
      props.deadLetterFunction.fn.metricInvocations({ period: PERIOD, statistic: 'Sum' }),
      1,
      'Messages dead-lettered after repeated failed deliveries (runs end SYSTEM_ERROR; launches failed)',
    );

    this.alarm('HttpApi-5xx', props.httpApi.metricServerError({ period: PERIOD, statistic: 'Sum' }), 5, 'HTTP API 5xx answers');

    // The dimensionless metric covers every function of the account and region: throttling comes from
    // the account's concurrency limit, which all stages share, so that is the right scope and costs 1 metric.
    this.alarm(
      'LambdaThrottles',
      new Metric({ namespace: 'AWS/Lambda', metricName: 'Throttles', period: PERIOD, statistic: 'Sum' }),
      1,
      'Lambda throttled invocations (account-wide: the concurrency limit is the account\'s)',
    );
  }

  private alarm(id: string, metric: IMetric, threshold: number, description: string): void {
    const alarm = new Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No traffic is the normal idle state, not a problem.
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    alarm.addAlarmAction(new SnsAction(this.topic));
    this.alarms.push(alarm);
  }
}
