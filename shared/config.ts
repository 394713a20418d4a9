/**
 * Runtime configuration, read once from the environment. The CDK stack sets these variables on each
 * function (infra/constructs/project-function.ts); the local stack sets them for its in-process handlers.
 */
import { LIMITS } from './limits.js';
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
} as const;

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
  };
}

function jsonMap(value: string | undefined): Record<string, string> {
  if (!value) return {};
  const parsed: unknown = JSON.parse(value);
  return parsed && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
}

const list = (value: string | undefined): string[] => (value ? value.split(',').map((s) => s.trim()).filter(Boolean) : []);

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    tableName: env[ENV.tableName] ?? LOCAL_TABLE_NAME,
    region: env[ENV.region] ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    dynamoEndpoint: env[ENV.dynamoEndpoint] || undefined,
    wsUrl: env[ENV.wsUrl] ?? 'ws://localhost:3001/ws',
    wsManagementEndpoint: env[ENV.wsManagementEndpoint] || undefined,
    stage: env[ENV.stage] ?? 'local',
    runQueueUrls: jsonMap(env[ENV.runQueueUrls]),
    sqsEndpoint: env[ENV.sqsEndpoint] || undefined,
    launchQueueUrl: env[ENV.launchQueueUrl] || undefined,
    runners: {
      clusterArn: env[ENV.ecsCluster] || undefined,
      taskDefinitions: jsonMap(env[ENV.ecsTaskDefinitions]),
      subnets: list(env[ENV.ecsSubnets]),
      securityGroups: list(env[ENV.ecsSecurityGroups]),
      maxPerLanguage: Number(env[ENV.maxRunners] ?? LIMITS.execution.maxRunnersPerLanguage),
    },
  };
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
