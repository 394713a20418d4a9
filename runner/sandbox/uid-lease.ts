/**
 * Run uids, one per slot. RLIMIT_NPROC and "kill every process of this uid" are only safe if nobody
 * else uses the uid, including a second runner on the same host (the local stack and a test run, two
 * test files). So each runner leases its uids through lock files: an exclusive create, holding the
 * runner's pid; a lease whose pid is dead is taken over.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { lstat, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const DEFAULT_UID_BASE = 200_000;
const SPAN = 1_000;

/**
 * Leases only matter to root (only root runs programs as other uids). /run is root's own and not
 * world-writable, so nobody can plant the directory there; a read-only /run (the image's read-only
 * root file system) falls back to a per-user name under the temp dir, which is checked to be ours.
 * RUNNER_LEASE_DIR overrides both.
 */
export function defaultLeaseDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RUNNER_LEASE_DIR) return env.RUNNER_LEASE_DIR;
  try {
    if (statSync('/run').isDirectory()) {
      accessSync('/run', constants.W_OK);
      return '/run/sandbox-runner-uids';
    }
  } catch {
    // not writable: the temp dir below
  }
  return join(tmpdir(), `sandbox-runner-uids-${process.getuid?.() ?? 'u'}`);
}

/** A process with this pid exists (EPERM: it does, as another user). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function ensureLeaseDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // The dir lives in a world-writable place: refuse one planted by someone else.
  const st = await lstat(dir);
  if (!st.isDirectory() || st.uid !== process.getuid?.() || (st.mode & 0o077) !== 0) {
    throw new Error(`uid lease directory ${dir} is not a private directory of this user`);
  }
}

async function tryLease(file: string): Promise<boolean> {
  try {
    await writeFile(file, String(process.pid), { flag: 'wx', mode: 0o600 });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const holder = Number(await readFile(file, 'utf8').catch(() => ''));
  if (holder && alive(holder)) return false;
  await unlink(file).catch(() => {});
  try {
    await writeFile(file, String(process.pid), { flag: 'wx', mode: 0o600 });
    return true;
  } catch {
    return false; // another runner reclaimed it first
  }
}

/** Leases `count` uids from [base, base + 1000); release them with releaseUids. */
export async function leaseUids(count: number, base = DEFAULT_UID_BASE, dir = defaultLeaseDir()): Promise<number[]> {
  await ensureLeaseDir(dir);
  const uids: number[] = [];
  for (let uid = base; uid < base + SPAN && uids.length < count; uid++) {
    if (await tryLease(join(dir, String(uid)))) uids.push(uid);
  }
  if (uids.length < count) {
    await releaseUids(uids, dir);
    throw new Error(`only ${uids.length} of ${count} sandbox uids free in [${base}, ${base + SPAN})`);
  }
  return uids;
}

export async function releaseUids(uids: number[], dir = defaultLeaseDir()): Promise<void> {
  await Promise.all(
    uids.map(async (uid) => {
      const file = join(dir, String(uid));
      // Only our own lease: after a takeover the file belongs to another runner.
      if ((await readFile(file, 'utf8').catch(() => '')) === String(process.pid)) await unlink(file).catch(() => {});
    }),
  );
}
