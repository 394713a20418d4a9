/**
 * Who may do what in a session (docs/protocol.md §2) and whether the session still accepts changes (docs/protocol.md §4).
 * Order of checks: malformed id (400), no token (401, before any read), unknown session (404),
 * wrong token (401), role (403), ended/expired for changes (410).
 *
 * Reviewers (a review link's token, docs/protocol.md §10) read whatever an interviewer may read, during the session
 * and after it, and are refused every change (403) and the WebSocket (whose connect is a change).
 */
import { errors } from '#contract/errors.js';
import { isSessionId } from '#contract/ids.js';
import { stores } from './ports.js';
import { isActive, type SessionItem } from './records.js';
import { reviewerFor, reviewLinkIdOf } from './review-links.js';
import type { Role } from '#contract/roles.js';
import { roleForToken } from './tokens.js';

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
  /**
   * Reviewers may read what interviewers read (`mutates: false`) unless this is false: a change that is
   * not `mutates` (ending a session, which an ended session also accepts) or the review links themselves.
   */
  reviewers?: boolean;
}

export { isActive };

export const effectiveStatus = (s: Pick<SessionItem, 'status' | 'expiresAtEpoch'>, nowMs: number = Date.now()): 'active' | 'ended' | 'expired' =>
  s.status === 'ended' ? 'ended' : isActive(s, nowMs) ? 'active' : 'expired';

export function checkSessionId(sessionId: string | undefined): string {
  if (!isSessionId(sessionId)) throw errors.invalidSession();
  return sessionId;
}

export async function authorize(sessionIdParam: string | undefined, token: string | undefined, rule: AccessRule): Promise<Access> {
  const sessionId = checkSessionId(sessionIdParam);
  if (!token) throw errors.unauthorized();
  // A review token names its link: both items are read at once, so a reviewer costs no extra round trip.
  const [session, reviewer] = await Promise.all([
    stores.sessions.getSession(sessionId),
    reviewLinkIdOf(token) ? reviewerFor(sessionId, token) : Promise.resolve(false),
  ]);
  if (!session) throw errors.sessionNotFound();
  const role = roleForToken(token, session) ?? (reviewer ? 'reviewer' : undefined);
  if (!role) throw errors.unauthorized();
  return checkRule(session, role, rule);
}

/** The part of `authorize` that needs no I/O: also used by the WebSocket handlers. */
export function checkRule(session: SessionItem, role: Role, rule: AccessRule, nowMs: number = Date.now()): Access {
  if (role === 'reviewer') {
    if (rule.mutates || rule.reviewers === false || (rule.roles && !rule.roles.includes('interviewer'))) throw errors.forbidden(rule.action);
    return { session, role };
  }
  if (rule.roles && !rule.roles.includes(role)) throw errors.forbidden(rule.action);
  if (rule.mutates && !isActive(session, nowMs)) throw errors.sessionExpired();
  return { session, role };
}
