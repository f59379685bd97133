import type { KeyValue, Store } from './types.js';

/**
 * Every key under `prefix` in key order, `pageSize` at a time, without counting the prefix
 * (a count walks every key under it, so counting per page made a walk of n keys cost O(n²/page)).
 * With `revision`, every page is read at that revision (a consistent snapshot, as long as it is
 * not compacted meanwhile); without, each page is a fresh read at the current revision, so a key
 * written during the walk may or may not be seen.
 */
export async function* rangePages(
  store: Store,
  options: { prefix: string; pageSize: number; revision?: number },
): AsyncGenerator<KeyValue[]> {
  let after: string | undefined;
  for (;;) {
    const page = await store.range({
      prefix: options.prefix,
      limit: options.pageSize,
      count: false,
      ...(after !== undefined ? { after } : {}),
      ...(options.revision !== undefined ? { revision: options.revision } : {}),
    });
    if (page.items.length > 0) yield page.items;
    if (page.next === undefined) return;
    after = page.next;
  }
}
