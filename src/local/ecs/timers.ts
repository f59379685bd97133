/**
 * One timer for all lifecycle transitions (task start, task stop, expiry of stopped tasks and
 * deregistered instances): a min-heap of due times and a single setTimeout armed for the earliest.
 * 100,000 tasks therefore cost 100,000 heap entries, not 100,000 Node timers.
 */
interface Entry {
  at: number;
  seq: number;
  run: () => void;
}

export class TimerQueue {
  private heap: Entry[] = [];
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;
  private closed = false;

  constructor(private readonly now: () => number) {}

  get size(): number {
    return this.heap.length;
  }

  schedule(delayMs: number, run: () => void): void {
    if (this.closed) return;
    this.push({ at: this.now() + Math.max(0, delayMs), seq: ++this.seq, run });
    this.arm();
  }

  /** Runs every entry that is due now. Exposed so a caller with a manual clock can drive it. */
  runDue(): void {
    const now = this.now();
    while (this.heap.length > 0 && this.heap[0]!.at <= now) {
      const entry = this.pop()!;
      try {
        entry.run();
      } catch {
        // A transition that fails must not stop the others; state stays as it was.
      }
    }
    this.arm();
  }

  clear(): void {
    this.heap = [];
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  close(): void {
    this.closed = true;
    this.clear();
  }

  reopen(): void {
    this.closed = false;
  }

  private arm(): void {
    if (this.closed || this.heap.length === 0) return;
    const at = this.heap[0]!.at;
    if (this.timer && at >= this.armedFor) return;
    if (this.timer) clearTimeout(this.timer);
    this.armedFor = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.armedFor = Infinity;
        this.runDue();
        // With a manual clock nothing may be due yet; poll again shortly rather than spin.
        if (!this.timer && this.heap.length > 0) this.arm();
      },
      Math.max(0, Math.min(at - this.now(), 2 ** 31 - 1)),
    );
    this.timer.unref();
  }

  private push(entry: Entry): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (less(h[parent]!, h[i]!)) break;
      [h[parent], h[i]] = [h[i]!, h[parent]!];
      i = parent;
    }
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l]!, h[m]!)) m = l;
        if (r < h.length && less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }
}

function less(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
