/**
 * AWS SDK clients: module-level singletons, created once per container, endpoints from configuration so
 * the local stack can point them at DynamoDB Local and the local management endpoint. Tests mock the
 * client classes with aws-sdk-client-mock.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { traceClient } from '#telemetry/tracing.js';
import { config } from './config.js';

let ddb: DynamoDBDocumentClient | undefined;
let ddbBase: DynamoDBClient | undefined;
let mgmt: ApiGatewayManagementApiClient | undefined;
/** Credentials for the local stack's services, which accept any. */
export const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/** Clients defined in their own modules (sqs-client.ts, ecs-client.ts) register their reset here. */
const resetters: (() => void)[] = [];
export const onResetClients = (fn: () => void): void => {
  resetters.push(fn);
};

/** Hook for counting calls (bench) — receives every DynamoDB command name. */
export type CommandObserver = (service: string, command: string) => void;
const observers: CommandObserver[] = [];
export function observeCommands(fn: CommandObserver): () => void {
  observers.push(fn);
  return () => observers.splice(observers.indexOf(fn), 1);
}

/** Counts a call made without an SDK client (the local stack's direct push transport). */
export function recordCall(service: string, command: string): void {
  for (const o of observers) o(service, command);
}

export function countingMiddleware(service: string) {
  return (next: any, context: any) => async (args: any) => {
    for (const o of observers) o(service, context.commandName ?? 'unknown');
    return next(args);
  };
}

/**
 * The SDK's logger middleware formats every call's input and output for the log (walking them against
 * the operation's schema to mask sensitive fields) and hands that to the client's logger, which is a
 * no-op unless one is configured. We configure none: dropping it saves that walk on every call (a
 * Query's items included), about a tenth of a DynamoDB call's CPU (bench/realtime.ts, docs/document.md).
 */
export function withoutLogger<T extends { middlewareStack: { remove(name: string): boolean } }>(client: T): T {
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}

export function dynamo(): DynamoDBDocumentClient {
  if (!ddb) {
    const c = config();
    const base = new DynamoDBClient({
      region: c.region,
      ...(c.dynamoEndpoint
        ? { endpoint: c.dynamoEndpoint, credentials: localCredentials }
        : {}),
      maxAttempts: 4,
    });
    // The document client shares the base client's middleware stack, so tracing the base traces both.
    ddbBase = traceClient(withoutLogger(base));
    ddb = DynamoDBDocumentClient.from(ddbBase, {
      marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
    });
    ddb.middlewareStack.add(countingMiddleware('dynamodb'), { step: 'initialize', name: 'countCalls' });
  }
  return ddb;
}

/**
 * The DocumentClient's own base client (same configuration, middleware, tracing and call counting), for
 * the one request sent with attributes marshalled by us: the document append (store/items.ts
 * `transactWriteMarshalled`). Everywhere else, `dynamo()`.
 */
export function dynamoBase(): DynamoDBClient {
  dynamo();
  return ddbBase!;
}

export function management(): ApiGatewayManagementApiClient {
  if (!mgmt) {
    const c = config();
    if (!c.wsManagementEndpoint) throw new Error('WS_MANAGEMENT_ENDPOINT is not configured');
    mgmt = new ApiGatewayManagementApiClient({
      region: c.region,
      endpoint: c.wsManagementEndpoint,
      ...(c.dynamoEndpoint ? { credentials: localCredentials } : {}),
      maxAttempts: 1, // fan-out does its own backoff on throttling (shared/aws/push.ts)
      // One command class, a stack never changed per command: resolve the middleware chain once, not per post.
      cacheMiddleware: true,
    });
    withoutLogger(mgmt);
    traceClient(mgmt);
    mgmt.middlewareStack.add(countingMiddleware('apigatewaymanagementapi'), { step: 'initialize', name: 'countCalls' });
  }
  return mgmt;
}

/** Forget the singletons (tests, local stack reconfiguration). */
export function resetClients(): void {
  ddb = undefined;
  ddbBase = undefined;
  mgmt = undefined;
  for (const reset of resetters) reset();
}
