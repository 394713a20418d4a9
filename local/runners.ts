/**
 * The local launcher: the RunnerLauncher port (shared/aws/runners/launcher.ts) implemented with child
 * processes running the same worker code as the Fargate image (runner/main.ts), pointed at the local
 * queue, DynamoDB Local and the local management API. Processes exit by themselves when idle, like tasks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LanguageId } from '#contract/languages.js';
import { LIMITS } from '#contract/limits.js';
import type { RunnerLauncher } from '#aws/runners/launcher.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsxCli = join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'cli.mjs');

/** runner/main.ts exits with this when the sandbox cannot be set up (after failing the queued runs). */
const RUNNER_CANNOT_START = 3;

export interface LocalRunnerOptions {
  /** Queue URL per language. */
  queueUrls: Record<string, string>;
  /** Environment shared by every runner (endpoints, table, credentials). */
  env: Record<string, string>;
  idleMs?: number;
  slots?: number;
  log: (message: string) => void;
}

export class LocalRunners implements RunnerLauncher {
  private readonly children = new Set<ChildProcess>();
  private nextId = 1;

  constructor(private readonly opts: LocalRunnerOptions) {}

  async launch(language: LanguageId, count: number): Promise<void> {
    for (let i = 0; i < count; i++) this.start(language);
  }

  private start(language: LanguageId): void {
    const id = `local-${language}-${this.nextId++}`;
    const child = spawn(process.execPath, [tsxCli, join(repoRoot, 'runner', 'main.ts')], {
      cwd: repoRoot,
      env: {
        ...process.env,
        ...this.opts.env,
        LANGUAGE: language,
        RUN_QUEUE_URL: this.opts.queueUrls[language] ?? '',
        RUNNER_IDLE_MS: String(this.opts.idleMs ?? LIMITS.execution.runnerIdleMs),
        RUNNER_SLOTS: String(this.opts.slots ?? LIMITS.execution.slotsPerRunner),
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    this.children.add(child);
    this.opts.log(`runner ${id} started (pid ${child.pid})`);
    child.once('exit', (code, signal) => {
      this.children.delete(child);
      if (code === RUNNER_CANNOT_START) {
        // The runner printed its reason just above; say what it means for the user's runs.
        this.opts.log(
          `runner ${id} could not start its sandbox (reason above): queued ${language} runs were ended as SYSTEM_ERROR, ` +
            `and new ones will be too until that is fixed`,
        );
        return;
      }
      this.opts.log(`runner ${id} exited (${signal ?? code})`);
    });
  }

  get running(): number {
    return this.children.size;
  }

  /** SIGTERM (finish running jobs), then SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    const waits = [...this.children].map(
      (child) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    );
    await Promise.all(waits);
  }
}
