/**
 * Where the sandbox finds compilers and interpreters. Programs run as a uid with no rights beyond
 * "other", so a tool only counts as available when every directory on its path is world-searchable
 * and the file world-executable: a toolchain under /root (pyenv, rustup) is invisible to the sandbox,
 * and reporting it as missing is better than failing every run with EACCES.
 */
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import type { Language } from '#contract/languages.js';

/** The image's system directories; RUNNER_TOOL_PATH (colon-separated) replaces them. */
const SYSTEM_DIRS = ['/usr/local/bin', '/usr/bin', '/bin'];

/**
 * The project's own esbuild binary (the platform package npm installs next to `esbuild`), so TypeScript
 * works on a developer machine without a global esbuild. The image copies it to /usr/local/bin.
 */
function esbuildDir(): string[] {
  try {
    const require = createRequire(import.meta.url);
    const pkg = require.resolve(`@esbuild/${process.platform}-${process.arch}/package.json`);
    return [join(dirname(pkg), 'bin')];
  } catch {
    return [];
  }
}

export function defaultToolDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const configured = env.RUNNER_TOOL_PATH?.split(':').filter(Boolean);
  return configured?.length ? configured : [...SYSTEM_DIRS, ...esbuildDir()];
}

/** True when a uid with only "other" permissions can execute `path`. */
export function otherCanExecute(path: string): boolean {
  try {
    const real = realpathSync(path);
    if (!(statSync(real).mode & 0o001)) return false;
    for (let dir = dirname(real); ; dir = dirname(dir)) {
      if (!(statSync(dir).mode & 0o001)) return false;
      if (dir === '/') return true;
    }
  } catch {
    return false;
  }
}

/** Absolute path of `name` in `dirs` that the sandbox can execute, or undefined. */
export function resolveTool(name: string, dirs: readonly string[], sandboxed: boolean): string | undefined {
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
    } catch {
      continue;
    }
    if (!sandboxed || otherCanExecute(candidate)) return candidate;
  }
  return undefined;
}

export interface ResolvedLanguage {
  compile?: string[];
  run: string[];
}

export type Resolution = { ok: true; argv: ResolvedLanguage } | { ok: false; reason: string };

/** Resolves the bare argv[0] of each step of `lang`; `./main` style paths stay relative to the work dir. */
export function resolveLanguage(lang: Language, dirs: readonly string[], sandboxed: boolean): Resolution {
  const missing: string[] = [];
  const resolve = (argv: readonly string[]): string[] => {
    const [head = '', ...rest] = argv;
    if (head.includes('/') || isAbsolute(head)) return [head, ...rest];
    const path = resolveTool(head, dirs, sandboxed);
    if (!path) missing.push(head);
    return [path ?? head, ...rest];
  };
  const argv: ResolvedLanguage = { run: resolve(lang.run.argv) };
  if (lang.compile) argv.compile = resolve(lang.compile.argv);
  if (missing.length) {
    const who = sandboxed ? 'executable by the sandbox uid' : 'executable';
    return { ok: false, reason: `${lang.id}: ${missing.join(', ')} not found (${who}) in ${dirs.join(':')}` };
  }
  return { ok: true, argv };
}
