/**
 * The deployment-wide cap on runner tasks in flight (MAX_RUNNERS_IN_FLIGHT, `-c maxRunnersInFlight`),
 * enforced by the launcher function, the only principal that calls RunTask. Whoever can send to the launch
 * queue (functions, runner tasks) may ask for up to 10 tasks per message; the launcher grants only what
 * fits under both caps:
 *
 *   in flight = runners with a fresh heartbeat (the registry, every language)
 *             + tasks the launcher started within the boot window that may not heartbeat yet
 *
 * The tasks it starts are recorded in one ledger item, updated with a compare-and-set on its version, so
 * two launcher invocations at once cannot both spend the last free place. A booted runner is counted twice
 * until its boot entry expires (launchLeaseMs): the cap errs on the side of fewer tasks, never more.
 * A request that finds no room is not retried: its runs stay in their queue, and the next request for the
 * language (a new run, a saturated runner, the watchdog's minute tick for runs still QUEUED) asks again.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#aws/clients.js';
import { config } from '#aws/config.js';
import { LANGUAGE_IDS } from '#contract/languages.js';
import { LIMITS, epochSeconds } from '#contract/limits.js';
import { keys } from '#aws/table.js';
import { isConditionFailure, table } from '#aws/store/items.js';
import { liveRunners } from '#aws/store/runner-registry.js';

/** One item for the whole deployment, beside the per-language registry partitions. */
export const LEDGER_KEY = { PK: keys.runnersPk('*'), SK: 'LAUNCHES' } as const;

export interface Boot {
  id: string;
  language: string;
  count: number;
  /** Until then the tasks count as in flight even without a heartbeat. */
  until: number;
}

interface Ledger {
  boots: Boot[];
  /** Absent before the first launch. */
  version?: number;
}

export interface Grant {
  /** How many tasks the caller may start now (0: none, the runs wait in their queue). */
  granted: number;
  requested: number;
  /** Live + booting runners, before this grant. */
  inFlight: number;
  ofLanguage: number;
  /** The ledger entry of this grant (absent when nothing was granted). */
  bootId?: string;
}

/** Compare-and-set rounds: each round at least one contender wins, and a batch holds at most 10 records. */
const CAS_ATTEMPTS = 12;

async function readLedger(): Promise<Ledger> {
  // Consistent: the ledger was written by another launcher invocation moments ago.
  const out = await dynamo().send(new GetCommand({ TableName: table(), Key: LEDGER_KEY, ConsistentRead: true }));
  const item = out.Item as { boots?: Boot[]; version?: number } | undefined;
  return { boots: item?.boots ?? [], version: item?.version };
}

/** Writes the ledger if nobody else did since `seen` was read; false when someone did. */
async function writeLedger(seen: Ledger, boots: Boot[], nowMs: number): Promise<boolean> {
  const version = (seen.version ?? 0) + 1;
  const lastUntil = Math.max(nowMs, ...boots.map((b) => b.until));
  try {
    await dynamo().send(
      new PutCommand({
        TableName: table(),
        // The TTL lets an idle stage's table empty itself; an expired boot is ignored anyway.
        Item: { ...LEDGER_KEY, boots, version, ttl: epochSeconds(lastUntil) + 3600 },
        ...(seen.version === undefined
          ? { ConditionExpression: 'attribute_not_exists(PK)' }
          : { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': seen.version } }),
      }),
    );
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
}

/** The boots as a comparable string (a stored map's attributes come back in any order). */
const bootsKey = (boots: Boot[]): string => JSON.stringify(boots.map((b) => [b.id, b.language, b.count, b.until]));

/** Reads, changes and writes the ledger until the write is not lost to a concurrent launcher. */
async function updateLedger<T>(change: (boots: Boot[]) => { boots: Boot[] | undefined; result: T }, nowMs: number): Promise<T> {
  let refused: { version: number; boots: string; result: T } | undefined;
  for (let attempt = 1; ; attempt++) {
    const seen = await readLedger();
    // A write whose answer was lost is refused to the SDK's retry (the version moved: by that write).
    // Finding exactly what it wrote, at exactly its version, it is ours: booking again would count
    // the same runners twice until their lease ran out.
    if (refused && seen.version === refused.version && bootsKey(seen.boots) === refused.boots) return refused.result;
    const { boots, result } = change(seen.boots.filter((b) => b.until > nowMs));
    if (!boots || (await writeLedger(seen, boots, nowMs))) return result;
    refused = { version: (seen.version ?? 0) + 1, boots: bootsKey(boots), result };
    if (attempt >= CAS_ATTEMPTS) throw new Error('the launch ledger kept changing under the launcher');
    await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
  }
}

/**
 * Grants up to `requested` new runners of the language: clamped by maxRunnersPerLanguage (live + booting
 * runners of that language) and by maxRunnersInFlight (live + booting runners of every language), and
 * records the grant as booting.
 */
export async function reserveRunners(language: string, requested: number, nowMs: number = Date.now()): Promise<Grant> {
  const { maxPerLanguage, maxInFlight } = config().runners;
  const live = await Promise.all(LANGUAGE_IDS.map((l) => liveRunners(l, nowMs)));
  const liveTotal = live.reduce((n, runners) => n + runners.length, 0);
  const liveOfLanguage = live[LANGUAGE_IDS.indexOf(language as (typeof LANGUAGE_IDS)[number])]?.length ?? 0;
  return updateLedger<Grant>((boots) => {
    const booting = boots.reduce((n, b) => n + b.count, 0);
    const bootingOfLanguage = boots.filter((b) => b.language === language).reduce((n, b) => n + b.count, 0);
    const inFlight = liveTotal + booting;
    const ofLanguage = liveOfLanguage + bootingOfLanguage;
    const granted = Math.max(0, Math.min(requested, maxPerLanguage - ofLanguage, maxInFlight - inFlight));
    if (granted === 0) return { boots: undefined, result: { granted, requested, inFlight, ofLanguage } };
    const boot: Boot = { id: randomUUID(), language, count: granted, until: nowMs + LIMITS.execution.launchLeaseMs };
    return { boots: [...boots, boot], result: { granted, requested, inFlight, ofLanguage, bootId: boot.id } };
  }, nowMs);
}

/** After RunTask started fewer tasks than granted (or none): only `started` of them stay booting. */
export async function shrinkReservation(bootId: string, started: number, nowMs: number = Date.now()): Promise<void> {
  await updateLedger((boots) => {
    const mine = boots.find((b) => b.id === bootId);
    if (!mine) return { boots: undefined, result: undefined };
    const rest = boots.filter((b) => b !== mine);
    return { boots: started > 0 ? [...rest, { ...mine, count: Math.min(started, mine.count) }] : rest, result: undefined };
  }, nowMs);
}
