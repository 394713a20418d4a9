/** The HTTP API (docs/protocol.md §3) as the app uses it: JSON in and out, the contract's errors as ApiError. */
import { request } from '../../client/src/rest.js';
import type { AppConfig } from './config.js';

// One HTTP call for the library and the app: the client's request() (contract errors as HttpError).
export { HttpError as ApiError } from '../../client/src/rest.js';

export function api<T>(config: AppConfig, method: string, path: string, token?: string, body?: unknown): Promise<T> {
  return request<T>(config.httpUrl, method, path, token, body);
}

export interface Language {
  id: string;
  name: string;
  version?: string;
}

/** The eight languages of docs/protocol.md §6, used until (or if) GET /api/languages answers. */
export const LANGUAGES: Language[] = [
  { id: 'javascript', name: 'JavaScript' },
  { id: 'typescript', name: 'TypeScript' },
  { id: 'python', name: 'Python' },
  { id: 'java', name: 'Java' },
  { id: 'cpp', name: 'C++' },
  { id: 'c', name: 'C' },
  { id: 'go', name: 'Go' },
  { id: 'rust', name: 'Rust' },
];

export async function languages(config: AppConfig): Promise<Language[]> {
  try {
    const body = await api<{ languages: Language[] }>(config, 'GET', '/api/languages');
    return body.languages.length ? body.languages : LANGUAGES;
  } catch {
    return LANGUAGES;
  }
}

/** Sessions this browser created: the interviewer's and candidate's tokens never leave it otherwise. */
export interface KeptSession {
  sessionId: string;
  title: string;
  interviewerToken: string;
  candidateToken: string;
}

const keptKey = (sessionId: string) => `interview-session:${sessionId}`;

export function keepSession(session: KeptSession): void {
  localStorage.setItem(keptKey(session.sessionId), JSON.stringify(session));
}

export function keptSession(sessionId: string): KeptSession | undefined {
  const raw = localStorage.getItem(keptKey(sessionId));
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as KeptSession;
  } catch {
    return undefined;
  }
}

export const roomPath = (sessionId: string, token: string) => `/s/${encodeURIComponent(sessionId)}#token=${encodeURIComponent(token)}`;
