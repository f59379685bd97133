/**
 * An append-only list of items ordered by an increasing key, with lazy removal. Pages start at
 * a key found by binary search, so paging through a large index costs O(log n + page) instead of
 * O(all). Removed items are skipped by a validity check supplied by the reader and compacted away
 * once they outnumber live ones.
 */
export class OrderedIndex<T> {
  private keys: number[] = [];
  private items: T[] = [];
  private dead = 0;

  get size(): number {
    return this.items.length - this.dead;
  }

  add(key: number, item: T): void {
    this.keys.push(key);
    this.items.push(item);
  }

  /** Records that one item no longer belongs (it is skipped by `isLive` until compaction). */
  markRemoved(isLive: (item: T) => boolean): void {
    this.dead++;
    if (this.dead > 256 && this.dead * 2 > this.items.length) this.compact(isLive);
  }

  /**
   * Up to `limit` live, accepted items with key > `after`, plus the key to continue from when
   * more may exist.
   */
  page(
    after: number,
    limit: number,
    isLive: (item: T) => boolean,
    accept: (item: T) => boolean,
  ): { items: T[]; next?: number } {
    const out: T[] = [];
    let lastKey = after;
    for (let i = this.firstAfter(after); i < this.items.length; i++) {
      const item = this.items[i]!;
      if (!isLive(item) || !accept(item)) continue;
      if (out.length === limit) return { items: out, next: lastKey };
      out.push(item);
      lastKey = this.keys[i]!;
    }
    return { items: out };
  }

  *values(isLive: (item: T) => boolean): Iterable<T> {
    for (const item of this.items) if (isLive(item)) yield item;
  }

  private firstAfter(key: number): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keys[mid]! <= key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private compact(isLive: (item: T) => boolean): void {
    const keys: number[] = [];
    const items: T[] = [];
    for (let i = 0; i < this.items.length; i++) {
      if (!isLive(this.items[i]!)) continue;
      keys.push(this.keys[i]!);
      items.push(this.items[i]!);
    }
    this.keys = keys;
    this.items = items;
    this.dead = 0;
  }
}
