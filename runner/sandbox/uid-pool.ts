/**
 * The uids jobs run as. Each job takes the least recently used clean uid, so consecutive jobs never
 * share one: a process that somehow outlived its job (a defeated monitor) is a process of another uid
 * than the next job's, and can neither read its files nor signal or inspect its processes.
 *
 * A uid whose job ended abnormally is in quarantine until a sweep (kill everything of the uid, prove
 * /proc shows none, delete its work dir as the uid) comes back clean; a uid whose sweep fails is
 * retired for the life of this runner (its lease kept, so no other runner on the host takes it) and
 * replaced by a freshly leased one. The helper also checks a uid is empty before each step.
 */
import { leaseUids, releaseUids } from './uid-lease.js';

export class UidPool {
  private readonly clean: number[] = [];
  private readonly waiting: ((uid: number) => void)[] = [];
  private readonly leased = new Set<number>();
  readonly retired = new Set<number>();

  constructor(
    private readonly base: number,
    private readonly leaseDir: string | undefined,
  ) {}

  /** Leases `count` uids; `sweep` must prove each empty before it is handed out. */
  async fill(count: number, sweep: (uid: number) => Promise<boolean>): Promise<void> {
    const uids = await leaseUids(count, this.base, this.leaseDir);
    for (const uid of uids) {
      this.leased.add(uid);
      if (await sweep(uid)) this.give(uid);
      else this.retired.add(uid);
    }
  }

  get all(): number[] {
    return [...this.leased];
  }

  take(): Promise<number> {
    const uid = this.clean.shift();
    if (uid !== undefined) return Promise.resolve(uid);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** A uid whose job ended cleanly (or whose sweep proved it clean) goes to the back of the line. */
  give(uid: number): void {
    const next = this.waiting.shift();
    if (next) next(uid);
    else this.clean.push(uid);
  }

  /** Never again in this runner; a fresh uid replaces it. */
  async retire(uid: number, sweep: (uid: number) => Promise<boolean>): Promise<void> {
    this.retired.add(uid);
    await this.fill(1, sweep);
  }

  async release(): Promise<void> {
    await releaseUids([...this.leased], this.leaseDir);
    this.leased.clear();
  }
}
