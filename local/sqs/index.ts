/**
 * The local stack's SQS: an SQS-compatible server for the real SDK client, and a Lambda-like event source
 * poller. See server.ts for the wire protocol and queue.ts for the delivery semantics.
 */
export { startLocalSqs, type LocalSqs, type LocalSqsOptions, type LocalQueueDefinition } from './server.js';
export { pollToHandler, type Poller, type PollerOptions, type SqsHandler } from './event-source.js';
export { QueueEngine, ACCOUNT_ID, REGION, queueArn, type QueueConfig, type QueueStats } from './queue.js';
export { SqsError, type SqsErrorCode } from './errors.js';
