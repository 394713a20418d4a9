/**
 * Typed calls of the HTTP routes a room needs beyond the socket (docs/protocol.md §3, §8, §10): the session and its
 * controls, the question, notes, review links, the timeline; and the operator's question bank. Errors
 * are the contract's (`{error, message, details}`) as an `HttpError`.
 */
import type { ExecutionResult, Question, QuestionInput } from './types.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export async function request<T>(baseUrl: string, method: string, path: string, token: string | undefined, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${baseUrl.replace(/\/+$/, '')}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    throw new HttpError(0, 'NETWORK', 'The server cannot be reached. Check your connection and try again.');
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    const err = (parsed ?? {}) as { error?: string; message?: string; details?: unknown };
    throw new HttpError(res.status, err.error ?? `HTTP_${res.status}`, err.message ?? res.statusText, err.details);
  }
  return parsed as T;
}

export interface Session {
  sessionId: string;
  title: string;
  language: string;
  status: string;
  createdAt: string;
  lastActivity?: string;
  expiresAt: string;
  userCount?: number;
  version?: number;
  runsDisabled: boolean;
  editingLocked: boolean;
}

export interface SessionPatch {
  title?: string;
  language?: string;
  runsDisabled?: boolean;
  editingLocked?: boolean;
}

export interface ReviewLink {
  linkId: string;
  expiresAt: string;
  createdAt: string;
  createdBy?: string;
  status: 'active' | 'revoked' | 'expired' | string;
  revokedAt?: string;
}

export interface HistoryEntry {
  at: string;
  type: string;
  userId?: string;
  detail: Record<string, unknown>;
}

/** One timeline event (docs/protocol.md §10); fields beyond `at`, `type`, `userId` depend on the type. */
export interface TimelineEvent {
  at: string;
  type: string;
  userId?: string;
  /** `edit`: which document, the base64 Yjs update, the version it made. */
  doc?: 'code' | 'notes';
  update?: string;
  version?: number;
  language?: string;
  executionId?: string;
  status?: string;
  kind?: string;
  chars?: number;
  username?: string;
  [field: string]: unknown;
}

/** The routes of one session, with an interviewer's, candidate's or reviewer's token. */
export class SessionApi {
  private readonly base: string;

  constructor(
    private readonly httpUrl: string,
    readonly sessionId: string,
    private readonly token: string,
  ) {
    this.base = `/api/sessions/${encodeURIComponent(sessionId)}`;
  }

  private call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return request<T>(this.httpUrl, method, `${this.base}${path}`, this.token, body);
  }

  session = () => this.call<Session>('GET', '');
  patch = (patch: SessionPatch) => this.call<Session>('PATCH', '', patch);
  code = () => this.call<{ code: string; language: string; version: number; updatedAt: string }>('GET', '/code');

  /** The session's question as this token's role sees it; undefined when it has none. */
  async question(): Promise<Question | undefined> {
    try {
      return await this.call<Question>('GET', '/question');
    } catch (err) {
      if (err instanceof HttpError && err.status === 404 && err.code === 'NOT_FOUND') return undefined;
      throw err;
    }
  }

  setQuestion = (question: { questionId: string } | QuestionInput) => this.call<Question>('PUT', '/question', question);
  notes = () => this.call<{ notes: string; version: number; updatedAt: string }>('GET', '/notes');
  putNotes = (notes: string, baseVersion?: number) => this.call<{ version: number }>('PUT', '/notes', { notes, ...(baseVersion !== undefined ? { baseVersion } : {}) });
  createReviewLink = (expiresInHours?: number) =>
    this.call<{ linkId: string; reviewToken: string; expiresAt: string }>('POST', '/review-links', expiresInHours !== undefined ? { expiresInHours } : {});
  reviewLinks = async () => (await this.call<{ reviewLinks: ReviewLink[] }>('GET', '/review-links')).reviewLinks;
  revokeReviewLink = (linkId: string) => this.call<unknown>('DELETE', `/review-links/${encodeURIComponent(linkId)}`);
  executions = async () => (await this.call<{ executions: ExecutionResult[] }>('GET', '/executions')).executions;
  execution = (executionId: string) => this.call<ExecutionResult>('GET', `/executions/${encodeURIComponent(executionId)}`);

  /** Every history entry (interviewer), oldest first, following `nextCursor` up to `maxPages` pages. */
  async history(maxPages = 20): Promise<HistoryEntry[]> {
    const entries: HistoryEntry[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const body = await this.call<{ entries: HistoryEntry[]; nextCursor?: string | null }>('GET', `/history?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      entries.push(...body.entries);
      cursor = body.nextCursor ?? undefined;
      if (!cursor) break;
    }
    return entries;
  }

  timelinePage = (cursor?: string, limit?: number) => {
    const query = new URLSearchParams();
    if (cursor) query.set('cursor', cursor);
    if (limit) query.set('limit', String(limit));
    const q = query.toString();
    return this.call<{ events: TimelineEvent[]; nextCursor?: string | null }>('GET', `/timeline${q ? `?${q}` : ''}`);
  };

  /** Every event of the timeline, oldest first, following `nextCursor` (`onPage` reports progress). */
  async timeline(onPage?: (loaded: number) => void): Promise<TimelineEvent[]> {
    const events: TimelineEvent[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.timelinePage(cursor);
      events.push(...page.events);
      onPage?.(events.length);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return events;
  }
}

export interface QuestionSummary {
  questionId: string;
  title: string;
  updatedAt: string;
  testCount: number;
}

/** The operator's question bank (docs/protocol.md §8), with an operator key or JWT. */
export class QuestionBank {
  constructor(
    private readonly httpUrl: string,
    private readonly operatorToken: string,
  ) {}

  list = (cursor?: string, limit = 50) =>
    request<{ questions: QuestionSummary[]; nextCursor?: string | null }>(this.httpUrl, 'GET', `/api/questions?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, this.operatorToken);
  get = (questionId: string) => request<Question>(this.httpUrl, 'GET', `/api/questions/${encodeURIComponent(questionId)}`, this.operatorToken);
  create = (question: QuestionInput) => request<Question>(this.httpUrl, 'POST', '/api/questions', this.operatorToken, question);
  update = (questionId: string, question: QuestionInput) => request<Question>(this.httpUrl, 'PUT', `/api/questions/${encodeURIComponent(questionId)}`, this.operatorToken, question);
  remove = (questionId: string) => request<unknown>(this.httpUrl, 'DELETE', `/api/questions/${encodeURIComponent(questionId)}`, this.operatorToken);
}
