/**
 * Port checks for services that only take a number up front (DynamoDB Local): a free one for tests, and a
 * clear error when the requested one is taken. Without the check, a second DynamoDB Local on a busy port
 * dies while the first one answers our readiness probe, and the stack silently uses someone else's data.
 */
import { connect, createServer } from 'node:net';

function probe(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** `0` means any free port (asked from the OS); any other port is returned as is. */
export async function freePortOr(port: number): Promise<number> {
  return port === 0 ? probe(0) : port;
}

/**
 * Something already answering on the port means it is taken. (A trial listen is not enough: Java and
 * libuv both set SO_REUSEADDR, and Linux then lets 127.0.0.1:port bind next to a wildcard listener.)
 */
export async function assertPortFree(port: number, hint: string): Promise<void> {
  const answered = await new Promise<boolean>((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
  if (answered) throw new Error(`port ${port} is already in use: ${hint}`);
}
