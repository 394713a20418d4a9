/**
 * The WebSocket API (docs/protocol.md §5): route selection and routes come from shared/contract/routes.ts, one Lambda per
 * WS_FUNCTIONS entry, one stage named after the deployment stage, throttled and access-logged.
 */
import { CfnOutput, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import { LogGroupLogDestination, WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { WS_FUNCTIONS, WS_ROUTE_SELECTION_EXPRESSION } from '#contract/routes.js';
import type { StageSettings } from '../stage.js';
import { jsonAccessLogFormat } from './access-log.js';
import type { RunGrants } from './run-pipeline.js';
import { ProjectFunction, type ConnectionMethod, type TableAccess } from './project-function.js';

export type WsFunctionName = keyof typeof WS_FUNCTIONS;

/**
 * What each WebSocket function may do. A new entry in WS_FUNCTIONS fails to compile until it is listed
 * here, so its permissions are a decision, not a default.
 */
const WS_GRANTS: Record<WsFunctionName, { table: TableAccess; connections: readonly ConnectionMethod[]; runs: boolean; timeout: Duration }> = {
  // $connect cannot push: the connection does not exist until it returns (docs/aws-notes.md).
  connect: { table: 'readWrite', connections: [], runs: false, timeout: Duration.seconds(10) },
  // Tells the others `user-left`.
  disconnect: { table: 'readWrite', connections: ['POST'], runs: false, timeout: Duration.seconds(15) },
  // Fans out edits (awaited, bounded concurrency) and closes the socket on `leave-session`; `run-code`
  // queues runs, `join-session` / `language-change` warm a runner of the session's language.
  message: { table: 'readWrite', connections: ['POST', 'DELETE'], runs: true, timeout: Duration.seconds(28) },
};

export interface WebSocketApiProps {
  readonly stage: StageSettings;
  readonly table: ITable;
  /**
   * API Gateway writes WebSocket access logs with a region-wide "CloudWatch Logs role" of the account;
   * deploying a logged WebSocket stage fails without one. When true (the default), this construct sets
   * it. Pass false when the account already manages that setting elsewhere.
   * @default true
   */
  readonly manageAccountLogRole?: boolean;
}

export class WebSocketApiConstruct extends Construct {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;
  readonly functions: Record<WsFunctionName, ProjectFunction>;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: WebSocketApiProps) {
    super(scope, id);
    const { stage } = props;

    this.api = new WebSocketApi(this, 'Api', {
      apiName: `interview-ws-${stage.name}`,
      description: 'Live collaboration channel of the interview backend (docs/protocol.md §5)',
      routeSelectionExpression: WS_ROUTE_SELECTION_EXPRESSION,
    });

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: stage.logRetention,
      removalPolicy: stage.removalPolicy,
    });
    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: stage.name,
      autoDeploy: true,
      throttle: stage.webSocketThrottle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: jsonAccessLogFormat({
          requestId: '$context.requestId',
          ip: '$context.identity.sourceIp',
          requestTime: '$context.requestTime',
          eventType: '$context.eventType',
          routeKey: '$context.routeKey',
          connectionId: '$context.connectionId',
          status: '$context.status',
          integrationLatency: '$context.integrationLatency',
          error: '$context.error.message',
        }),
      },
    });

    if (props.manageAccountLogRole ?? true) this.setAccountLogRole();

    const functions = {} as Record<WsFunctionName, ProjectFunction>;
    for (const [name, def] of Object.entries(WS_FUNCTIONS) as [WsFunctionName, (typeof WS_FUNCTIONS)[WsFunctionName]][]) {
      const grants = WS_GRANTS[name];
      const fn = new ProjectFunction(this, `Ws-${name}`, {
        entry: def.entry,
        description: `WebSocket ${def.routes.join(', ')}`,
        stage,
        serviceName: `interview-ws-${name}`,
        timeout: grants.timeout,
      });
      fn.bindTable(props.table, grants.table);
      if (grants.connections.length > 0) fn.bindWebSocket(this.stage, grants.connections);

      const integration = new WebSocketLambdaIntegration(`Ws-${name}-Integration`, fn.fn);
      for (const routeKey of def.routes) this.api.addRoute(routeKey, { integration });
      functions[name] = fn;
    }
    this.functions = functions;

    // Browsers cannot send headers on a WebSocket handshake, so an API Gateway authorizer has nothing to
    // check that the $connect handler does not already check better (docs/protocol.md §2).
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Authorization happens in the $connect handler: it verifies the per-session bearer token (query string, docs/protocol.md §2) against its stored hash and the session state. A Lambda REQUEST authorizer could read the same query string, but it would make the same check in a second Lambda invocation per handshake, and $connect must read the session anyway. Later routes are only reachable on an accepted connection.',
    });

    new CfnOutput(this, 'WebSocketUrl', { key: 'WebSocketUrl', value: this.stage.url, description: 'wsUrl clients connect to' });
  }

  /**
   * Grants the execution pipeline to the functions whose WS_GRANTS say `runs`. A method, not a prop: the
   * pipeline is built after this construct, because runners push to this stage.
   */
  bindRuns(execution: RunGrants): void {
    for (const name of Object.keys(WS_GRANTS) as WsFunctionName[]) {
      if (WS_GRANTS[name].runs) execution.grantRuns(this.functions[name]);
    }
  }

  private setAccountLogRole(): void {
    const role = new Role(this, 'ApiGatewayCloudWatchRole', {
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
      description: 'API Gateway account-level CloudWatch Logs role (required for WebSocket access logs)',
      managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs')],
    });
    const account = new CfnAccount(this, 'ApiGatewayAccount', { cloudWatchRoleArn: role.roleArn });
    // The setting is shared by every API of the region: deleting this stack must not pull the role from
    // under the others (it is what CDK's RestApi does for the same role).
    role.applyRemovalPolicy(RemovalPolicy.RETAIN);
    account.applyRemovalPolicy(RemovalPolicy.RETAIN);
    this.stage.node.addDependency(account);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        'The documented policy for the account-wide API Gateway logging role: it serves every API of the region (execution and access logs, log groups API Gateway creates itself), so it cannot be scoped to this stack.',
    });
  }
}
