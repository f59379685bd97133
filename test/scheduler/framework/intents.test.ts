import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BloxError } from '../../../src/core/errors.js';
import {
  CorruptLaunchIntentError,
  IntentLog,
  type LaunchIntent,
} from '../../../src/scheduler/framework/intents.js';
import {
  InvalidArgumentError,
  LeadershipLostError,
  MAX_TXN_BYTES,
  openStore,
  type Compare,
  type Store,
} from '../../../src/store/index.js';
import { tempDir } from '../../support/env.js';
import { startEtcd } from '../../support/etcd.js';

/**
 * IntentLog's storage: rows of up to 10 intents of one scope, partial removals rewriting a row,
 * old one-intent rows read and removed, fences, chunking at the value and transaction limits —
 * on a real SQLite store and a real etcd.
 */
const CLUSTER = 'arn:aws:ecs:us-east-1:123456789012:cluster/c';
const arn = (i: number) =>
  `arn:aws:ecs:us-east-1:123456789012:container-instance/c/${i.toString(16).padStart(32, '0')}`;
const AT = '2026-01-01T00:00:00.000Z';

function intent(scope: string, i: number, extra: Partial<LaunchIntent> = {}): LaunchIntent {
  return {
    scope,
    instance: arn(i),
    cluster: CLUSTER,
    taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/daemon:1',
    startedBy: 'dep-1',
    at: AT,
    state: 'calling',
    by: 'test',
    ...extra,
  };
}
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);
/** Orders intents the same way whatever order rows were read in. */
const sorted = (l: readonly LaunchIntent[]) =>
  [...l].sort((a, b) => (a.scope + a.instance < b.scope + b.instance ? -1 : 1));

/** Never fails: the key does not exist, so its createRevision is 0. */
const OPEN: Compare = { key: 'test/no-such-leader', target: 'createRevision', op: '=', value: 0 };
/** Always fails: a leadership term that ended. */
const ENDED: Compare = { key: 'test/no-such-leader', target: 'createRevision', op: '!=', value: 0 };

for (const kind of ['sqlite', 'etcd'] as const) {
  describe(`IntentLog storage (${kind} store)`, () => {
    let store: Store;
    let stop: () => Promise<void>;
    let n = 0;
    /** A prefix no other test writes under. */
    const fresh = () => `t${++n}/intents/`;

    before(async () => {
      if (kind === 'sqlite') {
        const dir = await tempDir();
        store = await openStore({ backend: 'sqlite', dataDir: dir.path });
        stop = dir.cleanup;
      } else {
        const etcd = await startEtcd();
        store = await openStore({ backend: 'etcd', endpoints: etcd.endpoints, namespace: 'intents/' });
        stop = etcd.stop;
      }
    });
    after(async () => {
      await store.close();
      await stop();
    });

    /** key → parsed value of every row under a prefix. */
    async function rows(
      prefix: string,
    ): Promise<Map<string, { intents?: LaunchIntent[] } & Partial<LaunchIntent>>> {
      const page = await store.range({ prefix, limit: 10_000 });
      return new Map(page.items.map((kv) => [kv.key, JSON.parse(kv.value)]));
    }

    it('puts rows of at most 10 intents per scope, lists them back, removes them', async () => {
      const prefix = fresh();
      const log = new IntentLog(store, prefix);
      const a = range(0, 25).map((i) => intent('a', i));
      const b = range(100, 103).map((i) => intent('b', i));
      const rev = await store.revision();
      await log.put([...a, ...b], OPEN);
      assert.equal(await store.revision(), rev + 1, 'one transaction');
      const stored = await rows(prefix);
      const sizes = [...stored].map(([key, v]) => [
        key.slice(prefix.length).replace(/g\/.*/, 'g'),
        v.intents!.length,
      ]);
      assert.deepEqual(sizes, [
        ['a/g', 10],
        ['a/g', 10],
        ['a/g', 5],
        ['b/g', 3],
      ]);
      assert.deepEqual(sorted(await log.list()), sorted([...a, ...b]));
      assert.deepEqual(sorted(await log.list('b')), sorted(b));
      await log.remove(
        'a',
        a.map((i) => i.instance),
        OPEN,
      );
      assert.deepEqual([...(await rows(`${prefix}a/`)).keys()], []);
      assert.deepEqual(sorted(await log.list()), sorted(b));
    });

    it('a partial removal rewrites the row with the rest; removing the rest deletes it; unknown instances are ignored', async () => {
      const prefix = fresh();
      const log = new IntentLog(store, prefix);
      const all = range(0, 10).map((i) => intent('a', i));
      await log.put(all, OPEN);
      const [key] = [...(await rows(prefix)).keys()];
      await log.remove('a', [arn(2), arn(5), arn(9)], OPEN);
      const rest = all.filter((i) => ![2, 5, 9].includes(Number.parseInt(i.instance.slice(-32), 16)));
      const after1 = await rows(prefix);
      assert.deepEqual([...after1.keys()], [key], 'the same row, rewritten');
      assert.deepEqual(after1.get(key!)!.intents, rest);
      assert.equal((await store.get(key!))?.version, 2);
      assert.deepEqual(await log.list('a'), rest);

      const rev = await store.revision();
      await log.remove('a', [arn(77), arn(2)], OPEN);
      await log.remove('nope', [arn(0)], OPEN);
      assert.equal(await store.revision(), rev, 'nothing to remove: no write at all');

      await log.remove(
        'a',
        rest.map((i) => i.instance),
        OPEN,
      );
      assert.equal((await rows(prefix)).size, 0);
      assert.deepEqual(await log.list(), []);
    });

    it('one removal spanning rows deletes the emptied ones and rewrites the others in one transaction', async () => {
      const prefix = fresh();
      const log = new IntentLog(store, prefix);
      await log.put(
        range(0, 30).map((i) => intent('a', i)),
        OPEN,
      );
      const rev = await store.revision();
      await log.remove('a', [...range(0, 10), 15, 29].map(arn), OPEN);
      assert.equal(await store.revision(), rev + 1);
      const left = [...(await rows(prefix)).values()].map((v) => v.intents!.length);
      assert.deepEqual(left, [9, 9]);
      assert.deepEqual(
        (await log.list()).map((i) => i.instance),
        [...range(10, 15), ...range(16, 29)].map(arn),
      );
    });

    it('removeScope deletes every row of the scope (group and old per-instance rows), and the log keeps working', async () => {
      const prefix = fresh();
      const log = new IntentLog(store, prefix);
      await store.put(log.key('a', arn(50)), JSON.stringify(intent('a', 50)));
      await log.put([...range(0, 12).map((i) => intent('a', i)), intent('b', 1)], OPEN);
      await log.removeScope('a', OPEN);
      assert.deepEqual(
        [...(await rows(prefix)).keys()].map((k) => k.slice(prefix.length, prefix.length + 4)),
        ['b/g/'],
      );
      assert.deepEqual(await log.list(), [intent('b', 1)]);
      await log.put([intent('a', 3)], OPEN);
      await log.remove('a', [arn(3)], OPEN);
      await log.remove('b', [arn(1)], OPEN);
      assert.equal((await rows(prefix)).size, 0);
      await assert.rejects(log.removeScope('b', ENDED), LeadershipLostError);
    });

    it('a fresh log (the next leader) lists everything another wrote, and removes it, with or without listing first', async () => {
      const prefix = fresh();
      const first = new IntentLog(store, prefix);
      await first.put(
        range(0, 30).map((i) => intent('a', i)),
        OPEN,
      );
      await first.put(
        range(0, 4).map((i) => intent('b', i)),
        OPEN,
      );
      await first.remove('a', [arn(3), arn(14)], OPEN);
      const expected = sorted(await first.list());
      assert.equal(expected.length, 32);

      const next = new IntentLog(store, prefix);
      assert.deepEqual(sorted(await next.list()), expected);
      await next.remove('a', range(0, 30).map(arn), OPEN);
      assert.deepEqual(sorted(await next.list()), sorted(range(0, 4).map((i) => intent('b', i))));

      // A log that never listed reads the store before its first write plans on what it holds.
      const unlisted = new IntentLog(store, prefix);
      await unlisted.remove('b', [arn(0), arn(1), arn(2), arn(3)], OPEN);
      assert.equal((await rows(prefix)).size, 0);
    });

    it("reads and removes an earlier release's per-instance rows; of two copies the newer `at` wins and both go", async () => {
      const prefix = fresh();
      const old = (i: number, extra: Partial<LaunchIntent> = {}) => intent('a', i, extra);
      const legacy = new IntentLog(store, prefix);
      for (const i of [0, 1, 2, 3])
        await store.put(legacy.key('a', arn(i)), JSON.stringify(old(i, { taskDefinition: 'old' })));
      const writer = new IntentLog(store, prefix);
      await writer.list();
      const later = '2026-01-01T00:00:05.000Z';
      const earlier = '2025-12-31T23:59:00.000Z';
      // Written as if by a crash between the new row and the old one's removal: two copies each.
      await store.put(
        `${prefix}a/g/crashed-1`,
        JSON.stringify({
          intents: [
            old(1, { taskDefinition: 'newer', at: later }),
            old(2, { taskDefinition: 'older', at: earlier }),
          ],
        }),
      );
      await writer.put([intent('a', 9)], OPEN);

      const next = new IntentLog(store, prefix);
      const listed = new Map((await next.list('a')).map((i) => [i.instance, i]));
      assert.equal(listed.size, 5);
      assert.equal(listed.get(arn(0))!.taskDefinition, 'old');
      assert.equal(listed.get(arn(1))!.taskDefinition, 'newer', 'the newer `at` wins');
      assert.equal(listed.get(arn(2))!.taskDefinition, 'old', 'the newer `at` wins, even from an old row');
      assert.equal(listed.get(arn(9))!.taskDefinition, intent('a', 9).taskDefinition);

      await next.remove('a', [arn(0), arn(1)], OPEN);
      const left = await rows(prefix);
      assert.equal(left.has(legacy.key('a', arn(0))), false);
      assert.equal(left.has(legacy.key('a', arn(1))), false);
      assert.deepEqual(
        left.get(`${prefix}a/g/crashed-1`)!.intents!.map((i) => i.instance),
        [arn(2)],
      );
      await next.remove('a', [arn(2), arn(3), arn(9)], OPEN);
      assert.equal((await rows(prefix)).size, 0);
    });

    it('putting an instance again replaces its intent: the old copy leaves its row', async () => {
      const prefix = fresh();
      const log = new IntentLog(store, prefix);
      await log.put([intent('a', 1), intent('a', 2)], OPEN);
      await log.put([intent('a', 1, { taskDefinition: 'two' })], OPEN);
      assert.deepEqual(sorted(await new IntentLog(store, prefix).list()), [
        intent('a', 1, { taskDefinition: 'two' }),
        intent('a', 2),
      ]);
      assert.equal((await rows(prefix)).size, 2);
      await log.put([intent('a', 2, { taskDefinition: 'x' }), intent('a', 2, { taskDefinition: 'y' })], OPEN);
      assert.deepEqual(
        [...(await rows(prefix)).values()].map((v) => v.intents!.map((i) => i.taskDefinition)),
        [['two'], ['y']],
        'the old rows emptied are deleted; of duplicates in one put the last wins',
      );
    });

    it('a failed fence throws LeadershipLostError and changes neither the store nor what the log knows', async () => {
      const prefix = fresh();
      const log = new IntentLog(store, prefix);
      await log.put(
        range(0, 10).map((i) => intent('a', i)),
        OPEN,
      );
      const before = await rows(prefix);
      const rev = await store.revision();
      await assert.rejects(
        log.put([intent('a', 20), intent('a', 3, { by: 'other' })], ENDED),
        LeadershipLostError,
      );
      await assert.rejects(log.remove('a', [arn(0), arn(1)], ENDED), LeadershipLostError);
      await assert.rejects(log.remove('a', range(0, 10).map(arn), ENDED), LeadershipLostError);
      assert.equal(await store.revision(), rev);
      assert.deepEqual(await rows(prefix), before);
      // Behaviour that depends on the map: 20 is unknown (no write), 3 is still in its row with 0–9.
      await log.remove('a', [arn(20)], OPEN);
      assert.equal(await store.revision(), rev);
      await log.remove('a', [arn(3)], OPEN);
      assert.deepEqual(
        [...(await rows(prefix)).values()].map((v) => v.intents!.length),
        [9],
      );
    });

    it('chunks rows under the byte bound and transactions under the store limits', async () => {
      const prefix = fresh();
      const log = new IntentLog(store, prefix);
      const big = (i: number, size: number) => intent('a', i, { taskDefinition: 'x'.repeat(size) });
      // 20 kB intents: 3 fit in a 64 KiB row. 80 of them are 1.6 MB, more than one transaction may write.
      const many = range(0, 80).map((i) => big(i, 20_000));
      const rev = await store.revision();
      await log.put([...many, big(500, 100_000)], OPEN);
      assert.equal(await store.revision(), rev + 2, 'two transactions under MAX_TXN_BYTES');
      const stored = await store.range({ prefix, limit: 1000 });
      for (const kv of stored.items)
        assert.ok(kv.value.length <= 101_000, `${kv.key} is ${kv.value.length} bytes`);
      const sizes = stored.items.map((kv) => (JSON.parse(kv.value) as { intents: unknown[] }).intents.length);
      assert.deepEqual(
        sizes.sort(),
        [...Array<number>(26).fill(3), 2, 1].sort(),
        'rows of 3, the big one alone',
      );
      assert.ok(stored.items.every((kv) => kv.value.length <= 64 * 1024 || kv.value.length > 100_000));
      assert.ok(MAX_TXN_BYTES < 80 * 20_000);
      assert.equal((await new IntentLog(store, prefix).list()).length, 81);
      // A value the store cannot hold is refused with the store's message; nothing changes.
      await assert.rejects(log.put([big(600, 1024 * 1024)], OPEN), InvalidArgumentError);
      assert.equal((await log.list()).length, 81);
      await log.removeScope('a', OPEN);
    });

    it('chunks transactions at MAX_TXN_OPS − 1 operations and the fence', async () => {
      const prefix = fresh();
      const log = new IntentLog(store, prefix, { rowIntents: 1 });
      const rev = await store.revision();
      await log.put(
        range(0, 300).map((i) => intent('a', i)),
        OPEN,
      );
      assert.equal(await store.revision(), rev + 3, '300 rows: 127 + 127 + 46');
      assert.equal((await rows(prefix)).size, 300);
      await log.remove('a', range(0, 300).map(arn), OPEN);
      assert.equal(await store.revision(), rev + 6);
      assert.equal((await rows(prefix)).size, 0);
    });

    it('interleaved calls run in call order against what the previous one committed', async () => {
      const prefix = fresh();
      const log = new IntentLog(store, prefix);
      const calls: Array<Promise<unknown>> = [];
      for (let round = 0; round < 5; round++) {
        const base = round * 20;
        calls.push(
          log.put(
            range(base, base + 20).map((i) => intent('a', i)),
            OPEN,
          ),
        );
        // Removals from the same rows, issued before the put above has committed.
        calls.push(log.remove('a', [arn(base), arn(base + 11)], OPEN));
        calls.push(log.remove('a', [arn(base + 1), arn(base + 12)], OPEN));
      }
      calls.push(log.list('a'));
      await Promise.all(calls);
      const expected = range(0, 100).filter((i) => ![0, 1, 11, 12].includes(i % 20));
      const fromStore = (await new IntentLog(store, prefix).list()).map((i) => i.instance).sort();
      assert.deepEqual(fromStore, expected.map(arn).sort());
      assert.equal(
        [...(await rows(prefix)).values()].reduce((s, v) => s + v.intents!.length, 0),
        80,
      );
    });

    it('a row that is not intents is named in the error; bad options are refused', async () => {
      const prefix = fresh();
      await store.put(`${prefix}a/g/bad`, '{"intents": 5');
      await assert.rejects(new IntentLog(store, prefix).list(), (err: Error) => {
        assert.ok(err instanceof CorruptLaunchIntentError);
        assert.match(err.message, new RegExp(`${prefix}a/g/bad.*not JSON`));
        return true;
      });
      await store.put(`${prefix}a/g/bad`, '{"intents": [{"scope": 1}]}');
      await assert.rejects(new IntentLog(store, prefix).remove('a', [arn(1)]), /not a launch intent/);
      assert.throws(() => new IntentLog(store, prefix, { rowIntents: 0 }), BloxError);
      assert.throws(
        () => new IntentLog(store, prefix, { rowBytes: 1.5 }),
        /rowBytes must be a positive integer/,
      );
    });
  });
}
