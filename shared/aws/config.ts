/**
 * Runtime configuration, read once from the environment. The CDK stack sets these variables on each
 * function (infra/constructs/project-function.ts); the local stack sets them for its in-process handlers.
 */
import { LIMITS } from '#contract/limits.js';
import { LOCAL_TABLE_NAME } from './table.js';

export const APP_VERSION = '0.1.0';

export const ENV = {
  tableName: 'TABLE_NAME',
  region: 'AWS_REGION',
  dynamoEndpoint: 'DYNAMODB_ENDPOINT',
  wsUrl: 'WS_URL',
  wsManagementEndpoint: 'WS_MANAGEMENT_ENDPOINT',
  stage: 'STAGE',
  runQueueUrls: 'RUN_QUEUE_URLS',
  launchQueueUrl: 'LAUNCH_QUEUE_URL',
  sqsEndpoint: 'SQS_ENDPOINT',
  ecsCluster: 'RUNNER_CLUSTER_ARN',
  ecsTaskDefinitions: 'RUNNER_TASK_DEFINITIONS',
  ecsSubnets: 'RUNNER_SUBNETS',
  ecsSecurityGroups: 'RUNNER_SECURITY_GROUPS',
  maxRunners: 'MAX_RUNNERS_PER_LANGUAGE',
  maxRunnersInFlight: 'MAX_RUNNERS_IN_FLIGHT',
} as const;

/**
 * Runner tasks alive or booting across all languages (`-c maxRunnersInFlight`), enforced by the launcher
 * function: 10 tasks of 1 vCPU fit a new account's default Fargate vCPU quota and serve 20 runs at once.
 */
export const DEFAULT_MAX_RUNNERS_IN_FLIGHT = 10;

export interface Config {
  tableName: string;
  region: string;
  /** Set only in the local stack / tests: DynamoDB Local's URL. */
  dynamoEndpoint?: string;
  /** Public WebSocket base URL handed to clients as `wsUrl`. */
  wsUrl: string;
  /** Endpoint of the API Gateway Management API (`https://{api}.execute-api.{region}.amazonaws.com/{stage}`). */
  wsManagementEndpoint?: string;
  stage: string;
  /** Language id → SQS queue URL of its runners. */
  runQueueUrls: Record<string, string>;
  /** Queue of launch requests consumed by the launcher function (the only one with ecs:RunTask). */
  launchQueueUrl?: string;
  /** Set only in the local stack: the local SQS-compatible endpoint. */
  sqsEndpoint?: string;
  runners: {
    clusterArn?: string;
    /** Language id → Fargate task definition ARN. */
    taskDefinitions: Record<string, string>;
    subnets: string[];
    securityGroups: string[];
    maxPerLanguage: number;
    /** Deployment-wide cap the launcher enforces (MAX_RUNNERS_IN_FLIGHT). */
    maxInFlight: number;
  };
}

export class ConfigError extends Error {
  constructor(variable: string, detail = 'is not set') {
    super(`${variable} ${detail}: the CDK stack sets it on the functions and tasks that need it (infra/constructs/)`);
    this.name = 'ConfigError';
  }
}

function jsonMap(env: NodeJS.ProcessEnv, name: string): Record<string, string> {
  const value = env[name];
  if (!value) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new ConfigError(name, 'is not JSON');
  }
  return parsed && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = Number(env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 0) throw new ConfigError(name, `is not a non-negative integer (${env[name]})`);
  return value;
}

const list = (value: string | undefined): string[] => (value ? value.split(',').map((s) => s.trim()).filter(Boolean) : []);

/**
 * In AWS (a Lambda function or an ECS task, told by what the platform sets, never by STAGE) nothing falls
 * back to the local stack's values: a variable the stack forgot must fail loudly, not point a function at
 * a table called `interview-local`.
 */
export function runningInAws(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.AWS_LAMBDA_FUNCTION_NAME || env.ECS_CONTAINER_METADATA_URI_V4 || env.ECS_CONTAINER_METADATA_URI);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const aws = runningInAws(env);
  // Needed by every function and task: checked when the configuration is loaded (cold start, below).
  const always = (name: string, localValue: string | undefined): string => {
    const value = env[name] || (aws ? undefined : localValue);
    if (!value) throw new ConfigError(name);
    return value;
  };
  const loaded: Config = {
    tableName: env[ENV.tableName] ?? LOCAL_TABLE_NAME,
    region: always(ENV.region, env.AWS_DEFAULT_REGION ?? 'us-east-1'),
    dynamoEndpoint: env[ENV.dynamoEndpoint] || undefined,
    wsUrl: env[ENV.wsUrl] ?? 'ws://localhost:3001/ws',
    wsManagementEndpoint: env[ENV.wsManagementEndpoint] || undefined,
    stage: always(ENV.stage, 'local'),
    runQueueUrls: jsonMap(env, ENV.runQueueUrls),
    sqsEndpoint: env[ENV.sqsEndpoint] || undefined,
    launchQueueUrl: env[ENV.launchQueueUrl] || undefined,
    runners: {
      clusterArn: env[ENV.ecsCluster] || undefined,
      taskDefinitions: jsonMap(env, ENV.ecsTaskDefinitions),
      subnets: list(env[ENV.ecsSubnets]),
      securityGroups: list(env[ENV.ecsSecurityGroups]),
      maxPerLanguage: integer(env, ENV.maxRunners, LIMITS.execution.maxRunnersPerLanguage),
      maxInFlight: integer(env, ENV.maxRunnersInFlight, DEFAULT_MAX_RUNNERS_IN_FLIGHT),
    },
  };
  if (aws) {
    // Needed by some functions only: the first use throws, naming the variable (a function without the
    // table never reads tableName). The local defaults above are never handed out in AWS.
    for (const [key, name] of [['tableName', ENV.tableName], ['wsUrl', ENV.wsUrl]] as const) {
      if (!env[name]) Object.defineProperty(loaded, key, { enumerable: true, get: () => { throw new ConfigError(name); } });
    }
  }
  return loaded;
}

let cached: Config | undefined;
/** The configuration of this process (a Lambda container or the local stack). */
export function config(): Config {
  cached ??= loadConfig();
  return cached;
}
/** Tests and the local stack call this after changing the environment. */
export function resetConfig(): void {
  cached = undefined;
}

// Cold start: in AWS a missing STAGE or AWS_REGION, or a malformed JSON variable, fails the function's
// (or the task's) initialisation with the variable's name, before it serves anything.
if (runningInAws()) config();
