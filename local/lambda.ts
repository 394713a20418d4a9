/**
 * Invokes a handler module the way Lambda does: the SAME module the CDK stack bundles (an entry of
 * shared/contract/routes.ts or shared/contract/routes.ts), imported once and kept warm like a container, called with an
 * event and a Lambda-like context. Nothing here knows about HTTP or WebSocket; the fronts build events.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';

/** Repository root: handler entries in the route tables are relative to it. */
export const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

const modules = new Map<string, Promise<LambdaHandler>>();

/** Imports `entry` once (a warm container) and returns its exported `handler`. */
export function loadHandler(entry: string): Promise<LambdaHandler> {
  let loaded = modules.get(entry);
  if (!loaded) {
    loaded = import(pathToFileURL(resolve(REPO_ROOT, entry)).href).then((mod: { handler?: unknown }) => {
      if (typeof mod.handler !== 'function') throw new Error(`${entry} does not export a handler function`);
      return mod.handler as LambdaHandler;
    });
    // A failed import (file missing or broken) is retried on the next request, as a fresh cold start would.
    loaded.catch(() => modules.delete(entry));
    modules.set(entry, loaded);
  }
  return loaded;
}

export interface Invocation {
  /** Logical function name, e.g. `http-sessions` or `ws-message` (shows in logs and `context.functionName`). */
  functionName: string;
  entry: string;
  event: unknown;
  /** Lambda's configured timeout: only reported through `getRemainingTimeInMillis`, not enforced. */
  timeoutMs?: number;
}

const REGION = () => process.env.AWS_REGION ?? 'us-east-1';
const ACCOUNT = '000000000000';

export function lambdaContext(functionName: string, timeoutMs: number): Context {
  const started = Date.now();
  const region = REGION();
  const unsupported = () => {
    throw new Error('callback-style Lambda completion is not supported: return a Promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${functionName}`,
    getRemainingTimeInMillis: () => Math.max(0, started + timeoutMs - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/** Runs one invocation; rejects when the import or the handler fails (the fronts map that like AWS). */
export async function invoke({ functionName, entry, event, timeoutMs = 29_000 }: Invocation): Promise<unknown> {
  const handler = await loadHandler(entry);
  return handler(event, lambdaContext(functionName, timeoutMs));
}

/** `2024-02-09T10:00:00Z` → API Gateway's `09/Feb/2024:10:00:00 +0000` (requestContext.time / requestTime). */
export function apiGatewayTime(ms: number): string {
  const d = new Date(ms);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => n.toString().padStart(2, '0');
  return `${p(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(
    d.getUTCMinutes(),
  )}:${p(d.getUTCSeconds())} +0000`;
}
