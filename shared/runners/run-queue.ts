/** Run messages: one small SQS message per execution, to its language's queue. The item is the truth. */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { sqs } from '../clients.js';
import { config } from '../config.js';
import type { LanguageId } from '../languages.js';

export const runMessageSchema = z.object({ sessionId: z.string().uuid(), executionId: z.string().min(1).max(64) }).strict();
export type RunMessage = z.infer<typeof runMessageSchema>;

export function queueUrlFor(language: LanguageId): string {
  const url = config().runQueueUrls[language];
  if (!url) throw new Error(`no run queue configured for ${language}`);
  return url;
}

export async function sendRunMessage(language: LanguageId, message: RunMessage): Promise<void> {
  await sqs().send(new SendMessageCommand({ QueueUrl: queueUrlFor(language), MessageBody: JSON.stringify(message) }));
}

export function parseRunMessage(body: string): RunMessage | undefined {
  try {
    const parsed = runMessageSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
