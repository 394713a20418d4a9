/**
 * The local stack's SQS: an SQS-compatible server for the real SDK client (server.ts: the wire protocol;
 * queues.ts: the delivery semantics), and a Lambda-like event source poller (event-source.ts).
 */
export { startLocalSqs, type LocalSqs, type LocalSqsOptions } from './server.js';
export { pollToHandler, type Poller, type PollerOptions, type SqsHandler } from './event-source.js';
