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
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { Operation, type ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import type { ProjectFunction } from './project-function.js';

export interface ObservabilityProps {
  readonly functions: Readonly<Record<string, ProjectFunction>>;
  readonly table: ITable;
  readonly httpApi: HttpApi;
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
