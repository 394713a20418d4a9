/**
 * What this process can enforce. In the image (and in CI) the runner is root so it can give each slot
 * its own uid; on a developer laptop it usually is not, and it still runs, with the protections below
 * missing. Saying so loudly beats pretending: a run on a laptop can read the developer's files.
 */
export interface Protections {
  /** Per-slot uid: other runs' and the runner's processes, environ and files are out of reach. */
  separateUid: boolean;
  /** Reduced protections, for logs and for tests that must skip what they cannot check. */
  reduced: string[];
}

export function detectProtections(): Protections {
  const root = process.getuid?.() === 0;
  if (root) return { separateUid: true, reduced: [] };
  return {
    separateUid: false,
    reduced: [
      'programs run as the runner user (no setuid without root): they can read its files and /proc/<pid>/environ',
      'no per-slot RLIMIT_NPROC (it would count all processes of the runner user): fork bombs are bounded by the wall/CPU limits only',
      'processes are found through the process tree, not by uid: a process re-parented outside the run may survive',
      'the shared temp dirs (/tmp, /var/tmp, /dev/shm) stay writable to programs, and what they write there is neither counted nor removed',
      'socket buffers cannot be told apart from the developer\'s own: only RSS counts as the run\'s memory',
    ],
  };
}

let warned = false;
export function warnIfReduced(p: Protections, log: (message: string, fields: Record<string, unknown>) => void): void {
  if (p.reduced.length === 0 || warned) return;
  warned = true;
  log('SANDBOX PROTECTIONS REDUCED: the runner is not root', { reduced: p.reduced });
}
