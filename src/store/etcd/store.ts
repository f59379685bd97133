/**
 * The etcd backend (etcd v3 API through npm `etcd3`), for replicas and HA.
 *
 * Key/value calls go straight to etcd's KV gRPC service (no builders: one request per call), with
 * every key under `namespace`. The client spreads calls over all endpoints and retries a call that
 * failed because its endpoint was unreachable on another endpoint; a call that still fails maps to
 * StoreUnavailableError.
 *
 * Watches resume after a reconnect from the last delivered revision + 1, so no event is lost or
 * repeated; a resume below etcd's compacted revision reports CompactedError.
 */
import {
  Etcd3,
  type IKeyValue,
  type IOptions,
  type IRequestOp,
  type IResponseOp,
  type IWatchResponse,
} from 'etcd3';
import type { Watcher as EtcdWatcher, Lease as EtcdLease } from 'etcd3';
import type { Logger } from '../../core/logger.js';
import { silentLogger } from '../../core/logger.js';
import {
  CompactedError,
  FutureRevisionError,
  InvalidArgumentError,
  LeaseNotFoundError,
  StoreClosedError,
  StoreError,
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

export interface EtcdStoreOptions {
  /** etcd client URLs, e.g. ['http://10.0.0.1:2379', 'http://10.0.0.2:2379']. */
  endpoints: string[];
  /** Every key lives under this prefix (e.g. 'blox/'); '' = none. */
  namespace?: string;
  /** Connection timeout per endpoint (default 5 s). */
  dialTimeoutMs?: number;
  /** Deadline of each unary call (default 10 s). */
  requestTimeoutMs?: number;
  /** Compaction run by this client (default ON: keep 10,000 revisions and 1 h, every minute). */
  compaction?: CompactionPolicy;
  logger?: Logger;
}

const enc = (s: string): Buffer => Buffer.from(s, 'utf8');

const CMP_TARGET = { value: 3, version: 0, createRevision: 1, modRevision: 2 } as const;
const CMP_RESULT = { '=': 0, '>': 1, '<': 2, '!=': 3 } as const;

function isUnavailable(err: unknown): boolean {
  const name = (err as { constructor?: { name?: string } })?.constructor?.name ?? '';
  const msg = String((err as Error)?.message ?? err);
  return (
    /Unavailable|DeadlineExceeded|BrokenCircuit|ClientClosed|Cancelled|WatchStreamEnded|Isolated/.test(
      name,
    ) ||
    /no leader|request timed out|leader changed|ECONNREFUSED|UNAVAILABLE|connection|deadline|timeout|Broken circuit/i.test(
      msg,
    )
  );
}

export class EtcdStore implements Store {
  readonly backend = 'etcd' as const;
  readonly client: Etcd3;
  private readonly ns: string;
  private readonly nsBuf: Buffer;
  private readonly logger: Logger;
  private closed = false;
  private compacted = 0;
  private readonly watchers = new Set<EtcdWatch>();
  private readonly leases = new Set<EtcdLease>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly samples: Array<{ at: number; rev: number }> = [];
  private readonly policy: Required<CompactionPolicy>;
  readonly requestTimeoutMs: number;
  readonly endpoints: string[];

  constructor(options: EtcdStoreOptions) {
    if (!Array.isArray(options.endpoints) || options.endpoints.length === 0) {
      throw new InvalidArgumentError('etcd store needs at least one endpoint (e.g. http://127.0.0.1:2379)');
    }
    for (const e of options.endpoints) {
      if (typeof e !== 'string' || !/^(https?:\/\/)?[^\s/:]+:\d+\/?$/.test(e)) {
        throw new InvalidArgumentError(
          `etcd endpoint ${JSON.stringify(e)} is not host:port or http://host:port`,
        );
      }
    }
    this.endpoints = options.endpoints;
    this.logger = options.logger ?? silentLogger;
    this.ns = options.namespace ?? '';
    if (typeof this.ns !== 'string') throw new InvalidArgumentError('etcd namespace must be a string');
    this.nsBuf = enc(this.ns);
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.policy = resolveCompaction(options.compaction);
    const requestTimeoutMs = this.requestTimeoutMs;
    const clientOptions: IOptions = {
      hosts: options.endpoints.map((e) => e.replace(/\/$/, '')),
      dialTimeout: options.dialTimeoutMs ?? 5_000,
      // gRPC's default 4 MiB receive limit would make an unpaginated range of a big prefix fail.
      grpcOptions: { 'grpc.max_receive_message_length': 512 * 1024 * 1024 },
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + requestTimeoutMs }),
    };
    this.client = new Etcd3(clientOptions);
    if (this.policy.intervalMs > 0) {
      const t = setInterval(() => void this.autoCompact(), this.policy.intervalMs);
      t.unref();
      this.timers.push(t);
    }
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private k(key: string): Buffer {
    return this.ns === '' ? enc(key) : Buffer.concat([this.nsBuf, enc(key)]);
  }

  private unk(key: Buffer): string {
    return key.subarray(this.nsBuf.length).toString('utf8');
  }

  /** [start, end) of a prefix inside the namespace. */
  private span(prefix: string): { key: Buffer; range_end: Buffer } {
    const full = this.ns + prefix;
    const end = prefixEnd(full);
    return {
      key: full === '' ? Buffer.from([0]) : enc(full),
      range_end: end === undefined ? Buffer.from([0]) : enc(end),
    };
  }

  private toKv(kv: IKeyValue): KeyValue {
    const out: KeyValue = {
      key: this.unk(kv.key),
      value: kv.value.toString('utf8'),
      createRevision: Number(kv.create_revision),
      modRevision: Number(kv.mod_revision),
      version: Number(kv.version),
    };
    if (kv.lease && kv.lease !== '0') out.lease = String(kv.lease);
    return out;
  }

  private check(): void {
    if (this.closed) throw new StoreClosedError();
  }

  /** Maps an etcd/gRPC error to the store's typed errors. */
  async mapError(err: unknown, context: { revision?: number; lease?: string } = {}): Promise<Error> {
    if (err instanceof StoreError) return err;
    const msg = String((err as Error)?.message ?? err);
    if (/required revision has been compacted/.test(msg)) {
      return new CompactedError(context.revision ?? 0, this.compacted || undefined);
    }
    if (/required revision is a future revision/.test(msg)) {
      let current = 0;
      try {
        current = await this.revision();
      } catch {
        // keep 0
      }
      return new FutureRevisionError(context.revision ?? 0, current);
    }
    if (/requested lease not found|lease not found/i.test(msg)) {
      return new LeaseNotFoundError(context.lease ?? '?');
    }
    if (
      /request is too large|too many operations in txn request|duplicate key given in txn request/.test(msg)
    ) {
      return new InvalidArgumentError(`etcd rejected the request: ${msg}`);
    }
    if (this.closed) return new StoreClosedError();
    if (isUnavailable(err)) {
      return new StoreUnavailableError(`etcd (${this.endpoints.join(', ')}) is unavailable: ${msg}`, err);
    }
    return new StoreError('StoreFailed', `etcd call failed: ${msg}`, { status: 500, cause: err });
  }

  private async call<T>(
    fn: () => Promise<T>,
    context: { revision?: number; lease?: string } = {},
  ): Promise<T> {
    this.check();
    try {
      return await fn();
    } catch (err) {
      throw await this.mapError(err, context);
    }
  }

  // ---- reads ------------------------------------------------------------------------------------

  async get(key: string, options: { revision?: number } = {}): Promise<KeyValue | undefined> {
    validateKey(key);
    if (options.revision !== undefined) validateRevisionArg(options.revision);
    const res = await this.call(
      () => this.client.kv.range({ key: this.k(key), revision: options.revision }),
      options,
    );
    const kv = res.kvs[0];
    return kv ? this.toKv(kv) : undefined;
  }

  async range(options: RangeOptions): Promise<RangeResult> {
    validateRange(options);
    const span = this.span(options.prefix);
    const revision = options.revision;
    if (options.countOnly) {
      const res = await this.call(
        () => this.client.kv.range({ ...span, revision, count_only: true }),
        options,
      );
      return { items: [], revision: Number(res.header.revision), count: Number(res.count) };
    }
    const page = {
      key: options.after !== undefined ? Buffer.concat([this.k(options.after), Buffer.from([0])]) : span.key,
      range_end: span.range_end,
      revision,
      limit: options.limit,
    };
    let kvs: IKeyValue[];
    let more: boolean;
    let count: number | undefined;
    let rev: number;
    if (options.after === undefined || options.count === false) {
      const res = await this.call(() => this.client.kv.range(page), options);
      kvs = res.kvs;
      more = res.more;
      if (options.count !== false) count = Number(res.count);
      rev = Number(res.header.revision);
    } else {
      // Page and total count at one revision: pin the count to the page's revision.
      const res = await this.call(() => this.client.kv.range(page), options);
      kvs = res.kvs;
      more = res.more;
      rev = Number(res.header.revision);
      const c = await this.call(
        () => this.client.kv.range({ ...span, revision: revision ?? rev, count_only: true }),
        options,
      );
      count = Number(c.count);
    }
    const items = kvs.map((kv) => this.toKv(kv));
    const out: RangeResult = { items, revision: rev, ...(count !== undefined ? { count } : {}) };
    if (more && items.length > 0) out.next = items[items.length - 1]!.key;
    return out;
  }

  async revision(): Promise<number> {
    const res = await this.call(() => this.client.kv.range({ key: this.k('\0'), count_only: true }));
    return Number(res.header.revision);
  }

  // ---- writes -----------------------------------------------------------------------------------

  async put(
    key: string,
    value: string,
    options: { lease?: string } = {},
  ): Promise<{ revision: number; prev?: KeyValue }> {
    validateKey(key);
    validateValue(value, key);
    validateLeaseId(options.lease);
    const res = await this.call(
      () => this.client.kv.put({ key: this.k(key), value: enc(value), lease: options.lease, prev_kv: true }),
      options,
    );
    const revision = Number(res.header.revision);
    return res.prev_kv ? { revision, prev: this.toKv(res.prev_kv) } : { revision };
  }

  async delete(key: string): Promise<{ revision: number; deleted: number }> {
    validateKey(key);
    const res = await this.call(() => this.client.kv.deleteRange({ key: this.k(key) }));
    return { revision: Number(res.header.revision), deleted: Number(res.deleted) };
  }

  private op(op: TxnOp): IRequestOp {
    switch (op.type) {
      case 'put':
        return { request_put: { key: this.k(op.key), value: enc(op.value), lease: op.lease } };
      case 'delete':
        return { request_delete_range: { key: this.k(op.key) } };
      case 'deletePrefix':
        return { request_delete_range: this.span(op.prefix) };
      case 'get':
        return { request_range: { key: this.k(op.key) } };
    }
  }

  private compare(c: Compare) {
    const base = { key: this.k(c.key), target: CMP_TARGET[c.target], result: CMP_RESULT[c.op] };
    switch (c.target) {
      case 'value':
        return { ...base, value: enc(c.value as string) };
      case 'version':
        return { ...base, version: c.value };
      case 'createRevision':
        return { ...base, create_revision: c.value };
      case 'modRevision':
        return { ...base, mod_revision: c.value };
    }
  }

  async txn(request: TxnRequest): Promise<TxnResult> {
    validateTxn(request);
    const lease = [...(request.success ?? []), ...(request.failure ?? [])].find(
      (o) => o.type === 'put' && o.lease,
    );
    const res = await this.call(
      () =>
        this.client.kv.txn({
          compare: (request.compare ?? []).map((c) => this.compare(c)),
          success: (request.success ?? []).map((o) => this.op(o)),
          failure: (request.failure ?? []).map((o) => this.op(o)),
        }),
      { lease: lease?.type === 'put' ? lease.lease : undefined },
    );
    const ops = (res.succeeded ? request.success : request.failure) ?? [];
    const gets: Array<KeyValue | undefined> = [];
    ops.forEach((o, i) => {
      if (o.type !== 'get') return;
      const r = (res.responses[i] as IResponseOp | undefined)?.response_range;
      const kv = r?.kvs[0];
      gets.push(kv ? this.toKv(kv) : undefined);
    });
    return { succeeded: res.succeeded, revision: Number(res.header.revision), gets };
  }

  // ---- watch ------------------------------------------------------------------------------------

  async watch(prefix: string, options: WatchOptions, handlers: WatchHandlers): Promise<Watcher> {
    this.check();
    validateWatch(prefix, options);
    // etcd accepts a watch from a compacted revision and cancels it right after: fail it up front.
    if (options.fromRevision !== undefined && (await this.isCompacted(options.fromRevision))) {
      throw new CompactedError(options.fromRevision, this.compacted || undefined);
    }
    const w = new EtcdWatch(this, prefix, options, handlers, this.logger);
    this.watchers.add(w);
    try {
      await w.start(this.span(prefix));
    } catch (err) {
      this.watchers.delete(w);
      await w.close();
      throw await this.mapError(err, { revision: options.fromRevision });
    }
    return w;
  }

  /** @internal */
  forget(w: EtcdWatch): void {
    this.watchers.delete(w);
  }

  /** @internal */
  unprefix(key: Buffer): string {
    return this.unk(key);
  }

  /** @internal Is `revision` compacted? (a one-key read at that revision tells) */
  async isCompacted(revision: number): Promise<boolean> {
    try {
      await this.client.kv.range({ key: this.k('\0'), revision, count_only: true });
      return false;
    } catch (err) {
      return /required revision has been compacted/.test(String((err as Error)?.message ?? err));
    }
  }

  // ---- compaction -------------------------------------------------------------------------------

  async compact(revision: number): Promise<void> {
    validateRevisionArg(revision);
    if (revision <= this.compacted) return;
    try {
      await this.call(() => this.client.kv.compact({ revision }), { revision });
    } catch (err) {
      if (err instanceof CompactedError) return; // someone compacted further already
      throw err;
    }
    this.compacted = Math.max(this.compacted, revision);
    this.logger.debug({ revision }, 'etcd compacted');
  }

  private async autoCompact(): Promise<void> {
    if (this.closed) return;
    try {
      const now = Date.now();
      const rev = await this.revision();
      this.samples.push({ at: now, rev });
      // The newest sample at least retainMs old bounds compaction by age.
      let byAge = 0;
      while (this.samples.length > 1 && now - this.samples[1]!.at >= this.policy.retainMs)
        this.samples.shift();
      if (now - this.samples[0]!.at >= this.policy.retainMs) byAge = this.samples[0]!.rev;
      const target = Math.min(rev - this.policy.retainRevisions, byAge);
      if (target > this.compacted && target > 1) await this.compact(target);
    } catch (err) {
      this.logger.warn({ err }, 'etcd auto-compaction failed');
    }
  }

  // ---- leases -----------------------------------------------------------------------------------

  async grantLease(ttlSeconds: number, options: LeaseOptions = {}): Promise<Lease> {
    this.check();
    validateTtl(ttlSeconds);
    const keepAlive = options.keepAlive ?? true;
    const lease = this.client.lease(ttlSeconds, { autoKeepAlive: keepAlive });
    let id: string;
    try {
      id = await lease.grant();
    } catch (err) {
      lease.release();
      throw await this.mapError(err);
    }
    this.leases.add(lease);
    const listeners: Array<(err: Error) => void> = [];
    let lostFired = false;
    const fireLost = (err: Error) => {
      if (lostFired) return;
      lostFired = true;
      this.leases.delete(lease);
      for (const l of listeners) {
        try {
          l(err);
        } catch (e) {
          this.logger.error({ err: e }, 'lease lost listener threw');
        }
      }
    };
    lease.on('lost', (err) => {
      if (this.closed) return;
      fireLost(new LeaseNotFoundError(id));
      this.logger.debug({ lease: id, err }, 'etcd lease lost');
    });
    if (!keepAlive) {
      // etcd3 does not watch a lease it does not keep alive: tell listeners when its TTL has run out.
      const t = setTimeout(
        () => {
          void (async () => {
            if (this.closed || lostFired) return;
            try {
              const res = await this.client.leaseClient.leaseTimeToLive({ ID: id });
              if (Number(res.TTL) <= 0) fireLost(new LeaseNotFoundError(id));
              else t.refresh();
            } catch {
              t.refresh();
            }
          })();
        },
        ttlSeconds * 1000 + 100,
      );
      t.unref();
    }
    return {
      id,
      ttlSeconds,
      revoke: async () => {
        this.check();
        this.leases.delete(lease);
        try {
          await lease.revoke();
        } catch (err) {
          const mapped = await this.mapError(err, { lease: id });
          if (!(mapped instanceof LeaseNotFoundError)) throw mapped;
        }
      },
      onLost: (listener) => {
        listeners.push(listener);
      },
    };
  }

  // ---- status / close ---------------------------------------------------------------------------

  async status(): Promise<StoreStatus> {
    const span = this.span('');
    const res = await this.call(() => this.client.kv.range({ ...span, count_only: true }));
    let sizeBytes: number | undefined;
    try {
      const st = await this.client.maintenance.status();
      sizeBytes = Number(st.dbSize);
    } catch {
      // size is optional
    }
    return {
      backend: 'etcd',
      revision: Number(res.header.revision),
      compactedRevision: this.compacted,
      keys: Number(res.count),
      sizeBytes,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    for (const t of this.timers) clearInterval(t);
    await Promise.allSettled([...this.watchers].map((w) => w.close()));
    for (const l of this.leases) l.release();
    this.leases.clear();
    this.closed = true;
    this.client.close();
  }

  /** @internal */
  noteCompacted(revision: number): void {
    this.compacted = Math.max(this.compacted, revision);
  }
}

/**
 * One watch: an etcd3 Watcher whose resume revision we own. etcd3 resumes a broken stream from
 * the last response's header revision + 1, which can skip events during a replay; we overwrite it
 * with the last delivered event's revision + 1 after every response.
 */
class EtcdWatch implements Watcher {
  private watcher: EtcdWatcher | undefined;
  private closed = false;
  /** Everything up to this revision has been delivered (or was before the watch's start). */
  private delivered = 0;
  private lastActivity = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private progressRev = 0;

  constructor(
    private readonly store: EtcdStore,
    private readonly prefix: string,
    private readonly options: WatchOptions,
    private readonly handlers: WatchHandlers,
    private readonly logger: Logger,
  ) {}

  async start(span: { key: Buffer; range_end: Buffer }): Promise<void> {
    let b = this.store.client.watch().inRange({ start: span.key, end: span.range_end }).withPreviousKV();
    if (this.options.fromRevision !== undefined) {
      this.delivered = this.options.fromRevision - 1;
      b = b.startRevision(String(this.options.fromRevision));
    }
    const watcher = b.watcher();
    this.watcher = watcher;
    const pin = () => {
      if (this.delivered > 0)
        (watcher.request as { start_revision?: string }).start_revision = String(this.delivered + 1);
    };
    let resolveStart!: () => void;
    let rejectStart!: (err: unknown) => void;
    const started = new Promise<void>((res, rej) => {
      resolveStart = res;
      rejectStart = rej;
    });
    let connected = false;
    watcher.on('connected', (res: IWatchResponse) => {
      if (this.delivered === 0) this.delivered = Number(res.header.revision);
      pin();
      if (!connected) {
        connected = true;
        resolveStart();
      } else {
        this.logger.debug({ prefix: this.prefix, from: this.delivered + 1 }, 'etcd watch resumed');
      }
    });
    watcher.on('disconnected', (err: unknown) => {
      pin();
      this.logger.debug({ prefix: this.prefix, err: String(err) }, 'etcd watch disconnected; will resume');
    });
    watcher.on('data', (res: IWatchResponse) => this.onData(res));
    watcher.on('error', (err: unknown) => {
      if (!connected) {
        rejectStart(err);
        return;
      }
      void this.onCancel(err);
    });
    const timeout = setTimeout(
      () =>
        rejectStart(new StoreUnavailableError(`etcd watch on "${this.prefix}" could not be created in time`)),
      this.store.requestTimeoutMs,
    );
    try {
      await started;
    } catch (err) {
      if (
        this.options.fromRevision !== undefined &&
        (await this.store.isCompacted(this.options.fromRevision))
      ) {
        throw new CompactedError(this.options.fromRevision);
      }
      throw err;
    } finally {
      clearTimeout(timeout);
    }
    if (this.options.progressIntervalMs !== undefined) {
      const interval = this.options.progressIntervalMs;
      this.timer = setInterval(() => {
        if (this.closed || Date.now() - this.lastActivity < interval) return;
        const rev = Math.max(this.delivered, this.progressRev);
        if (rev <= 0) return;
        this.lastActivity = Date.now();
        try {
          this.handlers.onProgress?.(rev);
        } catch (err) {
          this.logger.error({ err, prefix: this.prefix }, 'store watch progress handler threw');
        }
      }, interval);
      this.timer.unref();
    }
  }

  private onData(res: IWatchResponse): void {
    if (this.closed) return;
    const w = this.watcher!;
    if (res.events.length === 0) {
      // Progress notification: etcd sends it only to a watcher that has caught up.
      const rev = Number(res.header.revision);
      if (rev > this.progressRev) this.progressRev = rev;
      if (rev > this.delivered) this.delivered = rev;
      (w.request as { start_revision?: string }).start_revision = String(this.delivered + 1);
      return;
    }
    const events: WatchEvent[] = [];
    for (const ev of res.events) {
      const rev = Number(ev.kv.mod_revision);
      if (rev <= this.delivered) continue; // already delivered before a reconnect
      const key = this.store.unprefix(ev.kv.key);
      if (ev.type === 'Put') {
        const e: WatchEvent = {
          type: 'put',
          key,
          value: ev.kv.value.toString('utf8'),
          revision: rev,
          createRevision: Number(ev.kv.create_revision),
          version: Number(ev.kv.version),
        };
        if (ev.prev_kv) e.prevValue = ev.prev_kv.value.toString('utf8');
        events.push(e);
      } else {
        const e: WatchEvent = { type: 'delete', key, revision: rev, createRevision: 0, version: 0 };
        if (ev.prev_kv) e.prevValue = ev.prev_kv.value.toString('utf8');
        events.push(e);
      }
    }
    const last = Number(res.events[res.events.length - 1]!.kv.mod_revision);
    if (last > this.delivered) this.delivered = last;
    (w.request as { start_revision?: string }).start_revision = String(this.delivered + 1);
    if (events.length === 0) return;
    this.lastActivity = Date.now();
    try {
      this.handlers.onEvents(events);
    } catch (err) {
      this.logger.error({ err, prefix: this.prefix }, 'store watch handler threw');
    }
  }

  private async onCancel(err: unknown): Promise<void> {
    if (this.closed) return;
    const from = this.delivered + 1;
    let error: Error;
    if (await this.store.isCompacted(from)) error = new CompactedError(from);
    else error = await this.store.mapError(err);
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.store.forget(this);
    try {
      this.handlers.onError(error);
    } catch (e) {
      this.logger.error({ err: e, prefix: this.prefix }, 'store watch error handler threw');
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.store.forget(this);
    if (!this.watcher) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      // Cancelling waits for etcd's answer; do not hang a close on an unreachable cluster.
      await Promise.race([
        this.watcher.cancel(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, 2_000);
          timer.unref();
        }),
      ]);
    } catch {
      // the stream is gone already
    } finally {
      clearTimeout(timer);
    }
  }
}

export function openEtcdStore(options: EtcdStoreOptions): EtcdStore {
  return new EtcdStore(options);
}
