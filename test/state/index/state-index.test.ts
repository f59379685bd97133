import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChangeLog, type IndexChange } from '../../../src/state/index/change-log.js';
import { toIndexEntry, InvalidStoredValue } from '../../../src/state/index/entry.js';
import { ResumeTooOldError, StateIndex } from '../../../src/state/index/state-index.js';
import { SortedByKey } from '../../../src/state/index/sorted-keys.js';
import { clusterFilter } from '../../../src/state/index/query.js';
import { instance, keyOf, task, type TaskSpec } from '../api/fixtures.js';

let rev = 0;
function entryOf(spec: TaskSpec, revision = ++rev) {
  const t = task(spec);
  return toIndexEntry(keyOf(t), JSON.stringify(t), revision);
}

function loaded(specs: TaskSpec[], options: { changeLogSize?: number } = {}): StateIndex {
  const index = new StateIndex(options);
  const entries = specs.map((s, i) => entryOf(s, i + 1));
  index.replaceAll(entries, specs.length);
  return index;
}

describe('toIndexEntry', () => {
  it('extracts the filter fields of a task, in both ARN formats', () => {
    for (const oldArn of [false, true]) {
      const e = entryOf({
        id: 'abc',
        oldArn,
        lastStatus: 'running',
        startedBy: 'me',
        instance: 'ci9',
        family: 'fam',
      });
      assert.equal(e.kind, 'task');
      assert.equal(e.key, 'ecs/task/111122223333/us-east-1/default/abc');
      assert.deepEqual(
        { ...e.fields },
        {
          account: '111122223333',
          region: 'us-east-1',
          cluster: 'default',
          id: 'abc',
          status: 'RUNNING',
          desiredStatus: 'RUNNING',
          startedBy: 'me',
          containerInstance: 'ci9',
          family: 'fam',
          group: 'family:fam',
        },
      );
    }
  });

  it('rejects values it cannot index, naming the problem', () => {
    const t = task({ id: 'x' });
    assert.throws(() => toIndexEntry('other/key', JSON.stringify(t), 1), InvalidStoredValue);
    assert.throws(() => toIndexEntry(keyOf(t), '{not json', 1), /not JSON/);
    assert.throws(() => toIndexEntry(keyOf(t), '{"kind":"task"}', 1), /no detail/);
    const i = instance({ id: 'y' });
    assert.throws(() => toIndexEntry(keyOf(t), JSON.stringify(i), 1), /is a instance, expected a task/);
  });
});

/**
 * Applies `ops` seeded random operations to `s` and to its model: 60% inserts or replacements of
 * one of `keys` keys (`k<number>`), 40% removals.
 */
function randomOps(
  s: SortedByKey<{ key: string; n: number }>,
  model: Map<string, number>,
  o: { ops: number; keys: number; seed: number },
): void {
  let seed = o.seed;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < o.ops; i++) {
    const k = `k${Math.floor(rnd() * o.keys)}`;
    if (rnd() < 0.6) {
      s.add({ key: k, n: i });
      model.set(k, i);
    } else {
      s.remove(k);
      model.delete(k);
    }
  }
}

describe('SortedByKey', () => {
  it('keeps items sorted and unique by key under random inserts, replacements and removals', () => {
    const s = new SortedByKey<{ key: string; n: number }>();
    const model = new Map<string, number>();
    randomOps(s, model, { ops: 3000, keys: 500, seed: 7 });
    const expected = [...model].sort(([a], [b]) => (a < b ? -1 : 1));
    assert.equal(s.size, expected.length);
    for (let i = 0; i < expected.length; i++)
      assert.deepEqual(s.at(i), { key: expected[i]![0], n: expected[i]![1] });
    assert.equal(s.upperBound(expected[3]![0]), 4);
    assert.equal(s.lowerBound(expected[3]![0]), 3);
    assert.deepEqual(
      s.slice(expected.length - 2).map((x) => x.key),
      expected.slice(-2).map(([k]) => k),
    );
  });

  it('bulk-loads sorted input as is and unsorted input sorted, the last of equal keys winning', () => {
    const sorted = SortedByKey.from([{ key: 'a' }, { key: 'b' }, { key: 'c' }]);
    assert.deepEqual(sorted.slice(0), [{ key: 'a' }, { key: 'b' }, { key: 'c' }]);
    const mixed = SortedByKey.from([
      { key: 'c', n: 1 },
      { key: 'a', n: 1 },
      { key: 'c', n: 2 },
      { key: 'b', n: 1 },
    ]);
    assert.deepEqual(mixed.slice(0), [
      { key: 'a', n: 1 },
      { key: 'b', n: 1 },
      { key: 'c', n: 2 },
    ]);
  });
});

describe('SortedByKey across many chunks', () => {
  it('matches a sorted model under 20,000 random inserts, replacements and removals', () => {
    const s = new SortedByKey<{ key: string; n: number }>();
    const model = new Map<string, number>();
    const check = () => {
      const expected = [...model].sort(([a], [b]) => (a < b ? -1 : 1));
      assert.equal(s.size, expected.length);
      assert.deepEqual(
        s.slice(0).map((x) => [x.key, x.n]),
        expected,
      );
      const scanned: string[] = [];
      s.scan(expected.length - 700, (x) => void scanned.push(x.key));
      assert.deepEqual(
        scanned,
        expected.slice(Math.max(0, expected.length - 700)).map(([k]) => k),
      );
      for (const i of [0, 1, 511, 512, 513, 1999, expected.length - 1]) {
        if (i < 0 || i >= expected.length) continue;
        assert.equal(s.at(i)?.key, expected[i]![0]);
        assert.equal(s.lowerBound(expected[i]![0]), i);
        assert.equal(s.upperBound(expected[i]![0]), i + 1);
        assert.equal(s.lowerBound(`${expected[i]![0]}!`), i + 1, 'a key between two items');
      }
      const stopAt: string[] = [];
      s.scan(0, (x) => stopAt.push(x.key) < 3);
      assert.equal(stopAt.length, Math.min(3, expected.length), 'a scan stops when told');
    };
    // grows past many chunks (ascending appends, then random keys), then shrinks to nothing
    for (let i = 0; i < 3000; i++) {
      const k = `a${String(i).padStart(5, '0')}`;
      s.add({ key: k, n: i });
      model.set(k, i);
    }
    check();
    randomOps(s, model, { ops: 20_000, keys: 4000, seed: 11 });
    check();
    for (const k of [...model.keys()]) {
      s.remove(k);
      model.delete(k);
    }
    check();
    assert.equal(s.lowerBound('x'), 0);
    assert.equal(s.at(0), undefined);
  });
});

describe('StateIndex secondary indexes under updates', () => {
  it('lists by every field what a fresh index of the final entries lists, after 3,000 tasks change', () => {
    const statuses = ['PROVISIONING', 'PENDING', 'RUNNING', 'STOPPED'];
    const live = new StateIndex();
    live.replaceAll([], 0);
    let r = 0;
    const final = new Map<string, ReturnType<typeof entryOf>>();
    for (let v = 0; v < 4; v++)
      for (let t = 0; t < 3000; t++) {
        const e = entryOf(
          {
            id: `t${String(t).padStart(5, '0')}`,
            lastStatus: statuses[v],
            desiredStatus: v === 3 ? 'STOPPED' : 'RUNNING',
            startedBy: t % 3 === 0 ? 'svc' : 'cron',
            instance: `i${(t + v) % 7}`,
            family: t % 2 ? 'web' : 'db',
          },
          ++r,
        );
        live.put(e);
        final.set(e.key, e);
      }
    const fresh = new StateIndex();
    fresh.replaceAll([...final.values()], r);
    const keys = (index: StateIndex, f: Parameters<StateIndex['list']>[1]) =>
      index.list('task', f, {}).items.map((e) => `${e.key}@${e.revision}`);
    for (const filter of [
      {},
      { status: 'STOPPED' },
      { status: 'RUNNING' },
      { desiredStatus: 'STOPPED' },
      { startedBy: 'svc' },
      { family: 'db', status: 'STOPPED' },
      { containerInstance: 'i3' },
    ]) {
      const got = keys(live, filter);
      assert.deepEqual(got, keys(fresh, filter), JSON.stringify(filter));
    }
    assert.equal(keys(live, { status: 'STOPPED' }).length, 3000);
    assert.equal(keys(live, { status: 'RUNNING' }).length, 0);
    // pages continue across chunk boundaries
    const page = live.list('task', { startedBy: 'svc' }, { limit: 600 });
    const rest = live.list('task', { startedBy: 'svc' }, { after: page.next! });
    assert.equal(page.items.length + rest.items.length, 1000);
    assert.equal(rest.items[0]!.key > page.items[599]!.key, true);
  });
});

describe('ChangeLog', () => {
  const change = (revision: number): IndexChange => ({
    type: 'put',
    kind: 'task',
    key: `k${revision}`,
    revision,
    entry: entryOf({ id: `c${revision}` }, revision),
  });

  it('serves every change from a covered revision, inclusive, and raises coverage on eviction', () => {
    const log = new ChangeLog(3, 10);
    assert.equal(log.covers(10), false);
    assert.equal(log.covers(11), true);
    for (const r of [11, 12, 13]) log.append(change(r));
    assert.deepEqual(
      log.since(12).map((c) => c.revision),
      [12, 13],
    );
    log.append(change(14)); // evicts 11
    assert.equal(log.coveredAfter, 11);
    assert.equal(log.covers(11), false);
    assert.deepEqual(
      log.since(12).map((c) => c.revision),
      [12, 13, 14],
    );
    log.reset(20);
    assert.equal(log.size, 0);
    assert.equal(log.covers(20), false);
    assert.equal(log.covers(21), true);
  });
});

describe('StateIndex.list', () => {
  const specs: TaskSpec[] = [];
  for (let i = 0; i < 200; i++) {
    specs.push({
      id: `t${String(i).padStart(3, '0')}`,
      cluster: i % 10 === 0 ? 'small' : 'big',
      lastStatus: i % 3 === 0 ? 'STOPPED' : 'RUNNING',
      desiredStatus: i % 3 === 0 ? 'STOPPED' : 'RUNNING',
      startedBy: i % 2 === 0 ? 'even' : 'odd',
      instance: `ci${i % 4}`,
      family: i % 5 === 0 ? 'five' : 'other',
    });
  }
  const index = loaded(specs);
  const brute = (pred: (s: TaskSpec) => boolean) =>
    specs
      .filter(pred)
      .map((s) => `ecs/task/111122223333/us-east-1/${s.cluster}/${s.id}`)
      .sort();

  it('returns every entity in key order without filters', () => {
    const r = index.list('task');
    assert.equal(r.items.length, 200);
    assert.deepEqual(
      r.items.map((e) => e.key),
      brute(() => true),
    );
    assert.equal(r.revision, 200);
    assert.equal(r.next, undefined);
  });

  it('filters by every indexed field, alone and combined, matching a brute-force scan (selective and scan paths)', () => {
    const cases: Array<[Parameters<StateIndex['list']>[1], (s: TaskSpec) => boolean]> = [
      [{ cluster: 'small' }, (s) => s.cluster === 'small'],
      [{ cluster: 'big' }, (s) => s.cluster === 'big'],
      [{ status: 'stopped' }, (s) => s.lastStatus === 'STOPPED'],
      [{ desiredStatus: 'Running' }, (s) => s.desiredStatus === 'RUNNING'],
      [{ startedBy: 'even' }, (s) => s.startedBy === 'even'],
      [{ startedBy: 'EVEN' }, () => false],
      [{ containerInstance: 'ci1' }, (s) => s.instance === 'ci1'],
      [{ family: 'five', status: 'RUNNING' }, (s) => s.family === 'five' && s.lastStatus === 'RUNNING'],
      [
        { cluster: 'small', status: 'running', startedBy: 'even' },
        (s) => s.cluster === 'small' && s.lastStatus === 'RUNNING' && s.startedBy === 'even',
      ],
      [{ cluster: 'nope' }, () => false],
      [{ account: '111122223333', region: 'us-east-1' }, () => true],
      [{ region: 'eu-west-1' }, () => false],
      [{ where: (e) => e.fields.id.endsWith('7') }, (s) => s.id.endsWith('7')],
    ];
    for (const [filter, pred] of cases) {
      assert.deepEqual(
        index.list('task', filter).items.map((e) => e.key),
        brute(pred),
        JSON.stringify(filter),
      );
    }
  });

  it('paginates in key order: pages concatenate to the full answer, with no duplicates', () => {
    for (const filter of [{}, { cluster: 'small' }, { status: 'RUNNING' }]) {
      const all = index.list('task', filter).items.map((e) => e.key);
      const paged: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = index.list('task', filter, { limit: 7, after });
        paged.push(...page.items.map((e) => e.key));
        if (!page.next) break;
        assert.equal(page.items.length, 7);
        after = page.next;
      }
      assert.deepEqual(paged, all);
    }
    // A page ending exactly at the last item has no next.
    const n = index.list('task', { cluster: 'small' }).items.length;
    assert.equal(index.list('task', { cluster: 'small' }, { limit: n }).next, undefined);
  });

  it('lists clusters with their entity counts', () => {
    assert.deepEqual(
      index.clusters().map((c) => [c.cluster, c.tasks, c.instances]),
      [
        ['big', 180, 0],
        ['small', 20, 0],
      ],
    );
  });
});

describe('StateIndex changes and subscriptions', () => {
  it('applies puts and deletes, keeps indexes exact, ignores stale revisions, and publishes changes', () => {
    const index = loaded([{ id: 'a' }, { id: 'b', lastStatus: 'PENDING' }]);
    const seen: string[] = [];
    const sub = index.subscribe(
      {},
      { onChange: (c) => seen.push(`${c.type}:${c.entry.fields.id}@${c.revision}`) },
    );
    index.put(entryOf({ id: 'b', lastStatus: 'RUNNING' }, 5));
    index.put(entryOf({ id: 'b', lastStatus: 'PENDING' }, 4)); // stale: ignored
    index.delete('ecs/task/111122223333/us-east-1/default/a', 6);
    index.delete('ecs/task/111122223333/us-east-1/default/nope', 7);
    index.advance(7);
    assert.deepEqual(seen, ['put:b@5', 'delete:a@6']);
    assert.deepEqual(index.list('task', { status: 'PENDING' }).items, []);
    assert.deepEqual(
      index.list('task', { status: 'RUNNING' }).items.map((e) => e.fields.id),
      ['b'],
    );
    // every path of list (all entries, one index, index + further checks) holds the new revision
    for (const filter of [{}, { cluster: 'default' }, { cluster: 'default', status: 'RUNNING' }])
      assert.deepEqual(
        index.list('task', filter).items.map((e) => `${e.fields.id}@${e.revision}`),
        ['b@5'],
        JSON.stringify(filter),
      );
    index.put(entryOf({ id: 'b', lastStatus: 'RUNNING', startedBy: 'x' }, 8)); // same status: replaced in place
    for (const filter of [{}, { status: 'RUNNING' }, { startedBy: 'x' }])
      assert.deepEqual(
        index.list('task', filter).items.map((e) => `${e.fields.id}@${e.revision}`),
        ['b@8'],
        JSON.stringify(filter),
      );
    assert.equal(index.count('task'), 1);
    assert.equal(index.revision, 7); // puts alone do not advance the revision
    sub.close();
    assert.equal(index.subscriptionCount, 0);
  });

  it('replays from a revision inclusively, filters by kind and filter, and refuses a revision older than the log', () => {
    const index = loaded([], { changeLogSize: 4 });
    for (let r = 1; r <= 6; r++) index.put(entryOf({ id: `x${r}`, cluster: r % 2 ? 'odd' : 'even' }, r));
    index.put(toIndexEntry(keyOf(instance({ id: 'i1' })), JSON.stringify(instance({ id: 'i1' })), 7));
    // log holds revisions 4..7
    const got: number[] = [];
    const sub = index.subscribe(
      { fromRevision: 4, kinds: ['task'] },
      { onChange: (c) => got.push(c.revision) },
    );
    assert.deepEqual(got, [4, 5, 6]);
    const odd: number[] = [];
    index.subscribe(
      { fromRevision: 5, filter: { cluster: 'odd' } },
      { onChange: (c) => odd.push(c.revision) },
    );
    assert.deepEqual(odd, [5]);
    assert.throws(
      () => index.subscribe({ fromRevision: 3 }, { onChange: () => undefined }),
      ResumeTooOldError,
    );
    assert.equal(index.oldestResumableRevision, 4);
    // A resume ahead of the index gets changes once they arrive, from that revision on.
    const ahead: number[] = [];
    index.subscribe({ fromRevision: 9 }, { onChange: (c) => ahead.push(c.revision) });
    index.put(entryOf({ id: 'y8' }, 8));
    index.put(entryOf({ id: 'y9' }, 9));
    assert.deepEqual(ahead, [9]);
    sub.close();
  });

  it('a re-list publishes the difference (puts for changed, deletes for vanished) and restarts the log', () => {
    const index = loaded([{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
    const seen: string[] = [];
    index.subscribe({}, { onChange: (c) => seen.push(`${c.type}:${c.entry.fields.id}`) });
    const a = index.get('ecs/task/111122223333/us-east-1/default/a')!;
    index.replaceAll([a, entryOf({ id: 'b', lastStatus: 'STOPPED' }, 10), entryOf({ id: 'd' }, 11)], 20);
    assert.deepEqual(seen.sort(), ['delete:c', 'put:b', 'put:d']);
    assert.equal(index.revision, 20);
    assert.equal(index.oldestResumableRevision, 21);
    assert.deepEqual(
      index.list('task').items.map((e) => e.fields.id),
      ['a', 'b', 'd'],
    );
  });

  it('a throwing listener does not stop others', () => {
    const errors: unknown[] = [];
    const index = new StateIndex({ onListenerError: (e) => errors.push(e) });
    index.replaceAll([], 0);
    let ok = 0;
    index.subscribe(
      {},
      {
        onChange: () => {
          throw new Error('boom');
        },
      },
    );
    index.subscribe({}, { onChange: () => ok++ });
    index.put(entryOf({ id: 'z' }, 1));
    assert.equal(ok, 1);
    assert.equal(errors.length, 1);
  });
});

describe('clusterFilter', () => {
  it('maps a name to any account/region and an ARN to its own; rejects anything else', () => {
    assert.deepEqual(clusterFilter('prod'), { cluster: 'prod' });
    assert.deepEqual(clusterFilter('arn:aws:ecs:eu-west-1:123456789012:cluster/prod'), {
      cluster: 'prod',
      account: '123456789012',
      region: 'eu-west-1',
    });
    assert.equal(clusterFilter('a/b'), undefined);
  });
});
