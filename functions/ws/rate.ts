/**
 * Per-connection rate limits (docs/protocol.md §4: cursor 10/s, edits 50/s, language changes 1 per 5 s) as token
 * buckets in the memory of the Lambda container. Approximate by design: a DynamoDB counter would cost a
 * call per message and break the 2-call budget of an edit. API Gateway spreads one connection's
 * messages over the warm containers of the message function, so the enforced bound is
 * limit × (containers serving that connection at once) — in practice 1–3 for a single client.
 */
import { LIMITS } from '#contract/limits.js';

interface Bucket {
  tokens: number;
  at: number;
}

export interface RateRule {
  /** Sustained rate, tokens per second. */
  perSecond: number;
  /** Burst size. */
  burst: number;
}

export const WS_RATE_RULES = {
  cursor: { perSecond: LIMITS.rate.cursorPerSecond, burst: LIMITS.rate.cursorPerSecond },
  edit: { perSecond: LIMITS.rate.editsPerSecond, burst: LIMITS.rate.editsPerSecond },
  language: { perSecond: 1000 / LIMITS.rate.languageChangeIntervalMs, burst: 1 },
  activity: { perSecond: LIMITS.rate.activityPerSecond, burst: LIMITS.rate.activityPerSecond },
} as const satisfies Record<string, RateRule>;

const MAX_BUCKETS = 50_000;
const buckets = new Map<string, Bucket>();

/** Takes one token; returns the seconds to wait when none is left (0 = allowed). */
export function take(connectionId: string, kind: keyof typeof WS_RATE_RULES, nowMs: number = Date.now()): number {
  const rule = WS_RATE_RULES[kind];
  const key = `${kind}:${connectionId}`;
  const bucket = buckets.get(key) ?? { tokens: rule.burst, at: nowMs };
  bucket.tokens = Math.min(rule.burst, bucket.tokens + ((nowMs - bucket.at) / 1000) * rule.perSecond);
  bucket.at = nowMs;
  if (bucket.tokens < 1) {
    buckets.set(key, bucket);
    return (1 - bucket.tokens) / rule.perSecond;
  }
  bucket.tokens -= 1;
  if (buckets.size >= MAX_BUCKETS) buckets.delete(buckets.keys().next().value!); // bounded memory
  buckets.set(key, bucket);
  return 0;
}

export function forgetConnection(connectionId: string): void {
  for (const kind of Object.keys(WS_RATE_RULES)) buckets.delete(`${kind}:${connectionId}`);
}
