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
 * turn. With hex entity IDs a split counts the prefix about 3 times (its first read, then one probe
 * after 9 and one after f) plus each child once per page; paging directly counts it once per page,
 * so the default `directLimit` (16 pages) is a generous break-even that also suits other
 * alphabets. 100,000 keys become 16 prefixes of ~6,000, each paged in a few reads.
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
  // Too many keys to page here cheaply: descend by one character. After a child, the child of the
  // next code point is tried first (hex IDs are two runs, 0-9 and a-f): that read counts only the
  // child. Only when it is empty does a one-key probe of the whole prefix find the next child.
  let probe: KeyValue | undefined = first.items[0];
  while (probe) {
    let after = probe.key;
    if (probe.key.length === prefix.length) {
      yield [probe]; // the prefix itself is a key
    } else {
      let cp: number | undefined = probe.key.codePointAt(prefix.length)!;
      while (cp !== undefined) {
        let found = false;
        for await (const page of walkPrefix(
          store,
          prefix + String.fromCodePoint(cp),
          pageSize,
          directLimit,
        )) {
          found = true;
          after = page[page.length - 1]!.key;
          yield page;
        }
        cp = found ? nextCodePoint(cp) : undefined;
      }
    }
    probe = (await store.range({ prefix, limit: 1, after })).items[0];
  }
}

/**
 * The code point after `cp`, skipping the surrogate range (not characters of their own). Keys
 * sort by UTF-8 bytes, i.e. by code point, so no key lies between the children of cp and of the next.
 */
function nextCodePoint(cp: number): number | undefined {
  const next = cp + 1 === 0xd800 ? 0xe000 : cp + 1;
  return next > 0x10ffff ? undefined : next;
}
