/**
 * The one way this project builds a Lambda function: runtime, architecture, bundling, logging and role
 * are pinned here, and the `bind*` helpers set an environment variable together with the narrowest grant
 * that makes it usable, so a function never gets a variable without the permission or the reverse.
 */
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import { ArnFormat, type CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV } from '#aws/config.js';
import { LAMBDA_BUNDLE, lambdaDefine } from '../bundling.js';
import type { StageSettings } from '../stage.js';

/** Repository root: handler entries in the route tables are relative to it. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Pinned runtime: Node 22 on Graviton (cheaper per GB-second than x86 and enough for JSON + Yjs work). */
export const FUNCTION_RUNTIME = Runtime.NODEJS_22_X;
export const FUNCTION_ARCHITECTURE = Architecture.ARM_64;

export type TableAccess = 'none' | 'read' | 'readWrite';

/**
 * Management API calls on connections: POST = postToConnection (push), DELETE = deleteConnection
 * (close a socket), GET = getConnection. Each maps to one resource path of `execute-api:ManageConnections`.
 */
export type ConnectionMethod = 'POST' | 'DELETE' | 'GET';

export interface ProjectFunctionProps {
  /** Handler module relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly description?: string;
  readonly stage: StageSettings;
  /** POWERTOOLS_SERVICE_NAME: how this function's log lines are labelled. */
  readonly serviceName: string;
  /** @default 10 seconds: API Gateway stops waiting after 29-30 s anyway. */
  readonly timeout?: Duration;
  /** @default 512 MiB: also buys CPU, which Yjs merges and cold starts need. */
  readonly memorySize?: number;
  /** @default the stage's retention */
  readonly logRetention?: RetentionDays;
  readonly environment?: Readonly<Record<string, string>>;
}

export class ProjectFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ProjectFunctionProps) {
    super(scope, id);
    const { stage } = props;
    const tracing = tracingEnabled(this);

    // An explicit log group (not the deprecated `logRetention` custom resource): retention and removal
    // follow the stage, and the role below can be scoped to exactly this group.
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? stage.logRetention,
      removalPolicy: stage.removalPolicy,
    });

    // Our own role instead of the default one, which carries the AWS managed AWSLambdaBasicExecutionRole
    // (logs:* on every log group of the account).
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${id} (${stage.name})`,
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    this.fn = new NodejsFunction(this, 'Function', {
      entry: path.join(REPO_ROOT, props.entry),
      handler: 'handler',
      description: props.description,
      runtime: FUNCTION_RUNTIME,
      architecture: FUNCTION_ARCHITECTURE,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      // `-c tracing=true`: X-Ray active tracing (one trace per invocation, billed per trace: docs/cost.md)
      // and Powertools Tracer built into the bundle (define below, shared/telemetry/tracing.ts); off by
      // default, and then absent from the template and the bundle.
      ...(tracing ? { tracing: Tracing.ACTIVE } : {}),
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      environment: {
        [ENV.stage]: stage.name,
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_LOG_LEVEL: stage.logLevel,
        LOG_LEVEL: stage.logLevel,
        // Stack traces point into the TypeScript sources instead of the minified bundle.
        NODE_OPTIONS: '--enable-source-maps',
        ...(tracing ? { POWERTOOLS_TRACE_ENABLED: 'true' } : {}),
        ...props.environment,
      },
      bundling: {
        // One definition with bench/bundles.ts (infra/bundling.ts): ESM output (sources are ESM and may use
        // top-level await), a `require` shim for bundled CommonJS, and env-only Lambda credentials.
        format: OutputFormat.ESM,
        target: LAMBDA_BUNDLE.target,
        mainFields: LAMBDA_BUNDLE.mainFields,
        banner: LAMBDA_BUNDLE.banner,
        minify: LAMBDA_BUNDLE.minify,
        define: lambdaDefine(tracing),
        esbuildArgs: Object.fromEntries(Object.entries(LAMBDA_BUNDLE.alias).map(([from, to]) => [`--alias:${from}`, to])),
        logLevel: LogLevel.ERROR,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        // Line mapping is enough for stack traces; embedding the sources would double the asset.
        sourcesContent: false,
        // Ship the SDK version the handlers were tested with instead of whatever the runtime bundles.
        bundleAwsSDK: true,
      },
    });
    if (tracing) {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Active tracing (-c tracing=true only) adds xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions: X-Ray requires resource *.',
      });
    }
    Validations.of(this.fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is pinned on purpose: the bundles\' esbuild target and the runner image are Node 22, and the handlers are tested on Node 20 and later. Moving to a newer runtime is a deliberate upgrade of all of them together, not a lint fix.',
    });
  }

  /**
   * Sets TABLE_NAME and grants exactly the table access the function declares. Index access is opt-in
   * (`indexes`): CDK's `grantReadWriteData` would add `<table>/index/*` for every function.
   */
  bindTable(table: ITable, access: TableAccess, options: { indexes?: readonly string[] } = {}): this {
    if (access === 'none') return this;
    this.fn.addEnvironment(ENV.tableName, table.tableName);
    for (const statement of tableStatements(table, access, options.indexes)) this.role.addToPrincipalPolicy(statement);
    return this;
  }

  /** Sets WS_URL: the public `wss://` URL handed to clients (POST /api/sessions returns it as `wsUrl`). */
  bindWebSocketUrl(stage: WebSocketStage): this {
    this.fn.addEnvironment(ENV.wsUrl, stage.url);
    return this;
  }

  /** Sets WS_MANAGEMENT_ENDPOINT and grants `execute-api:ManageConnections` (see grantManageConnections). */
  bindWebSocket(stage: WebSocketStage, methods: readonly ConnectionMethod[]): this {
    this.fn.addEnvironment(ENV.wsManagementEndpoint, stage.callbackUrl);
    grantManageConnections(this.role, stage, methods);
    return this;
  }
}

/**
 * The DynamoDB actions the store layer (shared/aws/store/, shared/aws/store/runner-registry.ts) uses: Get/Put/Update/
 * Delete/Query, TransactWrite (which IAM checks as the per-item actions, ConditionCheckItem for its
 * condition checks) and BatchWrite (deleting superseded document states, a purge, question parts). No
 * Scan, BatchGetItem or DescribeTable: nothing calls them.
 */
export const TABLE_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'];
export const TABLE_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

/**
 * Table access as IAM statements: the table itself, plus the named indexes (read actions only: an index
 * cannot be written) for the few principals that query them.
 */
export function tableStatements(
  table: ITable,
  access: Exclude<TableAccess, 'none'>,
  indexes: readonly string[] = [],
  /** Partition key patterns the principal may touch (`dynamodb:LeadingKeys`, `*` wildcards); all when absent. */
  leadingKeys?: readonly string[],
): iam.PolicyStatement[] {
  const statements = [
    new iam.PolicyStatement({
      actions: access === 'read' ? TABLE_READ_ACTIONS : [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS],
      resources: [table.tableArn],
      ...(leadingKeys ? { conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...leadingKeys] } } } : {}),
    }),
  ];
  if (indexes.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: indexes.map((name) => `${table.tableArn}/index/${name}`),
      }),
    );
  }
  return statements;
}

/**
 * Grants `execute-api:ManageConnections` on the connections of this API and stage only, for the given
 * methods (a Lambda role or a Fargate task role). The `@connections/*` wildcard cannot be narrowed:
 * connection ids are created at runtime.
 */
export function grantManageConnections(role: iam.Role, stage: WebSocketStage, methods: readonly ConnectionMethod[]): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['execute-api:ManageConnections'],
      resources: methods.map((method) => connectionsArn(stage, method)),
    }),
  );
  for (const method of methods) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagConnectionsResource(stage, method)}]`,
      reason:
        'Connection ids are created at runtime, so the resource ends in @connections/*; it is scoped to this API, this stage and one management method.',
    });
  }
}

/** How cdk-nag renders connectionsArn() in an IAM5 finding id (tokens become `<LogicalId>`). */
function nagConnectionsResource(stage: WebSocketStage, method: ConnectionMethod): string {
  const apiLogicalId = Stack.of(stage.api).getLogicalId(stage.api.node.defaultChild as CfnElement);
  return `arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${apiLogicalId}>/${stage.stageName}/${method}/@connections/*`;
}

/** `arn:<partition>:execute-api:<region>:<account>:<apiId>/<stage>/<METHOD>/@connections/*` */
export function connectionsArn(stage: WebSocketStage, method: ConnectionMethod): string {
  return Stack.of(stage).formatArn({
    service: 'execute-api',
    resource: stage.api.apiId,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    resourceName: `${stage.stageName}/${method}/@connections/*`,
  });
}

/** `-c tracing=true` (or the boolean in cdk.json): X-Ray active tracing on every project function. */
export function tracingEnabled(scope: Construct): boolean {
  const raw = scope.node.tryGetContext('tracing') as string | boolean | undefined;
  return raw === true || raw === 'true';
}
