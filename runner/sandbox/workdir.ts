/**
 * Work directories: `${workRoot}/<uid>-<random>`, one per job, owned by the run uid with mode 0700
 * inside a root-owned 0711 work root, so a run can reach its own directory but not list or enter
 * anyone else's. The work root is configurable (RUNNER_WORK_ROOT) because the image has a read-only
 * root file system and one writable scratch volume.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, lstat, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export function defaultWorkRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.RUNNER_WORK_ROOT || join(tmpdir(), 'sandbox-work');
}

export async function prepareWorkRoot(root: string): Promise<void> {
  await mkdir(root, { recursive: true, mode: 0o711 });
  const st = await lstat(root);
  // Under a world-writable /tmp someone could have planted the path first: insist on our own dir.
  if (!st.isDirectory() || st.uid !== process.getuid?.()) throw new Error(`work root ${root} is not a directory owned by the runner`);
  await chmod(root, 0o711);
}

/** Creates the job's directory with its source file and tmp/, owned by `uid` (undefined: the runner's). */
export async function createWorkDir(root: string, uid: number | undefined, fileName: string, code: string): Promise<string> {
  const dir = join(root, `${uid ?? 'self'}-${randomBytes(6).toString('hex')}`);
  await mkdir(dir, { mode: 0o700 });
  const file = join(dir, fileName);
  await writeFile(file, code, { flag: 'wx', mode: 0o600 });
  // TMPDIR of the run (job.ts): temp files stay inside the directory that is counted and removed.
  await mkdir(join(dir, 'tmp'), { mode: 0o700 });
  if (uid !== undefined) {
    await chown(file, uid, uid);
    await chown(join(dir, 'tmp'), uid, uid);
    await chown(dir, uid, uid);
  }
  return dir;
}

/**
 * Safe as root only because every process of the run uid is dead by now (the helper confirmed it) and
 * no other uid can write into a 0700 directory: nothing can swap a symlink in during the walk.
 */
export async function removeWorkDir(dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true, maxRetries: 2 });
  } catch (err) {
    // Without root, a directory the program made unreadable (chmod 000) stops rm: give it back first.
    if ((err as NodeJS.ErrnoException).code !== 'EACCES') throw err;
    await promisify(execFile)('chmod', ['-R', 'u+rwX', dir]);
    await rm(dir, { recursive: true, force: true });
  }
}
