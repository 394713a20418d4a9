/**
 * A tiny typed HTTP client for the integration tests: the local stack's URL, JSON in and out.
 * Requests can leave from any loopback address (127.0.0.0/8): the front sees a different source IP,
 * exactly as API Gateway would, so per-IP rate limits can be exercised without colliding across tests.
 */
import { request } from 'node:http';
import { inject } from 'vitest';

export interface Res<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export async function call<T = any>(
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string>; from?: string } = {},
): Promise<Res<T>> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined = opts.rawBody;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  const url = new URL(`${inject('httpUrl')}${path}`);
  const { status, text, resHeaders } = await new Promise<{ status: number; text: string; resHeaders: Headers }>((resolve, reject) => {
    const req = request(
      { hostname: url.hostname, port: url.port, path: url.pathname + url.search, method, headers, localAddress: opts.from ?? '127.0.0.1' },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), resHeaders: h });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // leave as text
  }
  return { status, body: parsed as T, headers: resHeaders };
}

export interface NewSession {
  sessionId: string;
  interviewerToken: string;
  candidateToken: string;
  wsUrl: string;
  language: string;
}

/** A loopback address not used before in this process: a fresh client IP for the per-IP limit. */
let ipCounter = 0;
const ipBase = 2 + Math.floor(Math.random() * 200);
export const freshIp = () => {
  ipCounter++;
  return `127.${ipBase}.${Math.floor(ipCounter / 250)}.${(ipCounter % 250) + 1}`;
};

export async function createSession(body: Record<string, unknown> = {}, ip = freshIp()): Promise<NewSession> {
  const res = await call<NewSession>('POST', '/api/sessions', { body, from: ip });
  if (res.status !== 201) throw new Error(`create session: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}
