import { BloxError } from '../../core/errors.js';
import type { EntityKind } from '../../core/ecs/entities.js';
import { ChangeLog, type IndexChange } from './change-log.js';
import { releaseEntry, type IndexEntry } from './entry.js';
import {
  INDEXED_FIELDS,
  matchesFilter,
  normalizeFilter,
  type EntityFilter,
  type IndexedField,
} from './query.js';
import { SortedByKey } from './sorted-keys.js';

export type { IndexChange } from './change-log.js';

/** A resume asked for changes the index no longer holds in memory. */
export class ResumeTooOldError extends BloxError {
  constructor(
    readonly fromRevision: number,
    readonly oldestRevision: number,
  ) {
    super(
      'ResumeTooOld',
      `revision ${fromRevision} is older than the changes the index keeps (from ${oldestRevision + 1}): re-list, then subscribe from the list's revision + 1`,
      { status: 410, details: { fromRevision, oldestRevision: oldestRevision + 1 } },
    );
  }
}

export interface ListOptions {
  /** At most this many items (default: all). */
  limit?: number;
  /** Continue after this key (a previous page's `next`). */
  after?: string;
}

export interface ListResult<E extends IndexEntry = IndexEntry> {
  items: E[];
  /** Index revision the answer reflects. */
  revision: number;
  /** Present when more items follow: pass as `after`. */
  next?: string;
}

export interface SubscribeOptions {
  /** Only these kinds (default both). */
  kinds?: readonly EntityKind[];
  /** Replay every change with revision >= fromRevision first (inclusive, as v0.3), then live. Default: live only. */
  fromRevision?: number;
  filter?: EntityFilter;
}

export interface IndexListener {
  /** Called synchronously for each change, in revision order. Must not throw (errors are logged and ignored). */
  onChange(change: IndexChange): void;
  /** The index advanced to `revision` (every change up to it has been delivered). */
  onProgress?(revision: number): void;
}

export interface IndexSubscription {
  close(): void;
}

interface Subscriber {
  kinds: ReadonlySet<EntityKind>;
  from: number;
  filter: EntityFilter;
  listener: IndexListener;
}

interface KindTable {
  entries: Map<string, IndexEntry>;
  /** Every entry, in key order. */
  order: SortedByKey<IndexEntry>;
  /** field → value → entries with that value, in key order (so a filtered page needs no sort). */
  secondary: Map<IndexedField, Map<string, SortedByKey<IndexEntry>>>;
}

function newTable(): KindTable {
  const secondary = new Map<IndexedField, Map<string, SortedByKey<IndexEntry>>>();
  for (const f of INDEXED_FIELDS) secondary.set(f, new Map());
  return { entries: new Map(), order: new SortedByKey(), secondary };
}

/**
 * The in-memory watch cache of cluster state: every task and container instance with secondary
 * indexes, a bounded change log for resumes, and synchronous fan-out to subscribers. It holds no
 * I/O: `startIndexFeed` (feed.ts) fills it from the store (list at R, watch from R+1).
 */
export class StateIndex {
  private readonly tables: Record<EntityKind, KindTable> = { task: newTable(), instance: newTable() };
  private readonly subscribers = new Set<Subscriber>();
  private log: ChangeLog;
  private rev = 0;
  private isReady = false;
  private readyWaiters: Array<() => void> = [];

  constructor(options: { changeLogSize?: number; onListenerError?: (err: unknown) => void } = {}) {
    this.log = new ChangeLog(options.changeLogSize ?? 10_000, 0);
    this.onListenerError = options.onListenerError ?? (() => undefined);
  }

  private readonly onListenerError: (err: unknown) => void;

  /** The store revision the index reflects: every change up to it has been applied. */
  get revision(): number {
    return this.rev;
  }

  /** True once the first full list has been loaded. */
  get ready(): boolean {
    return this.isReady;
  }

  whenReady(): Promise<void> {
    if (this.isReady) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** Number of live subscriptions (streams, informers): returns to zero when every client is gone. */
  get subscriptionCount(): number {
    return this.subscribers.size;
  }

  /** Oldest revision a subscription can resume from (inclusive) without going to the store. */
  get oldestResumableRevision(): number {
    return this.log.coveredAfter + 1;
  }

  count(kind: EntityKind): number {
    return this.tables[kind].entries.size;
  }

  get(key: string): IndexEntry | undefined {
    return this.tables.task.entries.get(key) ?? this.tables.instance.entries.get(key);
  }

  /** Cluster names (with account and region) that hold at least one entity. */
  clusters(): Array<{ account: string; region: string; cluster: string; tasks: number; instances: number }> {
    const byCluster = new Map<
      string,
      { account: string; region: string; cluster: string; tasks: number; instances: number }
    >();
    for (const kind of ['task', 'instance'] as const) {
      for (const entry of this.tables[kind].entries.values()) {
        const { account, region, cluster } = entry.fields;
        const id = `${account}/${region}/${cluster}`;
        let c = byCluster.get(id);
        if (!c) byCluster.set(id, (c = { account, region, cluster, tasks: 0, instances: 0 }));
        if (kind === 'task') c.tasks++;
        else c.instances++;
      }
    }
    return [...byCluster.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  }

  /**
   * Entities of a kind that pass the filter, in key order, optionally paginated. Picks the most
   * selective secondary index when it is small, otherwise walks the sorted keys.
   */
  list(kind: EntityKind, filter: EntityFilter = {}, options: ListOptions = {}): ListResult {
    const table = this.tables[kind];
    const f = normalizeFilter(filter);
    const limit = options.limit ?? Infinity;
    // The most selective secondary index (already in key order, holding the entries themselves),
    // else every entry; walk it from `after` and stop when the page is full.
    let order = table.order;
    let by: IndexedField | undefined;
    for (const field of INDEXED_FIELDS) {
      const want = f[field];
      if (want === undefined) continue;
      const entries = table.secondary.get(field)!.get(want);
      if (!entries) return { items: [], revision: this.rev };
      if (entries.size < order.size) {
        order = entries;
        by = field;
      }
    }
    // The chosen index already satisfies its own field: test only the rest of the filter.
    const rest: EntityFilter = {};
    let checks = 0;
    for (const [k, v] of Object.entries(f) as Array<[keyof EntityFilter, never]>) {
      if (k === by) continue;
      rest[k] = v;
      checks++;
    }
    const from = options.after === undefined ? 0 : order.upperBound(options.after);
    if (checks === 0 && limit >= order.size - from) return { items: order.slice(from), revision: this.rev };
    const items: IndexEntry[] = [];
    let next: string | undefined;
    order.scan(from, (entry) => {
      if (checks > 0 && !matchesFilter(entry, rest)) return true;
      if (items.length === limit) {
        next = items[items.length - 1]!.key;
        return false;
      }
      items.push(entry);
      return true;
    });
    return next === undefined ? { items, revision: this.rev } : { items, revision: this.rev, next };
  }

  /**
   * Subscribe to changes. With `fromRevision`, changes since then are replayed synchronously from
   * the change log before this returns; a revision older than the log throws ResumeTooOldError.
   * A `fromRevision` ahead of the index is allowed: changes are delivered as the index reaches it.
   */
  subscribe(options: SubscribeOptions, listener: IndexListener): IndexSubscription {
    const from = options.fromRevision ?? this.rev + 1;
    if (options.fromRevision !== undefined && !this.log.covers(from))
      throw new ResumeTooOldError(from, this.log.coveredAfter);
    const sub: Subscriber = {
      kinds: new Set(options.kinds ?? ['task', 'instance']),
      from,
      filter: normalizeFilter(options.filter ?? {}),
      listener,
    };
    if (options.fromRevision !== undefined) {
      for (const change of this.log.since(from)) this.deliver(sub, change);
    }
    this.subscribers.add(sub);
    return { close: () => void this.subscribers.delete(sub) };
  }

  // ---- mutation (used by the feed) --------------------------------------------------------------

  /** Applies a put: a new revision of an entity. */
  put(entry: IndexEntry): void {
    const table = this.tables[entry.kind];
    const old = table.entries.get(entry.key);
    if (old && old.revision >= entry.revision) return releaseEntry(entry);
    table.order.add(entry); // inserts, or replaces the old revision in place
    table.entries.set(entry.key, entry);
    if (old) this.reindex(table, old, entry);
    else this.indexFields(table, entry);
    this.publish({ type: 'put', kind: entry.kind, key: entry.key, revision: entry.revision, entry });
    releaseEntry(entry);
  }

  /** Applies a delete at `revision`; unknown keys are ignored. */
  delete(key: string, revision: number): void {
    for (const kind of ['task', 'instance'] as const) {
      const table = this.tables[kind];
      const old = table.entries.get(key);
      if (!old) continue;
      this.unindex(table, old);
      table.entries.delete(key);
      table.order.remove(key);
      this.publish({ type: 'delete', kind, key, revision, entry: old });
    }
  }

  /** Every change up to `revision` has been applied. */
  advance(revision: number): void {
    if (revision <= this.rev) return;
    this.rev = revision;
    for (const sub of this.subscribers) {
      if (!sub.listener.onProgress) continue;
      try {
        sub.listener.onProgress(revision);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  /**
   * Replaces the whole content with a fresh list taken at `revision` (first load, or a re-list
   * after falling behind compaction). Differences to the previous content are published as
   * changes, so live subscribers converge; the change log restarts at `revision`.
   */
  replaceAll(entries: Iterable<IndexEntry>, revision: number): void {
    const seen = new Set<string>();
    const first = !this.isReady;
    if (first) {
      // Bulk load: collect, then sort each key list once (inserting one by one is quadratic
      // when the entries do not come in key order).
      const lists = new Map<KindTable, Map<IndexedField, Map<string, IndexEntry[]>>>();
      for (const entry of entries) {
        releaseEntry(entry);
        const table = this.tables[entry.kind];
        table.entries.set(entry.key, entry);
        let byField = lists.get(table);
        if (!byField) lists.set(table, (byField = new Map(INDEXED_FIELDS.map((f) => [f, new Map()]))));
        for (const field of INDEXED_FIELDS) {
          const value = entry.fields[field];
          if (value === undefined) continue;
          const byValue = byField.get(field)!;
          const list = byValue.get(value);
          if (list) list.push(entry);
          else byValue.set(value, [entry]);
        }
      }
      for (const [table, byField] of lists) {
        for (const [field, byValue] of byField) {
          const target = table.secondary.get(field)!;
          for (const [value, entries] of byValue) target.set(value, SortedByKey.from(entries));
        }
      }
      for (const kind of ['task', 'instance'] as const)
        this.tables[kind].order.reset(this.tables[kind].entries.values());
    } else {
      for (const entry of entries) {
        seen.add(entry.key);
        this.put(entry);
      }
      for (const kind of ['task', 'instance'] as const) {
        for (const key of [...this.tables[kind].entries.keys()])
          if (!seen.has(key)) this.delete(key, revision);
      }
    }
    this.log.reset(revision);
    this.rev = Math.max(this.rev, revision);
    if (first) {
      this.isReady = true;
      for (const w of this.readyWaiters.splice(0)) w();
    }
    this.advance(revision);
  }

  private publish(change: IndexChange): void {
    this.log.append(change);
    for (const sub of this.subscribers) this.deliver(sub, change);
  }

  private deliver(sub: Subscriber, change: IndexChange): void {
    if (change.revision < sub.from || !sub.kinds.has(change.kind)) return;
    if (!matchesFilter(change.entry, sub.filter)) return;
    try {
      sub.listener.onChange(change);
    } catch (err) {
      this.onListenerError(err);
    }
  }

  private indexFields(table: KindTable, entry: IndexEntry): void {
    for (const field of INDEXED_FIELDS) {
      const value = entry.fields[field];
      if (value === undefined) continue;
      const byValue = table.secondary.get(field)!;
      let entries = byValue.get(value);
      if (!entries) byValue.set(value, (entries = new SortedByKey()));
      entries.add(entry);
    }
  }

  /**
   * Moves a new revision of an entity into the secondary indexes. Most fields keep their value
   * from one revision to the next (only the statuses move as a task runs): those entries are
   * replaced in place, without removing and re-inserting them.
   */
  private reindex(table: KindTable, old: IndexEntry, entry: IndexEntry): void {
    for (const field of INDEXED_FIELDS) {
      const before = old.fields[field];
      const after = entry.fields[field];
      const byValue = table.secondary.get(field)!;
      if (before === after) {
        if (after !== undefined) byValue.get(after)?.add(entry);
        continue;
      }
      if (before !== undefined) {
        const entries = byValue.get(before);
        entries?.remove(old.key);
        if (entries?.size === 0) byValue.delete(before);
      }
      if (after !== undefined) {
        let entries = byValue.get(after);
        if (!entries) byValue.set(after, (entries = new SortedByKey()));
        entries.add(entry);
      }
    }
  }

  private unindex(table: KindTable, entry: IndexEntry): void {
    for (const field of INDEXED_FIELDS) {
      const value = entry.fields[field];
      if (value === undefined) continue;
      const byValue = table.secondary.get(field)!;
      const entries = byValue.get(value);
      if (!entries) continue;
      entries.remove(entry.key);
      if (entries.size === 0) byValue.delete(value);
    }
  }
}
