/**
 * The whole backend as one stack. It only composes the constructs of infra/constructs/ (one per
 * concern) and hands each the others' resources; behaviour lives in the constructs.
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Data } from './constructs/data.js';
import { HttpApiConstruct } from './constructs/http-api.js';
import { Observability } from './constructs/observability.js';
import { WebSocketApiConstruct } from './constructs/websocket-api.js';
import type { StageSettings } from './stage.js';

export interface InterviewStackProps extends StackProps {
  readonly stage: StageSettings;
  /** CORS origins of the HTTP API. @default ['*'] */
  readonly allowOrigins?: string[];
  /** See WebSocketApiProps.manageAccountLogRole. @default true */
  readonly manageAccountLogRole?: boolean;
}

export class InterviewStack extends Stack {
  readonly data: Data;
  readonly webSocket: WebSocketApiConstruct;
  readonly http: HttpApiConstruct;
  readonly observability: Observability;

  constructor(scope: Construct, id: string, props: InterviewStackProps) {
    super(scope, id, props);
    const { stage } = props;

    this.data = new Data(this, 'Data', { stage });
    this.webSocket = new WebSocketApiConstruct(this, 'WebSocket', {
      stage,
      table: this.data.table,
      manageAccountLogRole: props.manageAccountLogRole,
    });
    this.http = new HttpApiConstruct(this, 'Http', {
      stage,
      table: this.data.table,
      webSocket: this.webSocket.stage,
      allowOrigins: props.allowOrigins,
    });
    this.observability = new Observability(this, 'Observability', {
      functions: { ...prefixed('http', this.http.functions), ...prefixed('ws', this.webSocket.functions) },
      table: this.data.table,
      httpApi: this.http.api,
    });
  }
}

function prefixed<T>(prefix: string, record: Readonly<Record<string, T>>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).map(([name, value]) => [`${prefix}-${name}`, value]));
}
