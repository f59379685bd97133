/**
 * Leader election, built once on the Store interface (so it works on both backends), with the
 * algorithm of etcd's `concurrency.Election`:
 *
 * - each candidate holds a lease and creates the key `<prefix>/<leaseId>` (attached to the lease);
 * - the leader is the candidate whose key has the lowest createRevision;
 * - a candidate that is not the leader watches only its predecessor (the key with the next lower
 *   createRevision) for deletion, then checks again (no thundering herd).
 *
 * Leadership ends by `resign()` (key deleted, lease revoked), by the lease being lost (expired or
 * unreachable store) or by the key being deleted by someone else; `onLost` listeners are told.
 */
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import { InvalidArgumentError, StoreError } from './errors.js';
import type { KeyValue, Lease, Store, Watcher } from './types.js';
import { validatePrefix, validateTtl } from './validate.js';

export interface ElectionOptions {
  /** TTL of the candidate's lease (default 10 s): how long a dead leader keeps the role. */
  ttlSeconds?: number;
  logger?: Logger;
}

export interface LeaderInfo {
  key: string;
  value: string;
  createRevision: number;
  /** Lease of the leader's key (the candidate's lease id). */
  lease?: string;
}

export class ElectionCancelledError extends StoreError {
  constructor(reason: string) {
    super('ElectionCancelled', `campaign cancelled: ${reason}`, { status: 409 });
  }
}

export class LeadershipLostError extends StoreError {
  constructor(reason: string) {
    super('LeadershipLost', `leadership lost: ${reason}`, { status: 409 });
  }
}

function sameLeader(a: LeaderInfo | undefined, b: LeaderInfo | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.key === b.key && a.createRevision === b.createRevision && a.value === b.value;
}

export class Election {
  private readonly prefix: string;
  private readonly ttlSeconds: number;
  private readonly logger: Logger;
  private lease: Lease | undefined;
  private myKey: string | undefined;
  private myCreateRevision = 0;
  private leading = false;
  private ownWatch: Watcher | undefined;
  private readonly lostListeners: Array<(err: Error) => void> = [];
  private campaignAbort: ((err: Error) => void) | undefined;

  constructor(
    private readonly store: Store,
    prefix: string,
    options: ElectionOptions = {},
  ) {
    validatePrefix(prefix, 'election prefix');
    if (prefix === '') throw new InvalidArgumentError('election prefix must not be empty');
    this.prefix = prefix.endsWith('/') ? prefix : `${prefix}/`;
    this.ttlSeconds = options.ttlSeconds ?? 10;
    validateTtl(this.ttlSeconds);
    this.logger = options.logger ?? silentLogger;
  }

  /** True while this candidate is the leader. */
  get isLeader(): boolean {
    return this.leading;
  }

  /** This candidate's key, once campaigning. */
  get key(): string | undefined {
    return this.myKey;
  }

  /**
   * Become a candidate with `value` and resolve once this candidate is the leader. Rejects with
   * ElectionCancelledError if `resign()` is called (or `signal` aborts) before that.
   */
  async campaign(value: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.myKey !== undefined) throw new InvalidArgumentError('already campaigning: resign first');
    const lease = await this.store.grantLease(this.ttlSeconds);
    this.lease = lease;
    const key = `${this.prefix}${lease.id}`;
    this.myKey = key;
    lease.onLost(() => this.lose('the lease expired or could not be kept alive'));
    const res = await this.store.txn({
      compare: [{ key, target: 'createRevision', op: '=', value: 0 }],
      success: [{ type: 'put', key, value, lease: lease.id }],
      failure: [{ type: 'get', key }],
    });
    this.myCreateRevision = res.succeeded ? res.revision : (res.gets[0]?.createRevision ?? res.revision);
    if (!res.succeeded) await this.store.put(key, value, { lease: lease.id });

    let aborted: Error | undefined;
    const abortPromise = new Promise<never>((_, reject) => {
      this.campaignAbort = (err) => {
        aborted = err;
        reject(err);
      };
    });
    abortPromise.catch(() => undefined);
    const onAbort = () => this.campaignAbort?.(new ElectionCancelledError('aborted'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        if (aborted) throw aborted;
        const page = await this.store.range({ prefix: this.prefix });
        const mine = page.items.find((kv) => kv.key === key);
        if (!mine) throw new LeadershipLostError('the candidate key was deleted while campaigning');
        const predecessor = page.items
          .filter((kv) => kv.createRevision < mine.createRevision)
          .sort((a, b) => b.createRevision - a.createRevision)[0];
        if (!predecessor) break;
        await Promise.race([this.waitDeleted(predecessor, page.revision + 1), abortPromise]);
      }
    } catch (err) {
      options.signal?.removeEventListener('abort', onAbort);
      this.campaignAbort = undefined;
      await this.cleanup();
      throw err;
    }
    options.signal?.removeEventListener('abort', onAbort);
    this.campaignAbort = undefined;
    this.leading = true;
    // Watch our own key: if someone deletes it, we are no longer the leader.
    this.ownWatch = await this.store.watch(
      key,
      {},
      {
        onEvents: (events) => {
          if (events.some((e) => e.type === 'delete' && e.key === key))
            this.lose('the leader key was deleted');
        },
        onError: (err) => this.lose(`the watch on the leader key failed: ${err.message}`),
      },
    );
    this.logger.info({ key, election: this.prefix }, 'became leader');
  }

  /** Resolves when `kv` is deleted (watching from `fromRevision`). */
  private async waitDeleted(kv: KeyValue, fromRevision: number): Promise<void> {
    let watcher: Watcher | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        this.store
          .watch(
            kv.key,
            { fromRevision },
            {
              onEvents: (events) => {
                if (events.some((e) => e.type === 'delete' && e.key === kv.key)) resolve();
              },
              // A compacted watch start means much changed: look again.
              onError: () => resolve(),
            },
          )
          .then((w) => {
            watcher = w;
          }, reject);
      });
    } finally {
      await watcher?.close();
    }
  }

  /** Update the leader's value (only while leader). */
  async proclaim(value: string): Promise<void> {
    if (!this.leading || !this.myKey || !this.lease) throw new LeadershipLostError('not the leader');
    const res = await this.store.txn({
      compare: [{ key: this.myKey, target: 'createRevision', op: '=', value: this.myCreateRevision }],
      success: [{ type: 'put', key: this.myKey, value, lease: this.lease.id }],
    });
    if (!res.succeeded) {
      this.lose('the leader key changed');
      throw new LeadershipLostError('the leader key changed');
    }
  }

  /** Give up leadership or candidacy: deletes the key and revokes the lease. */
  async resign(): Promise<void> {
    this.campaignAbort?.(new ElectionCancelledError('resigned'));
    const wasLeading = this.leading;
    this.leading = false;
    await this.cleanup();
    if (wasLeading) this.logger.info({ election: this.prefix }, 'resigned leadership');
  }

  private async cleanup(): Promise<void> {
    const lease = this.lease;
    const key = this.myKey;
    this.lease = undefined;
    this.myKey = undefined;
    const w = this.ownWatch;
    this.ownWatch = undefined;
    await w?.close();
    if (key) {
      try {
        await this.store.delete(key);
      } catch (err) {
        this.logger.warn({ err, key }, 'could not delete the election key (its lease will expire it)');
      }
    }
    if (lease) {
      try {
        await lease.revoke();
      } catch (err) {
        this.logger.warn({ err }, 'could not revoke the election lease (it will expire)');
      }
    }
  }

  private lose(reason: string): void {
    if (!this.leading) {
      if (this.myKey) this.campaignAbort?.(new LeadershipLostError(reason));
      return;
    }
    this.leading = false;
    this.logger.warn({ election: this.prefix, reason }, 'leadership lost');
    const err = new LeadershipLostError(reason);
    for (const l of this.lostListeners) {
      try {
        l(err);
      } catch (e) {
        this.logger.error({ err: e }, 'leadership lost listener threw');
      }
    }
    void this.cleanup();
  }

  /** Called once per term when leadership is lost other than by resign(). */
  onLost(listener: (err: Error) => void): void {
    this.lostListeners.push(listener);
  }

  /** The current leader (lowest createRevision under the prefix), if any. */
  async leader(): Promise<LeaderInfo | undefined> {
    return leaderOf(this.store, this.prefix);
  }

  /** Calls `onChange` with the current leader now and whenever it changes, until the watcher is closed. */
  async observe(onChange: (leader: LeaderInfo | undefined) => void): Promise<Watcher> {
    return observeLeader(this.store, this.prefix, onChange, this.logger);
  }
}

async function leaderOf(store: Store, prefix: string): Promise<LeaderInfo | undefined> {
  const page = await store.range({ prefix });
  let best: KeyValue | undefined;
  for (const kv of page.items) if (!best || kv.createRevision < best.createRevision) best = kv;
  if (!best) return undefined;
  const info: LeaderInfo = { key: best.key, value: best.value, createRevision: best.createRevision };
  if (best.lease) info.lease = best.lease;
  return info;
}

/** Observe the leader of the election at `prefix` without campaigning. */
export async function observeLeader(
  store: Store,
  prefix: string,
  onChange: (leader: LeaderInfo | undefined) => void,
  logger: Logger = silentLogger,
): Promise<Watcher> {
  const p = prefix.endsWith('/') ? prefix : `${prefix}/`;
  let current: LeaderInfo | undefined;
  let closed = false;
  let running = Promise.resolve();
  const refresh = () => {
    running = running.then(async () => {
      if (closed) return;
      try {
        const next = await leaderOf(store, p);
        if (closed || sameLeader(current, next)) return;
        current = next;
        onChange(next);
      } catch (err) {
        logger.warn({ err, election: p }, 'could not read the election leader');
      }
    });
  };
  const first = await store.range({ prefix: p });
  const watcher = await store.watch(
    p,
    { fromRevision: first.revision + 1 },
    {
      onEvents: refresh,
      onError: (err) => logger.warn({ err, election: p }, 'election observe watch failed'),
    },
  );
  let best: KeyValue | undefined;
  for (const kv of first.items) if (!best || kv.createRevision < best.createRevision) best = kv;
  current = best ? { key: best.key, value: best.value, createRevision: best.createRevision } : undefined;
  if (best?.lease && current) current.lease = best.lease;
  onChange(current);
  return {
    close: async () => {
      closed = true;
      await watcher.close();
    },
  };
}
