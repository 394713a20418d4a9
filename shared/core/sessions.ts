/** Session lifecycle (docs/protocol.md §3, §4): create, list (the operator's own), view, patch, end, purge. */
import { errors } from '#contract/errors.js';
import { newSessionId } from '#contract/ids.js';
import { DEFAULT_LANGUAGE, isLanguageId, LANGUAGES, type LanguageId } from '#contract/languages.js';
import { LIMITS, epochSeconds } from '#contract/limits.js';
import { stores } from './ports.js';
import { participantsOf, SessionContention, type ConnectionItem, type ListStatus, type SessionFields, type SessionItem } from './records.js';
import type { Role } from '#contract/roles.js';
import { hashToken, newToken } from './tokens.js';
import { effectiveStatus, isActive } from './access.js';
import type { SessionEvent } from './events.js';
import type { Operator } from './operators.js';
import { encodeState, loadDoc, replaceText } from './yjs-document.js';

export function checkLanguage(language: string | undefined): LanguageId | undefined {
  if (language === undefined) return undefined;
  if (!isLanguageId(language)) throw errors.unsupportedLanguage(language);
  return language;
}

export interface CreateSessionInput {
  language?: string;
  title?: string;
  durationMinutes?: number;
}

export async function createSession(input: CreateSessionInput, operator: Operator, nowMs: number = Date.now()) {
  const language = checkLanguage(input.language) ?? DEFAULT_LANGUAGE;
  // Per operator identity (docs/protocol.md §4), not per IP: one office behind a NAT is many interviewers.
  await stores.rateLimits.consumeRateLimit('create-session', operator.id, LIMITS.rate.sessionCreatePerMinute, 60, nowMs);

  const sessionId = newSessionId();
  const interviewerToken = newToken();
  const candidateToken = newToken();
  const duration = input.durationMinutes ?? LIMITS.session.defaultDurationMinutes;
  const expiresAtMs = nowMs + duration * 60_000;
  const createdAt = new Date(nowMs).toISOString();
  const session: SessionItem = {
    sessionId,
    title: input.title ?? 'Untitled interview',
    language,
    status: 'active',
    createdAt,
    lastActivity: createdAt,
    expiresAt: new Date(expiresAtMs).toISOString(),
    expiresAtEpoch: epochSeconds(expiresAtMs),
    version: 1,
    interviewerTokenHash: hashToken(interviewerToken),
    candidateTokenHash: hashToken(candidateToken),
    ttl: epochSeconds(expiresAtMs) + LIMITS.session.retentionSeconds,
    createdBy: operator.id,
  };
  const doc = loadDoc(undefined, []);
  replaceText(doc, LANGUAGES[language].template);
  await stores.sessions.createSessionItems(session, encodeState(doc));
  doc.destroy();

  return {
    sessionId,
    title: session.title,
    language,
    status: 'active' as const,
    createdAt,
    expiresAt: session.expiresAt,
    interviewerToken,
    candidateToken,
  };
}

export interface ListSessionsInput {
  status?: ListStatus;
  limit?: number;
  cursor?: string;
}

/** `GET /api/sessions`: the operator's own sessions, newest first, with the status they have now. */
export async function listSessions(operator: Operator, input: ListSessionsInput, nowMs: number = Date.now()) {
  const afterSk = input.cursor === undefined ? undefined : Buffer.from(input.cursor, 'base64url').toString('utf8');
  if (afterSk !== undefined && !stores.operatorSessions.isOperatorSessionCursor(afterSk)) {
    throw errors.validation([{ field: 'cursor', message: 'not a cursor this API returned' }]);
  }
  const page = await stores.operatorSessions.listOperatorSessions(
    operator.id,
    { limit: input.limit ?? LIMITS.sessionList.defaultPageSize, afterSk, status: input.status },
    nowMs,
  );
  return {
    sessions: page.items.map((s) => ({
      sessionId: s.sessionId,
      title: s.title,
      language: s.language,
      status: effectiveStatus(s, nowMs),
      createdAt: s.createdAt,
      expiresAt: s.expiresAt,
      createdBy: s.createdBy,
    })),
    nextCursor: page.nextSk === undefined ? null : Buffer.from(page.nextSk, 'utf8').toString('base64url'),
  };
}

export async function viewSession(session: SessionItem, connections?: ConnectionItem[], nowMs: number = Date.now()) {
  const users = participantsOf(connections ?? (await stores.connections.listConnections(session.sessionId)));
  return {
    sessionId: session.sessionId,
    title: session.title,
    language: session.language,
    status: effectiveStatus(session, nowMs),
    createdAt: session.createdAt,
    lastActivity: session.lastActivity,
    expiresAt: session.expiresAt,
    userCount: users.length,
    version: session.version,
    runsDisabled: session.runsDisabled === true,
    editingLocked: session.editingLocked === true,
  };
}

/** `PATCH`: both roles may switch the language, only the interviewer may retitle or set the controls. */
export async function patchSession(
  session: SessionItem,
  role: Role,
  input: { title?: string; language?: string; runsDisabled?: boolean; editingLocked?: boolean },
  userId: string,
): Promise<{ before: SessionItem; after: SessionItem }> {
  if (input.title !== undefined && role !== 'interviewer') throw errors.forbidden('change the title');
  if ((input.runsDisabled !== undefined || input.editingLocked !== undefined) && role !== 'interviewer') {
    throw errors.forbidden('lock the editor or turn runs off');
  }
  const language = checkLanguage(input.language);
  return updateSession(session, { title: input.title, language, runsDisabled: input.runsDisabled, editingLocked: input.editingLocked }, userId);
}

/**
 * Changes the session's settings (PATCH, WebSocket `language-change`): the session as the change was
 * judged against (`before`: what changed is `after` against it, not against the caller's earlier read)
 * and as written. 410 when it stopped being active, BUSY when other changes kept getting in first.
 */
export async function updateSession(session: SessionItem, fields: SessionFields, userId: string): Promise<{ before: SessionItem; after: SessionItem }> {
  let updated: Awaited<ReturnType<typeof stores.sessions.updateSessionFields>>;
  try {
    updated = await stores.sessions.updateSessionFields(session, fields, userId);
  } catch (err) {
    if (err instanceof SessionContention) throw errors.busy(LIMITS.document.busyRetryAfterSeconds);
    throw err;
  }
  if (updated) return updated;
  const current = await stores.sessions.getSession(session.sessionId);
  if (!current) throw errors.sessionNotFound();
  throw errors.sessionExpired();
}

/**
 * Ends the session (idempotent): `ended` says whether this call ended it. Ended now or before, the
 * SessionEnded event disconnects whoever is still connected.
 */
export async function endSession(
  session: SessionItem,
  userId: string,
  reason = 'ended-by-interviewer',
): Promise<{ ended: boolean; events: SessionEvent[] }> {
  const events: SessionEvent[] = [{ type: 'SessionEnded', sessionId: session.sessionId, reason, ttl: session.ttl }];
  if (session.status === 'ended') return { ended: false, events };
  try {
    return { ended: await stores.sessions.endSession(session, userId, isActive(session) ? reason : 'expired'), events };
  } catch (err) {
    if (err instanceof SessionContention) throw errors.busy(LIMITS.document.busyRetryAfterSeconds);
    throw err;
  }
}

export async function purgeSession(sessionId: string): Promise<void> {
  await stores.sessions.purgeSession(sessionId);
}
