/**
 * The embedded backend: one SQLite file (`<dataDir>/blox.db`, WAL mode) owned by one process.
 *
 * Tables (layout in schema.ts; an older file is migrated on open by migrate.ts): `kv` (current
 * state), `history` (every change, for reads at a revision and watch replay; compaction deletes
 * from it), `leases`, `meta` (compacted revision, layout version). The current revision is the
 * highest revision in `history` (compaction always keeps the newest revision's rows).
 *
 * Durability: WAL with synchronous=NORMAL by default: a committed transaction survives a crash of
 * the process (kill -9), because its WAL frames are written to the OS before commit returns; a power
 * loss may lose the last transactions. `synchronous: 'full'` fsyncs every commit (power-loss safe,
 * much slower).
 *
 * Exclusivity: the store holds `<database>.lock` (lock.ts) for its lifetime, so a second process (or
 * a second open in the same process) that opens the same data directory gets StoreUnavailableError.
 * The database connection itself runs in NORMAL locking mode, so that a worker thread's second
 * connection can checkpoint the WAL off the main thread (checkpoint.ts).
 *
 * Everything in better-sqlite3 is synchronous: statements are prepared once, a write is one SQLite
 * transaction, and watchers are notified in-process after the commit (on a microtask, so a watcher
 * callback never runs inside a write).
 */
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from '../../core/logger.js';
import { silentLogger } from '../../core/logger.js';
import {
  CompactedError,
  FutureRevisionError,
  InvalidArgumentError,
  LeaseNotFoundError,
  StoreClosedError,
  StoreUnavailableError,
} from '../errors.js';
import type {
  CompactionPolicy,
  Compare,
  KeyValue,
  Lease,
  LeaseOptions,
  RangeOptions,
  RangeResult,
  Store,
  StoreStatus,
  TxnOp,
  TxnRequest,
  TxnResult,
  WatchEvent,
  WatchHandlers,
  WatchOptions,
  Watcher,
} from '../types.js';
import {
  checkReadRevision,
  compareKeys,
  prefixEnd,
  resolveCompaction,
  validateKey,
  validateLeaseId,
  validateRange,
  validateRevisionArg,
  validateTtl,
  validateTxn,
  validateValue,
  validateWatch,
} from '../validate.js';
import { type Checkpointer, startCheckpointer } from './checkpoint.js';
import { isPageSize, PAGE_SIZE_RULE } from './page-size.js';
import { inUseError, isLockedError, lockDataDir } from './lock.js';
import { prepareLayout } from './migrate.js';
import { firstIdOf, historyId, REV_OF_ID, revisionOfId, SUB_BITS } from './schema.js';

export interface SqliteStoreOptions {
  /** Directory of the database file (created if missing). */
  dataDir: string;
  /** File name inside dataDir (default `blox.db`). */
  fileName?: string;
  /** 'normal' (default): durable against process crashes. 'full': also against power loss (slower). */
  synchronous?: 'normal' | 'full';
  compaction?: CompactionPolicy;
  /** How often the checkpoint worker looks for new commits to copy from the WAL (default 25 ms). */
  checkpointIntervalMs?: number;
  /** How often expired leases are swept (default 250 ms). */
  leaseSweepMs?: number;
  /**
   * Page size (bytes) of a new database file (default 4096); an existing file keeps the one it was
   * created with. 16 KB pages cost 10–25% less CPU per ingested ECS event at commits of 40 (rows
   * share pages), but halve the rate of single-key commits (each writes whole 16 KB pages to the
   * WAL): see docs/store.md, "Page size".
   */
  pageSize?: number;
  logger?: Logger;
}

const DEFAULT_PAGE_SIZE = 4096;
/** WAL size past which a commit checkpoints by itself (the checkpoint worker's safety net). */
const AUTOCHECKPOINT_BYTES = 40 * 1024 * 1024;
/** doPut's `known` when the transaction has not read the key's row yet. */
const NOT_READ = Symbol('not read');
const PUT = 0;
const DEL = 1;
/** Watch replay reads history in chunks of about this many rows. */
const REPLAY_CHUNK = 2000;
/** Compaction deletes history in steps of this many revisions. */
const COMPACT_STEP = 1000;

interface KvRow {
  key: string;
  value: string;
  create_rev: number;
  mod_rev: number;
  version: number;
  lease: number | null;
}

interface HistRow {
  rev: number;
  key: string;
  type: number;
  value: string | null;
  create_rev: number;
  version: number;
  prev_value: string | null;
}

interface LeaseState {
  id: number;
  ttl: number;
  expiresAt: number;
  keepAlive: boolean;
  lost: Array<(err: Error) => void>;
}

function toKv(row: KvRow): KeyValue {
  const kv: KeyValue = {
    key: row.key,
    value: row.value,
    createRevision: row.create_rev,
    modRevision: row.mod_rev,
    version: row.version,
  };
  if (row.lease !== null) kv.lease = String(row.lease);
  return kv;
}

class SqliteWatch implements Watcher {
  closed = false;
  /** Next revision to deliver from history while replaying; undefined once live. */
  replayNext: number | undefined;
  /** Last revision replay must reach before switching to live delivery. */
  replayUntil = 0;
  queue: WatchEvent[] = [];
  scheduled = false;
  lastActivity = Date.now();
  timer: NodeJS.Timeout | undefined;
  /** Events before this revision are not wanted (a watch from a future revision). */
  minRevision = 0;
  readonly upper: string | undefined;

  constructor(
    readonly store: SqliteStore,
    readonly prefix: string,
    readonly handlers: WatchHandlers,
  ) {
    this.upper = prefixEnd(prefix);
  }

  matches(key: string): boolean {
    return key.startsWith(this.prefix);
  }

  push(events: WatchEvent[]): void {
    for (const e of events) if (e.revision >= this.minRevision && this.matches(e.key)) this.queue.push(e);
    this.schedule();
  }

  schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    queueMicrotask(() => this.flush());
  }

  flush(): void {
    this.scheduled = false;
    if (this.closed || this.replayNext !== undefined || this.queue.length === 0) return;
    const events = this.queue;
    this.queue = [];
    this.lastActivity = Date.now();
    try {
      this.handlers.onEvents(events);
    } catch (err) {
      this.store.logger.error({ err, prefix: this.prefix }, 'store watch handler threw');
    }
  }

  fail(err: Error): void {
    if (this.closed) return;
    void this.close();
    try {
      this.handlers.onError(err);
    } catch (e) {
      this.store.logger.error({ err: e, prefix: this.prefix }, 'store watch error handler threw');
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    if (this.timer) clearInterval(this.timer);
    this.store.watchers.delete(this);
  }
}

export class SqliteStore implements Store {
  readonly backend = 'sqlite' as const;
  readonly path: string;
  readonly logger: Logger;
  readonly watchers = new Set<SqliteWatch>();

  private readonly db: Database.Database;
  /** The database file's page size (bytes): `pageSize` for a new file, its own for an existing one. */
  readonly pageSize: number;
  /** The data directory's ownership lock (lock.ts), held until close. */
  private readonly lock: Database.Database;
  private readonly checkpointer: Checkpointer;
  private rev: number;
  private compacted: number;
  private closed = false;
  private readonly leases = new Map<number, LeaseState>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly stmtCache = new Map<string, Database.Statement>();
  private readonly policy: Required<CompactionPolicy>;

  // Hot-path statements.
  private readonly sGet: Database.Statement<[string], KvRow>;
  private readonly sUpsert: Database.Statement;
  private readonly sDeleteKv: Database.Statement;
  private readonly sHist: Database.Statement;
  private readonly sGetAt: Database.Statement<[string, number], HistRow & { lease: number | null }>;
  private readonly runWrite: (fn: () => void) => void;

  constructor(options: SqliteStoreOptions) {
    this.logger = options.logger ?? silentLogger;
    this.policy = resolveCompaction(options.compaction);
    const checkpointIntervalMs = options.checkpointIntervalMs ?? 25;
    if (!Number.isInteger(checkpointIntervalMs) || checkpointIntervalMs < 1) {
      throw new InvalidArgumentError(
        `checkpointIntervalMs must be a whole number of milliseconds ≥ 1, got ${String(options.checkpointIntervalMs)}`,
      );
    }
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    if (!isPageSize(pageSize)) {
      throw new InvalidArgumentError(`pageSize must be ${PAGE_SIZE_RULE}, got ${String(options.pageSize)}`);
    }
    mkdirSync(options.dataDir, { recursive: true });
    this.path = join(options.dataDir, options.fileName ?? 'blox.db');
    // Ownership first: nothing touches the database file of a data directory someone else owns.
    this.lock = lockDataDir(options.dataDir, this.path);
    let db: Database.Database;
    try {
      // A short busy timeout: only the checkpoint worker shares the file, and it never writes.
      db = new Database(this.path, { timeout: 1000 });
      // Only a new (empty) file takes it, and only before WAL mode is on; an existing file keeps its own.
      db.pragma(`page_size = ${pageSize}`);
      db.pragma('journal_mode = WAL');
    } catch (err) {
      this.lock.close();
      // A release before the lock file held the database itself in EXCLUSIVE mode.
      if (isLockedError(err)) throw inUseError(options.dataDir, this.path, err);
      throw new StoreUnavailableError(`cannot open the store database ${this.path}: ${String(err)}`, err);
    }
    this.db = db;
    db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    this.pageSize = db.pragma('page_size', { simple: true }) as number;
    // The checkpoint worker copies the WAL back; a commit checkpoints itself only past this
    // safety limit (~40 MB of WAL: the worker failed or fell behind), and then finds little left to copy.
    db.pragma(`wal_autocheckpoint = ${Math.ceil(AUTOCHECKPOINT_BYTES / this.pageSize)}`);
    // An 8 MiB page cache (SQLite's default is 2 MiB), not more: a B-tree balance renumbers pages
    // through the lock-byte page's number, and the commit after it then scans the cache's whole
    // hash table to drop pages past the end of the file — at 64 MiB that took ~200 µs a commit
    // and cost 100,000-event ingest 15% (docs/store.md, "Page cache").
    db.pragma('cache_size = -8192');
    try {
      prepareLayout(db, this.path, this.logger);
    } catch (err) {
      db.close();
      this.lock.close();
      throw err;
    }
    this.checkpointer = startCheckpointer(this.path, checkpointIntervalMs, this.logger, this.pageSize);
    const maxId = (db.prepare('SELECT MAX(id) AS id FROM history').get() as { id: number | null }).id;
    this.rev = Math.max(1, maxId === null ? 1 : revisionOfId(maxId));
    const c = db.prepare("SELECT value FROM meta WHERE name = 'compacted'").get() as
      { value: number } | undefined;
    this.compacted = c?.value ?? 0;

    this.sGet = db.prepare('SELECT key, value, create_rev, mod_rev, version, lease FROM kv WHERE key = ?');
    this.sUpsert = db.prepare(
      'INSERT INTO kv (key, value, create_rev, mod_rev, version, lease) VALUES (?, ?, ?, ?, ?, ?) ' +
        'ON CONFLICT(key) DO UPDATE SET value = excluded.value, mod_rev = excluded.mod_rev, ' +
        'version = excluded.version, lease = excluded.lease',
    );
    this.sDeleteKv = db.prepare('DELETE FROM kv WHERE key = ?');
    this.sHist = db.prepare(
      'INSERT INTO history (id, key, type, value, create_rev, version, prev_value, lease, ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.sGetAt = db.prepare(
      `SELECT ${REV_OF_ID} AS rev, key, type, value, create_rev, version, prev_value, lease FROM history WHERE key = ? AND id < ? ORDER BY id DESC LIMIT 1`,
    );
    // Explicit prepared BEGIN/COMMIT: measurably cheaper than db.transaction() on the hot path.
    // IMMEDIATE: the write lock is taken at BEGIN, where SQLite waits (busy_timeout) for the checkpoint
    // worker's brief hold of it; a deferred transaction upgrading to a write would fail instead.
    const begin = db.prepare('BEGIN IMMEDIATE');
    const commit = db.prepare('COMMIT');
    const rollback = db.prepare('ROLLBACK');
    this.runWrite = (fn: () => void) => {
      begin.run();
      try {
        fn();
        commit.run();
      } catch (err) {
        if (db.inTransaction) rollback.run();
        throw err;
      }
    };

    // Leases survive a restart; their keep-alive does not: they expire ttl after the restart at the latest.
    const now = Date.now();
    for (const l of db.prepare('SELECT id, ttl, expires_at FROM leases').all() as Array<{
      id: number;
      ttl: number;
      expires_at: number;
    }>) {
      this.leases.set(l.id, {
        id: l.id,
        ttl: l.ttl,
        expiresAt: Math.min(l.expires_at, now + l.ttl * 1000),
        keepAlive: false,
        lost: [],
      });
    }
    const sweep = setInterval(() => this.sweepLeases(), options.leaseSweepMs ?? 250);
    sweep.unref();
    this.timers.push(sweep);
    if (this.policy.intervalMs > 0) {
      const t = setInterval(() => this.autoCompact(), this.policy.intervalMs);
      t.unref();
      this.timers.push(t);
    }
    this.logger.debug(
      { path: this.path, revision: this.rev, compacted: this.compacted },
      'sqlite store opened',
    );
  }

  private check(): void {
    if (this.closed) throw new StoreClosedError();
  }

  private stmt(sql: string): Database.Statement {
    let s = this.stmtCache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmtCache.set(sql, s);
    }
    return s;
  }

  private checkRevision(revision: number | undefined): void {
    checkReadRevision(revision, this.rev);
    if (revision !== undefined && revision < this.compacted)
      throw new CompactedError(revision, this.compacted);
  }

  // ---- reads ------------------------------------------------------------------------------------

  private getNow(key: string): KeyValue | undefined {
    const row = this.sGet.get(key);
    return row ? toKv(row) : undefined;
  }

  private getAt(key: string, revision: number): KeyValue | undefined {
    const row = this.sGetAt.get(key, firstIdOf(revision + 1));
    if (!row || row.type !== PUT) return undefined;
    return toKv({ ...row, value: row.value ?? '', mod_rev: row.rev });
  }

  async get(key: string, options: { revision?: number } = {}): Promise<KeyValue | undefined> {
    this.check();
    validateKey(key);
    this.checkRevision(options.revision);
    if (options.revision === undefined || options.revision === this.rev) return this.getNow(key);
    return this.getAt(key, options.revision);
  }

  async range(options: RangeOptions): Promise<RangeResult> {
    this.check();
    validateRange(options);
    this.checkRevision(options.revision);
    const revision = this.rev;
    const historical = options.revision !== undefined && options.revision !== revision;
    const upper = prefixEnd(options.prefix);
    const bounds: string[] = [];
    const args: Array<string | number> = historical ? [firstIdOf(options.revision! + 1)] : [];
    if (options.prefix !== '') {
      bounds.push('key >= ?');
      args.push(options.prefix);
    }
    if (upper !== undefined) {
      bounds.push('key < ?');
      args.push(upper);
    }
    let from: string;
    let cols: string;
    if (historical) {
      from =
        'history h WHERE h.type = 0 AND h.id = (SELECT MAX(h2.id) FROM history h2 WHERE h2.key = h.key AND h2.id < ?)';
      cols = `h.key AS key, h.value AS value, h.create_rev AS create_rev, (h.id >> ${SUB_BITS}) AS mod_rev, h.version AS version, h.lease AS lease`;
    } else {
      from = 'kv WHERE 1';
      cols = 'key, value, create_rev, mod_rev, version, lease';
    }
    const where = bounds.map((b) => ` AND ${historical ? 'h.' : ''}${b}`).join('');
    const result: RangeResult = { items: [], revision };
    if (options.count !== false || options.countOnly)
      result.count = (this.stmt(`SELECT COUNT(*) AS n FROM ${from}${where}`).get(...args) as { n: number }).n;
    if (options.countOnly) return result;
    const pageArgs = [...args];
    let pageWhere = where;
    if (options.after !== undefined) {
      pageWhere += ` AND ${historical ? 'h.' : ''}key > ?`;
      pageArgs.push(options.after);
    }
    let limit = '';
    if (options.limit !== undefined) {
      limit = ' LIMIT ?';
      pageArgs.push(options.limit + 1);
    }
    const rows = this.stmt(`SELECT ${cols} FROM ${from}${pageWhere} ORDER BY key${limit}`).all(
      ...pageArgs,
    ) as KvRow[];
    if (options.limit !== undefined && rows.length > options.limit) {
      rows.length = options.limit;
      result.next = rows[rows.length - 1]!.key;
    }
    result.items = rows.map(toKv);
    return result;
  }

  async revision(): Promise<number> {
    this.check();
    return this.rev;
  }

  // ---- writes -----------------------------------------------------------------------------------

  private leaseOf(lease: string | undefined): number | null {
    if (lease === undefined) return null;
    const id = Number(lease);
    const l = this.leases.get(id);
    if (!l || l.expiresAt <= Date.now()) throw new LeaseNotFoundError(lease);
    return id;
  }

  /**
   * Inside a write transaction: put one key at revision `rev`. `known` is the key's row as this
   * transaction has already read it (its compare; undefined = the key is absent), or NOT_READ to
   * read it here. (No default parameter: a default would turn a known-absent `undefined` into
   * "read it again", which cost every put of a new key a second SELECT.)
   */
  private doPut(
    rev: number,
    sub: number,
    key: string,
    value: string,
    lease: number | null,
    now: number,
    events: WatchEvent[],
    known: KvRow | undefined | typeof NOT_READ,
  ): KvRow | undefined {
    const prev = known === NOT_READ ? this.sGet.get(key) : known;
    const create = prev ? prev.create_rev : rev;
    const version = prev ? prev.version + 1 : 1;
    this.sUpsert.run(key, value, create, rev, version, lease);
    this.sHist.run(historyId(rev, sub), key, PUT, value, create, version, null, lease, now);
    const ev: WatchEvent = { type: 'put', key, value, revision: rev, createRevision: create, version };
    if (prev) ev.prevValue = prev.value;
    events.push(ev);
    return prev;
  }

  private doDelete(rev: number, sub: number, prev: KvRow, now: number, events: WatchEvent[]): void {
    this.sDeleteKv.run(prev.key);
    this.sHist.run(historyId(rev, sub), prev.key, DEL, null, 0, 0, prev.value, null, now);
    events.push({
      type: 'delete',
      key: prev.key,
      revision: rev,
      createRevision: 0,
      version: 0,
      prevValue: prev.value,
    });
  }

  private commit(events: WatchEvent[]): void {
    if (events.length === 0 || this.watchers.size === 0) return;
    for (const w of this.watchers) w.push(events);
  }

  async put(
    key: string,
    value: string,
    options: { lease?: string } = {},
  ): Promise<{ revision: number; prev?: KeyValue }> {
    this.check();
    validateKey(key);
    validateValue(value, key);
    validateLeaseId(options.lease);
    const lease = this.leaseOf(options.lease);
    const rev = this.rev + 1;
    const events: WatchEvent[] = [];
    let prev: KvRow | undefined;
    this.runWrite(() => {
      prev = this.doPut(rev, 0, key, value, lease, Date.now(), events, NOT_READ);
    });
    this.rev = rev;
    this.commit(events);
    return prev ? { revision: rev, prev: toKv(prev) } : { revision: rev };
  }

  async delete(key: string): Promise<{ revision: number; deleted: number }> {
    this.check();
    validateKey(key);
    const prev = this.sGet.get(key);
    if (!prev) return { revision: this.rev, deleted: 0 };
    const rev = this.rev + 1;
    const events: WatchEvent[] = [];
    this.runWrite(() => this.doDelete(rev, 0, prev, Date.now(), events));
    this.rev = rev;
    this.commit(events);
    return { revision: rev, deleted: 1 };
  }

  /** Compares one key; the row read is kept in `read` for the transaction's puts of that key. */
  private compareOne(c: Compare, read: Map<string, KvRow | undefined>): boolean {
    let row: KvRow | undefined;
    if (read.has(c.key)) row = read.get(c.key);
    else {
      row = this.sGet.get(c.key);
      read.set(c.key, row);
    }
    let actual: string | number;
    switch (c.target) {
      case 'value':
        if (!row) return false;
        actual = row.value;
        break;
      case 'version':
        actual = row ? row.version : 0;
        break;
      case 'createRevision':
        actual = row ? row.create_rev : 0;
        break;
      case 'modRevision':
        actual = row ? row.mod_rev : 0;
        break;
    }
    const cmp =
      typeof actual === 'string' ? compareKeys(actual, c.value as string) : actual - (c.value as number);
    switch (c.op) {
      case '=':
        return cmp === 0;
      case '!=':
        return cmp !== 0;
      case '<':
        return cmp < 0;
      case '>':
        return cmp > 0;
    }
  }

  async txn(request: TxnRequest): Promise<TxnResult> {
    this.check();
    validateTxn(request);
    const rev = this.rev + 1;
    const events: WatchEvent[] = [];
    const gets: Array<KeyValue | undefined> = [];
    let succeeded = true;
    this.runWrite(() => {
      // Rows the compares read, by key: a put of a compared key (the guarded writer's every put)
      // need not read its row again. An entry is dropped once its key is written.
      const read = new Map<string, KvRow | undefined>();
      succeeded = (request.compare ?? []).every((c) => this.compareOne(c, read));
      const ops: TxnOp[] = (succeeded ? request.success : request.failure) ?? [];
      const now = Date.now();
      for (const op of ops) {
        switch (op.type) {
          case 'put': {
            const known = read.has(op.key) ? read.get(op.key) : NOT_READ;
            read.delete(op.key);
            this.doPut(rev, events.length, op.key, op.value, this.leaseOf(op.lease), now, events, known);
            break;
          }
          case 'delete': {
            const prev = read.has(op.key) ? read.get(op.key) : this.sGet.get(op.key);
            read.delete(op.key);
            if (prev) this.doDelete(rev, events.length, prev, now, events);
            break;
          }
          case 'deletePrefix': {
            const upper = prefixEnd(op.prefix);
            const rows = (
              upper === undefined
                ? this.stmt(
                    'SELECT key, value, create_rev, mod_rev, version, lease FROM kv WHERE key >= ? ORDER BY key',
                  ).all(op.prefix)
                : this.stmt(
                    'SELECT key, value, create_rev, mod_rev, version, lease FROM kv WHERE key >= ? AND key < ? ORDER BY key',
                  ).all(op.prefix, upper)
            ) as KvRow[];
            for (const prev of rows) this.doDelete(rev, events.length, prev, now, events);
            read.clear();
            break;
          }
          case 'get':
            gets.push(this.getNow(op.key));
            break;
        }
      }
    });
    if (events.length > 0) {
      this.rev = rev;
      this.commit(events);
    }
    return { succeeded, revision: this.rev, gets };
  }

  // ---- watch ------------------------------------------------------------------------------------

  async watch(prefix: string, options: WatchOptions, handlers: WatchHandlers): Promise<Watcher> {
    this.check();
    validateWatch(prefix, options);
    const from = options.fromRevision;
    if (from !== undefined && from < this.compacted) throw new CompactedError(from, this.compacted);
    const w = new SqliteWatch(this, prefix, handlers);
    if (from !== undefined) w.minRevision = from;
    if (from !== undefined && from <= this.rev) {
      w.replayNext = from;
      w.replayUntil = this.rev;
    }
    this.watchers.add(w);
    if (options.progressIntervalMs !== undefined) {
      const interval = options.progressIntervalMs;
      w.timer = setInterval(() => {
        if (w.closed || w.replayNext !== undefined || w.queue.length > 0) return;
        if (Date.now() - w.lastActivity < interval) return;
        w.lastActivity = Date.now();
        try {
          handlers.onProgress?.(this.rev);
        } catch (err) {
          this.logger.error({ err, prefix }, 'store watch progress handler threw');
        }
      }, interval);
      w.timer.unref();
    }
    if (w.replayNext !== undefined) setImmediate(() => this.replay(w));
    return w;
  }

  /** Replays history to a watcher in chunks of whole revisions, then switches it to live delivery. */
  private replay(w: SqliteWatch): void {
    if (w.closed || this.closed || w.replayNext === undefined) return;
    const next = w.replayNext;
    if (next < this.compacted) {
      w.fail(new CompactedError(next, this.compacted));
      return;
    }
    const cols = `${REV_OF_ID} AS rev, key, type, value, create_rev, version, prev_value`;
    const args: Array<string | number> = [firstIdOf(next), firstIdOf(w.replayUntil + 1)];
    let where = 'id >= ? AND id < ?';
    if (w.prefix !== '') {
      where += ' AND key >= ?';
      args.push(w.prefix);
    }
    if (w.upper !== undefined) {
      where += ' AND key < ?';
      args.push(w.upper);
    }
    args.push(REPLAY_CHUNK);
    let rows = this.stmt(`SELECT ${cols} FROM history WHERE ${where} ORDER BY id LIMIT ?`).all(
      ...args,
    ) as HistRow[];
    let reached = w.replayUntil;
    if (rows.length === REPLAY_CHUNK) {
      const lastRev = rows[rows.length - 1]!.rev;
      if (rows[0]!.rev === lastRev) {
        // One huge revision: read it whole.
        rows = this.stmt(`SELECT ${cols} FROM history WHERE id >= ? AND id < ? ORDER BY id`).all(
          firstIdOf(lastRev),
          firstIdOf(lastRev + 1),
        ) as HistRow[];
        rows = rows.filter((r) => w.matches(r.key));
        reached = lastRev;
      } else {
        rows = rows.filter((r) => r.rev !== lastRev);
        reached = lastRev - 1;
      }
    }
    const events = rows.map((r): WatchEvent =>
      r.type === PUT
        ? {
            type: 'put',
            key: r.key,
            value: r.value ?? '',
            revision: r.rev,
            createRevision: r.create_rev,
            version: r.version,
          }
        : {
            type: 'delete',
            key: r.key,
            revision: r.rev,
            createRevision: 0,
            version: 0,
            prevValue: r.prev_value ?? undefined,
          },
    );
    if (events.length > 0) {
      w.lastActivity = Date.now();
      try {
        w.handlers.onEvents(events);
      } catch (err) {
        this.logger.error({ err, prefix: w.prefix }, 'store watch handler threw');
      }
    }
    if (reached >= w.replayUntil) {
      w.replayNext = undefined;
      w.schedule();
    } else {
      w.replayNext = reached + 1;
      setImmediate(() => this.replay(w));
    }
  }

  // ---- compaction -------------------------------------------------------------------------------

  async compact(revision: number): Promise<void> {
    this.check();
    validateRevisionArg(revision);
    if (revision > this.rev) throw new FutureRevisionError(revision, this.rev);
    await this.compactTo(revision);
  }

  /** Compactions run one at a time. */
  private compacting: Promise<void> = Promise.resolve();

  private compactTo(target: number): Promise<void> {
    const run = this.compacting.then(() => this.compactSteps(target));
    this.compacting = run.catch(() => undefined);
    return run;
  }

  /**
   * Compacts in steps of COMPACT_STEP revisions, yielding to the event loop between steps, so a
   * large compaction never blocks writers and readers for long. Each step only looks at keys that
   * changed inside the step (through the (key, rev) index): for those, history rows before the step's
   * end that are deletes or superseded are dropped; every key keeps its latest version.
   */
  private async compactSteps(target: number): Promise<void> {
    const started = Date.now();
    let removed = 0;
    const del = this.stmt(
      `DELETE FROM history WHERE key IN (SELECT key FROM history WHERE id >= ? AND id < ?) AND id < ? AND
         (type = 1 OR EXISTS (SELECT 1 FROM history h2 WHERE h2.key = history.key AND h2.id > history.id AND h2.id < ?))`,
    );
    const meta = this.stmt("INSERT OR REPLACE INTO meta (name, value) VALUES ('compacted', ?)");
    while (!this.closed && this.compacted < target) {
      const from = this.compacted;
      const to = Math.min(target, from + COMPACT_STEP);
      this.runWrite(() => {
        // Rows of keys changed in revisions from..to; those before revision `to` go if superseded by `to`.
        removed += del.run(firstIdOf(from), firstIdOf(to + 1), firstIdOf(to), firstIdOf(to + 1)).changes;
        meta.run(to);
      });
      this.compacted = to;
      // Watchers replaying below the new compacted revision fail on their next chunk.
      if (this.compacted < target) await new Promise((resolve) => setImmediate(resolve));
    }
    this.logger.debug({ revision: target, removed, ms: Date.now() - started }, 'store compacted');
  }

  private autoCompact(): void {
    if (this.closed) return;
    try {
      const byRevs = this.rev - this.policy.retainRevisions;
      const row = this.stmt(
        `SELECT ${REV_OF_ID} AS rev FROM history WHERE id >= ? AND ts > ? ORDER BY id LIMIT 1`,
      ).get(firstIdOf(this.compacted), Date.now() - this.policy.retainMs) as { rev: number } | undefined;
      const byAge = row ? row.rev : this.rev;
      const target = Math.min(byRevs, byAge);
      if (target > this.compacted) {
        this.compactTo(target).catch((err: unknown) =>
          this.logger.warn({ err }, 'store auto-compaction failed'),
        );
      }
    } catch (err) {
      this.logger.warn({ err }, 'store auto-compaction failed');
    }
  }

  // ---- leases -----------------------------------------------------------------------------------

  async grantLease(ttlSeconds: number, options: LeaseOptions = {}): Promise<Lease> {
    this.check();
    validateTtl(ttlSeconds);
    const keepAlive = options.keepAlive ?? true;
    const expiresAt = Date.now() + ttlSeconds * 1000;
    const id = Number(
      this.stmt('INSERT INTO leases (ttl, expires_at) VALUES (?, ?)').run(ttlSeconds, expiresAt)
        .lastInsertRowid,
    );
    const state: LeaseState = { id, ttl: ttlSeconds, expiresAt, keepAlive, lost: [] };
    this.leases.set(id, state);
    const refresh = this.stmt('UPDATE leases SET expires_at = ? WHERE id = ?');
    let timer: NodeJS.Timeout | undefined;
    if (keepAlive) {
      timer = setInterval(
        () => {
          if (this.closed || !this.leases.has(id)) {
            clearInterval(timer);
            return;
          }
          state.expiresAt = Date.now() + ttlSeconds * 1000;
          refresh.run(state.expiresAt, id);
        },
        Math.max(100, (ttlSeconds * 1000) / 3),
      );
      timer.unref();
    }
    const lease: Lease = {
      id: String(id),
      ttlSeconds,
      revoke: async () => {
        if (timer) clearInterval(timer);
        this.check();
        this.revokeLease(id, undefined);
      },
      onLost: (listener) => {
        state.lost.push(listener);
      },
    };
    return lease;
  }

  /** Deletes the lease and its keys in one revision. `lostReason` set = expired (listeners are told). */
  private revokeLease(id: number, lostReason: Error | undefined): void {
    const state = this.leases.get(id);
    this.leases.delete(id);
    const rev = this.rev + 1;
    const events: WatchEvent[] = [];
    this.runWrite(() => {
      const rows = this.stmt(
        'SELECT key, value, create_rev, mod_rev, version, lease FROM kv WHERE lease = ? ORDER BY key',
      ).all(id) as KvRow[];
      const now = Date.now();
      for (const prev of rows) this.doDelete(rev, events.length, prev, now, events);
      this.stmt('DELETE FROM leases WHERE id = ?').run(id);
    });
    if (events.length > 0) {
      this.rev = rev;
      this.commit(events);
    }
    if (state && lostReason) {
      for (const l of state.lost) {
        try {
          l(lostReason);
        } catch (err) {
          this.logger.error({ err }, 'lease lost listener threw');
        }
      }
    }
  }

  private sweepLeases(): void {
    if (this.closed) return;
    const now = Date.now();
    for (const l of [...this.leases.values()]) {
      if (l.expiresAt <= now) {
        try {
          this.revokeLease(l.id, new LeaseNotFoundError(String(l.id)));
          this.logger.debug({ lease: l.id }, 'lease expired');
        } catch (err) {
          this.logger.warn({ err, lease: l.id }, 'lease sweep failed');
        }
      }
    }
  }

  // ---- status / close ---------------------------------------------------------------------------

  async status(): Promise<StoreStatus> {
    this.check();
    const keys = (this.stmt('SELECT COUNT(*) AS n FROM kv').get() as { n: number }).n;
    let sizeBytes = 0;
    for (const suffix of ['', '-wal']) {
      try {
        sizeBytes += statSync(this.path + suffix).size;
      } catch {
        // missing WAL file
      }
    }
    return { backend: 'sqlite', revision: this.rev, compactedRevision: this.compacted, keys, sizeBytes };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    for (const w of [...this.watchers]) w.fail(new StoreClosedError());
    this.watchers.clear();
    // The worker's connection closes first, so the main one is the last and checkpoints the WAL away.
    const checkpoints = await this.checkpointer.stop();
    try {
      this.db.close();
    } catch (err) {
      this.logger.warn({ err }, 'closing the store database failed');
    }
    this.lock.close();
    this.logger.debug({ path: this.path, checkpoints }, 'sqlite store closed');
  }
}

export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  if (typeof options.dataDir !== 'string' || options.dataDir === '') {
    throw new InvalidArgumentError('sqlite store needs a dataDir (a directory path)');
  }
  return new SqliteStore(options);
}
