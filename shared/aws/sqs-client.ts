/**
 * The SQS client singleton, in its own module so that only code that queues or consumes runs bundles
 * it (Lambdas load it on first use through a dynamic import of shared/aws/runners/run-queue-send.ts).
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { countingMiddleware, localCredentials, onResetClients } from './clients.js';
import { config } from './config.js';
import { traceClient } from '#telemetry/tracing.js';

let client: SQSClient | undefined;
onResetClients(() => (client = undefined));

export function sqs(): SQSClient {
  if (!client) {
    const c = config();
    client = traceClient(new SQSClient({ region: c.region, ...(c.sqsEndpoint ? { endpoint: c.sqsEndpoint, credentials: localCredentials } : {}) }));
    client.middlewareStack.add(countingMiddleware('sqs'), { step: 'initialize', name: 'countCalls' });
  }
  return client;
}
