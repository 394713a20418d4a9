/**
 * The runner service: one process per Fargate task (or local runner process), serving one language.
 * Long-polls its language's queue for as many jobs as it has free slots, runs them in the sandbox,
 * heartbeats the runner registry, asks for another runner when it is saturated and work is waiting,
 * and exits by itself after an idle period (standalone tasks: no scale-in can kill a job mid-run).
 *
 * Environment: LANGUAGE, RUN_QUEUE_URL, TABLE_NAME, WS_MANAGEMENT_ENDPOINT, AWS_REGION,
 * RUNNER_SLOTS, RUNNER_IDLE_MS, RUNNER_WORK_ROOT (+ DYNAMODB_ENDPOINT / SQS_ENDPOINT locally).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { GetQueueAttributesCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { sqs } from '#aws/sqs-client.js';
import { isLanguageId, type LanguageId } from '#contract/languages.js';
import { LIMITS } from '#contract/limits.js';
import { logger } from '#telemetry/log.js';
import { ensureRunners } from '#aws/runners/launcher.js';
import { deregister, heartbeat, liveRunners } from '#aws/store/runner-registry.js';
import { parseRunMessage } from '#aws/runners/run-queue.js';
import { handleMessage, keepInvisible } from './execution-job.js';
import { systemError } from './sandbox-job.js';
import { SlotPool } from './slot-pool.js';
import { DEFAULT_TEST_BUDGET } from './tests-job.js';

/** The sandbox could not be set up (no gcc for the helper, an unusable work root...): see main(). */
export class RunnerStartError extends Error {}

/** How long a runner that cannot start keeps draining its queue before it exits. */
const DRAIN_MS = 20_000;

export interface WorkerOptions {
  language: LanguageId;
  queueUrl: string;
  slots?: number;
  idleMs?: number;
  workerId?: string;
}

export class Worker {
  readonly workerId: string;
  private readonly runner: SlotPool;
  private readonly active = new Set<Promise<unknown>>();
  /** Per session with a run here, the end of its last one (see runOne). */
  private readonly sessionTails = new Map<string, Promise<void>>();
  private stopping = false;
  private lastWorkAt = Date.now();
  private poll?: AbortController;

  constructor(private readonly opts: WorkerOptions) {
    this.workerId = opts.workerId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.runner = new SlotPool({ slots: opts.slots });
  }

  private get idleMs(): number {
    return this.opts.idleMs ?? LIMITS.execution.runnerIdleMs;
  }

  /** Runs until idle for idleMs or stop() is called. */
  async run(): Promise<void> {
    try {
      await this.runner.ready();
    } catch (err) {
      await this.failQueuedRuns((err as Error).message);
      throw new RunnerStartError((err as Error).message);
    }
    await this.beat();
    const beat = setInterval(() => void this.beat(), LIMITS.execution.runnerHeartbeatMs);
    // The task-memory guard is off when no budget was given and no cgroup limit seen (a developer machine).
    const budget = this.runner.taskMemoryBudget;
    logger.info('runner worker started', {
      workerId: this.workerId,
      language: this.opts.language,
      slots: this.runner.slots,
      taskMemoryGuard: budget === undefined ? 'off' : 'on',
      ...(budget === undefined ? {} : { taskMemoryBudgetBytes: budget }),
    });
    try {
      while (!this.stopping) {
        const free = this.runner.slots - this.active.size;
        if (free <= 0) {
          await Promise.race(this.active);
          continue;
        }
        if (this.active.size === 0 && Date.now() - this.lastWorkAt >= this.idleMs) {
          logger.info('runner idle: exiting', { workerId: this.workerId, idleMs: this.idleMs });
          break;
        }
        const messages = await this.receive(free);
        if (messages.length > 0) this.lastWorkAt = Date.now();
        for (const m of messages) this.runOne(m);
        if (messages.length > 0 && this.active.size >= this.runner.slots) void this.scaleOutIfBacklog();
      }
      await Promise.allSettled([...this.active]);
    } finally {
      clearInterval(beat);
      await deregister(this.opts.language, this.workerId).catch(() => undefined);
      await this.runner.close();
    }
  }

  /**
   * The sandbox cannot start: every run waiting in the queue ends as SYSTEM_ERROR now, with the reason,
   * rather than staying QUEUED until the watchdog's deadline. Stops when the queue is empty.
   */
  private async failQueuedRuns(reason: string): Promise<void> {
    logger.error('runner cannot start: failing the queued runs', { language: this.opts.language, reason });
    const failed = () => systemError(`the ${this.opts.language} runner cannot start: ${reason}`);
    const failing = {
      run: async () => failed(),
      runTests: async () => ({ ...failed(), tests: [], summary: { passed: 0, total: 0 } }),
      testBudget: DEFAULT_TEST_BUDGET,
    };
    const env = { runner: failing, language: this.opts.language, queueUrl: this.opts.queueUrl, workerId: this.workerId };
    const until = Date.now() + DRAIN_MS;
    while (!this.stopping && Date.now() < until) {
      this.lastWorkAt = Date.now() - this.idleMs + 1_000; // short polls: an empty queue ends the drain
      const messages = await this.receive(10);
      if (messages.length === 0) break;
      await Promise.allSettled(messages.map((m) => handleMessage(env, m)));
    }
  }

  /** Stop taking jobs; running ones finish (Fargate gives the task its stopTimeout after SIGTERM). */
  stop(): void {
    this.stopping = true;
    this.poll?.abort();
  }

  /**
   * One session's runs never run at once in this runner: its slots share one kernel, and a run can read
   * another's command lines in /proc (not hidden without a mount namespace, which Fargate does not
   * allow), so a candidate's test run could hand a hidden test's stdin to a plain run of theirs. A run
   * whose session already has one here waits for it, holding its slot and keeping its message invisible
   * (handing it back would count a receive towards the dead-letter redrive). Runs of other sessions and
   * other tasks (each its own kernel) are not held up.
   */
  private runOne(message: Message): void {
    const sessionId = parseRunMessage(message.Body ?? '')?.sessionId;
    const before = sessionId === undefined ? undefined : this.sessionTails.get(sessionId);
    const env = { runner: this.runner, language: this.opts.language, queueUrl: this.opts.queueUrl, workerId: this.workerId };
    const job = (async () => {
      if (before) await this.waitInvisible(message, before);
      return handleMessage(env, message);
    })();
    if (sessionId !== undefined) {
      const tail = job.then(
        () => undefined,
        () => undefined,
      );
      this.sessionTails.set(sessionId, tail);
      void tail.then(() => this.sessionTails.get(sessionId) === tail && this.sessionTails.delete(sessionId));
    }
    this.track(job);
  }

  /** Waits for the session's previous run here, its own message kept invisible meanwhile. */
  private async waitInvisible(message: Message, before: Promise<void>): Promise<void> {
    const visible = keepInvisible({ queueUrl: this.opts.queueUrl }, message.ReceiptHandle!);
    try {
      await before;
    } finally {
      visible.stop();
    }
  }

  private track(job: Promise<unknown>): void {
    const tracked = job
      .catch((err) => logger.error('job handling failed; the message will be redelivered', { error: err as Error }))
      .finally(() => {
        this.active.delete(tracked);
        this.lastWorkAt = Date.now();
      });
    this.active.add(tracked);
  }

  private async receive(max: number) {
    this.poll = new AbortController();
    const waitSeconds = Math.max(1, Math.min(20, Math.ceil((this.idleMs - (Date.now() - this.lastWorkAt)) / 1000)));
    try {
      const out = await sqs().send(
        new ReceiveMessageCommand({
          QueueUrl: this.opts.queueUrl,
          MaxNumberOfMessages: Math.min(10, max),
          WaitTimeSeconds: waitSeconds,
          VisibilityTimeout: LIMITS.execution.visibilityTimeoutSeconds,
        }),
        { abortSignal: this.poll.signal },
      );
      return out.Messages ?? [];
    } catch (err) {
      if (this.stopping) return [];
      logger.error('receive failed; retrying', { error: err as Error });
      await new Promise((r) => setTimeout(r, 1000));
      return [];
    }
  }

  private async beat(): Promise<void> {
    try {
      await heartbeat({ runnerId: this.workerId, language: this.opts.language, slots: this.runner.slots, busy: this.active.size, heartbeatAt: Date.now() });
    } catch (err) {
      logger.warn('heartbeat failed', { error: err as Error });
    }
  }

  /** Saturated and the queue still holds work: ask for one more runner (the launch lease dedupes). */
  private async scaleOutIfBacklog(): Promise<void> {
    try {
      const attrs = await sqs().send(new GetQueueAttributesCommand({ QueueUrl: this.opts.queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
      if (Number(attrs.Attributes?.ApproximateNumberOfMessages ?? 0) === 0) return;
      const live = await liveRunners(this.opts.language);
      await ensureRunners(this.opts.language, live.length + 1);
    } catch (err) {
      logger.warn('scale-out check failed', { error: err as Error });
    }
  }
}

/** Entry point of the runner image and of local runner processes. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const language = env.LANGUAGE;
  const queueUrl = env.RUN_QUEUE_URL;
  if (!isLanguageId(language) || !queueUrl) {
    logger.error('LANGUAGE and RUN_QUEUE_URL must be set', { language, queueUrl });
    process.exit(2);
  }
  const worker = new Worker({
    language,
    queueUrl,
    slots: env.RUNNER_SLOTS ? Number(env.RUNNER_SLOTS) : undefined,
    idleMs: env.RUNNER_IDLE_MS ? Number(env.RUNNER_IDLE_MS) : undefined,
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => worker.stop());
  await worker.run();
}

