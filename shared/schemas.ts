/**
 * zod schemas of the contract's inputs (SPEC §3 bodies and queries). Handlers parse with these; the
 * field problems become VALIDATION_ERROR details.
 */
import { z } from 'zod';
import { LIMITS } from './limits.js';

const title = z.string().trim().min(1).max(LIMITS.session.titleMaxLength);
/** Language ids are checked against the table separately, to answer UNSUPPORTED_LANGUAGE. */
const language = z.string().min(1).max(32);

export const createSessionBody = z
  .object({
    language: language.optional(),
    title: title.optional(),
    durationMinutes: z
      .number()
      .int()
      .min(LIMITS.session.minDurationMinutes)
      .max(LIMITS.session.maxDurationMinutes)
      .optional(),
  })
  .strict();

export const patchSessionBody = z
  .object({ title: title.optional(), language: language.optional() })
  .strict()
  .refine((b) => b.title !== undefined || b.language !== undefined, { message: 'Provide title or language' });

export const putCodeBody = z
  .object({ code: z.string(), baseVersion: z.number().int().min(0).optional() })
  .strict();

export const getCodeQuery = z.object({ format: z.enum(['text', 'yjs']).optional() }).strict();

export const runBody = z
  .object({ language: language.optional(), code: z.string().optional(), stdin: z.string().optional() })
  .strict();

export const createSnapshotBody = z.object({ label: z.string().trim().max(LIMITS.snapshotLabelMaxLength).optional() }).strict();

export const historyQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(LIMITS.history.maxPageSize).optional(),
    cursor: z.string().min(1).max(512).optional(),
  })
  .strict();

export const purgeQuery = z.object({ purge: z.enum(['true', 'false']).optional() }).strict();

export interface FieldProblem {
  field: string;
  message: string;
}

export function fieldProblems(error: z.ZodError): FieldProblem[] {
  return error.issues.map((i) => ({ field: i.path.length ? i.path.join('.') : '(body)', message: i.message }));
}
