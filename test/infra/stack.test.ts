import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_DEFAULT_ROUTE_FUNCTION, HTTP_FUNCTIONS, PIPELINE_FUNCTIONS, type HttpFunctionName, WS_FUNCTIONS, WS_ROUTE_SELECTION_EXPRESSION } from '#contract/routes.js';
import { TABLE_DEFINITION, TTL_ATTRIBUTE } from '#aws/table.js';
import type { WsFunctionName } from '../../infra/constructs/websocket-api.js';
import { ENV } from '#aws/config.js';
import type { ProjectFunction } from '../../infra/constructs/project-function.js';
import { buildApp, logicalId, type Built } from './harness.js';

type Json = Record<string, any>;

let built: Built;
let template: Template;
let resources: Record<string, Json>;

beforeAll(() => {
  built = buildApp({ stage: 'dev' });
  template = Template.fromStack(built.stack);
  resources = template.toJSON().Resources as Record<string, Json>;
});
afterAll(() => built?.cleanup());

const httpFn = (name: HttpFunctionName) => built.stack.http.functions[name];
const wsFn = (name: WsFunctionName) => built.stack.webSocket.functions[name];
/** Functions behind an API (API Gateway stops waiting after 29 s). */
const apiFunctions = (): [string, ProjectFunction][] => [
  ...Object.entries(built.stack.http.functions),
  ...Object.entries(built.stack.webSocket.functions),
];
const allFunctions = (): [string, ProjectFunction][] => [...apiFunctions(), ...Object.entries(built.stack.execution.pipeline.functions)];

function ofType(type: string): [string, Json][] {
  return Object.entries(resources).filter(([, r]) => r.Type === type);
}

/** Every IAM statement attached to the function's role (inline or through AWS::IAM::Policy). */
function statementsOf(fn: ProjectFunction): Json[] {
  const roleId = logicalId(fn.role);
  const role = resources[roleId]!;
  const inline = ((role.Properties.Policies ?? []) as Json[]).flatMap((p) => p.PolicyDocument.Statement as Json[]);
  const attached = ofType('AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as Json[]).some((r) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);
  return [...inline, ...attached];
}
const actionsOf = (s: Json): string[] => [s.Action].flat();
const resourcesOf = (s: Json): unknown[] => [s.Resource].flat();
const envOf = (fn: ProjectFunction): Json => resources[logicalId(fn.fn)]!.Properties.Environment.Variables;

const TABLE_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

describe('data', () => {
  it('builds the table from TABLE_DEFINITION: keys, on-demand billing, TTL on `ttl`', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: TABLE_DEFINITION.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: TABLE_DEFINITION.sortKey.name, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: TABLE_DEFINITION.partitionKey.name, AttributeType: 'S' },
        { AttributeName: TABLE_DEFINITION.sortKey.name, AttributeType: 'S' },
      ]),
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    });
    expect(TTL_ATTRIBUTE).toBe('ttl');
  });

  it('enables point-in-time recovery and server-side encryption', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it('is destroyed with a dev stack', () => {
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
  });
});

describe('functions', () => {
  it('creates one function per HTTP_FUNCTIONS, WS_FUNCTIONS and PIPELINE_FUNCTIONS entry', () => {
    const expected = Object.keys(HTTP_FUNCTIONS).length + Object.keys(WS_FUNCTIONS).length + Object.keys(PIPELINE_FUNCTIONS).length;
    template.resourceCountIs('AWS::Lambda::Function', expected + 1); // + CDK's BucketDeployment handler (web app)
    expect(allFunctions()).toHaveLength(expected);
  });

  it('runs every function on nodejs22.x / arm64 with an ESM bundle and source maps', () => {
    // CDK's own BucketDeployment handler (infra/constructs/web-app.ts) is not a project function.
    for (const [, fn] of ofType('AWS::Lambda::Function').filter(([id]) => !id.startsWith('CustomCDKBucketDeployment'))) {
      expect(fn.Properties.Runtime).toBe('nodejs22.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.Handler).toBe('index.handler');
      expect(fn.Properties.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
      expect(fn.Properties.Timeout).toBeLessThanOrEqual(60);
    }
    for (const [name, fn] of apiFunctions()) expect(resources[logicalId(fn.fn)]!.Properties.Timeout, name).toBeLessThanOrEqual(29);
  });

  it('sets STAGE and Powertools variables on every function', () => {
    for (const [name, fn] of allFunctions()) {
      const env = envOf(fn);
      expect(env[ENV.stage], name).toBe('dev');
      expect(env.POWERTOOLS_SERVICE_NAME, name).toMatch(/^interview-/);
      expect(env.POWERTOOLS_LOG_LEVEL, name).toBeTruthy();
      expect(env.LOG_LEVEL, name).toBe(env.POWERTOOLS_LOG_LEVEL);
    }
  });

  it('bundles a handler that loads as ESM on Node and answers (meta: GET /api/health)', () => {
    // The asset directory is named after the hash CloudFormation uses as the S3 key.
    const key = resources[logicalId(httpFn('meta').fn)]!.Properties.Code.S3Key as string;
    const bundle = path.join(built.outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.mjs');
    expect(existsSync(bundle), bundle).toBe(true);
    expect(existsSync(`${bundle}.map`)).toBe(true);
    const event = { version: '2.0', routeKey: 'GET /api/health', rawPath: '/api/health', headers: {}, requestContext: { requestId: 'r1', http: { method: 'GET', sourceIp: '127.0.0.1' } }, isBase64Encoded: false };
    const script = `const m = await import(process.argv[1]); process.stdout.write(JSON.stringify(await m.handler(JSON.parse(process.argv[2]))));`;
    const out = execFileSync(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script, bundle, JSON.stringify(event)], {
      env: { PATH: process.env.PATH, POWERTOOLS_LOG_LEVEL: 'ERROR', AWS_REGION: 'us-east-1' },
      encoding: 'utf8',
    });
    const result = JSON.parse(out) as { statusCode: number; body: string };
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({ status: 'ok' });
  });

  it('logs every function to its own log group with a retention, not the deprecated logRetention', () => {
    template.resourceCountIs('Custom::LogRetention', 0);
    for (const [name, fn] of allFunctions()) {
      const props = resources[logicalId(fn.fn)]!.Properties;
      expect(props.LoggingConfig?.LogGroup, name).toEqual({ Ref: logicalId(fn.logGroup) });
    }
    // Every other Lambda too (CDK's BucketDeployment handler): a log group of the template, never an
    // implicit /aws/lambda/... group created at run time and kept forever.
    for (const [id, fn] of ofType('AWS::Lambda::Function')) {
      const ref = (fn.Properties.LoggingConfig?.LogGroup as { Ref?: string } | undefined)?.Ref;
      expect(ref && resources[ref]?.Type, id).toBe('AWS::Logs::LogGroup');
    }
    for (const [id, group] of ofType('AWS::Logs::LogGroup')) {
      expect(group.Properties.RetentionInDays, id).toBeGreaterThan(0);
    }
  });
});

describe('HTTP API', () => {
  it('wires every route key of HTTP_FUNCTIONS to its function with payload format 2.0', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties);
    const apiId = logicalId(built.stack.http.api);
    for (const [name, def] of Object.entries(HTTP_FUNCTIONS) as [HttpFunctionName, (typeof HTTP_FUNCTIONS)[HttpFunctionName]][]) {
      for (const routeKey of def.routes) {
        const route = routes.find((r) => r.RouteKey === routeKey && r.ApiId?.Ref === apiId);
        expect(route, routeKey).toBeDefined();
        const integrationId = route!.Target['Fn::Join'][1][1].Ref as string;
        const integration = resources[integrationId]!.Properties;
        expect(integration.IntegrationType, routeKey).toBe('AWS_PROXY');
        expect(integration.PayloadFormatVersion, routeKey).toBe('2.0');
        expect(integration.IntegrationUri, `${routeKey} -> ${name}`).toEqual({ 'Fn::GetAtt': [logicalId(httpFn(name).fn), 'Arn'] });
      }
    }
    const expected = Object.values(HTTP_FUNCTIONS).flatMap((d) => d.routes).length + 1; // + $default
    expect(routes.filter((r) => r.ApiId?.Ref === apiId)).toHaveLength(expected);
    // Unmatched requests reach the contract's 404 (functions/http/meta.ts), not API Gateway's own body.
    const fallback = routes.find((r) => r.RouteKey === '$default' && r.ApiId?.Ref === apiId);
    expect(fallback, '$default').toBeDefined();
    const fallbackIntegration = resources[fallback!.Target['Fn::Join'][1][1].Ref as string]!.Properties;
    expect(fallbackIntegration.IntegrationUri).toEqual({ 'Fn::GetAtt': [logicalId(httpFn(HTTP_DEFAULT_ROUTE_FUNCTION).fn), 'Arn'] });
  });

  it('lets browsers send Authorization, Content-Type and Idempotency-Key', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: Match.objectLike({
        AllowHeaders: Match.arrayWith(['Authorization', 'Content-Type', 'Idempotency-Key']),
        AllowMethods: Match.arrayWith(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
      }),
    });
  });

  it('has a throttled, access-logged $default stage', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      ApiId: { Ref: logicalId(built.stack.http.api) },
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingBurstLimit: Match.anyValue(), ThrottlingRateLimit: Match.anyValue() },
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [logicalId(built.stack.http.accessLogs), 'Arn'] },
        Format: Match.stringLikeRegexp('\\$context\\.requestId'),
      },
    });
  });

  it('outputs HttpApiUrl', () => {
    template.hasOutput('HttpApiUrl', { Value: Match.objectLike({ 'Fn::Join': Match.anyValue() }) });
  });
});

describe('WebSocket API', () => {
  it('selects routes with WS_ROUTE_SELECTION_EXPRESSION', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: WS_ROUTE_SELECTION_EXPRESSION,
    });
  });

  it('wires every route key of WS_FUNCTIONS to its function', () => {
    const apiId = logicalId(built.stack.webSocket.api);
    const routes = ofType('AWS::ApiGatewayV2::Route')
      .map(([, r]) => r.Properties)
      .filter((r) => r.ApiId?.Ref === apiId);
    for (const [name, def] of Object.entries(WS_FUNCTIONS) as [WsFunctionName, (typeof WS_FUNCTIONS)[WsFunctionName]][]) {
      for (const routeKey of def.routes) {
        const route = routes.find((r) => r.RouteKey === routeKey);
        expect(route, routeKey).toBeDefined();
        const integrationId = route!.Target['Fn::Join'][1][1].Ref as string;
        const integration = resources[integrationId]!.Properties;
        expect(integration.IntegrationType, routeKey).toBe('AWS_PROXY');
        // The invocation URI embeds the target function's ARN.
        expect(JSON.stringify(integration.IntegrationUri), `${routeKey} -> ${name}`).toContain(
          JSON.stringify({ 'Fn::GetAtt': [logicalId(wsFn(name).fn), 'Arn'] }),
        );
      }
    }
    expect(routes).toHaveLength(Object.values(WS_FUNCTIONS).flatMap((d) => d.routes).length);
  });

  it('has a throttled, access-logged, auto-deployed stage named after the deployment stage', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      ApiId: { Ref: logicalId(built.stack.webSocket.api) },
      StageName: 'dev',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingBurstLimit: Match.anyValue(), ThrottlingRateLimit: Match.anyValue() },
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [logicalId(built.stack.webSocket.accessLogs), 'Arn'] },
        Format: Match.stringLikeRegexp('\\$context\\.connectionId'),
      },
    });
  });

  it('sets the account CloudWatch role WebSocket access logs need, before the stage', () => {
    const [[accountId, account]] = ofType('AWS::ApiGateway::Account') as [[string, Json]];
    expect(account.Properties.CloudWatchRoleArn['Fn::GetAtt'][1]).toBe('Arn');
    expect(account.DeletionPolicy).toBe('Retain');
    expect(resources[logicalId(built.stack.webSocket.stage)]!.DependsOn).toContain(accountId);
  });

  it('outputs WebSocketUrl (wss://.../dev)', () => {
    template.hasOutput('WebSocketUrl', {
      Value: { 'Fn::Join': ['', Match.arrayWith(['wss://', '/dev'])] },
    });
  });
});

describe('environment and least privilege', () => {
  const wsApiRef = () => ({ Ref: logicalId(built.stack.webSocket.api) });

  it('gives table functions TABLE_NAME and exactly their declared access', () => {
    const tableArn = { 'Fn::GetAtt': [logicalId(built.stack.data.table), 'Arn'] };
    const declared: [string, ProjectFunction, 'none' | 'read' | 'readWrite'][] = [
      ...(Object.keys(HTTP_FUNCTIONS) as HttpFunctionName[]).map((n) => [n, httpFn(n), HTTP_FUNCTIONS[n].table] as [string, ProjectFunction, 'none' | 'read' | 'readWrite']),
      ...(Object.keys(WS_FUNCTIONS) as WsFunctionName[]).map((n) => [n, wsFn(n), 'readWrite'] as [string, ProjectFunction, 'readWrite']),
      ['deadLetter', built.stack.execution.pipeline.functions.deadLetter, 'readWrite'],
    ];
    for (const [name, fn, access] of declared) {
      const dynamo = statementsOf(fn).filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
      const actions = dynamo.flatMap(actionsOf);
      if (access === 'none') {
        expect(dynamo, name).toHaveLength(0);
        expect(envOf(fn)[ENV.tableName], name).toBeUndefined();
        continue;
      }
      expect(envOf(fn)[ENV.tableName], name).toEqual({ Ref: logicalId(built.stack.data.table) });
      expect(actions, name).toContain('dynamodb:Query');
      for (const s of dynamo) expect(resourcesOf(s), name).toEqual([tableArn]);
      if (access === 'read') for (const a of TABLE_WRITE_ACTIONS) expect(actions, `${name} must not ${a}`).not.toContain(a);
      else expect(actions, name).toEqual(expect.arrayContaining(TABLE_WRITE_ACTIONS));
    }
    // The route table does declare a read-only function: the assertion above is not vacuous.
    expect(Object.values(HTTP_FUNCTIONS).some((d) => d.table === 'read')).toBe(true);
  });

  it('grants execute-api:ManageConnections only to pushing functions, scoped to this API and stage', () => {
    const pushers: [string, ProjectFunction, boolean][] = [
      ...(Object.keys(HTTP_FUNCTIONS) as HttpFunctionName[]).map((n) => [n, httpFn(n), HTTP_FUNCTIONS[n].pushes] as [string, ProjectFunction, boolean]),
      ['ws-connect', wsFn('connect'), false],
      ['ws-disconnect', wsFn('disconnect'), true],
      ['ws-message', wsFn('message'), true],
    ];
    for (const [name, fn, pushes] of pushers) {
      const manage = statementsOf(fn).filter((s) => actionsOf(s).some((a) => a.startsWith('execute-api:')));
      if (!pushes) {
        expect(manage, name).toHaveLength(0);
        expect(envOf(fn)[ENV.wsManagementEndpoint], name).toBeUndefined();
        continue;
      }
      expect(manage.flatMap(actionsOf), name).toEqual(['execute-api:ManageConnections']);
      for (const resource of manage.flatMap(resourcesOf)) {
        const parts = (resource as Json)['Fn::Join'][1] as unknown[];
        expect(parts, name).toContainEqual(wsApiRef());
        expect(parts.at(-1), name).toMatch(/^\/dev\/(POST|DELETE|GET)\/@connections\/\*$/);
      }
      const endpoint = (envOf(fn)[ENV.wsManagementEndpoint] as Json)['Fn::Join'][1] as unknown[];
      expect(endpoint[0], name).toBe('https://');
      expect(endpoint, name).toContainEqual(wsApiRef());
      expect(endpoint.at(-1), name).toBe('/dev');
    }
  });

  it('lets only the functions that close sockets call DELETE @connections', () => {
    const methods = (fn: ProjectFunction) =>
      statementsOf(fn)
        .filter((s) => actionsOf(s).includes('execute-api:ManageConnections'))
        .flatMap(resourcesOf)
        .map((r) => /\/(POST|DELETE|GET)\/@connections/.exec(((r as Json)['Fn::Join'][1] as string[]).at(-1)!)![1])
        .sort();
    expect(methods(httpFn('sessions'))).toEqual(['DELETE', 'POST']);
    expect(methods(httpFn('code'))).toEqual(['POST']);
    expect(methods(httpFn('snapshots'))).toEqual(['POST']);
    expect(methods(wsFn('message'))).toEqual(['DELETE', 'POST']);
    expect(methods(wsFn('disconnect'))).toEqual(['POST']);
  });

  it('hands the sessions function the public wss URL as WS_URL', () => {
    const url = envOf(httpFn('sessions'))[ENV.wsUrl] as Json;
    const parts = url['Fn::Join'][1] as unknown[];
    expect(parts[0]).toBe('wss://');
    expect(parts).toContainEqual(wsApiRef());
    expect(parts.at(-1)).toBe('/dev');
  });

  it('uses no AWS managed policy and no Resource "*" on function roles', () => {
    for (const [name, fn] of allFunctions()) {
      expect(resources[logicalId(fn.role)]!.Properties.ManagedPolicyArns, name).toBeUndefined();
      for (const s of statementsOf(fn)) expect(resourcesOf(s), name).not.toContain('*');
      const logs = statementsOf(fn).filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
      expect(logs.flatMap(resourcesOf), name).toEqual([{ 'Fn::GetAtt': [logicalId(fn.logGroup), 'Arn'] }]);
    }
  });
});

describe('observability', () => {
  const alarms = () => ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
  const topicRef = () => ({ Ref: logicalId(built.stack.observability.topic) });

  it('alarms on invocation errors of every function', () => {
    for (const [name, fn] of allFunctions()) {
      const fnRef = { Ref: logicalId(fn.fn) };
      const found = alarms().some((a) => a.MetricName === 'Errors' && (a.Dimensions as Json[] | undefined)?.some((d) => JSON.stringify(d.Value) === JSON.stringify(fnRef)));
      expect(found, `${name} Errors`).toBe(true);
    }
  });

  it('sends every alarm to one SNS topic that refuses requests without TLS', () => {
    expect(alarms().length).toBeGreaterThan(0);
    for (const a of alarms()) expect(a.AlarmActions, a.AlarmDescription).toEqual([topicRef()]);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    const [[, policy]] = ofType('AWS::SNS::TopicPolicy') as [[string, Json]];
    const statements = policy.Properties.PolicyDocument.Statement as Json[];
    expect(statements.find((st) => st.Effect === 'Deny')?.Condition).toEqual({ Bool: { 'aws:SecureTransport': 'false' } });
    const publish = statements.find((st) => st.Effect === 'Allow');
    expect(publish?.Principal).toEqual({ Service: 'cloudwatch.amazonaws.com' });
    expect(publish?.Action).toBe('sns:Publish');
    // Without -c alarmEmail nobody is subscribed; the topic ARN is an output to subscribe by hand.
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    template.hasOutput('AlarmTopicArn', { Value: topicRef() });
  });

  it('watches neither DLQ depth nor DynamoDB SystemErrors (never fire / billed per operation metric)', () => {
    const metrics = alarms().map((a) => a.MetricName ?? (a.Metrics as Json[]).map((m) => m.MetricStat?.Metric?.MetricName).join('+'));
    expect(metrics.filter((m) => /ApproximateNumberOfMessages|SystemErrors/.test(m))).toEqual([]);
  });
});
