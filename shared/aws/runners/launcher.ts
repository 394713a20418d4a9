/**
 * Starting runners: a port with two implementations. In AWS, standalone Fargate tasks started with
 * RunTask (they exit by themselves when idle, so no scale-in can kill a task mid-job), requested through
 * the launch queue; in the local stack, runner worker processes (local/runners.ts registers that
 * implementation at start-up).
 */
import { config } from '#aws/config.js';
import type { LanguageId } from '#contract/languages.js';
import { logger } from '#telemetry/log.js';
import { requestLaunch } from './launch-queue.js';
import { liveRunners, releaseLaunchLease, takeLaunchLease } from '#aws/store/runner-registry.js';

export interface RunnerLauncher {
  /** Starts `count` runners for the language. */
  launch(language: LanguageId, count: number): Promise<void>;
}

/**
 * In AWS, handlers and runners do not call ECS themselves: they queue a launch request and the launcher
 * function (functions/pipeline/launcher.ts) calls RunTask. That keeps ecs:RunTask and iam:PassRole on
 * one function and the ECS client (~100 KB) out of every other bundle.
 */
export const queueLauncher: RunnerLauncher = {
  async launch(language, count) {
    await requestLaunch(language, count);
  },
};

let launcher: RunnerLauncher = queueLauncher;

/** The local stack swaps in its process launcher. */
export function setLauncher(impl: RunnerLauncher): void {
  launcher = impl;
}

export type EnsureOutcome = 'warm' | 'launched' | 'booting' | 'failed';

/**
 * Makes sure at least `desired` runners of the language are alive or booting (capped by
 * maxRunnersPerLanguage). Never throws: a failed launch is logged and gives the launch lease back (so the
 * next request or watchdog tick retries now, not after launchLeaseMs), and the run's deadline and the
 * watchdog turn a run nobody picks up into SYSTEM_ERROR instead of leaving it stuck.
 */
export async function ensureRunners(language: LanguageId, desired = 1, nowMs: number = Date.now()): Promise<EnsureOutcome> {
  if (launcher === queueLauncher && !config().launchQueueUrl) return noLauncher(language);
  let leased = false;
  try {
    const want = Math.min(desired, config().runners.maxPerLanguage);
    const live = await liveRunners(language, nowMs);
    if (live.length >= want) return 'warm';
    if (!(await takeLaunchLease(language, nowMs))) return 'booting';
    leased = true;
    await launcher.launch(language, want - live.length);
    logger.info('runners launched', { language, count: want - live.length });
    return 'launched';
  } catch (err) {
    logger.error('could not ensure runners', { language, error: err as Error });
    if (leased) {
      await releaseLaunchLease(language, nowMs).catch((e) => logger.error('could not release the launch lease', { language, error: e as Error }));
    }
    return 'failed';
  }
}

let toldNoLauncher = false;

/**
 * Nothing can start a runner here: no launch queue is configured and no local launcher was registered (a
 * local stack started without its pipeline, as the benches and some tests run it; in AWS every function
 * that warms runners has LAUNCH_QUEUE_URL, test/infra/function-env.test.ts). Said once per container
 * instead of an ERROR per join, and without reading the registry or taking a lease for nothing; a run
 * requested meanwhile still ends SYSTEM_ERROR by its deadline.
 */
function noLauncher(language: LanguageId): EnsureOutcome {
  if (!toldNoLauncher) {
    toldNoLauncher = true;
    logger.warn('runners cannot be started here: no launch queue (LAUNCH_QUEUE_URL) and no local launcher', { language });
  }
  return 'failed';
}
