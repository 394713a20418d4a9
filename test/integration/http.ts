/**
 * A tiny typed HTTP client for the integration tests: the local stack's URL, JSON in and out.
 * Requests can leave from any loopback address (127.0.0.0/8): the front sees a different source IP,
 * exactly as API Gateway would.
 *
 * Operators (docs/protocol.md §2): POST/GET /api/sessions need an operator key. `OPERATOR_KEY` is the one the test
 * stack takes from INTERVIEW_API_KEY (default `local-dev-key`); `operatorHeaders()` sends it.
 * `createSession()` uses a key of this test file's own (`newOperatorKey()`), so that files do not share
 * one operator's 60 sessions/min.
 */
import { request } from 'node:http';
import { inject } from 'vitest';
import { localOperatorKey } from '../../local/operator-key.js';
import { createApiKey } from '#core/operators.js';
import '#aws/wiring.js';

/** The local stack's operator key (INTERVIEW_API_KEY, else `local-dev-key`): what the test stack accepts. */
export const OPERATOR_KEY = localOperatorKey();

/** `Authorization: Bearer <operator key>` for POST/GET /api/sessions. */
export const operatorHeaders = (key: string = OPERATOR_KEY): Record<string, string> => ({ authorization: `Bearer ${key}` });

/**
 * A fresh operator API key (and so a fresh identity `key:<name>`) in the test stack's table, made the
 * way `npm run api-key -- --local create` makes one. Needs the TABLE_NAME / DYNAMODB_ENDPOINT the global
 * setup exports to test workers.
 */
export async function newOperatorKey(
  name = `it-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
): Promise<{ key: string; keyId: string; operator: string }> {
  const created = await createApiKey(name);
  return { key: created.key, keyId: created.keyId, operator: `key:${created.name}` };
}

let fileKey: Promise<string> | undefined;
/** This test file's own operator key (created on first use). */
export const fileOperatorKey = (): Promise<string> => (fileKey ??= newOperatorKey().then((k) => k.key));

export interface Res<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export async function call<T = any>(
  method: string,
  path: string,
  /** asIs: send the path exactly as given (as `curl --path-as-is`), without resolving `.`/`..` segments. */
  opts: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string>; from?: string; asIs?: boolean } = {},
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
      { hostname: url.hostname, port: url.port, path: opts.asIs ? path : url.pathname + url.search, method, headers, localAddress: opts.from ?? '127.0.0.1' },
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

/** A loopback address not used before in this process: a fresh client IP. */
let ipCounter = 0;
const ipBase = 2 + Math.floor(Math.random() * 200);
export const freshIp = () => {
  ipCounter++;
  return `127.${ipBase}.${Math.floor(ipCounter / 250)}.${(ipCounter % 250) + 1}`;
};

/** POST /api/sessions as this file's operator (or as the operator of `key`). */
export async function createSession(body: Record<string, unknown> = {}, ip = freshIp(), key?: string): Promise<NewSession> {
  const headers = operatorHeaders(key ?? (await fileOperatorKey()));
  const res = await call<NewSession>('POST', '/api/sessions', { body, from: ip, headers });
  if (res.status !== 201) throw new Error(`create session: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}
