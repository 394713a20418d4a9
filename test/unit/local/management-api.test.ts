/**
 * The local Management API takes requests from this machine only (local/management-api.ts): it checks no
 * credentials, and `npm start -- --host 0.0.0.0` puts it on the network.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it, vi } from 'vitest';
import { handleManagementRequest, isLoopback } from '../../../local/management-api.js';
import type { WsFront } from '../../../local/ws-front.js';

function request(remoteAddress: string, method = 'DELETE'): { req: IncomingMessage; res: ServerResponse & { status?: number; body?: string } } {
  const req = { url: '/@management/@connections/abc%3D', method, socket: { remoteAddress } } as unknown as IncomingMessage;
  const res = {
    setHeader: vi.fn(),
    writeHead(status: number) {
      res.status = status;
      return res;
    },
    end(body?: string) {
      res.body = body;
    },
  } as unknown as ServerResponse & { status?: number; body?: string };
  return { req, res };
}

describe('the local Management API', () => {
  it('knows loopback peers: 127.0.0.0/8, ::1 and their IPv4-mapped form', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) expect(isLoopback(a), a).toBe(true);
    for (const a of ['10.0.0.5', '192.168.1.20', '::ffff:10.0.0.5', 'fe80::1', '', undefined]) expect(isLoopback(a), String(a)).toBe(false);
  });

  it('refuses a peer on the network with 403 and touches no socket; a local one closes it', () => {
    const front = { disconnect: vi.fn(() => true) } as unknown as WsFront;
    const remote = request('192.168.1.20');
    expect(handleManagementRequest(front, 128 * 1024, remote.req, remote.res)).toBe(true);
    expect(remote.res.status).toBe(403);
    expect(front.disconnect).not.toHaveBeenCalled();

    const local = request('::ffff:127.0.0.1');
    handleManagementRequest(front, 128 * 1024, local.req, local.res);
    expect(local.res.status).toBe(204);
    expect(front.disconnect).toHaveBeenCalledWith('abc=');
  });
});
