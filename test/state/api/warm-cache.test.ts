import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { itemJson } from '../../../src/state/api/serialize.js';
import { warmItemCache } from '../../../src/state/api/warm-cache.js';
import { toIndexEntry } from '../../../src/state/index/entry.js';
import { StateIndex } from '../../../src/state/index/state-index.js';
import { instance, keyOf, task } from './fixtures.js';

const entries = () => [
  ...Array.from({ length: 50 }, (_, i) => {
    const t = task({ id: `t${i}` });
    return toIndexEntry(keyOf(t), JSON.stringify(t), i + 1);
  }),
  ...Array.from({ length: 5 }, (_, i) => {
    const c = instance({ id: `i${i}` });
    return toIndexEntry(keyOf(c), JSON.stringify(c), 100 + i);
  }),
];

describe('list item cache warmer', () => {
  it('waits for the index, then serialises every entity in slices, exactly as a list would', async () => {
    const index = new StateIndex();
    const warmer = warmItemCache(index, { slice: 7 });
    const all = entries();
    index.replaceAll(all, 200);
    await warmer.done;
    for (const e of all) {
      const cached = e.cache.v03;
      assert.ok(cached !== undefined, e.key);
      assert.equal(e.cache.v03Bytes, Buffer.byteLength(cached));
      e.cache.v03 = undefined; // a fresh serialisation gives the same bytes
      assert.equal(itemJson(e, 'v03'), cached);
      assert.equal(e.cache.native, undefined, 'only the default format is warmed');
    }
  });

  it('works in slices, stops between slices and when stopped before the index is ready', async () => {
    const index = new StateIndex();
    const all = entries();
    index.replaceAll(all, 200);
    const warmer = warmItemCache(index, { slice: 10, budgetMs: 0 }); // one slice per turn
    await new Promise((r) => setImmediate(r)); // the first slice
    warmer.stop();
    await warmer.done;
    const warmed = all.filter((e) => e.cache.v03 !== undefined).length;
    assert.ok(warmed >= 10 && warmed < all.length, `${warmed} of ${all.length} warmed`);

    const never = new StateIndex();
    const early = warmItemCache(never);
    early.stop();
    await early.done;
    const later = entries();
    never.replaceAll(later, 200);
    await new Promise((r) => setImmediate(r));
    assert.ok(later.every((e) => e.cache.v03 === undefined));
  });
});
