/**
 * The revisioned key-value store every Blox service keeps its state in. It has etcd's semantics
 * (global revision; per key createRevision / modRevision / version; transactions with compares;
 * watches from a revision; compaction; leases) with two backends behind this one interface:
 * embedded SQLite (the default) and etcd (for replicas and HA). It knows nothing of ECS.
 *
 * Keys and values are UTF-8 strings. Revisions are positive integers, global across the store,
 * increasing by one per committed write transaction (a transaction that writes several keys
 * gives them all the same modRevision), exactly as in etcd.
 */

/** Keys are at most this many UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;
/** Values are at most this many UTF-8 bytes (etcd's default request limit is 1.5 MiB). */
export const MAX_VALUE_BYTES = 1024 * 1024;

export interface KeyValue {
  key: string;
  value: string;
  /** Revision of the transaction that created the key (since its last deletion). */
  createRevision: number;
  /** Revision of the last transaction that changed the key. */
  modRevision: number;
  /** Number of changes since creation (1 after the first put). */
  version: number;
  /** Lease the key is attached to, if any. */
  lease?: string;
}

export interface RangeOptions {
  /** All keys that start with this prefix ('' = every key). */
  prefix: string;
  /** At most this many items (default: no limit). */
  limit?: number;
  /** Continuation: only keys strictly greater than this one (pass the previous page's `next`). */
  after?: string;
  /** Read as of this revision (must not be compacted). Default: the current revision. */
  revision?: number;
  /** Only count, return no items. */
  countOnly?: boolean;
  /**
   * Count every key under the prefix into `count` (default true). Counting walks the whole
   * prefix on both backends, so code paging through a large prefix passes false: a count per
   * page made such a walk quadratic.
   */
  count?: boolean;
}

export interface RangeResult {
  items: KeyValue[];
  /** Store revision the read was served at. */
  revision: number;
  /** Total number of keys under the prefix (ignoring limit/after); absent when asked not to count. */
  count?: number;
  /** Present when more keys follow: pass it back as `after`. */
  next?: string;
}

export type CompareTarget = 'value' | 'version' | 'createRevision' | 'modRevision';
export type CompareOp = '=' | '!=' | '<' | '>';

/** A compare on one key. For a missing key, version, createRevision and modRevision are 0, and value compares fail. */
export interface Compare {
  key: string;
  target: CompareTarget;
  op: CompareOp;
  value: string | number;
}

export type TxnOp =
  | { type: 'put'; key: string; value: string; lease?: string }
  | { type: 'delete'; key: string }
  | { type: 'deletePrefix'; prefix: string }
  | { type: 'get'; key: string };

export interface TxnRequest {
  compare?: Compare[];
  success?: TxnOp[];
  failure?: TxnOp[];
}

export interface TxnResult {
  succeeded: boolean;
  /** Revision after the transaction (unchanged if it wrote nothing). */
  revision: number;
  /** For each `get` op of the branch that ran, in order: the key's value or undefined. */
  gets: Array<KeyValue | undefined>;
}

export interface WatchEvent {
  type: 'put' | 'delete';
  key: string;
  /** New value for puts; undefined for deletes. */
  value?: string;
  /** Revision of the change (the key's modRevision for puts). */
  revision: number;
  createRevision: number;
  /** Key version after the change (0 for deletes). */
  version: number;
  /** Previous value, when the backend knows it (always for deletes on both backends). */
  prevValue?: string;
}

export interface WatchOptions {
  /**
   * Replay every change with revision >= fromRevision, then follow live changes.
   * Default: only changes after the watch starts. A compacted revision fails with CompactedError.
   */
  fromRevision?: number;
  /**
   * Called with no events and the store's revision when nothing under the prefix changed for a
   * while (progress notification / bookmark), at most every `progressIntervalMs`.
   */
  progressIntervalMs?: number;
}

export interface WatchHandlers {
  /** Events in revision order; all events of one revision are delivered together. */
  onEvents(events: WatchEvent[]): void;
  /** Progress: every change up to `revision` has been delivered. */
  onProgress?(revision: number): void;
  /** The watch ended with an error (CompactedError if it fell behind compaction); it will not resume. */
  onError(err: Error): void;
}

export interface Watcher {
  /** Stop watching and release everything held for this watch. Idempotent. */
  close(): Promise<void>;
}

export interface Lease {
  readonly id: string;
  readonly ttlSeconds: number;
  /** Revoke: every key attached to the lease is deleted at once. */
  revoke(): Promise<void>;
  /** Called once if the lease expires or cannot be kept alive (e.g. the store is unreachable for too long). */
  onLost(listener: (err: Error) => void): void;
}

export interface LeaseOptions {
  /** Keep the lease alive automatically (default true). false: it expires `ttlSeconds` after the grant. */
  keepAlive?: boolean;
}

export interface CompactionPolicy {
  /** Keep at least this many revisions of history (default 10,000). */
  retainRevisions?: number;
  /** Keep history at least this long (default 1 hour). */
  retainMs?: number;
  /** How often to compact (default 1 minute). 0 turns automatic compaction off. */
  intervalMs?: number;
}

export interface StoreStatus {
  backend: 'sqlite' | 'etcd';
  revision: number;
  compactedRevision: number;
  keys: number;
  /** Bytes on disk (SQLite file incl. WAL, or etcd's db size) when known. */
  sizeBytes?: number;
}

export interface Store {
  readonly backend: 'sqlite' | 'etcd';

  get(key: string, options?: { revision?: number }): Promise<KeyValue | undefined>;
  range(options: RangeOptions): Promise<RangeResult>;
  put(
    key: string,
    value: string,
    options?: { lease?: string },
  ): Promise<{ revision: number; prev?: KeyValue }>;
  delete(key: string): Promise<{ revision: number; deleted: number }>;
  txn(request: TxnRequest): Promise<TxnResult>;

  watch(prefix: string, options: WatchOptions, handlers: WatchHandlers): Promise<Watcher>;

  /** Current store revision. */
  revision(): Promise<number>;
  /** Drop history before `revision`: watches and reads from earlier revisions then fail with CompactedError. */
  compact(revision: number): Promise<void>;

  /**
   * Grant a lease of `ttlSeconds` (whole seconds, >= 1; etcd may round small TTLs up to its minimum).
   * By default the store keeps it alive until revoked or the store is closed (as etcd clients do).
   * Extension (backward compatible): `{ keepAlive: false }` grants a lease that simply expires after its TTL.
   */
  grantLease(ttlSeconds: number, options?: LeaseOptions): Promise<Lease>;

  status(): Promise<StoreStatus>;
  /** Stop background work, close watches and connections. Idempotent. */
  close(): Promise<void>;
}
