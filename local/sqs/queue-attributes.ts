/**
 * Queue attributes as the API carries them (string maps in CreateQueue, SetQueueAttributes and
 * GetQueueAttributes) to and from the engine's typed QueueConfig.
 */
import { SqsError, invalidParameter } from './errors.js';
import type { QueueConfig, QueueEngine } from './queue.js';

/** Settable attribute -> config key and AWS's allowed range. */
const SETTABLE = {
  VisibilityTimeout: ['visibilityTimeoutSeconds', 0, 43_200],
  DelaySeconds: ['delaySeconds', 0, 900],
  ReceiveMessageWaitTimeSeconds: ['receiveWaitTimeSeconds', 0, 20],
  MaximumMessageSize: ['maximumMessageSize', 1024, 1024 * 1024],
  MessageRetentionPeriod: ['messageRetentionSeconds', 60, 1_209_600],
} as const;

/** Accepted and ignored: they change nothing a local queue does (encryption, access policy). */
const IGNORED = new Set(['Policy', 'KmsMasterKeyId', 'KmsDataKeyReusePeriodSeconds', 'SqsManagedSseEnabled', 'RedriveAllowPolicy']);

export function parseQueueAttributes(attributes: Record<string, string> | undefined): Partial<QueueConfig> {
  const config: Partial<QueueConfig> = {};
  for (const [name, raw] of Object.entries(attributes ?? {})) {
    if (name in SETTABLE) {
      const [key, min, max] = SETTABLE[name as keyof typeof SETTABLE];
      const value = Number(raw);
      if (!/^\d+$/.test(String(raw)) || value < min || value > max) {
        throw new SqsError('InvalidAttributeValue', `Invalid value for the parameter ${name}. Must be between ${min} and ${max}.`);
      }
      config[key] = value;
    } else if (name === 'RedrivePolicy') {
      config.redrive = parseRedrivePolicy(raw);
    } else if (name === 'FifoQueue' || name === 'ContentBasedDeduplication') {
      throw new SqsError('InvalidAttributeName', `${name}: FIFO queues are not supported by the local queue.`);
    } else if (!IGNORED.has(name)) {
      throw new SqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
    }
  }
  return config;
}

function parseRedrivePolicy(raw: string): QueueConfig['redrive'] {
  let policy: { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
  try {
    policy = JSON.parse(raw) as typeof policy;
  } catch {
    throw invalidParameter('RedrivePolicy', raw, 'Invalid JSON.');
  }
  const maxReceiveCount = Number(policy.maxReceiveCount);
  if (typeof policy.deadLetterTargetArn !== 'string' || !Number.isInteger(maxReceiveCount)) {
    throw invalidParameter('RedrivePolicy', raw, 'Redrive policy requires deadLetterTargetArn and an integer maxReceiveCount.');
  }
  return { deadLetterTargetArn: policy.deadLetterTargetArn, maxReceiveCount };
}

/** GetQueueAttributes: `All` or the listed names; an unknown name is InvalidAttributeName, as in AWS. */
export function formatQueueAttributes(engine: QueueEngine, name: string, requested: string[] | undefined): Record<string, string> {
  const { config, stats, arn, createdTimestamp, lastModifiedTimestamp } = engine.describe(name);
  const all: Record<string, string> = {
    QueueArn: arn,
    ApproximateNumberOfMessages: String(stats.visible),
    ApproximateNumberOfMessagesNotVisible: String(stats.inFlight),
    ApproximateNumberOfMessagesDelayed: String(stats.delayed),
    CreatedTimestamp: String(Math.floor(createdTimestamp / 1000)),
    LastModifiedTimestamp: String(Math.floor(lastModifiedTimestamp / 1000)),
    SqsManagedSseEnabled: 'false',
  };
  for (const [attribute, [key]] of Object.entries(SETTABLE)) all[attribute] = String(config[key]);
  if (config.redrive) all.RedrivePolicy = JSON.stringify(config.redrive);
  const wanted = requested ?? [];
  if (wanted.includes('All')) return all;
  const result: Record<string, string> = {};
  for (const attribute of wanted) {
    if (attribute in all) result[attribute] = all[attribute]!;
    else if (attribute !== 'RedrivePolicy' && !IGNORED.has(attribute)) {
      throw new SqsError('InvalidAttributeName', `Unknown Attribute ${attribute}.`);
    }
  }
  return result;
}
