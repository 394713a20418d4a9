/**
 * shared/aws/clients.ts: the SDK clients skip per-call work nobody uses (bench/realtime.ts measures the
 * CPU per DynamoDB call): no logger middleware formatting every input and output for a no-op logger, and
 * the management client resolves its middleware chain once per command class instead of once per post.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { dynamo, management, observeCommands, resetClients } from '#aws/clients.js';
import { ENV, resetConfig } from '#aws/config.js';

const names = (stack: { identify(): string[] }) => stack.identify().map((m) => m.split(' ')[0]);

describe('AWS SDK clients', () => {
  afterEach(() => {
    delete process.env[ENV.wsManagementEndpoint];
    resetConfig();
    resetClients();
  });

  it('the DynamoDB client has no logger middleware and still counts calls', () => {
    const stack = names(dynamo().middlewareStack);
    expect(stack).not.toContain('loggerMiddleware');
    expect(stack).toContain('countCalls');
    expect(stack).toContain('retryMiddleware');
  });

  it('the management client has no logger middleware and caches its resolved middleware', async () => {
    process.env[ENV.wsManagementEndpoint] = 'http://127.0.0.1:9/@management';
    resetConfig();
    const client = management();
    expect(names(client.middlewareStack)).not.toContain('loggerMiddleware');
    expect(client.config.cacheMiddleware).toBe(true);
    // The cached chain still runs the counting middleware on every call.
    const seen: string[] = [];
    const stop = observeCommands((service, command) => seen.push(`${service}:${command}`));
    const { PostToConnectionCommand } = await import('@aws-sdk/client-apigatewaymanagementapi');
    for (let i = 0; i < 2; i++) {
      await client.send(new PostToConnectionCommand({ ConnectionId: 'c', Data: new Uint8Array([1]) })).catch(() => undefined);
    }
    stop();
    expect(seen).toEqual(['apigatewaymanagementapi:PostToConnectionCommand', 'apigatewaymanagementapi:PostToConnectionCommand']);
  });
});
