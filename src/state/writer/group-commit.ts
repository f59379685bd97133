import type { EntityUpdate } from '../../core/ecs/validate.js';
import type { Store } from '../../store/types.js';
import { writeEntityUpdates, type EntityWriteOptions, type EntityWriteOutcome } from './entity-writer.js';

/**
 * Group commit: concurrent callers (the ingest pollers) hand in their batches; while the store is
 * busy with earlier commits, new batches wait and are then written together in one guarded
 * transaction. On a store with a high commit latency (etcd: a raft round and an fsync per
 * transaction) throughput grows with the batch instead of being capped at pollers / latency. Each
 * caller gets the outcomes of its own updates; if a merged commit fails, every caller in it gets
 * the error (and keeps its messages for redelivery).
 */
export interface GroupCommitOptions extends EntityWriteOptions {
  /** Commits in flight at once (default 2). */
  maxInFlight?: number;
  /** Updates merged into one commit at most (default 60: one transaction). */
  maxBatch?: number;
}

interface Pending {
  updates: EntityUpdate[];
  resolve(outcomes: EntityWriteOutcome[]): void;
  reject(err: unknown): void;
}

export class GroupCommitter {
  private readonly queue: Pending[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly maxInFlight: number;
  private readonly maxBatch: number;

  constructor(
    private readonly store: Store,
    private readonly options: GroupCommitOptions,
  ) {
    this.maxInFlight = options.maxInFlight ?? 2;
    this.maxBatch = options.maxBatch ?? 60;
  }

  /** Writes `updates` (possibly together with other callers' updates); resolves once committed. */
  write(updates: EntityUpdate[]): Promise<EntityWriteOutcome[]> {
    if (updates.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.queue.push({ updates, resolve, reject });
      this.schedule();
    });
  }

  /**
   * Commits start on the next turn of the event loop, not at once: the batches of every poller
   * whose receive was answered in this turn then share one transaction. On a store that commits
   * synchronously (SQLite) nothing is ever "in flight" to make batches wait, so without this each
   * receive of 10 paid its own BEGIN/COMMIT.
   */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const group: Pending[] = [];
      let size = 0;
      // Always take at least one caller, then more while they fit.
      while (
        this.queue.length > 0 &&
        (group.length === 0 || size + this.queue[0]!.updates.length <= this.maxBatch)
      ) {
        const p = this.queue.shift()!;
        group.push(p);
        size += p.updates.length;
      }
      this.inFlight++;
      void this.commit(group).finally(() => {
        this.inFlight--;
        this.schedule();
      });
    }
  }

  private async commit(group: Pending[]): Promise<void> {
    try {
      const res = await writeEntityUpdates(
        this.store,
        group.flatMap((p) => p.updates),
        this.options,
      );
      let offset = 0;
      for (const p of group) {
        p.resolve(res.outcomes.slice(offset, offset + p.updates.length));
        offset += p.updates.length;
      }
    } catch (err) {
      for (const p of group) p.reject(err);
    }
  }
}
