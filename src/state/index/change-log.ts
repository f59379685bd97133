import type { EntityKind } from '../../core/ecs/entities.js';
import type { IndexEntry } from './entry.js';

/** One change the index applied: a put (new revision of an entity) or a delete (its last known state). */
export interface IndexChange {
  type: 'put' | 'delete';
  kind: EntityKind;
  key: string;
  /** Revision of the change (a put's modRevision; the delete's revision). */
  revision: number;
  /** The new entry for puts; the last known entry for deletes. */
  entry: IndexEntry;
}

/**
 * A bounded ring of the most recent changes, so that streams resumed from a recent revision are
 * served from memory. It holds every change with revision > `coveredAfter`; older resumes must go
 * to the store's history (or get "gone, re-list").
 */
export class ChangeLog {
  private ring: Array<IndexChange | undefined>;
  private start = 0;
  private length = 0;
  /** Every change with a revision greater than this is in the log. */
  private covered: number;

  constructor(
    readonly capacity: number,
    startRevision: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('change log capacity must be >= 1');
    this.ring = new Array<IndexChange | undefined>(capacity);
    this.covered = startRevision;
  }

  get coveredAfter(): number {
    return this.covered;
  }

  get size(): number {
    return this.length;
  }

  /** Appends changes (in revision order). Evicting the oldest raises coveredAfter to its revision. */
  append(change: IndexChange): void {
    if (this.length === this.capacity) {
      const evicted = this.ring[this.start]!;
      this.ring[this.start] = undefined;
      this.start = (this.start + 1) % this.capacity;
      this.length--;
      // Changes of one revision evicted partially would leave a hole: coverage drops the whole revision.
      this.covered = Math.max(this.covered, evicted.revision);
    }
    this.ring[(this.start + this.length) % this.capacity] = change;
    this.length++;
  }

  /** True when every change with revision >= fromRevision is in the log. */
  covers(fromRevision: number): boolean {
    return fromRevision > this.covered;
  }

  /** Changes with revision >= fromRevision, oldest first (the caller checked `covers`). */
  since(fromRevision: number): IndexChange[] {
    const out: IndexChange[] = [];
    // Binary search for the first change with revision >= fromRevision.
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.get(mid).revision < fromRevision) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.length; i++) out.push(this.get(i));
    return out;
  }

  /** Drops everything: history before `revision` is no longer known (after a re-list). */
  reset(revision: number): void {
    this.ring = new Array<IndexChange | undefined>(this.capacity);
    this.start = 0;
    this.length = 0;
    this.covered = revision;
  }

  private get(i: number): IndexChange {
    return this.ring[(this.start + i) % this.capacity]!;
  }
}
