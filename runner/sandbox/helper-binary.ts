/**
 * The C sandbox helper is built from source on the machine that uses it (its seccomp filter must match
 * the kernel's architecture). A fresh clone has no binary: the first run builds it with the project's
 * own script, and a binary older than any of its sources is rebuilt, so `npm test` and `npm start`
 * work right after `npm ci`. The image builds it at image build time (SANDBOX_HELPER points at it).
 */
import { execFile } from 'node:child_process';
import { stat, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const sourceDir = join(here, 'src');
const buildScript = join(here, 'build.sh');
export const DEFAULT_HELPER_PATH = join(here, 'build', 'sandbox-helper');

const building = new Map<string, Promise<string>>();

async function mtime(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return undefined; // missing: the caller decides whether that matters
  }
}

export async function isStale(binary: string): Promise<boolean> {
  const built = await mtime(binary);
  if (built === undefined) return true;
  const sources = await readdir(sourceDir).catch(() => [] as string[]);
  // Sources absent (a bundled image ships only the binary): trust the binary.
  for (const name of sources) {
    const m = await mtime(join(sourceDir, name));
    if (m !== undefined && m > built) return true;
  }
  return false;
}

/** Path of an up-to-date helper binary, building it first when needed. */
export function ensureHelper(path = process.env.SANDBOX_HELPER ?? DEFAULT_HELPER_PATH): Promise<string> {
  let pending = building.get(path);
  if (!pending) {
    pending = (async () => {
      if (await isStale(path)) {
        await promisify(execFile)('bash', [buildScript, path], { timeout: 120_000 }).catch((err: Error & { stderr?: string }) => {
          throw new Error(`building the sandbox helper failed (is gcc installed?): ${err.stderr || err.message}`);
        });
      }
      return path;
    })();
    building.set(path, pending);
    // A failed build may be fixed (gcc installed) without restarting the process.
    pending.catch(() => building.delete(path));
  }
  return pending;
}
