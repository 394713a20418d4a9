/** Named one-shot timers (scheduling a name already pending does nothing) and intervals, cleared together. */
export class Timers {
  private readonly timeouts = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly intervals: ReturnType<typeof setInterval>[] = [];

  schedule(name: string, ms: number, fn: () => void): void {
    if (this.timeouts.has(name)) return;
    this.timeouts.set(
      name,
      setTimeout(() => {
        this.timeouts.delete(name);
        fn();
      }, ms),
    );
  }

  /** Replaces a pending timer of this name (a debounce). */
  reschedule(name: string, ms: number, fn: () => void): void {
    this.clear(name);
    this.schedule(name, ms, fn);
  }

  has(name: string): boolean {
    return this.timeouts.has(name);
  }

  clear(name: string): void {
    const timer = this.timeouts.get(name);
    if (timer) clearTimeout(timer);
    this.timeouts.delete(name);
  }

  every(ms: number, fn: () => void): void {
    this.intervals.push(setInterval(fn, ms));
  }

  clearAll(): void {
    for (const timer of this.timeouts.values()) clearTimeout(timer);
    this.timeouts.clear();
    this.intervals.splice(0).forEach(clearInterval);
  }
}
