/**
 * Shared set-up of the runner tests: one Runner per test file (2 slots, as on a Fargate task), the
 * reasons a test must skip (a missing toolchain, no root), and /proc probes that see the sandbox
 * from the outside.
 */
import { readdirSync, statSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import type { LanguageId } from '../../shared/languages.js';
import type { RunJob } from '../../shared/execution-types.js';
import { Runner } from '../../runner/runner.js';

export const isRoot = process.getuid?.() === 0;
export const NEEDS_ROOT = 'needs root (per-slot uid, kill by uid, /tmp cleanup); CI runs as root';

/** Installs a Runner for the current test file and closes it afterwards. */
export function useRunner(options: ConstructorParameters<typeof Runner>[0] = {}): () => Runner {
  let runner: Runner | undefined;
  beforeAll(async () => {
    runner = new Runner({ slots: 2, log: () => {}, ...options });
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
export function missingToolchain(runner: Runner, language: LanguageId): string | undefined {
  const a = runner.availability(language);
  return a.ok ? undefined : `toolchain missing: ${a.reason}`;
}

/** Live (non-zombie) pids whose effective uid is one of `uids`. */
export function processesOf(uids: readonly number[]): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (uids.includes(statSync(`/proc/${name}`).uid)) pids.push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
