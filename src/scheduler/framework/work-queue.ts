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
 * - delayed adds (`addAfter`), keeping the earliest due time.
 */
export class WorkQueue<K = string> {
  private readonly queue: K[] = [];
  private readonly queued = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly dirty = new Set<K>();
  private readonly failures = new Map<K, number>();
  private readonly timers = new Map<K, { at: number; timer: NodeJS.Timeout }>();
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
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref?.();
    this.timers.set(key, { at, timer });
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
