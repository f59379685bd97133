import type { KeyValue, Store } from '../../store/types.js';

/**
 * Every key under `prefix`, in the store's key order, in pages of at most `pageSize`, reading
 * each page at the store's current revision.
 *
 * Why not just page with `after`: a store range also reports how many keys its whole prefix holds
 * (`RangeResult.count`, ignoring limit and after), and both backends pay for that count by walking
 * the prefix. Paging a cluster of n keys in pages of p under the cluster's prefix therefore costs
 * n/p reads of n keys each — O(n²): at 100,000 tasks the removal scan of one reconcile pass took
 * minutes. So a prefix holding more than `directLimit` keys is not paged directly; it is split by
 * the next character of its keys (found by one-key probes) and each narrower prefix is walked in
 * turn. A split costs about (fan-out + 1) counted keys per key; paging directly costs n/p per key,
 * so with hex entity IDs (fan-out 16) paging directly is cheaper up to about 16 pages, the default
 * `directLimit`. 100,000 keys become ~16 prefixes of ~6,000, each paged in a few reads.
 *
 * Concurrent writes are fine (each page is a fresh read; the caller guards what it writes); a key
 * written during the walk may or may not be seen, as with plain paging.
 */
export async function* walkPrefix(
  store: Store,
  prefix: string,
  pageSize: number,
  directLimit = pageSize * 16,
): AsyncGenerator<KeyValue[]> {
  const first = await store.range({ prefix, limit: pageSize });
  if (first.count <= directLimit || first.next === undefined) {
    let page = first;
    for (;;) {
      if (page.items.length > 0) yield page.items;
      if (page.next === undefined) return;
      page = await store.range({ prefix, limit: pageSize, after: page.next });
    }
  }
  // Too many keys to page here cheaply: descend by one character.
  let probe: KeyValue | undefined = first.items[0];
  while (probe) {
    let after = probe.key;
    if (probe.key.length === prefix.length) {
      yield [probe]; // the prefix itself is a key
    } else {
      const child = prefix + String.fromCodePoint(probe.key.codePointAt(prefix.length)!);
      for await (const page of walkPrefix(store, child, pageSize, directLimit)) {
        after = page[page.length - 1]!.key;
        yield page;
      }
    }
    // The first key after everything under `child`: the next child's first key.
    probe = (await store.range({ prefix, limit: 1, after })).items[0];
  }
}
