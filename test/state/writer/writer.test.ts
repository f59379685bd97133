import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EntityUpdate } from '../../../src/core/ecs/validate.js';
import { decodeMessage } from '../../../src/core/ecs/events.js';
import { parseStoredEntity } from '../../../src/core/ecs/stored.js';
import type { Store } from '../../../src/store/types.js';
import { commitGuarded, MAX_KEYS_PER_TXN } from '../../../src/state/writer/guarded-commit.js';
import { VersionCache, writeEntityUpdates } from '../../../src/state/writer/entity-writer.js';
import { GroupCommitter } from '../../../src/state/writer/group-commit.js';
import { ENTITY_EVENTS, TASK_KEY, CI1_KEY, vectorBody } from '../../core/ecs/vectors.js';
import { BACKENDS, type Backend } from './backends.js';

function update(file: string): EntityUpdate {
  const r = decodeMessage(vectorBody(file));
  if (r.type !== 'entity') throw new Error(`${file} did not decode`);
  return r.update;
}

function withVersion(u: EntityUpdate, version: number, patch: Record<string, unknown> = {}): EntityUpdate {
  return { ...u, version, detail: { ...u.detail, ...patch, version } as EntityUpdate['detail'] };
}

async function storedVersion(store: Store, key: string): Promise<number | undefined> {
  const kv = await store.get(key);
  return parseStoredEntity(kv?.value)?.detail.version;
}

/** The store itself, with a count of the transactions that write (puts) made through it. */
function countingWriteTxns(store: Store): { counting: Store; commits: () => number } {
  let commits = 0;
  const counting: Store = Object.create(store) as Store;
  counting.txn = (req) => {
    if (req.success?.some((op) => op.type === 'put')) commits++;
    return store.txn(req);
  };
  return { counting, commits: () => commits };
}

for (const makeBackend of BACKENDS) {
  describe(`state writer (${makeBackend.name.replace('Backend', '')})`, () => {
    let backend: Backend;
    before(async () => {
      backend = await makeBackend();
    });
    after(async () => {
      await backend.close();
    });

    it('stores a StoredEntity under the entity key and orders by ECS version', async () => {
      const store = await backend.open();
      const running = update('events/task-running.json');
      const r1 = await writeEntityUpdates(store, [running], { source: 'event' });
      assert.deepEqual(
        r1.outcomes.map((o) => [o.result, o.created]),
        [['applied', true]],
      );
      assert.equal(r1.commits, 1);
      const kv = await store.get(TASK_KEY);
      const stored = parseStoredEntity(kv?.value)!;
      assert.equal(stored.kind, 'task');
      assert.equal(stored.account, '123456789012');
      assert.equal(stored.region, 'us-east-1');
      assert.equal(stored.cluster, 'default');
      assert.equal(stored.source, 'event');
      assert.deepEqual(stored.detail, running.detail);
      const rev = kv!.modRevision;

      // equal = duplicate, lower = stale; neither writes (the revision does not move)
      const pending = update('events/task-pending.json');
      const r2 = await writeEntityUpdates(store, [running, pending], { source: 'event' });
      assert.deepEqual(
        r2.outcomes.map((o) => o.result),
        ['duplicate', 'stale'],
      );
      assert.equal(r2.commits, 0);
      assert.equal((await store.get(TASK_KEY))!.modRevision, rev);

      // higher wins, even across a gap
      const stopped = update('events/task-stopped.json');
      const r3 = await writeEntityUpdates(store, [stopped], { source: 'reconcile' });
      assert.deepEqual(
        r3.outcomes.map((o) => [o.result, o.created]),
        [['applied', false]],
      );
      assert.equal(await storedVersion(store, TASK_KEY), 4);
      assert.equal(parseStoredEntity((await store.get(TASK_KEY))?.value)!.source, 'reconcile');
    });

    it('merges several updates of one key in a batch and writes one transaction for the batch', async () => {
      const store = await backend.open();
      const before = await store.revision();
      const all = ENTITY_EVENTS.map(update);
      const batch = [...all, all[1]!, all[0]!]; // with in-batch duplicates
      const r = await writeEntityUpdates(store, batch, { source: 'event' });
      assert.equal(r.commits, 1);
      assert.equal(await store.revision(), before + 1);
      assert.deepEqual(
        r.outcomes.map((o) => `${o.update.kind}:${o.update.version}:${o.result}`),
        [
          'task:1:stale',
          'task:2:stale',
          'task:3:stale',
          'task:4:applied',
          'instance:1:stale',
          'instance:2:stale',
          'instance:4:stale',
          'instance:5:applied',
          'task:2:stale',
          'task:1:stale',
        ],
      );
      assert.equal(await storedVersion(store, TASK_KEY), 4);
      assert.equal(await storedVersion(store, CI1_KEY), 5);
    });

    it('repairs a damaged stored value', async () => {
      const store = await backend.open();
      await store.put(TASK_KEY, '{not json');
      const r = await writeEntityUpdates(store, [update('events/task-pending.json')], { source: 'event' });
      assert.equal(r.outcomes[0]!.result, 'applied');
      assert.equal(await storedVersion(store, TASK_KEY), 1);
    });

    it('handles batches larger than one transaction', async () => {
      const store = await backend.open();
      const base = update('events/task-running.json');
      const many = Array.from({ length: MAX_KEYS_PER_TXN * 2 + 5 }, (_, i) => ({
        ...base,
        key: `${base.key}-${i}`,
      }));
      const r = await writeEntityUpdates(store, many, { source: 'event' });
      assert.equal(r.commits, 3);
      assert.ok(r.outcomes.every((o) => o.result === 'applied'));
      const listed = await store.range({ prefix: 'ecs/task/', countOnly: true });
      assert.equal(listed.count, many.length);
    });

    it('never moves back in version when concurrent writers race on the same keys', async () => {
      const store = await backend.open();
      const base = update('events/task-running.json');
      const keys = Array.from({ length: 5 }, (_, i) => `${base.key}-race${i}`);
      // 8 writers, each writing every key with its own interleaved set of versions
      const writers = Array.from({ length: 8 }, (_, w) =>
        (async () => {
          for (let round = 0; round < 6; round++) {
            const version = round * 8 + ((w * 3) % 8) + 1;
            await writeEntityUpdates(
              store,
              keys.map((key) => ({ ...withVersion(base, version), key })),
              { source: 'event' },
            );
          }
        })(),
      );
      await Promise.all(writers);
      const maxVersion = Math.max(...Array.from({ length: 8 }, (_, w) => 5 * 8 + ((w * 3) % 8) + 1));
      for (const key of keys) assert.equal(await storedVersion(store, key), maxVersion, key);
    });

    it('re-decides only the keys another writer changed between read and commit', async () => {
      const store = await backend.open();
      await store.put('a', 'old-a');
      await store.put('b', 'old-b');
      // Another writer changes b after our read and before our commit: the store is real, the
      // interfering write is a real write issued just before the guarded commit's transaction.
      let interfered = false;
      const racing: Store = Object.create(store) as Store;
      racing.txn = async (req) => {
        if (!interfered && req.compare?.length) {
          interfered = true;
          await store.put('b', 'other-b');
        }
        return store.txn(req);
      };
      const decided: string[] = [];
      const plan = (key: string, write: boolean) => ({
        key,
        decide(cur: { value: string } | undefined) {
          decided.push(`${key}:${cur?.value}`);
          return write
            ? { outcome: key, write: { type: 'put' as const, value: `${cur?.value}+1` } }
            : { outcome: key };
        },
      });
      const res = await commitGuarded(racing, [plan('a', true), plan('b', true), plan('c', false)]);
      assert.deepEqual(res.outcomes, ['a', 'b', 'c']);
      assert.equal(res.conflicts, 1);
      assert.equal(res.commits, 1);
      assert.deepEqual(decided, ['a:old-a', 'b:old-b', 'c:undefined', 'b:other-b']);
      assert.equal((await store.get('a'))!.value, 'old-a+1');
      assert.equal((await store.get('b'))!.value, 'other-b+1');
    });

    it('with a version cache: one transaction per batch, and still correct when the cache is stale or cold', async () => {
      const store = await backend.open();
      let txns = 0;
      const counting: Store = Object.create(store) as Store;
      counting.txn = (req) => {
        txns++;
        return store.txn(req);
      };
      const cache = new VersionCache();
      const [pending, running, stopping, stopped] = [
        'events/task-pending.json',
        'events/task-running.json',
        'events/task-stopping.json',
        'events/task-stopped.json',
      ].map(update);
      // new key: assumed absent, one transaction
      let r = await writeEntityUpdates(counting, [pending!], { source: 'event', cache });
      assert.deepEqual([r.outcomes[0]!.result, r.outcomes[0]!.created, txns], ['applied', true, 1]);
      // known key: decided from the cache, one transaction
      r = await writeEntityUpdates(counting, [running!], { source: 'event', cache });
      assert.deepEqual([r.outcomes[0]!.result, txns], ['applied', 2]);
      // duplicate and stale: no transaction at all
      r = await writeEntityUpdates(counting, [running!, pending!], { source: 'event', cache });
      assert.deepEqual([r.outcomes.map((o) => o.result), txns], [['duplicate', 'stale'], 2]);
      // another writer (no cache) moves the key on: our cache is stale, the compare catches it
      await writeEntityUpdates(store, [stopped!], { source: 'event' });
      r = await writeEntityUpdates(counting, [stopping!], { source: 'event', cache });
      assert.deepEqual([r.outcomes[0]!.result, r.conflicts], ['stale', 1]);
      assert.equal(await storedVersion(store, TASK_KEY), 4);
      // a cold cache on existing keys: the failed compare returns the values, no separate read
      const cold = new VersionCache();
      txns = 0;
      r = await writeEntityUpdates(counting, [running!, update('events/instance-registered.json')], {
        source: 'event',
        cache: cold,
      });
      assert.deepEqual(
        r.outcomes.map((o) => o.result),
        ['stale', 'applied'],
      );
      assert.equal(txns, 2);
      assert.equal(await storedVersion(store, TASK_KEY), 4);
      assert.equal(await storedVersion(store, CI1_KEY), 1);
    });

    it('with a version cache, concurrent writers still never move back in version', async () => {
      const store = await backend.open();
      const base = update('events/task-running.json');
      const keys = Array.from({ length: 4 }, (_, i) => `${base.key}-c${i}`);
      await Promise.all(
        Array.from({ length: 6 }, (_, w) =>
          (async () => {
            const cache = new VersionCache(); // each writer its own, like separate replicas
            for (let round = 0; round < 5; round++) {
              const version = round * 6 + ((w * 5) % 6) + 1;
              await writeEntityUpdates(
                store,
                keys.map((key) => ({ ...withVersion(base, version), key })),
                { source: 'event', cache },
              );
            }
          })(),
        ),
      );
      for (const key of keys) assert.equal(await storedVersion(store, key), 30, key);
    });

    it('group commit merges concurrent callers into fewer transactions, each caller getting its own outcomes', async () => {
      const store = await backend.open();
      const { counting, commits } = countingWriteTxns(store);
      const g = new GroupCommitter(counting, { source: 'event', cache: new VersionCache(), maxInFlight: 1 });
      const base = update('events/task-running.json');
      const callers = Array.from({ length: 12 }, (_, c) =>
        Array.from({ length: 5 }, (_, k) => ({ ...base, key: `${base.key}-g${c}-${k}` })),
      );
      // caller 0 also repeats one of caller 1's keys at the same version: a duplicate across callers
      callers[0]!.push({ ...base, key: `${base.key}-g1-0` });
      const results = await Promise.all(callers.map((u) => g.write(u)));
      results.forEach((r, c) => {
        assert.equal(r.length, callers[c]!.length);
        r.forEach((o, k) => assert.equal(o.update.key, callers[c]![k]!.key));
      });
      const all = results.flat().map((o) => o.result);
      assert.equal(all.filter((r) => r === 'applied').length, 60);
      assert.equal(all.filter((r) => r === 'duplicate').length, 1);
      assert.ok(commits() < callers.length, `${commits()} commits for ${callers.length} callers`);
      assert.equal((await store.range({ prefix: 'ecs/task/', countOnly: true })).count, 60);
    });

    it('group commit writes the batches handed in during one turn of the event loop in one transaction', async () => {
      const store = await backend.open();
      const { counting, commits } = countingWriteTxns(store);
      // the default two commits in flight: a synchronous store (SQLite) never has one pending
      const g = new GroupCommitter(counting, { source: 'event', cache: new VersionCache() });
      const base = update('events/task-running.json');
      const callers = Array.from({ length: 6 }, (_, c) =>
        Array.from({ length: 10 }, (_, k) => ({ ...base, key: `${base.key}-t${c}-${k}` })),
      );
      const results = await Promise.all(callers.map((u) => g.write(u)));
      assert.equal(results.flat().filter((o) => o.result === 'applied').length, 60);
      assert.equal(commits(), 1, `${commits()} commits for 6 batches of one turn`);
    });

    it('group commit hands the error of a failed commit to every caller in it', async () => {
      const store = await backend.open();
      await store.close();
      const g = new GroupCommitter(store, { source: 'event' });
      const base = update('events/task-running.json');
      const results = await Promise.allSettled(
        [1, 2, 3].map((i) => g.write([{ ...base, key: `${base.key}-f${i}` }])),
      );
      assert.ok(results.every((r) => r.status === 'rejected'));
    });

    it('the version cache is bounded', () => {
      const c = new VersionCache(3);
      for (let i = 1; i <= 5; i++) c.set(`k${i}`, i, i);
      assert.equal(c.size, 3);
      assert.equal(c.get('k1'), undefined);
      assert.deepEqual(c.get('k5'), { modRevision: 5, version: 5 });
      c.set('k5', 0, undefined);
      assert.equal(c.get('k5'), undefined);
    });

    it('deletes under a compare, and leaves a key that changed meanwhile', async () => {
      const store = await backend.open();
      await store.put('x', '1');
      const seen = await store.get('x');
      await store.put('x', '2');
      const res = await commitGuarded(
        store,
        [
          {
            key: 'x',
            decide(cur) {
              // delete only the copy we saw
              return cur?.modRevision === seen!.modRevision
                ? { outcome: 'deleted', write: { type: 'delete' } }
                : { outcome: 'kept' };
            },
          },
        ],
        { known: new Map([['x', seen]]) },
      );
      assert.deepEqual(res.outcomes, ['kept']);
      assert.equal(res.conflicts, 1);
      assert.equal((await store.get('x'))?.value, '2');
    });
  });
}
