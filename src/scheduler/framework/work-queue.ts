import { silentLogger, type Logger } from '../../core/logger.js';

export interface WorkQueueOptions<K> {
  /** Reconciles one key. Throw to retry it with backoff; return `{ requeueAfterMs }` to look again later. */
  handler: (key: K) => Promise<void | { requeueAfterMs?: number }>;
  /** Keys processed at once (never the same key twice at once). Default 4. */
  concurrency?: number;
  /** First retry delay after a failure (default 100 ms), doubling per consecutive failure… */
  retryBaseMs?: number;
  /** …up to this (default 30 s). */
  retryMaxMs?: number;
  logger?: Logger;
}

/**
 * A work queue of keys (client-go's rate-limited queue, reduced to what controllers need):
 * - dedupe: a key waiting in the queue is there once, however often it is added;
 * - a key being processed is never processed twice at once; adding it meanwhile re-runs it once after;
 * - per-key retry with exponential backoff on failure, reset by a success;
 * - delayed adds (`addAfter`), keeping the earliest due time;
 * - debounced adds (`addQuiet`): due once the adds have paused, but never later than a bound.
 */
export class WorkQueue<K = string> {
  private readonly queue: K[] = [];
  private readonly queued = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly dirty = new Set<K>();
  private readonly failures = new Map<K, number>();
  private readonly timers = new Map<K, Scheduled>();
  private readonly idleWaiters: Array<() => void> = [];
  private readonly logger: Logger;
  private running = false;
  private active = 0;

  constructor(private readonly options: WorkQueueOptions<K>) {
    this.logger = options.logger ?? silentLogger;
  }

  get length(): number {
    return this.queue.length;
  }

  /** Keys waiting, in flight or scheduled for later. */
  get pending(): number {
    return this.queue.length + this.active + this.timers.size;
  }

  failuresOf(key: K): number {
    return this.failures.get(key) ?? 0;
  }

  start(): void {
    this.running = true;
    this.pump();
  }

  /** Stops taking keys; resolves when in-flight handlers finished. Scheduled retries are dropped. */
  async stop(): Promise<void> {
    this.running = false;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    if (this.active > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  add(key: K): void {
    const t = this.timers.get(key);
    if (t) {
      clearTimeout(t.timer);
      this.timers.delete(key);
    }
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.pump();
  }

  addAfter(key: K, delayMs: number): void {
    if (delayMs <= 0) return this.add(key);
    if (this.queued.has(key)) return;
    const at = Date.now() + delayMs;
    const existing = this.timers.get(key);
    if (existing) {
      if (existing.deadline <= at) return;
      existing.deadline = at;
      if (existing.timerAt > at) this.arm(key, existing, at);
      return;
    }
    this.arm(key, { deadline: at, quietUntil: undefined, timerAt: 0, timer: undefined }, at);
  }

  /**
   * Debounced add: the key is due once `quietMs` passed without another `addQuiet` of it, and at
   * the latest `maxWaitMs` after the first (a steady stream of adds still gets its passes). A
   * burst's adds share one pass, and the pass after a burst's last add comes `quietMs` after it,
   * not a whole `maxWaitMs` after the burst's first. An earlier due time already set (`addAfter`)
   * is kept.
   */
  addQuiet(key: K, quietMs: number, maxWaitMs: number): void {
    if (maxWaitMs <= 0) return this.add(key);
    if (this.queued.has(key)) return;
    const now = Date.now();
    const quietUntil = now + Math.min(quietMs, maxWaitMs);
    const existing = this.timers.get(key);
    if (existing) {
      if (existing.deadline <= now + maxWaitMs) {
        // Re-armed when it fires (see fire): no timer churn per add during a burst.
        if (existing.quietUntil !== undefined && existing.quietUntil < quietUntil)
          existing.quietUntil = quietUntil;
        return;
      }
      clearTimeout(existing.timer);
    }
    const deadline = now + maxWaitMs;
    this.arm(key, { deadline, quietUntil, timerAt: 0, timer: undefined }, quietUntil);
  }

  private arm(key: K, s: Scheduled, at: number): void {
    if (s.timer) clearTimeout(s.timer);
    s.timerAt = at;
    s.timer = setTimeout(() => this.fire(key, s), Math.max(0, at - Date.now()));
    s.timer.unref?.();
    this.timers.set(key, s);
  }

  private fire(key: K, s: Scheduled): void {
    if (this.timers.get(key) !== s) return;
    const due = s.quietUntil === undefined ? s.deadline : Math.min(s.deadline, s.quietUntil);
    if (due > Date.now()) return this.arm(key, s, due);
    this.timers.delete(key);
    this.add(key);
  }

  /** Forget a key's failure count (e.g. it was deleted). */
  forget(key: K): void {
    this.failures.delete(key);
  }

  private pump(): void {
    const limit = this.options.concurrency ?? 4;
    while (this.running && this.active < limit && this.queue.length > 0) {
      const key = this.queue.shift()!;
      this.queued.delete(key);
      this.processing.add(key);
      this.active++;
      void this.process(key);
    }
  }

  private async process(key: K): Promise<void> {
    let retryAfter: number | undefined;
    try {
      const result = await this.options.handler(key);
      this.failures.delete(key);
      if (result && result.requeueAfterMs !== undefined) retryAfter = result.requeueAfterMs;
    } catch (err) {
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      retryAfter = Math.min(
        this.options.retryMaxMs ?? 30_000,
        (this.options.retryBaseMs ?? 100) * 2 ** Math.min(n - 1, 20),
      );
      this.logger.warn({ err, key, attempt: n, retryInMs: retryAfter }, 'reconcile failed; will retry');
    } finally {
      this.processing.delete(key);
      this.active--;
    }
    if (this.dirty.delete(key)) this.add(key);
    else if (retryAfter !== undefined && this.running) this.addAfter(key, retryAfter);
    if (this.active === 0) for (const w of this.idleWaiters.splice(0)) w();
    this.pump();
  }
}

/** A key's pending delayed add: due at `deadline`, or earlier once quiet (`quietUntil`, debounced adds). */
interface Scheduled {
  deadline: number;
  quietUntil: number | undefined;
  /** When the timer is set to fire. */
  timerAt: number;
  timer: NodeJS.Timeout | undefined;
}
