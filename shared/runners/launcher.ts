/**
 * Starting runners: a port with two implementations. In AWS, standalone Fargate tasks started with
 * RunTask (they exit by themselves when idle, so no scale-in can kill a task mid-job); in the local
 * stack, runner worker processes (local/runners.ts registers that implementation at start-up).
 */
import { RunTaskCommand } from '@aws-sdk/client-ecs';
import { ecs } from '../clients.js';
import { config } from '../config.js';
import type { LanguageId } from '../languages.js';
import { logger } from '../log.js';
import { liveRunners, takeLaunchLease } from './registry.js';

export interface RunnerLauncher {
  /** Starts `count` runners for the language. */
  launch(language: LanguageId, count: number): Promise<void>;
}

export const ecsLauncher: RunnerLauncher = {
  async launch(language, count) {
    const c = config().runners;
    const taskDefinition = c.taskDefinitions[language];
    if (!c.clusterArn || !taskDefinition) throw new Error(`no runner task definition configured for ${language}`);
    const out = await ecs().send(
      new RunTaskCommand({
        cluster: c.clusterArn,
        taskDefinition,
        launchType: 'FARGATE',
        count,
        startedBy: `launcher-${language}`.slice(0, 36),
        networkConfiguration: {
          // Public subnets, no NAT gateway: the task needs egress to AWS APIs only (see docs/execution.md).
          awsvpcConfiguration: { subnets: c.subnets, securityGroups: c.securityGroups, assignPublicIp: 'ENABLED' },
        },
      }),
    );
    if (out.failures?.length) throw new Error(`RunTask failed: ${out.failures.map((f) => f.reason).join(', ')}`);
  },
};

let launcher: RunnerLauncher = ecsLauncher;

/** The local stack swaps in its process launcher. */
export function setLauncher(impl: RunnerLauncher): void {
  launcher = impl;
}

/**
 * Makes sure at least `desired` runners of the language are alive or booting (capped by
 * maxRunnersPerLanguage). Never throws: a failed launch is logged, and the run's deadline and the
 * watchdog turn a run nobody picks up into SYSTEM_ERROR instead of leaving it stuck.
 */
export async function ensureRunners(language: LanguageId, desired = 1, nowMs: number = Date.now()): Promise<'warm' | 'launched' | 'booting' | 'failed'> {
  try {
    const want = Math.min(desired, config().runners.maxPerLanguage);
    const live = await liveRunners(language, nowMs);
    if (live.length >= want) return 'warm';
    if (!(await takeLaunchLease(language, nowMs))) return 'booting';
    await launcher.launch(language, want - live.length);
    logger.info('runners launched', { language, count: want - live.length });
    return 'launched';
  } catch (err) {
    logger.error('could not ensure runners', { language, error: err as Error });
    return 'failed';
  }
}
