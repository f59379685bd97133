/**
 * The Store contract: one suite that runs unchanged against every backend.
 *
 *   storeContract('sqlite', async (options) => ({ store, cleanup }));
 *
 * `open` must return a fresh, empty store view (a new data dir, or a new etcd namespace); it gets
 * the compaction policy to use (tests turn automatic compaction off unless they test it).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CompactedError,
  Election,
  FutureRevisionError,
  InvalidArgumentError,
  LeaseNotFoundError,
  MAX_KEY_BYTES,
  MAX_VALUE_BYTES,
  StoreClosedError,
  observeLeader,
  rangePages,
  type CompactionPolicy,
  type LeaderInfo,
  type Store,
  type WatchEvent,
  type WatchOptions,
  type Watcher,
} from '../../src/store/index.js';
import { waitFor } from '../support/env.js';

export type OpenStore = (options?: { compaction?: CompactionPolicy }) => Promise<{
  store: Store;
  cleanup: () => Promise<void>;
}>;

interface Collected {
  batches: WatchEvent[][];
  errors: Error[];
  progress: number[];
  watcher: Watcher;
  events(): WatchEvent[];
}

async function collect(store: Store, prefix: string, options: WatchOptions = {}): Promise<Collected> {
  const batches: WatchEvent[][] = [];
  const errors: Error[] = [];
  const progress: number[] = [];
  const watcher = await store.watch(prefix, options, {
    onEvents: (events) => batches.push(events),
    onError: (err) => errors.push(err),
    onProgress: (rev) => progress.push(rev),
  });
  return { batches, errors, progress, watcher, events: () => batches.flat() };
}

const short = (events: WatchEvent[]) => events.map((e) => `${e.type}:${e.key}@${e.revision}`);

export function storeContract(name: string, open: OpenStore): void {
  const noCompaction: { compaction: CompactionPolicy } = { compaction: { intervalMs: 0 } };
  /** Runs `fn` with a fresh store and always cleans up. */
  const withStore = async (fn: (store: Store) => Promise<void>, options = noCompaction) => {
    const { store, cleanup } = await open(options);
    try {
      await fn(store);
    } finally {
      await store.close();
      await cleanup();
    }
  };

  describe(`Store contract: ${name}`, () => {
    it('put and get track revision, createRevision, modRevision and version', () =>
      withStore(async (store) => {
        const r0 = await store.revision();
        assert.ok(r0 >= 1);
        const a = await store.put('a', '1');
        assert.equal(a.revision, r0 + 1);
        assert.equal(a.prev, undefined);
        const b = await store.put('a', '2');
        assert.equal(b.revision, r0 + 2);
        assert.equal(b.prev?.value, '1');
        const kv = await store.get('a');
        assert.deepEqual(kv, {
          key: 'a',
          value: '2',
          createRevision: r0 + 1,
          modRevision: r0 + 2,
          version: 2,
        });
        assert.equal(await store.get('missing'), undefined);
        assert.equal(await store.revision(), r0 + 2);
        // Unicode keys and values round-trip.
        await store.put('ключ/☃', 'värde ✓');
        assert.equal((await store.get('ключ/☃'))?.value, 'värde ✓');
        // Empty values are values.
        await store.put('empty', '');
        assert.equal((await store.get('empty'))?.value, '');
      }));

    it('get at a past revision; future revision fails', () =>
      withStore(async (store) => {
        const r1 = (await store.put('k', 'v1')).revision;
        const r2 = (await store.put('k', 'v2')).revision;
        const r3 = (await store.delete('k')).revision;
        assert.equal((await store.get('k', { revision: r1 }))?.value, 'v1');
        assert.equal((await store.get('k', { revision: r2 }))?.version, 2);
        assert.equal(await store.get('k', { revision: r3 }), undefined);
        await assert.rejects(store.get('k', { revision: r3 + 100 }), FutureRevisionError);
        await assert.rejects(store.get('k', { revision: 0 }), InvalidArgumentError);
        await assert.rejects(store.get('k', { revision: -1 }), InvalidArgumentError);
        await assert.rejects(store.get('k', { revision: 1.5 }), InvalidArgumentError);
      }));

    it('delete removes a key once; re-creating starts a new life', () =>
      withStore(async (store) => {
        await store.put('d', 'x');
        const del = await store.delete('d');
        assert.equal(del.deleted, 1);
        const again = await store.delete('d');
        assert.equal(again.deleted, 0);
        assert.equal(again.revision, del.revision, 'deleting nothing does not create a revision');
        const re = await store.put('d', 'y');
        const kv = await store.get('d');
        assert.equal(kv?.createRevision, re.revision);
        assert.equal(kv?.version, 1);
      }));

    it('range by prefix with count, limit and continuation', () =>
      withStore(async (store) => {
        for (let i = 0; i < 25; i++) await store.put(`items/${String(i).padStart(2, '0')}`, `v${i}`);
        await store.put('itemsX', 'not under items/');
        await store.put('other/1', 'x');
        const all = await store.range({ prefix: 'items/' });
        assert.equal(all.count, 25);
        assert.equal(all.items.length, 25);
        assert.equal(all.next, undefined);
        assert.equal(all.items[0]?.key, 'items/00');
        const seen: string[] = [];
        let after: string | undefined;
        let pages = 0;
        for (;;) {
          const page = await store.range({ prefix: 'items/', limit: 10, after });
          assert.equal(page.count, 25, 'count ignores limit and after');
          seen.push(...page.items.map((kv) => kv.key));
          pages++;
          if (!page.next) break;
          assert.equal(page.next, page.items[page.items.length - 1]?.key);
          after = page.next;
        }
        assert.equal(pages, 3);
        assert.deepEqual(
          seen,
          all.items.map((kv) => kv.key),
        );
        const uncounted = await store.range({ prefix: 'items/', limit: 10, after: 'items/09', count: false });
        assert.equal(uncounted.count, undefined, 'count: false leaves the count out');
        assert.deepEqual(
          uncounted.items.map((kv) => kv.key),
          seen.slice(10, 20),
        );
        assert.equal(uncounted.next, seen[19]);
        const walked: string[] = [];
        for await (const page of rangePages(store, { prefix: 'items/', pageSize: 7 })) {
          assert.ok(page.length > 0 && page.length <= 7);
          walked.push(...page.map((kv) => kv.key));
        }
        assert.deepEqual(walked, seen, 'rangePages yields every key once, in order');
        const counted = await store.range({ prefix: 'items/', countOnly: true });
        assert.equal(counted.count, 25);
        assert.deepEqual(counted.items, []);
        const everything = await store.range({ prefix: '' });
        assert.equal(everything.count, 27);
        assert.equal((await store.range({ prefix: 'nothing/' })).count, 0);
      }));

    it('range at a past revision sees the old state', () =>
      withStore(async (store) => {
        await store.put('p/a', '1');
        const r = (await store.put('p/b', '1')).revision;
        await store.put('p/a', '2');
        await store.delete('p/b');
        await store.put('p/c', '1');
        const then = await store.range({ prefix: 'p/', revision: r });
        assert.deepEqual(
          then.items.map((kv) => [kv.key, kv.value]),
          [
            ['p/a', '1'],
            ['p/b', '1'],
          ],
        );
        assert.equal(then.count, 2);
        const page = await store.range({ prefix: 'p/', revision: r, limit: 1 });
        assert.equal(page.next, 'p/a');
        const now = await store.range({ prefix: 'p/' });
        assert.deepEqual(
          now.items.map((kv) => [kv.key, kv.value]),
          [
            ['p/a', '2'],
            ['p/c', '1'],
          ],
        );
        await assert.rejects(store.range({ prefix: 'p/', revision: now.revision + 10 }), FutureRevisionError);
      }));

    it('txn: compares on value, version, createRevision and modRevision', () =>
      withStore(async (store) => {
        const put = await store.put('t', 'v');
        const ok = async (compare: Parameters<Store['txn']>[0]['compare']) =>
          (await store.txn({ compare })).succeeded;
        assert.equal(await ok([{ key: 't', target: 'value', op: '=', value: 'v' }]), true);
        assert.equal(await ok([{ key: 't', target: 'value', op: '!=', value: 'v' }]), false);
        assert.equal(await ok([{ key: 't', target: 'value', op: '<', value: 'w' }]), true);
        assert.equal(await ok([{ key: 't', target: 'value', op: '>', value: 'w' }]), false);
        assert.equal(await ok([{ key: 't', target: 'version', op: '=', value: 1 }]), true);
        assert.equal(await ok([{ key: 't', target: 'createRevision', op: '=', value: put.revision }]), true);
        assert.equal(await ok([{ key: 't', target: 'modRevision', op: '<', value: put.revision }]), false);
        assert.equal(await ok([{ key: 't', target: 'modRevision', op: '>', value: put.revision - 1 }]), true);
        // A missing key has version/createRevision/modRevision 0; value compares fail.
        assert.equal(await ok([{ key: 'none', target: 'createRevision', op: '=', value: 0 }]), true);
        assert.equal(await ok([{ key: 'none', target: 'version', op: '=', value: 0 }]), true);
        assert.equal(await ok([{ key: 'none', target: 'value', op: '=', value: '' }]), false);
        assert.equal(await ok([{ key: 'none', target: 'value', op: '!=', value: 'x' }]), false);
        // All compares must hold.
        assert.equal(
          await ok([
            { key: 't', target: 'version', op: '=', value: 1 },
            { key: 't', target: 'value', op: '=', value: 'nope' },
          ]),
          false,
        );
      }));

    it('txn is atomic: all writes get one revision, a failed compare writes nothing', () =>
      withStore(async (store) => {
        await store.put('acct/a', '10');
        await store.put('old/1', 'x');
        await store.put('old/2', 'x');
        const w = await collect(store, '', {});
        const before = await store.revision();
        const res = await store.txn({
          compare: [{ key: 'acct/a', target: 'value', op: '=', value: '10' }],
          success: [
            { type: 'put', key: 'acct/a', value: '5' },
            { type: 'put', key: 'acct/b', value: '5' },
            { type: 'deletePrefix', prefix: 'old/' },
            { type: 'get', key: 'acct/a' },
            { type: 'get', key: 'acct/none' },
          ],
          failure: [{ type: 'get', key: 'acct/a' }],
        });
        assert.equal(res.succeeded, true);
        assert.equal(res.revision, before + 1);
        assert.equal(res.gets.length, 2);
        assert.equal(res.gets[0]?.value, '5');
        assert.equal(res.gets[1], undefined);
        const a = await store.get('acct/a');
        const b = await store.get('acct/b');
        assert.equal(a?.modRevision, res.revision);
        assert.equal(b?.modRevision, res.revision);
        assert.equal((await store.range({ prefix: 'old/' })).count, 0);
        // Failed compare: failure branch runs, nothing written, revision unchanged.
        const failed = await store.txn({
          compare: [{ key: 'acct/a', target: 'value', op: '=', value: '10' }],
          success: [{ type: 'put', key: 'acct/a', value: '0' }],
          failure: [{ type: 'get', key: 'acct/a' }],
        });
        assert.equal(failed.succeeded, false);
        assert.equal(failed.revision, res.revision);
        assert.equal(failed.gets[0]?.value, '5');
        assert.equal((await store.get('acct/a'))?.value, '5');
        // The watch saw the whole transaction as one batch of one revision.
        await waitFor('txn events', () => w.events().length >= 4);
        const txBatch = w.batches.find((batch) => batch.some((e) => e.revision === res.revision));
        assert.ok(txBatch);
        const ofRev = txBatch.filter((e) => e.revision === res.revision);
        assert.equal(ofRev.length, 4, short(txBatch).join(','));
        assert.deepEqual(ofRev.map((e) => `${e.type}:${e.key}`).sort(), [
          'delete:old/1',
          'delete:old/2',
          'put:acct/a',
          'put:acct/b',
        ]);
        await w.watcher.close();
      }));

    it('a put or delete of a key its compares read sees that key as it was (version, createRevision, prevValue)', () =>
      withStore(async (store) => {
        const first = await store.put('g/a', 'a1');
        await store.put('g/a', 'a2');
        await store.put('g/b', 'b1');
        const w = await collect(store, 'g/', {});
        const a = (await store.get('g/a'))!;
        const b = (await store.get('g/b'))!;
        const res = await store.txn({
          compare: [
            { key: 'g/a', target: 'modRevision', op: '=', value: a.modRevision },
            { key: 'g/b', target: 'modRevision', op: '=', value: b.modRevision },
            { key: 'g/new', target: 'modRevision', op: '=', value: 0 },
          ],
          success: [
            { type: 'put', key: 'g/a', value: 'a3' },
            { type: 'delete', key: 'g/b' },
            { type: 'put', key: 'g/new', value: 'n1' },
          ],
        });
        assert.equal(res.succeeded, true);
        const a3 = (await store.get('g/a'))!;
        assert.deepEqual(
          {
            value: a3.value,
            version: a3.version,
            createRevision: a3.createRevision,
            modRevision: a3.modRevision,
          },
          { value: 'a3', version: 3, createRevision: first.revision, modRevision: res.revision },
        );
        assert.equal(await store.get('g/b'), undefined);
        const n = (await store.get('g/new'))!;
        assert.deepEqual([n.version, n.createRevision], [1, res.revision]);
        await waitFor('the txn events', () => w.events().length >= 3);
        const byKey = new Map(w.events().map((e) => [e.key, e]));
        assert.equal(byKey.get('g/a')?.prevValue, 'a2');
        assert.equal(byKey.get('g/a')?.version, 3);
        assert.equal(byKey.get('g/b')?.type, 'delete');
        assert.equal(byKey.get('g/b')?.prevValue, 'b1');
        assert.equal(byKey.get('g/new')?.prevValue, undefined);
        await w.watcher.close();
      }));

    it('rejects bad input with InvalidArgumentError naming the problem', () =>
      withStore(async (store) => {
        await assert.rejects(store.put('', 'v'), /key must not be empty/);
        await assert.rejects(store.get(''), InvalidArgumentError);
        await assert.rejects(
          store.put('k'.repeat(MAX_KEY_BYTES + 1), 'v'),
          /key is 1025 bytes long; the limit is 1024/,
        );
        // Multi-byte characters count as bytes.
        await assert.rejects(store.put('☃'.repeat(400), 'v'), /key is 1200 bytes long/);
        await assert.rejects(
          store.put('k', 'x'.repeat(MAX_VALUE_BYTES + 1)),
          /value of key "k" is 1048577 bytes/,
        );
        await assert.rejects(store.range({ prefix: 'a/', limit: 0 }), /limit must be a positive integer/);
        await assert.rejects(store.range({ prefix: 'a/', limit: 2.5 }), InvalidArgumentError);
        await assert.rejects(store.range({ prefix: 'a/', after: 'b/x' }), /must start with the prefix/);
        await assert.rejects(
          store.range({ prefix: 'a/', revision: -3 }),
          /revision must be a positive integer/,
        );
        await assert.rejects(
          store.watch('a/', { fromRevision: 0 }, { onEvents() {}, onError() {} }),
          /fromRevision/,
        );
        await assert.rejects(store.compact(-1), InvalidArgumentError);
        await assert.rejects(store.compact((await store.revision()) + 10), FutureRevisionError);
        await assert.rejects(store.grantLease(0), /ttl must be a positive whole number/);
        await assert.rejects(store.put('k', 'v', { lease: 'abc' }), /lease must be a lease id/);
        await assert.rejects(
          store.txn({ compare: [{ key: 'k', target: 'version', op: '=', value: 'x' }] }),
          /needs a non-negative integer/,
        );
        await assert.rejects(
          store.txn({
            success: [
              { type: 'put', key: 'k', value: '1' },
              { type: 'put', key: 'k', value: '2' },
            ],
          }),
          /written twice/,
        );
        await assert.rejects(
          store.txn({ success: [{ type: 'bogus' } as never] }),
          /type must be one of put, delete, deletePrefix, get/,
        );
        await assert.rejects(
          store.txn({
            success: [
              { type: 'put', key: 'big1', value: 'x'.repeat(MAX_VALUE_BYTES) },
              { type: 'put', key: 'big2', value: 'x'.repeat(MAX_VALUE_BYTES) },
            ],
          }),
          /a transaction writes at most 1310720 bytes/,
        );
        await assert.rejects(
          store.txn({
            success: Array.from({ length: 129 }, (_, i) => ({ type: 'get' as const, key: `k${i}` })),
          }),
          /at most 128 compares and operations/,
        );
        // Nothing of the above was written.
        assert.equal((await store.range({ prefix: '' })).count, 0);
      }));

    it('watch replays history from a revision (inclusive), then follows live changes', () =>
      withStore(async (store) => {
        const r1 = (await store.put('w/a', '1')).revision;
        await store.put('x/ignored', '1');
        await store.put('w/b', '1');
        await store.delete('w/a');
        const w = await collect(store, 'w/', { fromRevision: r1 });
        await waitFor('replay', () => w.events().length >= 3);
        const live = await store.put('w/c', '1');
        await store.put('x/ignored', '2');
        await waitFor('live event', () => w.events().length >= 4);
        const events = w.events();
        assert.deepEqual(
          events.map((e) => `${e.type}:${e.key}`),
          ['put:w/a', 'put:w/b', 'delete:w/a', 'put:w/c'],
        );
        assert.equal(events[0]?.revision, r1);
        assert.equal(events[0]?.value, '1');
        assert.equal(events[0]?.version, 1);
        assert.equal(events[2]?.prevValue, '1', 'deletes carry the previous value');
        assert.equal(events[2]?.value, undefined);
        assert.equal(events[3]?.revision, live.revision);
        for (let i = 1; i < events.length; i++) assert.ok(events[i]!.revision > events[i - 1]!.revision);
        assert.deepEqual(w.errors, []);
        await w.watcher.close();
        await store.put('w/d', '1');
        await store.put('w/e', '1');
        // After close, nothing more arrives (give the store a write round-trip to prove it).
        await store.get('w/d');
        assert.equal(w.events().length, 4);
        await w.watcher.close(); // idempotent
      }));

    it('watch without a revision sees only new changes; several watchers are independent', () =>
      withStore(async (store) => {
        await store.put('n/old', '1');
        const w1 = await collect(store, 'n/');
        const w2 = await collect(store, 'n/b');
        await store.put('n/a', '1');
        await store.put('n/b1', '1');
        await waitFor('w1 events', () => w1.events().length >= 2);
        await waitFor('w2 events', () => w2.events().length >= 1);
        assert.deepEqual(
          w1.events().map((e) => e.key),
          ['n/a', 'n/b1'],
        );
        assert.deepEqual(
          w2.events().map((e) => e.key),
          ['n/b1'],
        );
        await w1.watcher.close();
        await w2.watcher.close();
      }));

    it('watch from a future revision starts at that revision', () =>
      withStore(async (store) => {
        const now = await store.revision();
        const w = await collect(store, 'f/', { fromRevision: now + 3 });
        await store.put('f/1', '1');
        await store.put('f/2', '2');
        const third = await store.put('f/3', '3');
        await store.put('f/4', '4');
        await waitFor('events from the future revision', () => w.events().length >= 2);
        assert.deepEqual(
          w.events().map((e) => e.key),
          ['f/3', 'f/4'],
        );
        assert.equal(w.events()[0]?.revision, third.revision);
        await w.watcher.close();
      }));

    it('watch replay of many revisions is complete and in order', () =>
      withStore(async (store) => {
        const first = (await store.put('m/0', '0')).revision;
        for (let i = 1; i < 300; i++) {
          await store.txn({
            success: [
              { type: 'put', key: `m/${i % 50}`, value: String(i) },
              { type: 'put', key: `m/other/${i % 7}`, value: String(i) },
            ],
          });
        }
        const w = await collect(store, 'm/', { fromRevision: first });
        await waitFor('all 599 events', () => w.events().length >= 599, { timeoutMs: 20_000 });
        const events = w.events();
        assert.equal(events.length, 599);
        for (let i = 1; i < events.length; i++) assert.ok(events[i]!.revision >= events[i - 1]!.revision);
        // Both events of a revision are always in the same batch.
        for (const batch of w.batches) {
          const revs = new Set(batch.map((e) => e.revision));
          for (const rev of revs)
            assert.equal(events.filter((e) => e.revision === rev).length, rev === first ? 1 : 2);
          assert.equal(
            batch.filter((e) => e.revision !== first).length,
            (revs.size - (revs.has(first) ? 1 : 0)) * 2,
          );
        }
        await w.watcher.close();
      }));

    it('watch sends progress notifications while idle', () =>
      withStore(async (store) => {
        await store.put('idle/a', '1');
        const w = await collect(store, 'idle/', { progressIntervalMs: 100 });
        const rev = (await store.put('busy/x', '1')).revision;
        await waitFor('a progress notification at or after the latest write', () =>
          w.progress.some((p) => p >= rev),
        );
        assert.deepEqual(w.events(), []);
        await w.watcher.close();
      }));

    it('compaction: reads and watches before the compacted revision fail with CompactedError', () =>
      withStore(async (store) => {
        const r1 = (await store.put('c/a', '1')).revision;
        await store.put('c/a', '2');
        const r3 = (await store.put('c/b', '1')).revision;
        await store.put('c/a', '3');
        await store.compact(r3);
        await assert.rejects(store.get('c/a', { revision: r1 }), CompactedError);
        await assert.rejects(store.range({ prefix: 'c/', revision: r1 }), (err: unknown) => {
          assert.ok(err instanceof CompactedError);
          assert.match(err.message, /re-list/);
          assert.equal(err.status, 410);
          return true;
        });
        await assert.rejects(
          store.watch('c/', { fromRevision: r1 }, { onEvents() {}, onError() {} }),
          CompactedError,
        );
        // The compacted revision itself and later ones are still readable.
        assert.deepEqual(
          (await store.range({ prefix: 'c/', revision: r3 })).items.map((kv) => [kv.key, kv.value]),
          [
            ['c/a', '2'],
            ['c/b', '1'],
          ],
        );
        const w = await collect(store, 'c/', { fromRevision: r3 });
        await waitFor('replay from the compacted revision', () => w.events().length >= 2);
        assert.deepEqual(short(w.events()), [`put:c/b@${r3}`, `put:c/a@${r3 + 1}`]);
        await w.watcher.close();
        assert.ok((await store.status()).compactedRevision >= r3);
        await store.compact(r1); // compacting an older revision is a no-op
      }));

    it('automatic compaction keeps a bounded history', () =>
      withStore(
        async (store) => {
          let last = 0;
          for (let i = 0; i < 40; i++) last = (await store.put(`auto/${i % 3}`, String(i))).revision;
          await waitFor(
            'auto compaction',
            async () => (await store.status()).compactedRevision >= last - 10,
            {
              timeoutMs: 10_000,
            },
          );
          const st = await store.status();
          assert.ok(
            st.compactedRevision <= last - 10 + 1,
            `kept at least 10 revisions (${st.compactedRevision})`,
          );
          await assert.rejects(store.get('auto/0', { revision: last - 30 }), CompactedError);
          assert.equal((await store.get('auto/0', { revision: last - 5 }))?.key, 'auto/0');
        },
        { compaction: { retainRevisions: 10, retainMs: 0, intervalMs: 100 } },
      ));

    it('leases: keys attached to a revoked lease are deleted (delete events on watches)', () =>
      withStore(async (store) => {
        const lease = await store.grantLease(30);
        assert.equal(lease.ttlSeconds, 30);
        await store.put('l/a', '1', { lease: lease.id });
        await store.txn({ success: [{ type: 'put', key: 'l/b', value: '1', lease: lease.id }] });
        await store.put('l/keep', '1');
        assert.equal((await store.get('l/a'))?.lease, lease.id);
        const w = await collect(store, 'l/');
        await lease.revoke();
        await waitFor('two delete events', () => w.events().length >= 2);
        assert.deepEqual(
          w
            .events()
            .map((e) => `${e.type}:${e.key}`)
            .sort(),
          ['delete:l/a', 'delete:l/b'],
        );
        assert.equal(w.events()[0]?.revision, w.events()[1]?.revision, 'one revision for the revoke');
        assert.equal(await store.get('l/a'), undefined);
        assert.equal((await store.get('l/keep'))?.value, '1');
        await assert.rejects(store.put('l/c', '1', { lease: lease.id }), LeaseNotFoundError);
        await assert.rejects(store.put('l/c', '1', { lease: '123456789' }), LeaseNotFoundError);
        await w.watcher.close();
      }));

    it('leases: a lease that is not kept alive expires, deletes its keys and is reported lost', () =>
      withStore(async (store) => {
        const lease = await store.grantLease(1, { keepAlive: false });
        const lost: Error[] = [];
        lease.onLost((err) => lost.push(err));
        await store.put('e/a', '1', { lease: lease.id });
        const w = await collect(store, 'e/');
        await waitFor('the key to expire', async () => (await store.get('e/a')) === undefined, {
          timeoutMs: 15_000,
        });
        await waitFor('the delete event', () =>
          w.events().some((e) => e.type === 'delete' && e.key === 'e/a'),
        );
        await waitFor('onLost', () => lost.length === 1, { timeoutMs: 10_000 });
        await w.watcher.close();
      }));

    it('election: one leader; resign and key loss hand over; observe follows', () =>
      withStore(async (store) => {
        const a = new Election(store, 'elect/sched', { ttlSeconds: 5 });
        const b = new Election(store, 'elect/sched', { ttlSeconds: 5 });
        const c = new Election(store, 'elect/sched', { ttlSeconds: 5 });
        const seen: Array<LeaderInfo | undefined> = [];
        const obs = await observeLeader(store, 'elect/sched', (l) => seen.push(l));
        assert.equal(await a.leader(), undefined);
        await a.campaign('A');
        assert.equal(a.isLeader, true);
        let bLeads = false;
        const bCampaign = b.campaign('B').then(() => {
          bLeads = true;
        });
        await waitFor(
          'b to be a candidate',
          async () => (await store.range({ prefix: 'elect/sched/' })).count === 2,
        );
        assert.equal(bLeads, false);
        assert.equal((await b.leader())?.value, 'A');
        await waitFor('observe sees A', () => seen.at(-1)?.value === 'A');
        await a.resign();
        assert.equal(a.isLeader, false);
        await bCampaign;
        assert.equal(b.isLeader, true);
        assert.equal((await a.leader())?.value, 'B');
        await waitFor('observe sees B', () => seen.at(-1)?.value === 'B');
        await b.proclaim('B2');
        await waitFor('observe sees B2', () => seen.at(-1)?.value === 'B2');

        // Leadership lost (the key disappears, as when its lease expires): the next candidate takes over.
        const lostB: Error[] = [];
        b.onLost((err) => lostB.push(err));
        const cCampaign = c.campaign('C');
        await waitFor(
          'c to be a candidate',
          async () => (await store.range({ prefix: 'elect/sched/' })).count === 2,
        );
        await store.delete(b.key!);
        await cCampaign;
        assert.equal(c.isLeader, true);
        await waitFor('b told it lost', () => lostB.length === 1);
        assert.equal(b.isLeader, false);
        await waitFor('observe sees C', () => seen.at(-1)?.value === 'C');

        // A pending campaign is cancelled by resign().
        const d = new Election(store, 'elect/sched', { ttlSeconds: 5 });
        const dCampaign = d.campaign('D').then(
          () => undefined,
          (err: unknown) => err,
        );
        await waitFor(
          'd to be a candidate',
          async () => (await store.range({ prefix: 'elect/sched/' })).count === 2,
        );
        await d.resign();
        assert.match(String(await dCampaign), /cancelled/);
        await c.resign();
        await waitFor('no leader', () => seen.length > 0 && seen.at(-1) === undefined);
        assert.equal((await store.range({ prefix: 'elect/sched/' })).count, 0);
        await obs.close();
      }));

    it('status reports the backend, revision and key count', () =>
      withStore(async (store) => {
        await store.put('s/1', 'x');
        const last = await store.put('s/2', 'x');
        const st = await store.status();
        assert.equal(st.backend, store.backend);
        assert.ok(st.revision >= last.revision);
        assert.ok(st.revision <= (await store.revision()));
        assert.equal(st.keys, 2);
      }));

    it('after close every call fails with StoreClosedError; close is idempotent', async () => {
      const { store, cleanup } = await open(noCompaction);
      try {
        await store.put('z', '1');
        const errors: Error[] = [];
        await store.watch('z', {}, { onEvents() {}, onError: (e) => errors.push(e) });
        await store.close();
        await store.close();
        await assert.rejects(store.get('z'), StoreClosedError);
        await assert.rejects(store.put('z', '2'), StoreClosedError);
        await assert.rejects(store.watch('z', {}, { onEvents() {}, onError() {} }), StoreClosedError);
      } finally {
        await cleanup();
      }
    });
  });
}
