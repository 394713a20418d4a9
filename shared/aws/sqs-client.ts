/**
 * The SQS client singleton, in its own module so that only code that queues or consumes runs bundles
 * it. It is imported statically: a dynamic `import()` inside a one-file bundle makes esbuild wrap the
 * imported module and everything it shares with the rest (the SDK's core, client-dynamodb's index) in
 * lazy initialisers that it cannot tree-shake, which added 52-64 KB and import time to each function
 * that could queue a run (docs/metrics.md "Bundle budget"; test/infra/bundle-contents.test.ts).
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
