/** Sending a run message (only functions that queue runs bundle it: see sqs-client.ts). */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { LanguageId } from '#contract/languages.js';
import { sqs } from '#aws/sqs-client.js';
import { queueUrlFor, type RunMessage } from './run-queue.js';

export async function sendRunMessage(language: LanguageId, message: RunMessage): Promise<void> {
  await sqs().send(new SendMessageCommand({ QueueUrl: queueUrlFor(language), MessageBody: JSON.stringify(message) }));
}
