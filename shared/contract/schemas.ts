/**
 * zod schemas of the contract's inputs (docs/protocol.md §3 bodies and queries). Handlers parse with these; the
 * field problems become VALIDATION_ERROR details. `zod/mini` (functional checks, tree-shakable) keeps
 * each Lambda bundle ~80 KB smaller than classic zod, for the same validation.
 */
import * as z from 'zod/mini';
import { LIMITS } from './limits.js';
import { EXECUTION_MODES } from './questions.js';

const title = z.string().check(z.trim(), z.minLength(1), z.maxLength(LIMITS.session.titleMaxLength));
/** Language ids are checked against the table separately, to answer UNSUPPORTED_LANGUAGE. */
export const languageField = z.string().check(z.minLength(1), z.maxLength(32));
const nonNegativeInt = z.int().check(z.minimum(0));

export const createSessionBody = z.strictObject({
  language: z.optional(languageField),
  title: z.optional(title),
  durationMinutes: z.optional(
    z.int().check(z.minimum(LIMITS.session.minDurationMinutes), z.maximum(LIMITS.session.maxDurationMinutes)),
  ),
  /** A question of the operator's bank (docs/protocol.md §8); its starter code becomes the first document. */
  questionId: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
});

export const patchSessionBody = z
  .strictObject({
    title: z.optional(title),
    language: z.optional(languageField),
    /** The interviewer's controls (docs/protocol.md §8): refuse a candidate's runs / edits. */
    runsDisabled: z.optional(z.boolean()),
    editingLocked: z.optional(z.boolean()),
  })
  .check(
    z.refine((b) => Object.values(b).some((v) => v !== undefined), 'Provide title, language, runsDisabled or editingLocked'),
  );

export const putCodeBody = z.strictObject({ code: z.string(), baseVersion: z.optional(nonNegativeInt) });

/** docs/protocol.md §10: the 64 KiB bound is the document's own (PAYLOAD_TOO_LARGE), like the code's 100 KiB. */
export const putNotesBody = z.strictObject({ notes: z.string(), baseVersion: z.optional(nonNegativeInt) });

export const createReviewLinkBody = z.strictObject({
  expiresInHours: z.optional(z.int().check(z.minimum(1), z.maximum(LIMITS.reviewLinks.maxHours))),
});

export const timelineQuery = z.strictObject({
  limit: z.optional(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(LIMITS.timeline.maxPageSize))),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(512))),
});

export const getCodeQuery = z.strictObject({ format: z.optional(z.enum(['text', 'yjs'])) });

export const runBody = z.strictObject({
  language: z.optional(languageField),
  code: z.optional(z.string()),
  stdin: z.optional(z.string()),
  /** `tests`: run the session question's tests (docs/protocol.md §8) instead of one run with `stdin`. */
  mode: z.optional(z.enum(EXECUTION_MODES)),
});

export const createSnapshotBody = z.strictObject({
  label: z.optional(z.string().check(z.trim(), z.maxLength(LIMITS.snapshotLabelMaxLength))),
});

export const historyQuery = z.strictObject({
  limit: z.optional(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(LIMITS.history.maxPageSize))),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(512))),
});

export const listSessionsQuery = z.strictObject({
  status: z.optional(z.enum(['active', 'ended', 'expired'])),
  limit: z.optional(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(LIMITS.sessionList.maxPageSize))),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(512))),
});

export const purgeQuery = z.strictObject({ purge: z.optional(z.enum(['true', 'false'])) });

export interface FieldProblem {
  field: string;
  message: string;
}

/** What zod reports about one field (the fields read here are those of zod 4's issue codes). */
interface Issue {
  path: readonly PropertyKey[];
  message: string;
  code?: string;
  origin?: string;
  maximum?: number | bigint;
  minimum?: number | bigint;
  expected?: string;
  keys?: readonly string[];
  values?: readonly unknown[];
  format?: string;
}

/** `root` names a problem of the whole object (an unknown field): `(body)`, or `(query)` for a query string. */
export function fieldProblems(error: { issues: readonly Issue[] }, root = '(body)'): FieldProblem[] {
  return error.issues.map((i) => ({ field: i.path.length ? i.path.map(String).join('.') : root, message: describeIssue(i) }));
}

const UNITS: Record<string, string> = { string: 'characters', array: 'items', set: 'items', file: 'bytes' };

/**
 * zod/mini carries no message locale (it would add to every bundle) and says "Invalid input" for every
 * issue: the issue's own fields say what was wrong, in the same words for every route. A schema's own
 * message (a refinement's) is kept.
 */
function describeIssue(i: Issue): string {
  if (i.message !== 'Invalid input') return i.message;
  const unit = UNITS[i.origin ?? ''];
  switch (i.code) {
    case 'too_big':
      return `at most ${String(i.maximum)}${unit ? ` ${unit}` : ''}`;
    case 'too_small':
      return i.origin === 'string' && Number(i.minimum) === 1 ? 'must not be empty' : `at least ${String(i.minimum)}${unit ? ` ${unit}` : ''}`;
    case 'invalid_type':
      return i.expected ? `expected ${i.expected}` : i.message;
    case 'unrecognized_keys':
      return `unknown field${(i.keys?.length ?? 0) > 1 ? 's' : ''}: ${(i.keys ?? []).join(', ')}`;
    case 'invalid_value':
      return i.values?.length ? `expected one of ${i.values.map((v) => JSON.stringify(v)).join(', ')}` : i.message;
    case 'invalid_format':
      return i.format ? `not a valid ${i.format}` : i.message;
    default:
      return i.message;
  }
}
