/** Launch requests: `{language, count}` on the launch queue, consumed by functions/pipeline/launcher.ts. */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import * as z from 'zod/mini';
import { config } from '#aws/config.js';
import { LANGUAGE_IDS, type LanguageId } from '#contract/languages.js';
import { sqs } from '#aws/sqs-client.js';

export const launchRequestSchema = z.strictObject({
  language: z.enum(LANGUAGE_IDS),
  count: z.int().check(z.minimum(1), z.maximum(10)),
});

export async function requestLaunch(language: LanguageId, count: number): Promise<void> {
  const url = config().launchQueueUrl;
  if (!url) throw new Error('LAUNCH_QUEUE_URL is not configured');
  await sqs().send(new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify({ language, count }) }));
}
