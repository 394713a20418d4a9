/**
 * The slot pool of a runner task: runs sandbox jobs concurrently in a fixed number of slots, each job as a
 * uid of its own (a pool of slots, not a runner: the runner is the task, runner/worker.ts).
 * runner/worker.ts wraps it in the SQS worker; the CLI (runner/cli.ts) uses it directly.
 *
 *   const runner = new SlotPool({ slots: 2 });
 *   const result = await runner.run(job, { onOutput: (stream, chunk) => push(stream, chunk) });
 *   await runner.close();
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import { LANGUAGES, type LanguageId } from '#contract/languages.js';
import type { RunJob, RunResult } from '#contract/execution-types.js';
import { LIMITS } from '#contract/limits.js';
import { executeJob, systemError, type JobContext, type RunHooks } from './sandbox-job.js';
import { DEFAULT_TEST_BUDGET, executeTestsJob, type TestBudget, type TestHooks, type TestsJob, type TestsRunResult, type TestsSlot } from './tests-job.js';
import { ensureHelper } from './sandbox/helper-binary.js';
import { detectProtections, warnIfReduced, type Protections } from './sandbox/privileges.js';
import { lockTempDirs, sweepUid } from './sandbox/sweep.js';
import { detectTaskMemory, type TaskMemory } from './sandbox/task-memory.js';
import { defaultToolDirs, resolveLanguage } from './sandbox/toolchain.js';
import { DEFAULT_UID_BASE } from './sandbox/uid-lease.js';
import { UidPool } from './sandbox/uid-pool.js';
import { configuredWorkRoot, prepareWorkRoot } from './sandbox/workdir.js';

export type { RunHooks } from './sandbox-job.js';
export type { TestHooks, TestsJob, TestsRunResult } from './tests-job.js';
export type Log = (message: string, fields?: Record<string, unknown>) => void;

export interface SlotPoolOptions {
  /** Concurrent jobs (default RUNNER_SLOTS or LIMITS.execution.slotsPerRunner). */
  slots?: number;
  /** Work root (default RUNNER_WORK_ROOT, else a private mkdtemp directory under the temp dir). */
  workRoot?: string;
  /** First uid of the range jobs lease their uids from (default RUNNER_UID_BASE or 200000); the
   *  sandbox group is base - 1. */
  uidBase?: number;
  /** uids leased per slot: jobs rotate through them, so consecutive jobs never share one (default 3). */
  uidsPerSlot?: number;
  /** Where uid leases live (default: see uid-lease.ts). */
  leaseDir?: string;
  /** Directories searched for compilers and interpreters (default RUNNER_TOOL_PATH or system dirs). */
  toolDirs?: string[];
  /** World-writable dirs closed to the sandbox group (default /tmp, /var/tmp, /dev/shm, /run/lock). */
  tempDirs?: string[];
  /** Path of the helper binary (default SANDBOX_HELPER or the on-demand build). */
  helperPath?: string;
  /** Compile steps at once (default RUNNER_COMPILE_SLOTS or 1): two C++ template bombs peak at ~2 GiB,
   *  the whole of a 2 GiB task; the run steps (256 MiB each) still go in parallel. */
  compileSlots?: number;
  /** The task's memory and the budget past which running programs are stopped (default: its cgroup). */
  taskMemory?: TaskMemory | false;
  /** Total work of one test run (default LIMITS.tests): see tests-job.ts. */
  testBudget?: TestBudget;
  /** The clock of the test budget (tests inject one; default Date.now). */
  clock?: () => number;
  log?: Log;
}

const DEFAULT_TEMP_DIRS = ['/tmp', '/var/tmp', '/dev/shm', '/run/lock'];
const TASK_MEMORY_POLL_MS = 250;

/**
 * The dirs a sandboxed program could write to: world-writable, on a writable mount. On Fargate the root
 * filesystem is read-only (/var/tmp, /run/lock keep their 1777 mode bits but nobody can write there),
 * and closing them to the sandbox group would fail with EROFS and warn for nothing.
 */
function worldWritableDirs(dirs: readonly string[]): string[] {
  return dirs.filter((d) => existsSync(d) && statSync(d).isDirectory() && (statSync(d).mode & 0o002) !== 0 && !onReadOnlyMount(d));
}

function onReadOnlyMount(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EROFS';
  }
}

const jsonLog: Log = (message, fields) => console.warn(JSON.stringify({ level: 'WARN', component: 'runner', message, ...fields }));

export class SlotPool {
  readonly slots: number;
  readonly protections: Protections;
  private workRootPath?: string;
  private privateRoot = false;
  private readonly configuredRoot: string | undefined;
  private readonly toolDirs: string[];
  private readonly tempDirs: string[];
  private readonly uidBase: number;
  private readonly pool: UidPool;
  private readonly uidsPerSlot: number;
  private readonly log: Log;
  private readonly helperPath: string | undefined;
  private readonly taskMemory: TaskMemory | undefined;
  private initialised?: Promise<JobContext>;
  private freeSlots: number;
  private readonly waiting: (() => void)[] = [];
  private readonly active = new Set<Promise<unknown>>();
  private readonly helpers = new Set<(sig: NodeJS.Signals) => void>();
  private memoryTimer?: NodeJS.Timeout;
  private freeCompiles: number;
  private readonly compileQueue: (() => void)[] = [];
  private closed = false;
  /** Total work of one test run (tests-job.ts). */
  readonly testBudget: TestBudget;
  private readonly clock: (() => number) | undefined;

  constructor(options: SlotPoolOptions = {}) {
    this.slots = options.slots ?? (Number(process.env.RUNNER_SLOTS) || LIMITS.execution.slotsPerRunner);
    this.freeSlots = this.slots;
    this.freeCompiles = options.compileSlots ?? (Number(process.env.RUNNER_COMPILE_SLOTS) || 1);
    this.configuredRoot = options.workRoot ?? configuredWorkRoot();
    this.uidBase = options.uidBase ?? (Number(process.env.RUNNER_UID_BASE) || DEFAULT_UID_BASE);
    this.uidsPerSlot = options.uidsPerSlot ?? 3;
    this.pool = new UidPool(this.uidBase, options.leaseDir);
    this.toolDirs = options.toolDirs ?? defaultToolDirs();
    this.tempDirs = worldWritableDirs(options.tempDirs ?? DEFAULT_TEMP_DIRS);
    this.helperPath = options.helperPath;
    this.log = options.log ?? jsonLog;
    this.protections = detectProtections();
    this.testBudget = options.testBudget ?? DEFAULT_TEST_BUDGET;
    this.clock = options.clock;
    this.taskMemory = options.taskMemory === false ? undefined : (options.taskMemory ?? detectTaskMemory());
  }

  /** The task memory budget the guard enforces, undefined when the guard is off (no limit known). */
  get taskMemoryBudget(): number | undefined {
    return this.taskMemory?.budgetBytes;
  }

  /** The supplementary group every sandboxed process carries: the shared temp dirs are closed to it. */
  get sandboxGroup(): number {
    return this.uidBase - 1;
  }

  /** Where this runner's work dirs are (known after ready()). */
  get workRoot(): string | undefined {
    return this.workRootPath;
  }

  /** Builds the helper if needed, prepares the work root, closes the temp dirs and leases clean uids. */
  ready(): Promise<JobContext> {
    this.initialised ??= this.init();
    return this.initialised;
  }

  private async init(): Promise<JobContext> {
    warnIfReduced(this.protections, this.log);
    const helper = await ensureHelper(this.helperPath);
    const { root, private: isPrivate } = await prepareWorkRoot(this.configuredRoot, this.protections.separateUid);
    this.workRootPath = root;
    this.privateRoot = isPrivate;
    const separate = this.protections.separateUid;
    if (separate) {
      const failures = await lockTempDirs(helper, this.sandboxGroup, this.tempDirs);
      if (failures.length) this.log('could not close some temp dirs to the sandbox group: runs can write there', { failures });
      await this.pool.fill(this.slots * this.uidsPerSlot, (uid) => this.sweep(helper, uid, []));
    }
    if (this.taskMemory) {
      this.memoryTimer = setInterval(() => this.checkTaskMemory(), TASK_MEMORY_POLL_MS);
      this.memoryTimer.unref();
    }
    return {
      helper,
      workRoot: root,
      toolDirs: this.toolDirs,
      ...(separate ? { group: this.sandboxGroup } : {}),
      register: (signal) => {
        this.helpers.add(signal);
        return () => this.helpers.delete(signal);
      },
      sweep: (uid, dirs) => this.sweep(helper, uid, dirs),
      compileGate: (compile) => this.gateCompile(compile),
    };
  }

  /** Kills everything of the uid and deletes `dirs` as it; true when /proc and the dirs are proven clean. */
  private async sweep(helper: string, uid: number | undefined, dirs: readonly string[]): Promise<boolean> {
    const r = await sweepUid(helper, uid, dirs);
    const clean = !r.error && r.leftProcesses === 0 && r.leftFiles === 0;
    if (!clean) this.log('sweeping a sandbox uid failed', { uid, ...r });
    return clean;
  }

  private checkTaskMemory(): void {
    if (!this.taskMemory || this.helpers.size === 0) return;
    const used = this.taskMemory.usage();
    if (used <= this.taskMemory.budgetBytes) return;
    this.log('task memory past its budget: stopping the running programs', { used, budget: this.taskMemory.budgetBytes, source: this.taskMemory.source });
    for (const signal of this.helpers) signal('SIGUSR2');
  }

  /** uids leased by this runner (root only, after ready()); retired ones included. */
  get slotUids(): readonly number[] {
    return this.pool.all;
  }

  /** uids whose sweep failed: never used again by this runner. */
  get retiredUids(): readonly number[] {
    return [...this.pool.retired];
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
    return this.inSlot(job.executionId, async (ctx) => {
      const uid = this.protections.separateUid ? await this.pool.take() : undefined;
      const { result, clean, cause } = await executeJob(ctx, uid, job, hooks);
      if (cause !== undefined) this.log('job failed in the runner', { executionId: job.executionId, error: (cause as Error).stack ?? String(cause) });
      await this.giveBack(ctx, uid, clean, job.executionId);
      return result;
    }, (err, ms) => systemError(err.message, ms));
  }

  /**
   * Runs a `mode:"tests"` job when a slot is free: one compile, then every test as a run of its own,
   * each with a fresh uid from the pool (the job holds at most two: the idle compile uid and the
   * running test's). Never rejects: sandbox failures end as SYSTEM_ERROR.
   */
  runTests(job: TestsJob, hooks: TestHooks = {}): Promise<TestsRunResult> {
    const task = this.inSlot(job.executionId, async (ctx) => {
      const slot: TestsSlot = {
        separateUid: this.protections.separateUid,
        lease: async () => {
          const uid = this.protections.separateUid ? await this.pool.take() : undefined;
          return { uid, release: (clean) => this.giveBack(ctx, uid, clean, job.executionId) };
        },
        ...(this.clock ? { now: this.clock } : {}),
      };
      const { result, cause } = await executeTestsJob(ctx, slot, job, this.testBudget, hooks);
      if (cause !== undefined) this.log('test run failed in the runner', { executionId: job.executionId, error: (cause as Error).stack ?? String(cause) });
      return result;
    }, (err, ms) => ({ ...systemError(err.message, ms), tests: [], summary: { passed: 0, total: 0 } }));
    this.active.add(task);
    void task.finally(() => this.active.delete(task));
    return task;
  }

  /** A clean uid goes back to the pool; one its sweep could not prove clean is retired and replaced. */
  private async giveBack(ctx: JobContext, uid: number | undefined, clean: boolean, executionId: string): Promise<void> {
    if (uid === undefined) return;
    if (clean) return this.pool.give(uid);
    this.log('retiring a sandbox uid: its sweep did not prove it clean', { uid, executionId });
    await this.pool.retire(uid, (u) => this.sweep(ctx.helper, u, []));
  }

  /** `work` in a slot; a failure of the runner itself becomes `failed(err)` (every job reaches a final status). */
  private async inSlot<T>(executionId: string, work: (ctx: JobContext) => Promise<T>, failed: (err: Error, elapsedMs: number) => T): Promise<T> {
    const started = Date.now();
    let slot = false;
    try {
      if (this.closed) throw new Error('runner is closed');
      const ctx = await this.ready();
      await this.acquireSlot();
      slot = true;
      return await work(ctx);
    } catch (err) {
      // The boundary the worker relies on: every job reaches a final status, with the cause logged.
      this.log('job failed in the runner', { executionId, error: (err as Error).stack ?? String(err) });
      return failed(err as Error, Date.now() - started);
    } finally {
      if (slot) this.releaseSlot();
    }
  }

  private async gateCompile<T>(compile: () => Promise<T>): Promise<T> {
    if (this.freeCompiles > 0) this.freeCompiles--;
    else await new Promise<void>((resolve) => this.compileQueue.push(resolve));
    try {
      return await compile();
    } finally {
      const next = this.compileQueue.shift();
      if (next) next();
      else this.freeCompiles++;
    }
  }

  private acquireSlot(): Promise<void> {
    if (this.freeSlots > 0) {
      this.freeSlots--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private releaseSlot(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.freeSlots++;
  }

  /** Waits for running jobs, then gives the uids back. Jobs submitted afterwards end as SYSTEM_ERROR. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.active]);
    if (this.memoryTimer) clearInterval(this.memoryTimer);
    await this.pool.release();
    // The private root is empty unless a retired uid's work dir was kept for inspection.
    if (this.privateRoot && this.workRootPath) await rmdir(this.workRootPath).catch(() => {});
  }
}
