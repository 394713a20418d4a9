/**
 * Run messages: one small SQS message per execution, to its language's queue. The execution item is the
 * truth; the message only says which one. Sending lives in run-queue-send.ts.
 */
import * as z from 'zod/mini';
import { config } from '#aws/config.js';
import type { LanguageId } from '#contract/languages.js';

export const runMessageSchema = z.strictObject({ sessionId: z.uuid(), executionId: z.string().check(z.minLength(1), z.maxLength(64)) });
export type RunMessage = z.infer<typeof runMessageSchema>;

export function queueUrlFor(language: LanguageId): string {
  const url = config().runQueueUrls[language];
  if (!url) throw new Error(`no run queue configured for ${language}`);
  return url;
}

export function parseRunMessage(body: string): RunMessage | undefined {
  try {
    const parsed = runMessageSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
