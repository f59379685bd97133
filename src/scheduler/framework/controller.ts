import { silentLogger, type Logger } from '../../core/logger.js';
import type { ClusterInformer, InformerEvent } from './informer.js';
import { WorkQueue } from './work-queue.js';

export interface ControllerOptions<K> {
  informer: ClusterInformer;
  /** Which keys an informer event concerns (e.g. the environments of the changed cluster). */
  keysFor(event: InformerEvent): Iterable<K>;
  /** Every key there is (for the periodic resync). */
  allKeys(): Promise<Iterable<K>> | Iterable<K>;
  /** Level-triggered: look at the whole state of `key` and act; never assume which event fired. */
  reconcile(key: K): Promise<void | { requeueAfterMs?: number }>;
  /** Periodic resync of every key (default 30 s): repairs anything an event did not cover. */
  resyncMs?: number;
  /**
   * A key concerned by an informer event is reconciled at most this long after the event (default
   * 0: at once). Events of a burst (a fleet joining, a stream catching up) then share one pass
   * instead of each asking for its own; resyncs and explicit adds are not delayed.
   */
  eventDelayMs?: number;
  /**
   * With `eventDelayMs`: the pass comes once events of the key paused this long, without waiting
   * out the whole delay (default: the whole delay). The burst's last change is acted on soon after
   * it arrives, while a steady stream still shares one pass per `eventDelayMs`.
   */
  eventQuietMs?: number;
  concurrency?: number;
  logger?: Logger;
}

/**
 * Wires an informer to a work queue: each change enqueues the keys it concerns, a periodic
 * resync enqueues all keys, and the queue runs `reconcile` with dedupe and retry backoff.
 */
export class Controller<K = string> {
  readonly queue: WorkQueue<K>;
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly logger: Logger;

  constructor(private readonly options: ControllerOptions<K>) {
    this.logger = options.logger ?? silentLogger;
    this.queue = new WorkQueue<K>({
      handler: (key) => options.reconcile(key),
      concurrency: options.concurrency ?? 4,
      logger: this.logger,
    });
  }

  async start(): Promise<void> {
    const delay = this.options.eventDelayMs ?? 0;
    const quiet = this.options.eventQuietMs ?? delay;
    this.unsubscribe = this.options.informer.onEvent((e) => {
      for (const key of this.options.keysFor(e)) this.queue.addQuiet(key, quiet, delay);
    });
    this.queue.start();
    await this.resync();
    const every = this.options.resyncMs ?? 30_000;
    this.timer = setInterval(() => void this.resync(), every);
    this.timer.unref?.();
  }

  async resync(): Promise<void> {
    try {
      for (const key of await this.options.allKeys()) this.queue.add(key);
    } catch (err) {
      this.logger.warn({ err }, 'resync could not list keys');
    }
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    await this.queue.stop();
  }
}
