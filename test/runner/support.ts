/**
 * Shared set-up of the runner tests: one SlotPool per test file (2 slots, as on a Fargate task), the
 * reasons a test must skip (a missing toolchain, no root), and /proc probes that see the sandbox
 * from the outside.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import type { LanguageId } from '#contract/languages.js';
import type { RunJob } from '#contract/execution-types.js';
import { SlotPool } from '../../runner/slot-pool.js';

export const isRoot = process.getuid?.() === 0;
export const NEEDS_ROOT = 'needs root (per-slot uid, kill by uid, /tmp cleanup); CI runs as root';

/** Installs a SlotPool for the current test file and closes it afterwards. */
export function useRunner(options: ConstructorParameters<typeof SlotPool>[0] = {}): () => SlotPool {
  let runner: SlotPool | undefined;
  beforeAll(async () => {
    runner = new SlotPool({ slots: 2, log: () => {}, ...options });
    await runner.ready();
  });
  afterAll(async () => {
    await runner?.close();
  });
  return () => {
    if (!runner) throw new Error('runner not ready');
    return runner;
  };
}

let seq = 0;
export function job(language: LanguageId, code: string, stdin = ''): RunJob {
  return { executionId: `test-${process.pid}-${++seq}`, language, code, stdin };
}

/** Why `language` cannot be tested here, or undefined. The CI installs every toolchain (docs/runner.md). */
export function missingToolchain(runner: SlotPool, language: LanguageId): string | undefined {
  const a = runner.availability(language);
  return a.ok ? undefined : `toolchain missing: ${a.reason}`;
}

/** Live (non-zombie) processes whose effective uid is one of `uids`, as "pid uid command". */
export function processesOf(uids: readonly number[]): string[] {
  const found: string[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const uid = statSync(`/proc/${name}`).uid;
      if (!uids.includes(uid)) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (/\) Z /.test(stat)) continue;
      found.push(`${name} ${uid} ${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}`);
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the sandbox helper directly with `tokens` (its config-pipe options); resolves with its report. */
export async function runHelper(tokens: string[], stdin = ''): Promise<{ report: string; stdout: string }> {
  const { ensureHelper } = await import('../../runner/sandbox/helper-binary.js');
  const { startHelper } = await import('../../runner/sandbox/helper-process.js');
  const { child, done } = startHelper(await ensureHelper(), tokens, ['pipe', 'pipe', 'pipe']);
  let stdout = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stdin?.end(stdin);
  const { report } = await done;
  return { report, stdout };
}

/** Whether pid is a live (non-zombie) process. */
export function alive(pid: number): boolean {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
