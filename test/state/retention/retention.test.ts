import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import type { StoredEntity } from '../../../src/core/ecs/entities.js';
import { serializeStoredEntity } from '../../../src/core/ecs/stored.js';
import { startRetention, sweepExpired } from '../../../src/state/retention/index.js';
import type { Store } from '../../../src/store/types.js';
import { BACKENDS, type Backend } from '../writer/backends.js';

const HOUR = 3_600_000;
const NOW = Date.parse('2025-03-10T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function task(
  id: string,
  lastStatus: string,
  times: { stoppedAt?: number; updatedAt?: number },
): [string, StoredEntity] {
  return [
    `ecs/task/123456789012/us-east-1/default/${id}`,
    {
      kind: 'task',
      account: '123456789012',
      region: 'us-east-1',
      cluster: 'default',
      detail: {
        taskArn: `arn:aws:ecs:us-east-1:123456789012:task/default/${id}`,
        clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/default',
        taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/x:1',
        lastStatus,
        desiredStatus: 'STOPPED',
        version: 3,
        ...(times.stoppedAt !== undefined ? { stoppedAt: iso(times.stoppedAt) } : {}),
        ...(times.updatedAt !== undefined ? { updatedAt: iso(times.updatedAt) } : {}),
      },
      source: 'event',
      observedAt: iso(NOW - 10 * HOUR),
    },
  ];
}

function instance(id: string, status: string, updatedAt: number): [string, StoredEntity] {
  return [
    `ecs/instance/123456789012/us-east-1/default/${id}`,
    {
      kind: 'instance',
      account: '123456789012',
      region: 'us-east-1',
      cluster: 'default',
      detail: {
        containerInstanceArn: `arn:aws:ecs:us-east-1:123456789012:container-instance/default/${id}`,
        clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/default',
        status,
        agentConnected: false,
        version: 5,
        updatedAt: iso(updatedAt),
      },
      source: 'event',
      observedAt: iso(NOW - 10 * HOUR),
    },
  ];
}

const FIXTURE = [
  task('old-stopped', 'STOPPED', { stoppedAt: NOW - 2 * HOUR }),
  task('recent-stopped', 'STOPPED', { stoppedAt: NOW - 10 * 60_000 }),
  task('stopped-no-stoppedAt', 'STOPPED', { updatedAt: NOW - 3 * HOUR }),
  task('old-running', 'RUNNING', { updatedAt: NOW - 50 * HOUR }),
  instance('old-inactive', 'INACTIVE', NOW - 2 * HOUR),
  instance('recent-inactive', 'INACTIVE', NOW - 59 * 60_000),
  instance('old-draining', 'DRAINING', NOW - 50 * HOUR),
];

async function load(store: Store): Promise<void> {
  for (const [key, e] of FIXTURE) await store.put(key, serializeStoredEntity(e));
}

async function keys(store: Store): Promise<string[]> {
  return (await store.range({ prefix: 'ecs/' })).items.map((kv) => kv.key.split('/').pop()!).sort();
}

for (const makeBackend of BACKENDS) {
  describe(`retention (${makeBackend.name.replace('Backend', '')})`, () => {
    let backend: Backend;
    before(async () => {
      backend = await makeBackend();
    });
    after(async () => {
      await backend.close();
    });

    it('removes STOPPED tasks and INACTIVE instances past the retention, and nothing else', async () => {
      const store = await backend.open();
      await load(store);
      const r = await sweepExpired(store, HOUR, NOW);
      assert.deepEqual(r.removed, { task: 2, instance: 1 });
      assert.equal(r.checked, FIXTURE.length);
      assert.deepEqual(await keys(store), [
        'old-draining',
        'old-running',
        'recent-inactive',
        'recent-stopped',
      ]);
    });

    it('never deletes a key that changed between the read and the delete', async () => {
      const store = await backend.open();
      await load(store);
      // Another writer rewrites old-stopped just before the retention's delete transaction.
      const [key, entity] = FIXTURE[0]!;
      let raced = false;
      const racing: Store = Object.create(store) as Store;
      racing.txn = async (req) => {
        if (!raced && req.compare?.length) {
          raced = true;
          await store.put(key, serializeStoredEntity({ ...entity, observedAt: iso(NOW) }));
        }
        return store.txn(req);
      };
      const r = await sweepExpired(racing, HOUR, NOW);
      assert.equal(r.changed, 1);
      assert.deepEqual(r.removed, { task: 1, instance: 1 });
      assert.ok(await store.get(key), 'the rewritten key is still there');
    });

    it('runs on its interval with metrics and status', async () => {
      const store = await backend.open();
      await load(store);
      const registry = new Registry();
      const ret = startRetention(
        { retentionMs: HOUR, intervalMs: 0 },
        { store, registry, now: () => new Date(NOW) },
      );
      try {
        const r = await ret.runNow();
        assert.equal(r.removed.task + r.removed.instance, 3);
        const s = ret.status();
        assert.equal(s.removedTotal, 3);
        assert.equal(s.retentionMs, HOUR);
        assert.ok(s.lastSweepAt);
        const metric = (await registry.getMetricsAsJSON()).find(
          (m) => m.name === 'blox_state_retention_removed_total',
        );
        const total = (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
        assert.equal(total, 3);
      } finally {
        await ret.stop();
      }
      assert.throws(
        () => startRetention({ retentionMs: -5 }, { store }),
        /retentionMs must be a whole number/,
      );
    });
  });
}
