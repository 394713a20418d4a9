/**
 * The code at any moment of an interview (docs/protocol.md §10): the timeline's `edit` events of the code document,
 * applied in order onto an empty Y.Doc up to that moment. Moving forward applies only what is new;
 * moving back, or far ahead past a checkpoint already made, restarts from the nearest checkpoint (the
 * encoded state every CHECKPOINT_EVERY edits), so dragging the slider over an hour's 20,000 edits stays
 * interactive (bench/replay.ts).
 */
import * as Y from 'yjs';
import { fromBase64 } from 'lib0/buffer';
import type { TimelineEvent } from '../../client/src/index.js';

const CHECKPOINT_EVERY = 250;

interface Edit {
  at: number;
  update: Uint8Array;
}

export const timeOf = (event: TimelineEvent): number => Date.parse(event.at);

export class Replayer {
  readonly edits: Edit[];
  private doc = new Y.Doc();
  /** How many edits `doc` holds. */
  private applied = 0;
  private readonly checkpoints = new Map<number, Uint8Array>();

  constructor(events: TimelineEvent[]) {
    this.edits = events
      .filter((e) => e.type === 'edit' && (e.doc ?? 'code') === 'code' && typeof e.update === 'string')
      .map((e) => ({ at: timeOf(e), update: fromBase64(e.update!) }));
    // Oldest first as served; a stable sort keeps the served order for equal times.
    this.edits.sort((a, b) => a.at - b.at);
  }

  /** How many edits happened at or before `at` (epoch ms). */
  countAt(at: number): number {
    let lo = 0;
    let hi = this.edits.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.edits[mid]!.at <= at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The code as it was at `at` (epoch ms). */
  textAt(at: number): string {
    return this.textAfter(this.countAt(at));
  }

  /** The code after the first `count` edits. */
  textAfter(count: number): string {
    const base = Math.floor(count / CHECKPOINT_EVERY) * CHECKPOINT_EVERY;
    const checkpoint = this.checkpoints.get(base);
    // Back in time, or far ahead past a checkpoint already made: start over from the nearest one.
    if (count < this.applied || (checkpoint && base > this.applied)) {
      this.doc.destroy();
      this.doc = new Y.Doc();
      if (checkpoint) Y.applyUpdate(this.doc, checkpoint);
      this.applied = checkpoint ? base : 0;
    }
    while (this.applied < count) {
      Y.applyUpdate(this.doc, this.edits[this.applied]!.update);
      this.applied += 1;
      if (this.applied % CHECKPOINT_EVERY === 0 && !this.checkpoints.has(this.applied)) {
        this.checkpoints.set(this.applied, Y.encodeStateAsUpdate(this.doc));
      }
    }
    return this.doc.getText('code').toString();
  }
}
