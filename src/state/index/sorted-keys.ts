/**
 * Items (index entries) kept sorted by their unique `key`: list order is by key (deterministic), a
 * page continues after a key in O(log n), and a list reads the entries straight from the chunks
 * (no map lookup per key).
 *
 * The items live in sorted chunks of at most MAX_CHUNK. One flat array made every insert or
 * removal move up to n pointers: with 25,000 tasks changing status, the splices of the secondary
 * indexes were 34% of the ingest's CPU at 100,000 events and the main reason it was ~40% slower
 * per event than at 10,000. A chunk bounds that to MAX_CHUNK moves (plus a search over the chunks).
 */
const MAX_CHUNK = 512;

export class SortedByKey<T extends { readonly key: string }> {
  /** Non-empty sorted chunks; every key of chunk c is below every key of chunk c + 1. */
  private chunks: T[][] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The chunk that holds `key` or would receive it: the first whose last key is >= key (else the last). */
  private chunkFor(key: string): number {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.chunks[mid]!;
      if (c[c.length - 1]!.key < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private static lowerIn<T extends { readonly key: string }>(items: T[], key: string): number {
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (items[mid]!.key < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first item whose key is >= `key`. */
  lowerBound(key: string): number {
    if (this.count === 0) return 0;
    const c = this.chunkFor(key);
    let before = 0;
    for (let i = 0; i < c; i++) before += this.chunks[i]!.length;
    return before + SortedByKey.lowerIn(this.chunks[c]!, key);
  }

  /** Index of the first item whose key is > `key`. */
  upperBound(key: string): number {
    const i = this.lowerBound(key);
    return i < this.count && this.at(i)!.key === key ? i + 1 : i;
  }

  /** Inserts `item`, or replaces the item with the same key. */
  add(item: T): void {
    if (this.count === 0) {
      this.chunks.push([item]);
      this.count = 1;
      return;
    }
    const c = this.chunkFor(item.key);
    const chunk = this.chunks[c]!;
    const last = chunk[chunk.length - 1]!;
    let i: number;
    if (last.key < item.key)
      i = chunk.length; // past the last chunk's end: an append
    else {
      i = SortedByKey.lowerIn(chunk, item.key);
      if (chunk[i]!.key === item.key) {
        chunk[i] = item;
        return;
      }
    }
    if (i === chunk.length) chunk.push(item);
    else chunk.splice(i, 0, item);
    this.count++;
    if (chunk.length > MAX_CHUNK) this.chunks.splice(c + 1, 0, chunk.splice(chunk.length >>> 1));
  }

  remove(key: string): void {
    if (this.count === 0) return;
    const c = this.chunkFor(key);
    const chunk = this.chunks[c]!;
    const i = SortedByKey.lowerIn(chunk, key);
    if (chunk[i]?.key !== key) return;
    if (i === 0) chunk.shift();
    else chunk.splice(i, 1);
    this.count--;
    if (chunk.length === 0) this.chunks.splice(c, 1);
  }

  at(i: number): T | undefined {
    if (i < 0) return undefined;
    for (const chunk of this.chunks) {
      if (i < chunk.length) return chunk[i];
      i -= chunk.length;
    }
    return undefined;
  }

  /**
   * Calls `visit` with the items from position `from` on, in key order, until it returns false.
   * (Lists walk this instead of `at` per position, which would search the chunks each time.)
   */
  scan(from: number, visit: (item: T) => boolean | void): void {
    let skip = Math.max(0, from);
    for (const chunk of this.chunks) {
      if (skip >= chunk.length) {
        skip -= chunk.length;
        continue;
      }
      for (let i = skip; i < chunk.length; i++) if (visit(chunk[i]!) === false) return;
      skip = 0;
    }
  }

  /** The items from position `from` on, as a new array. */
  slice(from: number): T[] {
    const out: T[] = [];
    let skip = Math.max(0, from);
    for (const chunk of this.chunks) {
      if (skip >= chunk.length) {
        skip -= chunk.length;
        continue;
      }
      for (let i = skip; i < chunk.length; i++) out.push(chunk[i]!);
      skip = 0;
    }
    return out;
  }

  /** Replaces the content with `items` (any order; of equal keys the last one wins). */
  reset(items: Iterable<T>): void {
    const all = [...items];
    let sorted = true;
    for (let i = 1; i < all.length && sorted; i++) sorted = all[i - 1]!.key < all[i]!.key;
    let unique = all;
    if (!sorted) {
      all.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)); // stable: equal keys keep their order
      unique = [];
      for (const item of all) {
        if (unique.length > 0 && unique[unique.length - 1]!.key === item.key)
          unique[unique.length - 1] = item;
        else unique.push(item);
      }
    }
    // Half-full chunks leave room to insert without an immediate split.
    const step = MAX_CHUNK >>> 1;
    this.chunks = [];
    for (let i = 0; i < unique.length; i += step) this.chunks.push(unique.slice(i, i + step));
    this.count = unique.length;
  }

  /** Builds from items in any order (bulk loading). */
  static from<T extends { readonly key: string }>(items: Iterable<T>): SortedByKey<T> {
    const s = new SortedByKey<T>();
    s.reset(items);
    return s;
  }
}
