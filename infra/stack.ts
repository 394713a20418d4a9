/**
 * The whole backend as one stack. It only composes the constructs of infra/constructs/ (one per
 * concern) and hands each the others' resources; behaviour lives in the constructs.
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Data } from './constructs/data.js';
import { RunPipeline } from './constructs/run-pipeline.js';
import { HttpApiConstruct } from './constructs/http-api.js';
import { Observability } from './constructs/observability.js';
import { OperatorDashboard } from './constructs/dashboard.js';
import { WebApp } from './constructs/web-app.js';
import { WebSocketApiConstruct } from './constructs/websocket-api.js';
import type { StageSettings } from './stage.js';

export interface InterviewStackProps extends StackProps {
  readonly stage: StageSettings;
  /** CORS origins of the HTTP API. @default ['*'] */
  readonly allowOrigins?: string[];
  /** See WebSocketApiProps.manageAccountLogRole. @default true */
  readonly manageAccountLogRole?: boolean;
  /** Always-on runners per language (`-c warmRunners=1`). @default 0: runners start on demand */
  readonly warmRunners?: number;
  /** Runner task size (`-c runnerCpu=2048 -c runnerMemoryMiB=4096`). @default 1024 / 2048 */
  readonly runnerCpu?: number;
  readonly runnerMemoryMiB?: number;
  /** Subscribed to the alarm topic (`-c alarmEmail=ops@example.com`). @default none */
  readonly alarmEmail?: string;
  /** Container Insights on the runner cluster (`-c containerInsights=true`). @default false (docs/cost.md) */
  readonly containerInsights?: boolean;
}

export class InterviewStack extends Stack {
  readonly data: Data;
  readonly webSocket: WebSocketApiConstruct;
  readonly execution: RunPipeline;
  readonly http: HttpApiConstruct;
  readonly observability: Observability;
  readonly dashboard: OperatorDashboard;
  readonly webApp: WebApp;

  constructor(scope: Construct, id: string, props: InterviewStackProps) {
    super(scope, id, props);
    const { stage } = props;

    this.data = new Data(this, 'Data', { stage });
    this.webSocket = new WebSocketApiConstruct(this, 'WebSocket', {
      stage,
      table: this.data.table,
      manageAccountLogRole: props.manageAccountLogRole,
    });
    // The construct id stays 'Execution' (the class was renamed): logical ids, hence deployed resources, unchanged.
    this.execution = new RunPipeline(this, 'Execution', {
      stage,
      table: this.data.table,
      webSocket: this.webSocket.stage,
      warmRunners: props.warmRunners,
      cpu: props.runnerCpu,
      memoryMiB: props.runnerMemoryMiB,
      containerInsights: props.containerInsights,
    });
    this.webSocket.bindRuns(this.execution);
    this.http = new HttpApiConstruct(this, 'Http', {
      stage,
      table: this.data.table,
      webSocket: this.webSocket.stage,
      execution: this.execution,
      allowOrigins: props.allowOrigins,
    });
    this.webApp = new WebApp(this, 'WebApp', { stage, httpUrl: this.http.url, wsUrl: this.webSocket.stage.url });
    this.observability = new Observability(this, 'Observability', {
      functions: {
        ...prefixed('http', this.http.functions),
        ...prefixed('ws', this.webSocket.functions),
        ...prefixed('pipeline', this.execution.pipeline.functions),
      },
      httpApi: this.http.api,
      deadLetterFunction: this.execution.pipeline.functions.deadLetter,
      extraLogGroups: prefixed('runner', this.execution.runners.logGroups),
      metricNamespace: `InterviewBackend/${stage.name}`,
      alarmEmail: props.alarmEmail,
    });
    // The product's own metrics (shared/telemetry/metrics.ts): the operator's dashboard and the alarms on them.
    this.dashboard = new OperatorDashboard(this, 'Dashboard', {
      stageName: stage.name,
      functions: this.observability.functions,
      deadLetterFunction: this.execution.pipeline.functions.deadLetter,
      alarmTopic: this.observability.topic,
    });
  }
}

function prefixed<T>(prefix: string, record: Readonly<Record<string, T>>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).map(([name, value]) => [`${prefix}-${name}`, value]));
}
