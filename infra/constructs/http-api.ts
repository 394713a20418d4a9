/**
 * The HTTP API (docs/protocol.md §3): one Lambda per HTTP_FUNCTIONS group (shared/contract/routes.ts), every route key of the
 * group wired to it with payload format 2.0, one `$default` stage with throttling and JSON access logs.
 * With `-c jwtIssuer=… -c jwtAudience=…` the operator routes (OPERATOR_ROUTES) get API Gateway's JWT
 * authorizer; otherwise their handler checks an operator API key (shared/core/operators.ts).
 */
import { CfnOutput, Duration, Validations } from 'aws-cdk-lib';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
  PayloadFormatVersion,
  type WebSocketStage,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { HTTP_CORS, HTTP_DEFAULT_ROUTE_FUNCTION, HTTP_FUNCTIONS, OPERATOR_ROUTES, type HttpFunctionName } from '#contract/routes.js';
import type { StageSettings } from '../stage.js';
import { jsonAccessLogFormat } from './access-log.js';
import type { RunGrants } from './run-pipeline.js';
import { ProjectFunction } from './project-function.js';

/**
 * Functions with `pushes: true` may post to connections; only those listed here may also close them
 * (DELETE /api/sessions/{sessionId} ends the session and closes its sockets, docs/protocol.md §3).
 */
const CLOSES_SOCKETS: ReadonlySet<HttpFunctionName> = new Set<HttpFunctionName>(['sessions']);

export interface HttpApiProps {
  readonly stage: StageSettings;
  readonly table: ITable;
  /** The WebSocket stage: its URL becomes WS_URL, and pushing functions get its management endpoint. */
  readonly webSocket: WebSocketStage;
  /** The execution pipeline: functions with `runs: true` queue runs and start runners. */
  readonly execution: RunGrants;
  /**
   * Browser origins allowed by CORS. Tokens travel in the Authorization header, never in cookies, so a
   * wildcard exposes nothing a script on another origin could not already send.
   * @default ['*']
   */
  readonly allowOrigins?: string[];
  /**
   * Operators authenticate with JWTs of this issuer and audience instead of API keys.
   * @default context `jwtIssuer` / `jwtAudience` (comma-separated), else none: API keys
   */
  readonly jwt?: OperatorJwt;
}

export interface OperatorJwt {
  /** `https://` URL of the identity provider; API Gateway reads `<issuer>/.well-known/openid-configuration`. */
  readonly issuer: string;
  readonly audience: string[];
}

export class HttpApiConstruct extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly functions: Record<HttpFunctionName, ProjectFunction>;
  readonly accessLogs: LogGroup;
  /** Base URL of the API, ending with `/`. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: HttpApiProps) {
    super(scope, id);
    const { stage } = props;

    this.api = new HttpApi(this, 'Api', {
      apiName: `interview-http-${stage.name}`,
      description: 'Interview backend HTTP API (docs/protocol.md §3)',
      // The stage is created below: the default one cannot be given throttling or access logs.
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: props.allowOrigins ?? ['*'],
        allowMethods: HTTP_CORS.allowMethods.map((m) => CorsHttpMethod[m]),
        allowHeaders: [...HTTP_CORS.allowHeaders],
        exposeHeaders: [...HTTP_CORS.exposeHeaders],
        maxAge: Duration.seconds(HTTP_CORS.maxAgeSeconds),
      },
    });

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: stage.logRetention,
      removalPolicy: stage.removalPolicy,
    });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: stage.httpThrottle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: jsonAccessLogFormat({
          requestId: '$context.requestId',
          ip: '$context.identity.sourceIp',
          requestTime: '$context.requestTime',
          method: '$context.httpMethod',
          routeKey: '$context.routeKey',
          path: '$context.path',
          status: '$context.status',
          protocol: '$context.protocol',
          responseLength: '$context.responseLength',
          responseLatency: '$context.responseLatency',
          integrationLatency: '$context.integrationLatency',
          integrationError: '$context.integrationErrorMessage',
        }),
      },
    });
    this.url = this.stage.url;

    const jwt = props.jwt ?? jwtFromContext(this);
    // One authorizer per route in API Gateway: with JWT configured, the operator routes accept JWTs only.
    const operatorAuthorizer = jwt
      ? new HttpJwtAuthorizer('OperatorJwt', jwt.issuer, { jwtAudience: jwt.audience, authorizerName: 'operator-jwt' })
      : undefined;

    const functions = {} as Record<HttpFunctionName, ProjectFunction>;
    for (const [name, def] of Object.entries(HTTP_FUNCTIONS) as [HttpFunctionName, (typeof HTTP_FUNCTIONS)[HttpFunctionName]][]) {
      const fn = new ProjectFunction(this, `Http-${name}`, {
        entry: def.entry,
        description: `HTTP ${def.routes.join(', ')}`.slice(0, 256),
        stage,
        serviceName: `interview-http-${name}`,
      });
      fn.bindTable(props.table, def.table);
      // Not a permission, only the public URL: POST /api/sessions returns it as `wsUrl`.
      fn.bindWebSocketUrl(props.webSocket);
      if (def.pushes) fn.bindWebSocket(props.webSocket, CLOSES_SOCKETS.has(name) ? ['POST', 'DELETE'] : ['POST']);
      if ('runs' in def && def.runs) props.execution.grantRuns(fn);
      else if ('warms' in def && def.warms) props.execution.grantWarming(fn);

      const integration = new HttpLambdaIntegration(`Http-${name}-Integration`, fn.fn, {
        payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
      });
      for (const routeKey of def.routes) {
        const [method, path] = parseRouteKey(routeKey);
        const authorizer = OPERATOR_ROUTES.includes(routeKey) ? operatorAuthorizer : undefined;
        this.api.addRoutes({ path, methods: [method], integration, ...(authorizer ? { authorizer } : {}) });
      }
      // Whatever no route matches: the contract's 404 body instead of API Gateway's {"message":"Not Found"}.
      if (name === HTTP_DEFAULT_ROUTE_FUNCTION) new HttpRoute(this.api, 'DefaultRoute', { httpApi: this.api, routeKey: HttpRouteKey.DEFAULT, integration });
      functions[name] = fn;
    }
    this.functions = functions;

    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Session routes authorize in the handlers with per-session bearer tokens (docs/protocol.md §2) compared against stored hashes. A Lambda REQUEST authorizer could read the path\'s session id, but it would make the same check at the price of a second Lambda invocation per request, and a cached answer would outlive a revoked token or an ended session. Operator routes (POST/GET /api/sessions, /api/questions) take an operator API key checked against stored hashes in the handler, or API Gateway\'s JWT authorizer when -c jwtIssuer/jwtAudience are set. Health and languages are public by contract; the $default route only answers 404 NOT_FOUND (no table, no grants).',
    });

    new CfnOutput(this, 'HttpApiUrl', { key: 'HttpApiUrl', value: this.url, description: 'Base URL of the HTTP API' });
  }
}

/** `-c jwtIssuer=https://… -c jwtAudience=a,b`: both or neither. */
export function jwtFromContext(scope: Construct): OperatorJwt | undefined {
  const issuer = scope.node.tryGetContext('jwtIssuer') as string | undefined;
  const audience = scope.node.tryGetContext('jwtAudience') as string | undefined;
  if (issuer === undefined && audience === undefined) return undefined;
  if (!issuer || !audience) throw new Error('-c jwtIssuer and -c jwtAudience go together: set both or neither');
  if (!/^https:\/\/[^\s/]+/.test(issuer)) throw new Error(`-c jwtIssuer=${issuer}: expected the identity provider's https:// URL`);
  const list = String(audience).split(',').map((a) => a.trim()).filter(Boolean);
  if (list.length === 0) throw new Error('-c jwtAudience: expected one or more comma-separated audiences');
  return { issuer, audience: list };
}

const METHODS: Record<string, HttpMethod> = {
  GET: HttpMethod.GET,
  POST: HttpMethod.POST,
  PUT: HttpMethod.PUT,
  PATCH: HttpMethod.PATCH,
  DELETE: HttpMethod.DELETE,
};

/** `GET /api/sessions/{sessionId}` -> [GET, '/api/sessions/{sessionId}'] */
export function parseRouteKey(routeKey: string): [HttpMethod, string] {
  const [verb, path, ...rest] = routeKey.split(' ');
  const method = verb ? METHODS[verb] : undefined;
  if (!method || !path?.startsWith('/') || rest.length > 0) throw new Error(`malformed route key "${routeKey}"`);
  return [method, path];
}
