/**
 * A TCP proxy for fault injection in front of DynamoDB Local: it delays some requests on their way in
 * (order within a connection kept) and drops some responses — the request reached the table and was
 * applied, but the client never hears back and its connection is reset. That is what a lost response
 * looks like to the SDK, which then retries: the product must recognise its own earlier success.
 * Bounded: it only ever connects to the upstream it was given on this machine.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, inject } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/stack.js';

export interface FaultyProxyOptions {
  /** host:port of the real service (loopback). */
  upstream: { host: string; port: number };
  /** Share of client→upstream chunks delayed, and the delay range in ms. */
  delayShare: number;
  delayMs: [number, number];
  /** Share of upstream→client chunks (responses) dropped together with the connection. */
  dropShare: number;
  /**
   * Drop this response (1-based count) if chance dropped none before it: a slow machine makes fewer
   * requests in a fixed time, and a fault test whose fault never happened proves nothing.
   */
  dropAtLeastOneBy?: number;
  random?: () => number;
}

export interface FaultyProxy {
  endpoint: string;
  stats: { delayed: number; dropped: number; connections: number };
  close(): Promise<void>;
}

export async function startFaultyProxy(opts: FaultyProxyOptions): Promise<FaultyProxy> {
  const random = opts.random ?? Math.random;
  const stats = { delayed: 0, dropped: 0, connections: 0 };
  let responses = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    stats.connections++;
    const upstream = connect(opts.upstream.port, opts.upstream.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined); // a reset is part of the test; both sides get destroyed
    }
    const kill = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', kill);
    upstream.on('close', kill);
    // Client → upstream: some chunks wait, later chunks of the connection wait behind them.
    let chain = Promise.resolve();
    client.on('data', (chunk) => {
      const wait = random() < opts.delayShare ? opts.delayMs[0] + random() * (opts.delayMs[1] - opts.delayMs[0]) : 0;
      if (wait > 0) stats.delayed++;
      chain = chain.then(() => (wait > 0 ? new Promise((r) => setTimeout(r, wait)) : undefined)).then(() => {
        if (!upstream.destroyed) upstream.write(chunk);
      });
    });
    // Upstream → client: a dropped response resets the connection instead of arriving.
    upstream.on('data', (chunk) => {
      responses++;
      const forced = stats.dropped === 0 && responses === opts.dropAtLeastOneBy;
      if (random() < opts.dropShare || forced) {
        stats.dropped++;
        kill();
        return;
      }
      if (!client.destroyed) client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * For a test file: a local stack of its own (no run pipeline) whose DynamoDB is the integration
 * project's DynamoDB Local behind a faulty proxy, with its own table. Started before the file's tests,
 * stopped after them; the fields are set once they have started.
 */
export function stackBehindProxy(opts: Omit<FaultyProxyOptions, 'upstream'>, tableName: string): { proxy: FaultyProxy; stack: LocalStack } {
  const started = {} as { proxy: FaultyProxy; stack: LocalStack };
  beforeAll(async () => {
    const upstream = new URL(inject('ddbEndpoint'));
    started.proxy = await startFaultyProxy({ upstream: { host: upstream.hostname, port: Number(upstream.port) }, ...opts });
    started.stack = await startLocalStack({ port: 0, ddbEndpoint: started.proxy.endpoint, tableName, quiet: true, pipeline: false });
  });
  afterAll(async () => {
    await started.stack?.stop();
    await started.proxy?.close();
  });
  return started;
}
