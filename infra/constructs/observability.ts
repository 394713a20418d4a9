/**
 * A few alarms that mean "someone's interview is broken right now": a function failing or being
 * throttled, DynamoDB failing on its side, the HTTP API answering 5xx. Kept small on purpose; each alarm
 * costs a little every month even when idle.
 */
import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  type IAlarmAction,
  type IMetric,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { Operation, type ITable } from 'aws-cdk-lib/aws-dynamodb';
import { FilterPattern, type ILogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ProjectFunction } from './project-function.js';

export interface ObservabilityProps {
  readonly functions: Readonly<Record<string, ProjectFunction>>;
  readonly table: ITable;
  readonly httpApi: HttpApi;
  /** Dead-letter queues by name (languages, `launch`): any message there failed three deliveries. */
  readonly deadLetterQueues?: Readonly<Record<string, IQueue>>;
  /** Runner log groups by language: `"level":"ERROR"` lines count as runner errors. */
  readonly runnerLogGroups?: Readonly<Record<string, ILogGroup>>;
  /** Namespace of the metrics extracted from logs. @default 'InterviewBackend' */
  readonly metricNamespace?: string;
  /** Where alarms notify (e.g. an SNS topic action). @default none: alarms show in the console only */
  readonly alarmActions?: readonly IAlarmAction[];
}

const PERIOD = Duration.minutes(5);

export class Observability extends Construct {
  readonly alarms: Alarm[] = [];
  private readonly actions: readonly IAlarmAction[];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.actions = props.alarmActions ?? [];

    for (const [name, { fn }] of Object.entries(props.functions)) {
      // Handlers map domain errors to responses: an invocation error is a bug or a timeout.
      this.alarm(`${name}-Errors`, fn.metricErrors({ period: PERIOD, statistic: 'Sum' }), 1, `${name}: Lambda errors`);
      // Throttling means the account concurrency limit is hit: clients see 429/500 or dropped frames.
      this.alarm(`${name}-Throttles`, fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }), 1, `${name}: Lambda throttles`);
    }

    // Operations the handlers use; SystemErrors are DynamoDB-side 500s (user errors such as failed
    // conditions are expected traffic: version conflicts).
    const operations = [
      Operation.GET_ITEM,
      Operation.PUT_ITEM,
      Operation.UPDATE_ITEM,
      Operation.DELETE_ITEM,
      Operation.QUERY,
      Operation.BATCH_WRITE_ITEM,
      Operation.TRANSACT_WRITE_ITEMS,
    ];
    this.alarm(
      'Table-SystemErrors',
      props.table.metricSystemErrorsForOperations({ operations, period: PERIOD }),
      1,
      'DynamoDB system errors',
    );

    this.alarm('HttpApi-5xx', props.httpApi.metricServerError({ period: PERIOD, statistic: 'Sum' }), 5, 'HTTP API 5xx answers');

    for (const [language, dlq] of Object.entries(props.deadLetterQueues ?? {})) {
      // The dead-letter function ends these runs as SYSTEM_ERROR; the alarm says why runs keep failing.
      this.alarm(
        `Dlq-${language}`,
        dlq.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }),
        1,
        `${language}: messages dead-lettered after repeated failed deliveries`,
      );
    }

    const runnerLogs = Object.entries(props.runnerLogGroups ?? {});
    if (runnerLogs.length > 0) {
      // One metric fed by every language's log group (the log line names the language): one alarm, not 8.
      const namespace = props.metricNamespace ?? 'InterviewBackend';
      for (const [language, logGroup] of runnerLogs) {
        new MetricFilter(this, `RunnerErrors-${language}`, {
          logGroup,
          filterPattern: FilterPattern.stringValue('$.level', '=', 'ERROR'),
          metricNamespace: namespace,
          metricName: 'RunnerErrors',
          metricValue: '1',
        });
      }
      const metric = new Metric({ namespace, metricName: 'RunnerErrors', period: PERIOD, statistic: 'Sum' });
      this.alarm('RunnerErrors', metric, 1, 'Runner tasks logged errors (any language)');
    }
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
    for (const action of this.actions) alarm.addAlarmAction(action);
    this.alarms.push(alarm);
  }
}
