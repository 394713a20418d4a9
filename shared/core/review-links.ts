/**
 * Review links (docs/protocol.md §10): a read-only token for the hiring committee, scoped to one session, expiring
 * and revocable. The token is `rv.<linkId>.<256 random bits>`: the link id names the one item to read
 * (a GetItem in the session's partition, so a token of another session finds nothing), the secret is
 * compared in constant time with the stored SHA-256. Only the hash is stored.
 */
import { randomBytes } from 'node:crypto';
import { errors } from '#contract/errors.js';
import { isSortableId, newId, ULID_CHARS } from '#contract/ids.js';
import { LIMITS, epochSeconds } from '#contract/limits.js';
import { stores } from './ports.js';
import type { ReviewLinkItem, SessionItem } from './records.js';
import { hashToken, tokenMatches } from './tokens.js';

const REVIEW_TOKEN = new RegExp(`^rv\\.(${ULID_CHARS})\\.[A-Za-z0-9_-]{43}$`);

/** The link id a token names, when it has a review token's shape (no I/O: decides whether to look). */
export function reviewLinkIdOf(token: string | undefined): string | undefined {
  return token ? REVIEW_TOKEN.exec(token)?.[1] : undefined;
}

export type ReviewLinkStatus = 'active' | 'expired' | 'revoked';

export const linkStatus = (link: Pick<ReviewLinkItem, 'revokedAt' | 'expiresAtEpoch'>, nowMs: number = Date.now()): ReviewLinkStatus =>
  link.revokedAt ? 'revoked' : link.expiresAtEpoch * 1000 <= nowMs ? 'expired' : 'active';

/** Whether `token` is the token of `link` and the link still grants access. */
export function reviewTokenValid(link: ReviewLinkItem | undefined, token: string, nowMs: number = Date.now()): boolean {
  // The hash comparison runs whatever the link's state: the answer's timing says nothing about it.
  const matches = tokenMatches(token, link?.tokenHash ?? '0'.repeat(64));
  return matches && link !== undefined && linkStatus(link, nowMs) === 'active';
}

export async function reviewerFor(sessionId: string, token: string): Promise<boolean> {
  const linkId = reviewLinkIdOf(token);
  if (!linkId) return false;
  return reviewTokenValid(await stores.reviewLinks.getReviewLink(sessionId, linkId), token);
}

export interface ReviewLinkView {
  linkId: string;
  createdAt: string;
  createdBy: string;
  expiresAt: string;
  status: ReviewLinkStatus;
  revokedAt?: string;
}

const view = (l: ReviewLinkItem, nowMs = Date.now()): ReviewLinkView => ({
  linkId: l.linkId,
  createdAt: l.createdAt,
  createdBy: l.createdBy,
  expiresAt: l.expiresAt,
  status: linkStatus(l, nowMs),
  ...(l.revokedAt ? { revokedAt: l.revokedAt } : {}),
});

/**
 * A new link. Its expiry is the asked-for number of hours, but never past the session's data (its
 * TTL): the answer's `expiresAt` says when it really stops working.
 */
export async function createReviewLink(
  session: Pick<SessionItem, 'sessionId' | 'ttl'>,
  expiresInHours: number = LIMITS.reviewLinks.defaultHours,
  createdBy: string,
  nowMs: number = Date.now(),
): Promise<{ linkId: string; reviewToken: string; expiresAt: string }> {
  const linkId = newId();
  const reviewToken = `rv.${linkId}.${randomBytes(32).toString('base64url')}`;
  const expiresAtEpoch = Math.min(epochSeconds(nowMs) + expiresInHours * 3600, session.ttl);
  const expiresAt = new Date(expiresAtEpoch * 1000).toISOString();
  await stores.reviewLinks.putReviewLink({
    sessionId: session.sessionId,
    linkId,
    tokenHash: hashToken(reviewToken),
    createdAt: new Date(nowMs).toISOString(),
    createdBy,
    expiresAt,
    expiresAtEpoch,
    ttl: session.ttl,
  });
  return { linkId, reviewToken, expiresAt };
}

export async function reviewLinksOf(sessionId: string): Promise<ReviewLinkView[]> {
  const nowMs = Date.now();
  return (await stores.reviewLinks.listReviewLinks(sessionId)).map((l) => view(l, nowMs));
}

export async function revokeLink(sessionId: string, linkId: string | undefined): Promise<ReviewLinkView> {
  if (!isSortableId(linkId)) throw errors.notFound('Review link');
  const revoked = await stores.reviewLinks.revokeReviewLink(sessionId, linkId);
  if (!revoked) throw errors.notFound('Review link');
  return view(revoked);
}
