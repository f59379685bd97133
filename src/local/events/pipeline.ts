import type { EcsEventEnvelope } from './envelope.js';
import { NO_FAULTS, type EventFaults } from './faults.js';
import { createPrng, shuffle, type Prng } from './prng.js';

export interface PipelineStats {
  received: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  /** Held in the reorder window or waiting out the delay. */
  pending: number;
}

/** What the pipeline carries: anything with an id (a duplicate is a copy under a new id). */
export interface PipelineEvent {
  id: string;
}

export interface PipelineOptions<T extends PipelineEvent = EcsEventEnvelope> {
  faults?: Partial<EventFaults>;
  seed: number;
  deliver: (event: T) => void;
  /** A fresh envelope id for a duplicate. */
  newId: () => string;
  /** A partly filled reorder window is released after this long, so no event waits forever. */
  reorderHoldMs?: number;
}

/**
 * Applies the fault knobs to the event stream. Every event draws exactly two numbers (drop,
 * duplicate) whatever the rates, and the shuffle of a released window draws from the same
 * seeded PRNG, so one seed and one sequence of events always give one delivery sequence.
 */
export class EventPipeline<T extends PipelineEvent = EcsEventEnvelope> {
  private prng: Prng;
  private knobs: EventFaults;
  private window: T[] = [];
  private holdTimer: NodeJS.Timeout | undefined;
  private readonly delayed = new Set<{ timer: NodeJS.Timeout; envelope: T }>();
  private readonly counters = { received: 0, delivered: 0, dropped: 0, duplicated: 0 };
  private readonly holdMs: number;

  constructor(private readonly options: PipelineOptions<T>) {
    this.prng = createPrng(options.seed);
    this.knobs = { ...NO_FAULTS, ...options.faults };
    this.holdMs = options.reorderHoldMs ?? 250;
  }

  get faults(): EventFaults {
    return { ...this.knobs };
  }

  /** Changes knobs; a new seed restarts the PRNG so a run can be replayed from here. */
  configure(faults: Partial<EventFaults>, seed?: number): void {
    this.knobs = { ...this.knobs, ...faults };
    if (seed !== undefined) this.prng = createPrng(seed);
    if (this.knobs.reorderWindow <= 1) this.releaseWindow();
  }

  stats(): PipelineStats {
    return { ...this.counters, pending: this.window.length + this.delayed.size };
  }

  push(envelope: T): void {
    this.counters.received++;
    const dropRoll = this.prng.next();
    const duplicateRoll = this.prng.next();
    if (dropRoll < this.knobs.dropRate) {
      this.counters.dropped++;
      return;
    }
    this.admit(envelope);
    if (duplicateRoll < this.knobs.duplicateRate) {
      this.counters.duplicated++;
      this.admit({ ...envelope, id: this.options.newId() });
    }
  }

  /** Sends everything held back now (reorder window shuffled, delayed events at once). */
  flush(): void {
    this.releaseWindow();
    for (const entry of [...this.delayed]) {
      clearTimeout(entry.timer);
      this.delayed.delete(entry);
      this.send(entry.envelope);
    }
  }

  /** Drops everything held back, without sending. */
  discard(): void {
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    this.window = [];
    for (const entry of this.delayed) clearTimeout(entry.timer);
    this.delayed.clear();
  }

  private admit(envelope: T): void {
    if (this.knobs.reorderWindow <= 1) return this.afterDelay(envelope);
    this.window.push(envelope);
    if (this.window.length >= this.knobs.reorderWindow) this.releaseWindow();
    else if (!this.holdTimer) {
      this.holdTimer = setTimeout(() => {
        this.holdTimer = undefined;
        this.releaseWindow();
      }, this.holdMs);
      this.holdTimer.unref();
    }
  }

  private releaseWindow(): void {
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    if (this.window.length === 0) return;
    const released = shuffle(this.window, this.prng);
    this.window = [];
    for (const envelope of released) this.afterDelay(envelope);
  }

  private afterDelay(envelope: T): void {
    if (this.knobs.delayMs <= 0) return this.send(envelope);
    const entry = {
      envelope,
      timer: setTimeout(() => {
        this.delayed.delete(entry);
        this.send(envelope);
      }, this.knobs.delayMs),
    };
    entry.timer.unref();
    this.delayed.add(entry);
  }

  private send(envelope: T): void {
    this.counters.delivered++;
    this.options.deliver(envelope);
  }
}
