import assert from 'node:assert/strict';
import { after, before, describe, it, mock } from 'node:test';
import { openStore, type Store } from '../../src/store/index.js';
import { ClusterInformer } from '../../src/scheduler/framework/informer.js';
import { IntentLog } from '../../src/scheduler/framework/intents.js';
import { Leadership } from '../../src/scheduler/framework/leader.js';
import { MemoryClusterState } from '../../src/scheduler/framework/memory-source.js';
import {
  SourceGoneError,
  type ClusterStateSource,
  type ClusterWatchHandlers,
} from '../../src/scheduler/framework/source.js';
import { WorkQueue } from '../../src/scheduler/framework/work-queue.js';
import { Controller } from '../../src/scheduler/framework/controller.js';
import { tempDir, waitFor } from '../support/env.js';
import { CLUSTER, instanceArn, taskArn } from './support/fixtures.js';
import { storedInstance, storedTask } from './support/entities.js';

describe('work queue', () => {
  it('dedupes queued keys and never runs one key twice at once', async () => {
    const runs: string[] = [];
    let concurrentA = 0;
    let maxConcurrentA = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WorkQueue<string>({
      concurrency: 4,
      handler: async (key) => {
        runs.push(key);
        if (key === 'a') {
          concurrentA++;
          maxConcurrentA = Math.max(maxConcurrentA, concurrentA);
          if (runs.length === 1) await gate;
          concurrentA--;
        }
      },
    });
    q.add('a');
    q.start();
    await waitFor('a running', () => runs.length === 1);
    q.add('a'); // while processing: marked dirty, runs once after
    q.add('a');
    release();
    await waitFor('drained', () => q.pending === 0 && runs.length === 2);
    assert.deepEqual(runs, ['a', 'a']);
    assert.equal(maxConcurrentA, 1);
    await q.stop();

    const seen: string[] = [];
    const q2 = new WorkQueue<string>({ handler: async (key) => void seen.push(key) });
    for (const k of ['x', 'y', 'x', 'x', 'y']) q2.add(k);
    assert.equal(q2.length, 2);
    q2.start();
    await waitFor('drained', () => q2.pending === 0);
    assert.deepEqual(seen, ['x', 'y']);
    await q2.stop();
  });

  it('retries a failing key with growing backoff and resets on success', async () => {
    const times: number[] = [];
    const q = new WorkQueue<string>({
      retryBaseMs: 20,
      handler: async () => {
        times.push(Date.now());
        if (times.length < 4) throw new Error('boom');
      },
    });
    q.start();
    q.add('k');
    await waitFor('4 attempts', () => times.length === 4, { timeoutMs: 5000 });
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    assert.ok(gaps[0]! >= 15 && gaps[1]! >= 35 && gaps[2]! >= 75, `gaps ${gaps.join(',')}`);
    await waitFor('reset', () => q.failuresOf('k') === 0);
    await q.stop();
  });

  it('addAfter keeps the earliest due time and requeueAfterMs looks again', async () => {
    let n = 0;
    const q = new WorkQueue<string>({
      handler: async () => {
        n++;
        return n < 3 ? { requeueAfterMs: 10 } : undefined;
      },
    });
    q.start();
    q.addAfter('k', 5000);
    q.addAfter('k', 10);
    await waitFor('three runs', () => n === 3, { timeoutMs: 3000 });
    await q.stop();
  });

  describe('addQuiet (on a mock clock)', () => {
    /** A queue whose handler records the mock time of each run. */
    async function withQueue(body: (q: WorkQueue<string>, runs: number[]) => Promise<void>) {
      mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
      const runs: number[] = [];
      const q = new WorkQueue<string>({ handler: async () => void runs.push(Date.now()) });
      q.start();
      try {
        await body(q, runs);
      } finally {
        await q.stop();
        mock.timers.reset();
      }
    }
    /** Advances the mock clock 1 ms at a time, letting handlers' promises settle in between. */
    async function advance(ms: number, each?: () => void) {
      for (let i = 0; i < ms; i++) {
        each?.();
        mock.timers.tick(1);
        await new Promise<void>((r) => setImmediate(r));
      }
    }

    it('a burst shares one run, quietMs after its last add rather than maxWaitMs after its first', () =>
      withQueue(async (q, runs) => {
        await advance(30, () => q.addQuiet('k', 3, 1000));
        assert.deepEqual(runs, [], 'nothing while the adds go on');
        await advance(10);
        // The last add came at 29; quiet from 32.
        assert.deepEqual(runs, [32]);
      }));

    it('a steady stream still runs at least once per maxWaitMs', () =>
      withQueue(async (q, runs) => {
        await advance(100, () => q.addQuiet('k', 3, 25));
        assert.ok(runs.length >= 3, `runs at ${runs.join(', ')}`);
        assert.equal(runs[0], 25, 'the first run 25 ms after the first add');
        for (let i = 1; i < runs.length; i++)
          assert.ok(runs[i]! - runs[i - 1]! <= 26, `runs at ${runs.join(', ')}`);
      }));

    it('keeps an earlier addAfter and lets a later one not postpone it; quietMs = maxWaitMs is a plain delay', () =>
      withQueue(async (q, runs) => {
        q.addAfter('k', 5);
        q.addQuiet('k', 3, 50);
        await advance(4, () => q.addQuiet('k', 3, 50));
        await advance(10);
        assert.deepEqual(runs, [5], 'the addAfter due time stood');
        q.addQuiet('k', 10, 10);
        await advance(5, () => q.addQuiet('k', 10, 10));
        q.addAfter('k', 100);
        await advance(20);
        assert.deepEqual(runs, [5, 24], 'due 10 ms after the first add (at 14), whatever followed');
      }));
  });
});

describe('informer over the in-memory source', () => {
  it('lists, follows changes in order, and re-lists after the watch fails', async () => {
    const state = new MemoryClusterState(4);
    state.put(storedInstance(1));
    state.put(storedTask(1, 1));
    const informer = new ClusterInformer(state, { retryBaseMs: 10 });
    const events: string[] = [];
    informer.onEvent((e) => events.push(`${e.kind}:${e.type}`));
    await informer.start();
    assert.equal(informer.instances(CLUSTER).length, 1);
    assert.equal(informer.tasks(CLUSTER)[0]!.arn, taskArn(1));

    state.put(storedInstance(2));
    state.put(storedTask(1, 1, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', version: 2 }));
    await waitFor('changes applied', () => informer.task(CLUSTER, taskArn(1))?.lastStatus === 'STOPPED');
    assert.equal(informer.instances(CLUSTER).length, 2);
    state.delete(taskArn(1));
    await waitFor('delete applied', () => informer.tasks(CLUSTER).length === 0);
    assert.ok(events.includes('task:delete') && events.includes('instance:put'));

    // The watch dies; meanwhile more changes than the log holds happen: the informer re-lists.
    state.failWatches(new SourceGoneError('gone'));
    for (let i = 3; i < 10; i++) state.put(storedInstance(i));
    await waitFor('re-listed', () => informer.instances(CLUSTER).length === 9);
    assert.ok(events.includes('resync:resync'));
    assert.equal(informer.revision, state.revision);
    await informer.stop();
  });

  it('ignores an older ECS version of an entity', async () => {
    const state = new MemoryClusterState();
    const informer = new ClusterInformer(state);
    await informer.start();
    state.put(storedTask(1, 1, { version: 5, lastStatus: 'RUNNING' }));
    state.put(storedTask(1, 1, { version: 4, lastStatus: 'PENDING' }));
    state.put(storedInstance(1));
    await waitFor('instance', () => informer.instances(CLUSTER).length === 1);
    assert.equal(informer.task(CLUSTER, taskArn(1))?.lastStatus, 'RUNNING');
    await informer.stop();
  });

  it('applies several changes of one store revision (one transaction writes many entities)', async () => {
    let deliver!: (changes: Parameters<ClusterWatchHandlers['onChanges']>[0]) => void;
    const source: ClusterStateSource = {
      kind: 'test',
      list: async () => ({ instances: [], tasks: [], revision: 5 }),
      watch: async (_from, handlers) => {
        deliver = (c) => handlers.onChanges(c);
        return { close: async () => undefined };
      },
    };
    const informer = new ClusterInformer(source);
    await informer.start();
    deliver([{ type: 'put', kind: 'instance', revision: 6, entity: storedInstance(1) }]);
    deliver([{ type: 'put', kind: 'instance', revision: 6, entity: storedInstance(2) }]);
    deliver([{ type: 'put', kind: 'instance', revision: 5, entity: storedInstance(3) }]);
    assert.deepEqual(
      informer.instances(CLUSTER).map((i) => i.arn),
      [instanceArn(1), instanceArn(2)],
    );
    await informer.stop();
  });

  it('refuses a resume older than its log with SourceGoneError', async () => {
    const state = new MemoryClusterState(2);
    for (let i = 0; i < 5; i++) state.put(storedInstance(i));
    await assert.rejects(
      state.watch(1, { onChanges: () => undefined, onError: () => undefined }),
      SourceGoneError,
    );
  });
});

describe('controller', () => {
  /** Puts `n` instances one at a time, a timer tick apart; answers the instance counts each pass saw. */
  async function joinOneByOne(eventDelayMs: number, n: number): Promise<number[]> {
    const state = new MemoryClusterState();
    const informer = new ClusterInformer(state);
    await informer.start();
    const seen: number[] = [];
    const controller = new Controller<string>({
      informer,
      keysFor: () => ['env'],
      allKeys: () => [],
      reconcile: async () => {
        seen.push(informer.instances(CLUSTER).length);
      },
      eventDelayMs,
    });
    await controller.start();
    try {
      for (let i = 1; i <= n; i++) {
        state.put(storedInstance(i));
        await new Promise<void>((r) => setTimeout(r, 1));
      }
      await waitFor('a pass saw every instance', () => seen.at(-1) === n);
      return seen;
    } finally {
      await controller.stop();
      await informer.stop();
    }
  }

  it('reconciles at once per event by default, and lets a burst of events share passes with eventDelayMs', async () => {
    const eager = await joinOneByOne(0, 40);
    const coalesced = await joinOneByOne(40, 40);
    assert.ok(eager.length >= 20, `without a delay nearly every event has its pass (${eager.length})`);
    assert.ok(
      coalesced.length * 2 <= eager.length,
      `with a delay far fewer passes (${coalesced.length} against ${eager.length})`,
    );
    assert.equal(coalesced.at(-1), 40);
  });
});

describe('leadership and launch intents (SQLite store)', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  before(async () => {
    const dir = await tempDir();
    cleanup = dir.cleanup;
    store = await openStore({ backend: 'sqlite', dataDir: dir.path });
  });
  after(async () => {
    await store.close();
    await cleanup();
  });

  it('one leader at a time; the other takes over when it stops; fenced writes fail after the term', async () => {
    const a = new Leadership(store, { prefix: 'test/leader/', identity: 'a', ttlSeconds: 2 });
    const b = new Leadership(store, { prefix: 'test/leader/', identity: 'b', ttlSeconds: 2 });
    const terms: string[] = [];
    let fenceA: Parameters<IntentLog['put']>[1];
    a.start((term) => {
      terms.push('a');
      fenceA = term.fence;
    });
    await waitFor('a leads', () => a.isLeader);
    b.start(() => void terms.push('b'));
    const intents = new IntentLog(store, 'test/intents/');
    const intent = {
      scope: 'env',
      instance: instanceArn(1),
      cluster: CLUSTER,
      taskDefinition: 'td',
      startedBy: 'd',
      at: new Date().toISOString(),
      state: 'calling' as const,
      by: 'a',
    };
    await intents.put([intent], fenceA);
    assert.equal((await intents.list('env')).length, 1);
    assert.equal(b.isLeader, false);
    assert.equal((await a.leader())?.value, 'a');
    await a.stop();
    await waitFor('b leads', () => b.isLeader, { timeoutMs: 5000 });
    await assert.rejects(intents.put([intent], fenceA), /leadership/);
    await intents.remove('env', [instanceArn(1)]);
    assert.equal((await intents.list('env')).length, 0);
    assert.deepEqual(terms, ['a', 'b']);
    await b.stop();
  });
});
