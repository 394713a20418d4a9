/**
 * Runtime configuration, read once from the environment. The CDK stack sets these variables on each
 * function (infra/constructs/project-function.ts); the local stack sets them for its in-process handlers.
 */
import { LOCAL_TABLE_NAME } from './table.js';

export const APP_VERSION = '0.1.0';

export const ENV = {
  tableName: 'TABLE_NAME',
  region: 'AWS_REGION',
  dynamoEndpoint: 'DYNAMODB_ENDPOINT',
  wsUrl: 'WS_URL',
  wsManagementEndpoint: 'WS_MANAGEMENT_ENDPOINT',
  stage: 'STAGE',
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
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    tableName: env[ENV.tableName] ?? LOCAL_TABLE_NAME,
    region: env[ENV.region] ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    dynamoEndpoint: env[ENV.dynamoEndpoint] || undefined,
    wsUrl: env[ENV.wsUrl] ?? 'ws://localhost:3001/ws',
    wsManagementEndpoint: env[ENV.wsManagementEndpoint] || undefined,
    stage: env[ENV.stage] ?? 'local',
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
