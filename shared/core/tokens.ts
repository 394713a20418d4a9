/**
 * Session tokens (docs/protocol.md §2): 256 random bits, handed out once, stored only as SHA-256 hashes. A slow
 * password hash is unnecessary: the input already has 256 bits of entropy, so a hash cannot be brute-forced.
 * Comparison is constant-time over the fixed-length digests.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role } from '#contract/roles.js';

export const newToken = (): string => randomBytes(32).toString('base64url');

export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** Constant-time comparison of a presented token with a stored hash. */
export function tokenMatches(token: string, storedHash: string | undefined): boolean {
  if (!storedHash) return false;
  const a = Buffer.from(hashToken(token), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Which role a token grants in a session, if any. Both comparisons always run. */
export function roleForToken(
  token: string | undefined,
  hashes: { interviewerTokenHash?: string; candidateTokenHash?: string },
): Role | undefined {
  if (!token || token.length > 256) return undefined;
  const interviewer = tokenMatches(token, hashes.interviewerTokenHash);
  const candidate = tokenMatches(token, hashes.candidateTokenHash);
  return interviewer ? 'interviewer' : candidate ? 'candidate' : undefined;
}
