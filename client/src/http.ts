/** The few HTTP calls the connection needs (docs/protocol.md §3), and small pure helpers. */
import { fromBase64 } from 'lib0/buffer';
import type { ServerError } from './types.js';

/** `ws://host:3001/ws` → `http://host:3001` (the local stack and any same-origin deployment). */
export function httpUrlFor(wsUrl: string): string {
  const url = new URL(wsUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  return url.origin;
}

/** Where a `documentUrl` points: relative to the HTTP API, or absolute. */
const resolve = (httpUrl: string, path: string) => new URL(path, httpUrl.endsWith('/') ? httpUrl : `${httpUrl}/`).toString();

/** The full Yjs state of a document too large for a WebSocket message (`documentUrl`). */
export async function fetchYjsState(httpUrl: string, documentUrl: string, token: string): Promise<Uint8Array> {
  const url = new URL(resolve(httpUrl, documentUrl));
  url.searchParams.set('format', 'yjs');
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`GET ${url.pathname} answered ${res.status}`);
  const body = (await res.json()) as { yjsState?: string };
  if (!body.yjsState) throw new Error(`GET ${url.pathname} returned no yjsState`);
  return fromBase64(body.yjsState);
}

/**
 * The document of a session that ended (or expired) before this connection ever joined: its data stays
 * readable for 7 days (docs/protocol.md §4), and a page opened after the end shows it read-only.
 */
export async function fetchFinalDocument(httpUrl: string, sessionId: string, token: string): Promise<{ state: Uint8Array; language: string; version: number }> {
  const url = new URL(resolve(httpUrl, `api/sessions/${encodeURIComponent(sessionId)}/code`));
  url.searchParams.set('format', 'yjs');
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`GET ${url.pathname} answered ${res.status}`);
  const body = (await res.json()) as { yjsState?: string; language?: string; version?: number };
  if (!body.yjsState || typeof body.language !== 'string') throw new Error(`GET ${url.pathname} returned no yjsState`);
  return { state: fromBase64(body.yjsState), language: body.language, version: Number(body.version ?? 0) };
}

/**
 * Why the server would refuse this session and token, or undefined when it would not (or cannot be
 * asked): a browser cannot see a WebSocket handshake's status, so after refused handshakes we ask HTTP.
 */
export async function readSessionProblem(httpUrl: string, sessionId: string, token: string): Promise<ServerError | undefined> {
  const res = await fetch(resolve(httpUrl, `api/sessions/${encodeURIComponent(sessionId)}`), {
    headers: { authorization: `Bearer ${token}` },
  });
  if (res.ok) {
    const session = (await res.json()) as { status?: string };
    return session.status === 'active' ? undefined : { code: 'SESSION_EXPIRED', message: 'The session has ended' };
  }
  if (res.status >= 500 || res.status === 429) return undefined; // transient: keep trying
  const body = (await res.json().catch(() => ({}))) as { error?: string; message?: string };
  return { code: body.error ?? `HTTP_${res.status}`, message: body.message ?? res.statusText };
}

/** A resource the server pointed to instead of sending it (too large for a message), read with the token. */
export async function fetchPointed<T>(httpUrl: string, path: string, token: string): Promise<T> {
  const res = await fetch(resolve(httpUrl, path.replace(/^\//, '')), { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`GET ${path} answered ${res.status}`);
  return (await res.json()) as T;
}

/** A stable colour per user, for remote cursors (y-codemirror.next reads `color` and `colorLight`). */
export function colorFor(id: string): { color: string; colorLight: string } {
  let hash = 0;
  for (let i = 0; i < id.length; i++) hash = (hash * 31 + id.charCodeAt(i)) >>> 0;
  const hue = hash % 360;
  return { color: `hsl(${hue} 70% 40%)`, colorLight: `hsl(${hue} 70% 40% / 0.2)` };
}

/** `GET /participants`: who is joined, read when a message comes from someone we were not told about. */
export async function fetchParticipants(httpUrl: string, sessionId: string, token: string): Promise<{ id: string; username: string; role: string }[]> {
  const res = await fetch(resolve(httpUrl, `api/sessions/${encodeURIComponent(sessionId)}/participants`), {
    headers: { authorization: `Bearer ${token}` },
  });
  if (!res.ok) throw new Error(`GET participants answered ${res.status}`);
  const body = (await res.json()) as { users: { id: string; username: string; role: string }[] };
  return body.users.map(({ id, username, role }) => ({ id, username, role }));
}
