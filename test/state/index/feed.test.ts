import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startIndexFeed } from '../../../src/state/index/feed.js';
import { StateIndex } from '../../../src/state/index/state-index.js';
import { openStore } from '../../../src/store/open.js';
import type { Store } from '../../../src/store/types.js';
import { startEtcd } from '../../support/etcd.js';
import { tempDir, waitFor } from '../../support/env.js';
import { keyOf, putEntities, task } from '../api/fixtures.js';

/**
 * The real store, with a gate in front of `watch` so the test decides when the feed's watch starts:
 * that is the only way to make "the history was compacted between the list and the watch" happen
 * on purpose. Everything else is the real backend.
 */
function gatedWatch(store: Store): { store: Store; open(): void; waiting(): boolean } {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let waiting = false;
  const gated = Object.create(store) as Store;
  gated.watch = async (prefix, options, handlers) => {
    waiting = true;
    await gate;
    return store.watch(prefix, options, handlers);
  };
  return { store: gated, open: () => release(), waiting: () => waiting };
}

async function relistAfterCompaction(store: Store): Promise<void> {
  await putEntities(store, [task({ id: 'keep' }), task({ id: 'gone' }), task({ id: 'changes' })]);
  const gated = gatedWatch(store);
  const index = new StateIndex();
  const relists: string[] = [];
  const feed = startIndexFeed({
    store: gated.store,
    index,
    retryDelayMs: 20,
    onRelist: (r) => relists.push(r),
  });
  try {
    await feed.ready;
    await waitFor('the feed to ask for its watch', () => gated.waiting());
    const seen: string[] = [];
    index.subscribe({}, { onChange: (c) => seen.push(`${c.type}:${c.entry.fields.id}`) });
    // Changes the index has not seen, then their history is compacted away before the watch starts.
    await putEntities(store, [
      task({ id: 'changes', lastStatus: 'STOPPED', version: 2 }),
      task({ id: 'new' }),
    ]);
    await store.delete(keyOf(task({ id: 'gone' })));
    const last = await store.revision();
    await store.compact(last);
    gated.open();
    await waitFor('the index to re-list and converge', () => index.revision >= last && relists.length > 0, {
      timeoutMs: 10_000,
    });
    assert.deepEqual(relists, ['compacted']);
    assert.deepEqual(
      index.list('task').items.map((e) => `${e.fields.id}:${e.fields.status}`),
      ['changes:STOPPED', 'keep:RUNNING', 'new:RUNNING'],
    );
    assert.deepEqual(seen.sort(), ['delete:gone', 'put:changes', 'put:new']);
    assert.equal(index.oldestResumableRevision, last + 1);
    // And it keeps following live changes afterwards.
    const rev = await putEntities(store, [task({ id: 'after' })]);
    await waitFor(
      'a live change after the re-list',
      () => index.revision >= rev && index.count('task') === 4,
    );
  } finally {
    await feed.stop();
  }
}

describe('index feed: a watch that falls behind compaction re-lists and converges', () => {
  it('on SQLite', async () => {
    const dir = await tempDir();
    const store = await openStore({ backend: 'sqlite', dataDir: dir.path, compaction: { intervalMs: 0 } });
    try {
      await relistAfterCompaction(store);
    } finally {
      await store.close();
      await dir.cleanup();
    }
  });

  it('on etcd', async () => {
    const etcd = await startEtcd();
    const store = await openStore({
      backend: 'etcd',
      endpoints: etcd.endpoints,
      compaction: { intervalMs: 0 },
    });
    try {
      await relistAfterCompaction(store);
    } finally {
      await store.close();
      await etcd.stop();
    }
  });
});
