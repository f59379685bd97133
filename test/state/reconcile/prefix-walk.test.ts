import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { walkPrefix } from '../../../src/state/reconcile/prefix-walk.js';
import { SqliteStore, type RangeOptions, type RangeResult, type Store } from '../../../src/store/index.js';
import { tempDir } from '../../support/env.js';

/** The real store, with every range call's reported count recorded (what the store had to count). */
function counting(store: Store): { store: Store; reads: Array<{ options: RangeOptions; count: number }> } {
  const reads: Array<{ options: RangeOptions; count: number }> = [];
  const wrapped = Object.create(store) as Store;
  wrapped.range = async (options: RangeOptions): Promise<RangeResult> => {
    const res = await store.range(options);
    reads.push({ options, count: res.count });
    return res;
  };
  return { store: wrapped, reads };
}

async function collect(store: Store, prefix: string, page: number, direct?: number): Promise<string[]> {
  const keys: string[] = [];
  for await (const items of walkPrefix(store, prefix, page, direct)) {
    assert.ok(items.length > 0 && items.length <= page, `page of ${items.length}`);
    keys.push(...items.map((kv) => kv.key));
  }
  return keys;
}

/** Deterministic, well spread 32-hex IDs like ECS's. */
function hexId(i: number): string {
  return createHash('md5').update(String(i)).digest('hex');
}

async function putAll(store: Store, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 100)
    await store.txn({
      success: keys.slice(i, i + 100).map((key) => ({ type: 'put' as const, key, value: 'v' })),
    });
}

describe('walkPrefix (paging a large prefix without counting it once per page)', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: SqliteStore;
  const prefix = 'ecs/task/1/r/big/';
  const ids = Array.from({ length: 5000 }, (_, i) => hexId(i));
  before(async () => {
    dir = await tempDir('blox-walk-');
    store = new SqliteStore({ dataDir: dir.path });
    await putAll(store, [
      ...ids.map((id) => prefix + id),
      // neighbours that are not under the prefix
      'ecs/task/1/r/bif/x',
      'ecs/task/1/r/big',
      'ecs/task/1/r/big0/x',
      'ecs/task/1/r/bih/',
    ]);
  });
  after(async () => {
    await store.close();
    await dir.cleanup();
  });

  it('yields every key under the prefix once, in key order, when it has to split', async () => {
    const keys = await collect(store, prefix, 50, 400);
    assert.deepEqual(keys, [...new Set(ids)].map((id) => prefix + id).sort());
  });

  it('pages a small prefix directly', async () => {
    const c = counting(store);
    const keys = await collect(c.store, prefix, 1000, 8000);
    assert.equal(keys.length, new Set(ids).size);
    assert.equal(c.reads.length, 5);
  });

  it('counts a bounded number of keys per key, where plain paging counts the prefix per page', async () => {
    const n = new Set(ids).size;
    const split = counting(store);
    await collect(split.store, prefix, 50, 400);
    const splitCounted = split.reads.reduce((a, r) => a + r.count, 0);
    // one level of 16 hex children: the prefix is counted 3 times (first read, probes after 9 and
    // after f), then each ~310-key child once per page (7 pages of 50)
    assert.ok(splitCounted < 12 * n, `walk counted ${splitCounted} keys for ${n}`);
    assert.equal(split.reads.filter((r) => r.options.prefix === prefix).length, 3);
    for (const r of split.reads)
      if (r.options.prefix !== prefix && (r.options.limit ?? 0) > 1)
        assert.ok(r.count <= 400, `page read of a ${r.count}-key prefix (${r.options.prefix})`);
    const plain = counting(store);
    let after: string | undefined;
    do {
      const page = await plain.store.range({ prefix, limit: 50, ...(after ? { after } : {}) });
      after = page.next;
    } while (after);
    const plainCounted = plain.reads.reduce((a, r) => a + r.count, 0);
    assert.ok(plainCounted > 90 * n, `plain paging counted ${plainCounted}`);
  });

  it('handles keys equal to the prefix, shared long stems, non-ASCII and an empty prefix', async () => {
    const d = await tempDir('blox-walk-');
    const s = new SqliteStore({ dataDir: d.path });
    try {
      const p = 'x/';
      const keys = [
        'x/',
        ...Array.from({ length: 300 }, (_, i) => `x/aaaaaaaaaa${String(i).padStart(4, '0')}`),
        ...Array.from({ length: 40 }, (_, i) => `x/é${i}`),
        ...Array.from({ length: 40 }, (_, i) => `x/😀${i}`),
        'x/b',
        'x/c',
        'x/e',
        'x/:',
        'x/9z',
        'x/\ud7ff1',
        'x/\ue0001',
        'x/\u{10ffff}',
        'y/outside',
      ];
      await putAll(s, keys);
      const expected = (await s.range({ prefix: p })).items.map((kv) => kv.key);
      assert.equal(expected.length, keys.length - 1);
      for (const [page, direct] of [
        [3, 10],
        [7, 7],
        [1, 1],
        [500, 4000],
      ] as const)
        assert.deepEqual(await collect(s, p, page, direct), expected, `page ${page}, direct ${direct}`);
      assert.deepEqual(
        await collect(s, '', 5, 20),
        (await s.range({ prefix: '' })).items.map((kv) => kv.key),
      );
      assert.deepEqual(await collect(s, 'nothing/', 5, 20), []);
    } finally {
      await s.close();
      await d.cleanup();
    }
  });

  it('yields each surviving key exactly once while keys are deleted during the walk', async () => {
    const d = await tempDir('blox-walk-');
    const s = new SqliteStore({ dataDir: d.path });
    try {
      const all = ids.slice(0, 2000).map((id) => `p/${id}`);
      await putAll(s, all);
      const sorted = [...new Set(all)].sort();
      const deleted = new Set(sorted.filter((_, i) => i % 3 === 0));
      const seen: string[] = [];
      let pages = 0;
      let cut = '';
      for await (const items of walkPrefix(s, 'p/', 20, 100)) {
        seen.push(...items.map((kv) => kv.key));
        if (pages++ === 2) {
          cut = seen[seen.length - 1]!;
          for (const key of deleted) if (key > cut) await s.delete(key);
        }
      }
      assert.equal(new Set(seen).size, seen.length, 'a key was yielded twice');
      const survivors = sorted.filter((k) => !deleted.has(k) || k <= cut);
      assert.deepEqual(seen, survivors);
    } finally {
      await s.close();
      await d.cleanup();
    }
  });
});
