/**
 * Work directories: `${workRoot}/<random>`, one per job, owned by the run uid with mode 0700 inside a
 * runner-owned work root (0711 as root: a run can reach its own directory but not list anyone else's).
 *
 * The work root is private to this runner process: created atomically with mkdtemp under the temp dir
 * (`sandbox-work-<uid>-<pid>-XXXXXX`)
 * (a fixed shared path such as /tmp/sandbox-work can be planted by another user, or left root-owned by
 * a CI run, and then no runner starts). RUNNER_WORK_ROOT names it explicitly instead: the image's
 * scratch volume, which nobody else can write to.
 *
 * Deleting a work dir's contents is the helper's job, as the run's uid through directory fds
 * (sandbox/src/files.c); the runner only removes the then-empty directory, never a tree as root.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { chmod, chown, lstat, mkdir, mkdtemp, open, readdir, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive } from './uid-lease.js';

const ROOT_PREFIX = `sandbox-work-${process.getuid?.() ?? 'u'}-`;


/**
 * Private roots of runners of this user that died without close() (SIGKILL, a crash): removed when
 * they hold nothing but empty work dirs. Only rmdir, never a recursive delete as the runner: a work dir
 * with files in it was left by an abnormal end and stays for inspection (docs/runner.md).
 */
async function removeStaleRoots(): Promise<void> {
  const names = await readdir(tmpdir()).catch(() => [] as string[]);
  for (const name of names) {
    const pid = Number(/^(\d+)-[A-Za-z0-9]{6}$/.exec(name.startsWith(ROOT_PREFIX) ? name.slice(ROOT_PREFIX.length) : '')?.[1]);
    if (!pid || alive(pid)) continue;
    const root = join(tmpdir(), name);
    const st = await lstat(root).catch(() => undefined);
    if (!st?.isDirectory() || st.uid !== process.getuid?.()) continue;
    for (const dir of await readdir(root).catch(() => [] as string[])) await rmdir(join(root, dir)).catch(() => {});
    await rmdir(root).catch(() => {});
  }
}

export function configuredWorkRoot(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.RUNNER_WORK_ROOT || undefined;
}

/**
 * Creates (or checks) the work root and returns it. `shared`: other uids must traverse it (0711),
 * otherwise 0700.
 */
export async function prepareWorkRoot(root: string | undefined, shared: boolean): Promise<{ root: string; private: boolean }> {
  const mode = shared ? 0o711 : 0o700;
  if (!root) {
    await removeStaleRoots();
    const made = await mkdtemp(join(tmpdir(), `${ROOT_PREFIX}${process.pid}-`));
    await chmod(made, mode);
    return { root: made, private: true };
  }
  const st = await mkdir(root, { recursive: true, mode })
    .then(() => lstat(root))
    .catch((err: Error) => {
      throw new Error(`work root ${root} (RUNNER_WORK_ROOT) cannot be created: ${err.message}`);
    });
  // A configured root must be ours: a directory planted by someone else would let them into every run.
  if (!st.isDirectory() || st.uid !== process.getuid?.()) {
    throw new Error(`work root ${root} (RUNNER_WORK_ROOT) is not a directory owned by the runner's user (uid ${process.getuid?.()})`);
  }
  await chmod(root, mode);
  return { root, private: false };
}

/**
 * A file of a new work dir: written from memory (`content`), or copied (`copyFrom`) from the work dir
 * of a finished step, such as a test run's compiled program. A copy takes regular files only and never
 * follows a symlink; its source dir belongs to a uid with no process left (the step proved it), so it
 * cannot change under the copy.
 */
export type WorkFile = { name: string; content: string } | { name: string; copyFrom: string };

/** Creates a job's directory with its files and tmp/, owned by `uid` (undefined: the runner's). */
export async function createWorkDir(root: string, uid: number | undefined, files: readonly WorkFile[]): Promise<string> {
  const dir = join(root, randomBytes(8).toString('hex'));
  await mkdir(dir, { mode: 0o700 });
  for (const f of files) {
    const file = join(dir, f.name);
    if ('content' in f) await writeFile(file, f.content, { flag: 'wx', mode: 0o600 });
    else await copyRegularFile(f.copyFrom, file);
    if (uid !== undefined) await chown(file, uid, uid);
  }
  // TMPDIR of the run (sandbox-job.ts): the shared temp dirs are closed to it, temp files go here.
  await mkdir(join(dir, 'tmp'), { mode: 0o700 });
  if (uid !== undefined) {
    await chown(join(dir, 'tmp'), uid, uid);
    await chown(dir, uid, uid);
  }
  return dir;
}

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK, O_WRONLY, O_CREAT, O_EXCL } = fsConstants;

/** Copies a regular file (no symlink, no FIFO), keeping its owner permission bits (a binary stays executable). */
async function copyRegularFile(from: string, to: string): Promise<void> {
  const src = await open(from, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  try {
    const st = await src.stat();
    if (!st.isFile()) throw new Error(`${from} is not a regular file`);
    const dst = await open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    try {
      // A plain loop over the two handles: fd-backed streams with autoClose off never report 'close'.
      const buf = Buffer.allocUnsafe(1024 * 1024);
      for (;;) {
        const { bytesRead } = await src.read(buf, 0, buf.length, null);
        if (bytesRead === 0) break;
        await dst.write(buf, 0, bytesRead);
      }
      await dst.chmod(st.mode & 0o700);
    } finally {
      await dst.close();
    }
  } finally {
    await src.close();
  }
}

/** The regular files at the top of a finished step's work dir (sources and build outputs; no dirs, no links). */
export async function regularFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => e.name).sort();
}

/** Removes a work dir the helper has emptied. Fails (ENOTEMPTY) if anything is left in it. */
export async function removeEmptyDir(dir: string): Promise<void> {
  await rmdir(dir);
}
