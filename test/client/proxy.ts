/**
 * A TCP proxy in front of the local stack, to break a client's connection the ways networks do:
 * `reset()` drops every connection at once (the client sees its socket die), `blackhole()` keeps them
 * open but stops forwarding anything (no FIN, no RST: only a heartbeat can notice).
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export class CutProxy {
  private readonly pairs = new Set<[Socket, Socket]>();
  private server!: Server;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<this> {
    this.server = createServer((client) => {
      const upstream = createConnection(this.target);
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      client.pipe(upstream);
      upstream.pipe(client);
      const drop = () => {
        this.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    await new Promise<void>((ready) => this.server.listen(0, '127.0.0.1', ready));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  get open(): number {
    return this.pairs.size;
  }

  reset(): void {
    for (const [client, upstream] of this.pairs) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  /** Existing connections go silent both ways; they are dropped for real later by reset(). */
  blackhole(): void {
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  async stop(): Promise<void> {
    this.reset();
    await new Promise<void>((done) => this.server.close(() => done()));
  }
}
