/**
 * shared/telemetry/tracing.ts without `-c tracing=true` (the default, the local stack, the tests): no
 * tracer is loaded, handlers and SDK clients are returned as they are (no wrapper on the hot path).
 */
import { describe, expect, it } from 'vitest';
import { traceClient, traceHandler, tracer } from '#telemetry/tracing.js';
import { dynamo, resetClients } from '#aws/clients.js';

describe('tracing off', () => {
  it('loads no tracer and returns the handler itself', () => {
    expect(process.env.POWERTOOLS_TRACE_ENABLED).toBeUndefined();
    expect(tracer).toBeUndefined();
    const handler = async (n: number) => n + 1;
    expect(traceHandler(handler)).toBe(handler);
  });

  it('leaves the SDK clients without X-Ray middleware', () => {
    const client = { middlewareStack: { add: () => undefined } };
    expect(traceClient(client)).toBe(client);
    resetClients();
    const stack = dynamo().middlewareStack.identify().join('\n');
    expect(stack).not.toMatch(/xray/i);
    resetClients();
  });
});
