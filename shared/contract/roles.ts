/**
 * Who holds a session token (docs/protocol.md §1); each role's rights are checked in shared/core/access.ts.
 * `reviewer`: a review link's token (shared/core/review-links.ts): reads as an interviewer, writes nothing.
 */
export const ROLES = ['interviewer', 'candidate', 'reviewer'] as const;
export type Role = (typeof ROLES)[number];
