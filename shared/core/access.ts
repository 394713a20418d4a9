/**
 * Who may do what in a session (SPEC §2) and whether the session still accepts changes (SPEC §4).
 * Order of checks: malformed id (400), no token (401, before any read), unknown session (404),
 * wrong token (401), role (403), ended/expired for changes (410).
 */
import { errors } from '#contract/errors.js';
import { isSessionId } from '#contract/ids.js';
import { getSession, type SessionItem } from '#aws/store/sessions.js';
import { roleForToken, type Role } from './tokens.js';

export type { Role };

export interface Access {
  session: SessionItem;
  role: Role;
}

export interface AccessRule {
  /** Roles allowed; default both. */
  roles?: readonly Role[];
  /** The operation changes the session: refused once it ended or expired. */
  mutates: boolean;
  /** For the FORBIDDEN message, e.g. "end the session". */
  action: string;
}

export const isActive = (s: Pick<SessionItem, 'status' | 'expiresAtEpoch'>, nowMs: number = Date.now()): boolean =>
  s.status === 'active' && s.expiresAtEpoch * 1000 > nowMs;

export const effectiveStatus = (s: Pick<SessionItem, 'status' | 'expiresAtEpoch'>, nowMs: number = Date.now()): 'active' | 'ended' | 'expired' =>
  s.status === 'ended' ? 'ended' : isActive(s, nowMs) ? 'active' : 'expired';

export function checkSessionId(sessionId: string | undefined): string {
  if (!isSessionId(sessionId)) throw errors.invalidSession();
  return sessionId;
}

export async function authorize(sessionIdParam: string | undefined, token: string | undefined, rule: AccessRule): Promise<Access> {
  const sessionId = checkSessionId(sessionIdParam);
  if (!token) throw errors.unauthorized();
  const session = await getSession(sessionId);
  if (!session) throw errors.sessionNotFound();
  const role = roleForToken(token, session);
  if (!role) throw errors.unauthorized();
  return checkRule(session, role, rule);
}

/** The part of `authorize` that needs no I/O: also used by the WebSocket handlers. */
export function checkRule(session: SessionItem, role: Role, rule: AccessRule, nowMs: number = Date.now()): Access {
  if (rule.roles && !rule.roles.includes(role)) throw errors.forbidden(rule.action);
  if (rule.mutates && !isActive(session, nowMs)) throw errors.sessionExpired();
  return { session, role };
}
