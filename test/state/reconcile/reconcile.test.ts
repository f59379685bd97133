import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ECSClient } from '@aws-sdk/client-ecs';
import { Registry } from 'prom-client';
import { createEcsClient } from '../../../src/aws/clients.js';
import type { StoredEntity, TaskDetail } from '../../../src/core/ecs/entities.js';
import { parseStoredEntity, serializeStoredEntity } from '../../../src/core/ecs/stored.js';
import { startIngest } from '../../../src/state/ingest/index.js';
import { startReconciler, type Reconciler } from '../../../src/state/reconcile/index.js';
import type { Store } from '../../../src/store/types.js';
import { freePort, waitFor } from '../../support/env.js';
import { BACKENDS, type Backend } from '../writer/backends.js';
import { ecsTruth, runTasks, startAws, type AwsHarness } from '../ingest/harness.js';
import { sameVersions, storeView } from '../ingest/store-view.js';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

function fakeTask(
  cluster: string,
  id: string,
  lastStatus: string,
  version = 1,
  account = ACCOUNT,
): StoredEntity {
  return {
    kind: 'task',
    account,
    region: REGION,
    cluster,
    detail: {
      taskArn: `arn:aws:ecs:${REGION}:${account}:task/${cluster}/${id}`,
      clusterArn: `arn:aws:ecs:${REGION}:${account}:cluster/${cluster}`,
      taskDefinitionArn: `arn:aws:ecs:${REGION}:${account}:task-definition/x:1`,
      lastStatus,
      desiredStatus: lastStatus === 'STOPPED' ? 'STOPPED' : 'RUNNING',
      version,
      stoppedAt: lastStatus === 'STOPPED' ? new Date().toISOString() : undefined,
    },
    source: 'event',
    observedAt: new Date().toISOString(),
  };
}

/** Entities of ECS (in the given clusters) that the store lacks or holds at another version. */
async function diverged(ecs: ECSClient, store: Store, clusters: string[]): Promise<number> {
  const truth = await ecsTruth(ecs, clusters);
  const view = await storeView(store);
  let n = 0;
  for (const [id, v] of truth.tasks) if (view.tasks.get(id) !== v) n++;
  for (const [id, v] of truth.instances) if (view.instances.get(id) !== v) n++;
  return n;
}

function taskKey(cluster: string, id: string, account = ACCOUNT): string {
  return `ecs/task/${account}/${REGION}/${cluster}/${id}`;
}

async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as Array<{ value: number; labels: Record<string, unknown> }>;
  return values
    .filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))
    .reduce((sum, v) => sum + v.value, 0);
}

for (const makeBackend of BACKENDS) {
  const backendName = makeBackend.name.replace('Backend', '');
  describe(`reconciliation against the emulator (${backendName})`, () => {
    let backend: Backend;
    let h: AwsHarness;
    const reconcilers: Reconciler[] = [];
    before(async () => {
      [backend, h] = await Promise.all([makeBackend(), startAws()]);
      h.aws.ecs.fleet.scale('rc', 5);
      await runTasks(h.ecs, 'rc', 12);
      h.aws.ecs.fleet.scale('rc2', 2);
      await runTasks(h.ecs, 'rc2', 3, 'batch');
      await waitFor('tasks running', async () => {
        const t = await ecsTruth(h.ecs);
        return [...t.tasks.values()].every((v) => v >= 2);
      });
    });
    after(async () => {
      for (const r of reconcilers) await r.stop();
      await h.close();
      await backend.close();
    });

    function reconciler(
      store: Store,
      options: Parameters<typeof startReconciler>[0] = {},
      registry = new Registry(),
      ecs = h.ecs,
    ) {
      const r = startReconciler(
        {
          intervalMs: 0,
          initialDelayMs: 3_600_000,
          callsPerSecond: 1000,
          callBurst: 1000,
          removalGraceMs: 0,
          ...options,
        },
        { store, ecs, registry },
      );
      reconcilers.push(r);
      return r;
    }

    it('repairs every kind of drift: added, updated, removed; keeps what it must not touch', async () => {
      const store = await backend.open();
      const registry = new Registry();
      const r = reconciler(store, {}, registry);
      // first pass into an empty store: everything is added
      const first = await r.runNow();
      assert.equal(first.result, 'success', JSON.stringify(first));
      const truth = await ecsTruth(h.ecs);
      const entities = truth.tasks.size + truth.instances.size;
      assert.equal(first.drift.added, entities);
      let view = await storeView(store);
      assert.ok(sameVersions(truth.tasks, view.tasks) && sameVersions(truth.instances, view.instances));
      for (const e of view.entities.values()) assert.equal(e.source, 'reconcile');

      // stale copy (older version), a store-ahead copy, ghosts, foreign and finished entities
      const [staleKey, staleEntity] = [...view.entities].find(([k]) => k.startsWith('ecs/task/'))!;
      const older = { ...staleEntity, detail: { ...staleEntity.detail, version: 1, lastStatus: 'PENDING' } };
      await store.put(staleKey, serializeStoredEntity(older as StoredEntity));
      const [aheadKey, aheadEntity] = [...view.entities].filter(([k]) => k.startsWith('ecs/task/'))[1]!;
      const ahead = { ...aheadEntity, detail: { ...aheadEntity.detail, version: 99 } };
      await store.put(aheadKey, serializeStoredEntity(ahead as StoredEntity));
      await store.put(taskKey('rc', 'ghost'), serializeStoredEntity(fakeTask('rc', 'ghost', 'RUNNING')));
      await store.put(
        taskKey('rc', 'finished'),
        serializeStoredEntity(fakeTask('rc', 'finished', 'STOPPED')),
      );
      await store.put(taskKey('gone', 'g1'), serializeStoredEntity(fakeTask('gone', 'g1', 'RUNNING')));
      await store.put(
        taskKey('rc', 'other', '999999999999'),
        serializeStoredEntity(fakeTask('rc', 'other', 'RUNNING', 1, '999999999999')),
      );
      await store.put(
        'ecs/task/123456789012/eu-west-1/rc/elsewhere',
        serializeStoredEntity(fakeTask('rc', 'elsewhere', 'RUNNING')),
      );

      const second = await r.runNow();
      assert.equal(second.result, 'success', JSON.stringify(second));
      assert.equal(second.drift.added, 0);
      assert.equal(second.drift.updated, 1);
      assert.equal(
        second.drift.removed,
        2,
        'the ghost in a listed cluster and the task of a vanished cluster',
      );
      assert.equal(second.drift.storeAhead, 1);
      assert.equal(second.drift.unchanged, entities - 2);
      assert.equal(
        parseStoredEntity((await store.get(staleKey))?.value)?.detail.version,
        truth.tasks.get(staleKey.split('/').pop()!),
      );
      assert.equal(parseStoredEntity((await store.get(aheadKey))?.value)?.detail.version, 99);
      assert.equal(await store.get(taskKey('rc', 'ghost')), undefined);
      assert.equal(await store.get(taskKey('gone', 'g1')), undefined);
      assert.ok(await store.get(taskKey('rc', 'finished')), 'finished entities are left to retention');
      assert.ok(await store.get(taskKey('rc', 'other', '999999999999')), 'another account is never touched');
      assert.ok(
        await store.get('ecs/task/123456789012/eu-west-1/rc/elsewhere'),
        'another region is never touched',
      );

      assert.equal(
        await metricValue(registry, 'blox_state_reconcile_drift_total', { drift: 'added' }),
        entities,
      );
      assert.equal(await metricValue(registry, 'blox_state_reconcile_drift_total', { drift: 'updated' }), 1);
      assert.equal(await metricValue(registry, 'blox_state_reconcile_drift_total', { drift: 'removed' }), 2);
      assert.ok((await metricValue(registry, 'blox_state_reconcile_last_success_timestamp_seconds')) > 0);
      assert.equal(
        await metricValue(registry, 'blox_state_reconcile_passes_total', { result: 'success' }),
        2,
      );
      const s = r.status();
      assert.equal(s.state, 'idle');
      assert.equal(s.counts.passes, 2);
      assert.ok(s.lastSuccessAt);
      view = await storeView(store);
    });

    it('only removes within the configured clusters', async () => {
      const store = await backend.open();
      await store.put(taskKey('rc2', 'ghost'), serializeStoredEntity(fakeTask('rc2', 'ghost', 'RUNNING')));
      await store.put(taskKey('gone', 'g1'), serializeStoredEntity(fakeTask('gone', 'g1', 'RUNNING')));
      const r = reconciler(store, { clusters: ['rc'] });
      const pass = await r.runNow();
      assert.equal(pass.result, 'success');
      assert.ok(
        await store.get(taskKey('rc2', 'ghost')),
        'rc2 was not reconciled, so nothing there is removed',
      );
      assert.ok(await store.get(taskKey('gone', 'g1')));
      const view = await storeView(store);
      const truth = await ecsTruth(h.ecs);
      for (const [id, v] of view.tasks)
        if (id !== 'ghost' && id !== 'g1') assert.equal(truth.tasks.get(id), v);
    });

    it('one failing cluster does not abort the others', async () => {
      const store = await backend.open();
      await store.put(taskKey('rc', 'ghost'), serializeStoredEntity(fakeTask('rc', 'ghost', 'RUNNING')));
      await store.put(taskKey('rc2', 'ghost'), serializeStoredEntity(fakeTask('rc2', 'ghost', 'RUNNING')));
      // A real client whose connection to ECS breaks for every ListTasks call on cluster rc.
      const flaky = createEcsClient(h.clientOptions);
      flaky.middlewareStack.add(
        (next, context) => async (args) => {
          const input = args.input as { cluster?: string };
          if (context.commandName === 'ListTasksCommand' && input.cluster?.endsWith('/rc'))
            throw Object.assign(new Error('socket hang up'), { name: 'NetworkingError' });
          return next(args);
        },
        { step: 'initialize', name: 'breakClusterRc' },
      );
      try {
        const r = reconciler(store, { clusters: ['rc', 'rc2', 'no-such-cluster'] }, new Registry(), flaky);
        const pass = await r.runNow();
        assert.equal(pass.result, 'partial');
        assert.deepEqual(pass.failedClusters.map((f) => f.cluster.split('/').pop()).sort(), [
          'no-such-cluster',
          'rc',
        ]);
        assert.match(pass.failedClusters.find((f) => f.cluster.endsWith('/rc'))!.error, /socket hang up/);
        // rc2 was reconciled completely (its ghost removed); rc's ghost stays (rc was not listed)
        assert.equal(await store.get(taskKey('rc2', 'ghost')), undefined);
        assert.ok(await store.get(taskKey('rc', 'ghost')));
        const truth = await ecsTruth(h.ecs);
        const view = await storeView(store);
        const rc2Tasks = [...view.entities.values()].filter((e) => e.kind === 'task' && e.cluster === 'rc2');
        assert.equal(rc2Tasks.length, 3);
        for (const t of rc2Tasks)
          assert.equal(truth.tasks.get((t.detail as TaskDetail).taskArn.split('/').pop()!), t.detail.version);
        const s = r.status();
        assert.match(s.lastError!.message, /no-such-cluster/);
        assert.equal(s.lastSuccessAt, undefined);
      } finally {
        flaky.destroy();
      }
    });

    it('completes under ECS throttling, paced with backoff', async () => {
      const store = await backend.open();
      const registry = new Registry();
      h.aws.ecs.setThrottling(true, {
        clusterResourceRead: { burst: 3, perSecond: 40 },
        clusterRead: { burst: 2, perSecond: 40 },
      });
      const slowSdk = createEcsClient({ ...h.clientOptions, maxAttempts: 1 }); // our own backoff does the retrying
      try {
        const r = reconciler(store, { pageSize: 5 }, registry, slowSdk);
        const pass = await r.runNow();
        assert.equal(pass.result, 'success', JSON.stringify(pass));
        assert.ok(
          (await metricValue(registry, 'blox_state_reconcile_throttled_total')) > 0,
          'it was throttled',
        );
      } finally {
        h.aws.ecs.setThrottling(false);
        slowSdk.destroy();
      }
      const truth = await ecsTruth(h.ecs);
      const view = await storeView(store);
      assert.ok(sameVersions(truth.tasks, view.tasks) && sameVersions(truth.instances, view.instances));
    });

    it('after a failed pass tries again soon (retryAfterFailureMs, doubling), not a whole interval later', async () => {
      const store = await backend.open();
      // ECS unreachable: a port nothing listens on.
      const down = createEcsClient({
        ...h.clientOptions,
        endpoint: `http://127.0.0.1:${await freePort()}`,
        maxAttempts: 1,
      });
      try {
        const r = reconciler(
          store,
          { initialDelayMs: 0, intervalMs: 3_600_000, retryAfterFailureMs: 20 },
          new Registry(),
          down,
        );
        const s = await waitFor(
          'three failed passes',
          () => (r.status().counts.failures >= 3 ? r.status() : undefined),
          {
            timeoutMs: 20_000,
          },
        );
        assert.equal(s.lastPass!.result, 'failed');
        assert.ok(s.lastError?.message);
        // The next one is scheduled well within the hour-long interval.
        await waitFor('next pass scheduled', () => r.status().nextPassAt);
        assert.ok(Date.parse(r.status().nextPassAt!) - Date.now() < 60_000, r.status().nextPassAt);
      } finally {
        down.destroy();
      }
    });

    it('runs in the background at start and shows progress per cluster while running', async () => {
      const store = await backend.open();
      // slow pacing (25 calls/s, 5-item pages) so the pass takes a while
      const r = reconciler(store, { initialDelayMs: 0, callsPerSecond: 25, callBurst: 1, pageSize: 5 });
      const midway = await waitFor(
        'progress while running',
        () => {
          const s = r.status();
          const c = s.pass?.clusters.find((x) => x.tasks.listed > 0 || x.instances.listed > 0);
          return s.state === 'running' && c ? s : undefined;
        },
        { intervalMs: 5 },
      );
      assert.ok(
        midway.pass!.clusters.some((c) => ['listing', 'describing', 'removing', 'pending'].includes(c.phase)),
      );
      await waitFor('pass finished', () => r.status().lastPass, { timeoutMs: 20_000 });
      const s = r.status();
      assert.equal(s.lastPass!.result, 'success');
      assert.equal(s.state, 'idle');
      assert.equal(s.pass, undefined);
    });

    it('converges after duplicates, reordering and drops injected by the emulator', async () => {
      const store = await backend.open();
      const queue = `faulty${backendName}`;
      h.aws.events.setQueues([...h.aws.events.queues, queue]);
      h.aws.events.setFaults({ duplicateRate: 0.3, dropRate: 0.3, reorderWindow: 4 }, 11);
      const ing = await startIngest(
        { queue, pollers: 2, waitTimeSeconds: 1, queueDepthIntervalMs: 0 },
        { store, sqs: h.sqs },
      );
      try {
        h.aws.ecs.fleet.scale('faulty', 4);
        await runTasks(h.ecs, 'faulty', 10, 'faulty');
        h.aws.ecs.fleet.crashTasks({ cluster: 'faulty', count: 3 });
        await waitFor('ECS settled', async () => {
          const t = await ecsTruth(h.ecs);
          return [...t.tasks.values()].every((v) => v >= 2);
        });
        h.aws.events.flush();
        await waitFor('ingest idle', async () => {
          const { queues } = h.aws.status().sqs;
          const q = queues.find((x) => x.name === queue)!;
          return q.visible === 0 && q.notVisible === 0;
        });
        assert.ok(ing.status().counts.duplicate + ing.status().counts.stale > 0, 'duplicates were injected');
        const inFaulty = (e: StoredEntity) => e.cluster === 'faulty';
        const divergedBefore = await diverged(h.ecs, store, ['faulty']);
        const r = reconciler(store, { clusters: ['faulty'] });
        const pass = await r.runNow();
        assert.equal(pass.result, 'success');
        // whatever the faults left behind (missing or old entities) is what reconcile repaired
        assert.equal(pass.drift.added + pass.drift.updated, divergedBefore);
        assert.equal(await diverged(h.ecs, store, ['faulty']), 0);
        const view = await storeView(store);
        assert.equal([...view.entities.values()].filter((e) => inFaulty(e) && e.kind === 'task').length, 10);
        assert.equal(
          [...view.entities.values()].filter((e) => inFaulty(e) && e.kind === 'instance').length,
          4,
        );
      } finally {
        await ing.stop();
        h.aws.events.setFaults({ duplicateRate: 0, dropRate: 0, reorderWindow: 0 });
        h.aws.events.setQueues(h.aws.events.queues.filter((q) => q !== queue));
      }
    });
  });
}
