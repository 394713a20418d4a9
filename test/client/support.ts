/**
 * Shared by the client-library and browser tests: the local stack's URLs (the integration global setup
 * started it), the operator key, session creation and a condition poller.
 */
import { inject } from 'vitest';

export const operatorKey = () => process.env.INTERVIEW_API_KEY ?? 'local-dev-key';
export const httpUrl = () => inject('httpUrl');
export const wsUrl = () => inject('wsUrl');

export interface NewSession {
  sessionId: string;
  interviewerToken: string;
  candidateToken: string;
  wsUrl: string;
  language: string;
}

export async function api<T = any>(method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${httpUrl()}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

export async function createSession(body: Record<string, unknown> = {}): Promise<NewSession> {
  const res = await api<NewSession>('POST', '/api/sessions', operatorKey(), { title: 'client test', ...body });
  if (res.status !== 201) throw new Error(`create session: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export const codeOf = async (sessionId: string, token: string): Promise<string> =>
  (await api<{ code: string }>('GET', `/api/sessions/${sessionId}/code`, token)).body.code;

/**
 * Polls `check` until it returns a truthy value (or `timeoutMs`). Tests assert conditions that must
 * eventually hold on a busy machine, never that something happened within a fixed sleep.
 */
export async function until<T>(check: () => T | Promise<T>, what: string, timeoutMs = 30_000, everyMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${String(last)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
