/**
 * Per-stage settings: the only place where `dev` and `prod` differ. The app reads the stage from
 * context (`-c stage=prod`); every construct takes what it needs from here instead of testing the name.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

export interface StageSettings {
  /** Stage name: part of the stack name, the WebSocket stage path and the STAGE variable. */
  readonly name: string;
  /** prod keeps the table and logs when the stack is deleted; other stages clean up after themselves. */
  readonly removalPolicy: RemovalPolicy;
  /** Blocks `DeleteTable` even outside CloudFormation (prod only). */
  readonly deletionProtection: boolean;
  readonly logRetention: RetentionDays;
  /** POWERTOOLS_LOG_LEVEL / LOG_LEVEL of every function. */
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Stage-wide API Gateway throttling (requests per second / burst), a backstop behind per-user limits. */
  readonly httpThrottle: { readonly rateLimit: number; readonly burstLimit: number };
  readonly webSocketThrottle: { readonly rateLimit: number; readonly burstLimit: number };
}

const STAGE_NAME = /^[a-z][a-z0-9-]{0,19}$/;

export function stageSettings(name: string): StageSettings {
  if (!STAGE_NAME.test(name)) {
    // The name ends up in a stack name and a URL path: keep it to lower-case letters, digits and dashes.
    throw new Error(`invalid stage name "${name}": use 1-20 lower-case letters, digits or dashes`);
  }
  const prod = name === 'prod';
  return {
    name,
    removalPolicy: prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    deletionProtection: prod,
    logRetention: prod ? RetentionDays.THREE_MONTHS : RetentionDays.TWO_WEEKS,
    logLevel: prod ? 'INFO' : 'DEBUG',
    // Far below the 10,000 req/s account quota, which WebSocket callbacks share (docs/aws-notes.md): one runaway
    // client or stage cannot starve the others.
    httpThrottle: prod ? { rateLimit: 200, burstLimit: 400 } : { rateLimit: 50, burstLimit: 100 },
    // Each frame is one request: a busy session (edits 50/s per connection, docs/protocol.md §4) needs headroom.
    webSocketThrottle: prod ? { rateLimit: 1000, burstLimit: 2000 } : { rateLimit: 200, burstLimit: 400 },
  };
}
