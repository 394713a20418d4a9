/**
 * The sandbox runner: runs jobs concurrently in a fixed number of slots, each slot with its own uid.
 * A later issue wraps it in the SQS worker (runner/worker.ts); the local stack can use it directly.
 *
 *   const runner = new Runner({ slots: 2 });
 *   const result = await runner.run(job, { onOutput: (stream, chunk) => push(stream, chunk) });
 *   await runner.close();
 */
import { existsSync, statSync } from 'node:fs';
import { LANGUAGES, type LanguageId } from '../shared/languages.js';
import type { RunJob, RunResult } from '../shared/execution-types.js';
import { executeJob, type JobContext, type RunHooks } from './job.js';
import { ensureHelper } from './sandbox/helper-binary.js';
import { detectProtections, warnIfReduced, type Protections } from './sandbox/privileges.js';
import type { StepReport } from './sandbox/step.js';
import { sweepUid } from './sandbox/sweep.js';
import { defaultToolDirs, resolveLanguage } from './sandbox/toolchain.js';
import { DEFAULT_UID_BASE, leaseUids, releaseUids } from './sandbox/uid-lease.js';
import { defaultWorkRoot, prepareWorkRoot } from './sandbox/workdir.js';

export type { RunHooks } from './job.js';
export type Log = (message: string, fields?: Record<string, unknown>) => void;

export interface RunnerOptions {
  /** Concurrent jobs (default RUNNER_SLOTS or 2). */
  slots?: number;
  /** Where work dirs go (default RUNNER_WORK_ROOT or $TMPDIR/sandbox-work): the writable scratch volume. */
  workRoot?: string;
  /** First uid of the range slots lease their uids from (default RUNNER_UID_BASE or 200000). */
  uidBase?: number;
  /** Directories searched for compilers and interpreters (default RUNNER_TOOL_PATH or system dirs). */
  toolDirs?: string[];
  /** World-writable dirs cleaned of a run's files after each step (default /tmp, /var/tmp, /dev/shm, /run/lock). */
  tempDirs?: string[];
  /** Path of the helper binary (default SANDBOX_HELPER or the on-demand build). */
  helperPath?: string;
  log?: Log;
}

interface Slot {
  index: number;
  uid?: number;
}

const DEFAULT_TEMP_DIRS = ['/tmp', '/var/tmp', '/dev/shm', '/run/lock'];

function worldWritableDirs(dirs: readonly string[]): string[] {
  return dirs.filter((d) => existsSync(d) && statSync(d).isDirectory() && (statSync(d).mode & 0o002) !== 0);
}

const jsonLog: Log = (message, fields) => console.warn(JSON.stringify({ level: 'WARN', component: 'runner', message, ...fields }));

export class Runner {
  readonly slots: number;
  readonly workRoot: string;
  readonly protections: Protections;
  private readonly toolDirs: string[];
  private readonly tempDirs: string[];
  private readonly uidBase: number;
  private readonly log: Log;
  private readonly helperPath: string | undefined;
  private initialised?: Promise<JobContext>;
  private readonly free: Slot[] = [];
  private readonly waiting: ((slot: Slot) => void)[] = [];
  private leased: number[] = [];
  private readonly active = new Set<Promise<unknown>>();
  private closed = false;

  constructor(options: RunnerOptions = {}) {
    this.slots = options.slots ?? (Number(process.env.RUNNER_SLOTS) || 2);
    this.workRoot = options.workRoot ?? defaultWorkRoot();
    this.uidBase = options.uidBase ?? (Number(process.env.RUNNER_UID_BASE) || DEFAULT_UID_BASE);
    this.toolDirs = options.toolDirs ?? defaultToolDirs();
    this.tempDirs = worldWritableDirs(options.tempDirs ?? DEFAULT_TEMP_DIRS);
    this.helperPath = options.helperPath;
    this.log = options.log ?? jsonLog;
    this.protections = detectProtections();
  }

  /** Builds the helper if needed, leases the slots' uids and sweeps what a predecessor left. */
  ready(): Promise<JobContext> {
    this.initialised ??= this.init();
    return this.initialised;
  }

  private async init(): Promise<JobContext> {
    warnIfReduced(this.protections, this.log);
    const helper = await ensureHelper(this.helperPath);
    await prepareWorkRoot(this.workRoot);
    const uids = this.protections.separateUid ? await leaseUids(this.slots, this.uidBase) : [];
    this.leased = uids;
    for (let index = 0; index < this.slots; index++) {
      const uid = uids[index];
      if (uid !== undefined) await this.sweep(helper, uid);
      this.free.push(uid !== undefined ? { index, uid } : { index });
    }
    return {
      helper,
      workRoot: this.workRoot,
      toolDirs: this.toolDirs,
      tempDirs: this.tempDirs,
      onLeftovers: async (uid: number, report: StepReport) => {
        this.log('sandbox cleanup left processes or files behind; sweeping again', { uid, leftProcesses: report.leftProcesses, leftFiles: report.leftFiles });
        await this.sweep(helper, uid);
      },
    };
  }

  private async sweep(helper: string, uid: number): Promise<void> {
    const r = await sweepUid(helper, uid, this.tempDirs);
    if (r.error || r.leftProcesses || r.leftFiles) this.log('sweeping a sandbox uid was incomplete', { uid, ...r });
  }

  /** The uids the slots run programs as (empty without root, or before ready()). */
  get slotUids(): readonly number[] {
    return this.leased;
  }

  /** Whether this machine can run `language` in the sandbox, and if not, why. */
  availability(language: LanguageId): { ok: true } | { ok: false; reason: string } {
    const r = resolveLanguage(LANGUAGES[language], this.toolDirs, this.protections.separateUid);
    return r.ok ? { ok: true } : r;
  }

  /** Runs one job when a slot is free. Never rejects: sandbox failures end as SYSTEM_ERROR. */
  run(job: RunJob, hooks: RunHooks = {}): Promise<RunResult> {
    const task = this.runInSlot(job, hooks);
    this.active.add(task);
    void task.finally(() => this.active.delete(task));
    return task;
  }

  private async runInSlot(job: RunJob, hooks: RunHooks): Promise<RunResult> {
    const started = Date.now();
    let slot: Slot | undefined;
    try {
      if (this.closed) throw new Error('runner is closed');
      const ctx = await this.ready();
      slot = await this.acquire();
      return await executeJob(ctx, slot.uid, job, hooks);
    } catch (err) {
      // The boundary the worker relies on: every job reaches a final status, with the cause logged.
      this.log('job failed in the runner', { executionId: job.executionId, error: (err as Error).stack ?? String(err) });
      return {
        status: 'SYSTEM_ERROR',
        stdout: '',
        stderr: `[sandbox] ${(err as Error).message}\n`,
        compileOutput: '',
        exitCode: null,
        signal: null,
        durationMs: Date.now() - started,
        truncated: { stdout: false, stderr: false },
      };
    } finally {
      if (slot) this.release(slot);
    }
  }

  private acquire(): Promise<Slot> {
    const slot = this.free.shift();
    if (slot) return Promise.resolve(slot);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(slot: Slot): void {
    const next = this.waiting.shift();
    if (next) next(slot);
    else this.free.push(slot);
  }

  /** Waits for running jobs, then gives the uids back. Jobs submitted afterwards end as SYSTEM_ERROR. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.active]);
    if (this.leased.length) await releaseUids(this.leased);
    this.leased = [];
  }
}
