import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createEcsClient, createSqsClient } from '../../src/aws/clients.js';
import { main } from '../../src/cli/main.js';
import { startStateService, type StateService } from '../../src/state/service.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { startEtcd } from '../support/etcd.js';
import { tempDir, waitFor } from '../support/env.js';
import { instance, keyOf, putEntities, putEntitiesBatched, task } from './api/fixtures.js';

const unreachableAws = {
  endpoint: 'http://127.0.0.1:1',
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  maxAttempts: 1,
};

describe('state service composition', () => {
  it('answers from persisted state at start, with no AWS reachable (ingest and reconcile retry in the background)', async () => {
    const dir = await tempDir();
    try {
      const seed = await openStore({ backend: 'sqlite', dataDir: dir.path });
      const n = 3000;
      const entities = Array.from({ length: n }, (_, i) =>
        task({ id: `p${i}`, cluster: i % 2 ? 'a' : 'b', lastStatus: i % 5 ? 'RUNNING' : 'STOPPED' }),
      );
      await putEntitiesBatched(seed, entities);
      await seed.close();

      const t0 = Date.now();
      const store = await openStore({ backend: 'sqlite', dataDir: dir.path });
      const ecs = createEcsClient(unreachableAws);
      const sqs = createSqsClient(unreachableAws, 1);
      const service = await startStateService({
        store,
        ownsStore: true,
        ingest: { sqs, options: { queue: 'blox_queue', waitTimeSeconds: 1 } },
        reconcile: { ecs, options: { intervalMs: 0 } },
      });
      try {
        await service.ready;
        const readyMs = Date.now() - t0;
        const inject = (url: string) => service.app!.inject({ method: 'GET', url });
        assert.equal((await inject('/readyz')).statusCode, 200);
        const list = JSON.parse((await inject('/v1/tasks')).body);
        assert.equal(list.items.length, n);
        assert.equal(JSON.parse((await inject('/v1/tasks?status=stopped&cluster=b')).body).items.length, 300);
        const status = await waitFor('ingest and reconcile to report their failures', async () => {
          const s = JSON.parse((await inject('/v1/status')).body);
          return s.ingest?.lastError && s.reconcile?.lastError ? s : undefined;
        });
        assert.equal(status.index.tasks, n);
        assert.match(status.ingest.lastError, /could not be found|ECONNREFUSED/);
        console.log(`start → ready with ${n} persisted tasks and AWS unreachable: ${readyMs} ms`);
      } finally {
        await service.close();
        ecs.destroy();
        sqs.destroy();
      }
    } finally {
      await dir.cleanup();
    }
  });

  it('reports readiness only once the index has loaded', async () => {
    const dir = await tempDir();
    const store = await openStore({ backend: 'sqlite', dataDir: dir.path });
    const service = await startStateService({ store, ownsStore: true });
    try {
      // The first list runs asynchronously: the check answers for the state at the time it is asked.
      const check = service.readiness.index!;
      await service.ready;
      assert.equal(await check(), undefined);
    } finally {
      await service.close();
      await dir.cleanup();
    }
  });
});

describe('two index replicas on one etcd', () => {
  let etcd: Awaited<ReturnType<typeof startEtcd>>;
  let stores: Store[];
  let replicas: StateService[];

  before(async () => {
    etcd = await startEtcd();
    stores = [
      await openStore({ backend: 'etcd', endpoints: etcd.endpoints }),
      await openStore({ backend: 'etcd', endpoints: etcd.endpoints }),
    ];
    await putEntities(stores[0]!, [task({ id: 'before1' }), instance({ id: 'i1' })]);
    replicas = [
      await startStateService({ store: stores[0]!, progressIntervalMs: 100 }),
      await startStateService({ store: stores[1]!, progressIntervalMs: 100 }),
    ];
    await Promise.all(replicas.map((r) => r.ready));
  });

  after(async () => {
    for (const r of replicas ?? []) await r.close();
    for (const s of stores ?? []) await s.close();
    await etcd?.stop();
  });

  it('serve the same answers (items and entityVersions) after puts, updates and deletes from either side', async () => {
    await putEntities(stores[1]!, [task({ id: 'a', startedBy: 'x' }), task({ id: 'b', cluster: 'other' })]);
    await putEntities(stores[0]!, [
      task({ id: 'a', lastStatus: 'STOPPED', version: 2 }),
      instance({ id: 'i2' }),
    ]);
    await stores[1]!.delete(keyOf(task({ id: 'before1' })));
    const last = await stores[0]!.revision();
    await waitFor('both replicas to reach the last revision', () =>
      replicas.every((r) => r.index.revision >= last),
    );
    for (const url of [
      '/v1/tasks',
      '/v1/instances',
      '/v1/tasks?status=stopped',
      '/v1/tasks?cluster=other',
      '/v1/clusters',
    ]) {
      const [a, b] = await Promise.all(replicas.map((r) => r.app!.inject({ method: 'GET', url })));
      assert.equal(a!.statusCode, 200, url);
      assert.equal(a!.body, b!.body, url);
    }
    const tasks = JSON.parse((await replicas[0]!.app!.inject({ method: 'GET', url: '/v1/tasks' })).body);
    assert.deepEqual(
      tasks.items.map((i: { entity: { taskARN: string; lastStatus: string } }) => [
        i.entity.taskARN.split('/').pop(),
        i.entity.lastStatus,
      ]),
      [
        ['a', 'STOPPED'],
        ['b', 'RUNNING'],
      ],
    );
  });

  it('resume a stream taken from one replica on the other (entityVersions are store revisions)', async () => {
    const rev = await putEntities(stores[0]!, [task({ id: 'resume', cluster: 'rs' })]);
    await waitFor('replica 1', () => replicas[1]!.index.revision >= rev);
    const sub: number[] = [];
    const s = replicas[1]!.index.subscribe(
      { fromRevision: rev, filter: { cluster: 'rs' } },
      { onChange: (c) => sub.push(c.revision) },
    );
    assert.deepEqual(sub, [rev]);
    s.close();
  });
});

describe('blox state-service command line', () => {
  it('rejects a Kinesis queue and an etcd store without endpoints with one clear message', async () => {
    const errors: string[] = [];
    const original = console.error;
    console.error = (msg: unknown) => void errors.push(String(msg));
    try {
      assert.equal(await main(['node', 'blox', 'state-service', '--queue', 'kinesis://stream']), 2);
      assert.equal(
        await main(['node', 'blox', 'state-service', '--store', 'etcd', '--bind', '127.0.0.1:0']),
        2,
      );
    } finally {
      console.error = original;
    }
    assert.match(errors[0]!, /Kinesis streams are not supported/);
    assert.match(errors[1]!, /--store etcd needs at least one --etcd-endpoint/);
  });

  it('rejects a SQLite page size that is not a power of two, or one given with etcd, with one clear message', async () => {
    const errors: string[] = [];
    const original = console.error;
    console.error = (msg: unknown) => void errors.push(String(msg));
    try {
      const args = ['node', 'blox', 'state-service', '--bind', '127.0.0.1:0'];
      assert.equal(await main([...args, '--sqlite-page-size', '3000']), 2);
      assert.equal(await main([...args, '--sqlite-page-size', '100']), 2);
      assert.equal(await main([...args, '--etcd-endpoint', '127.0.0.1:1', '--sqlite-page-size', '16384']), 2);
    } finally {
      console.error = original;
    }
    assert.equal(errors.length, 3, errors.join('\n'));
    assert.match(errors[0]!, /--sqlite-page-size must be a power of two from 512 to 65536 bytes .* got 3000/);
    assert.match(errors[1]!, /sqlite-page-size/);
    assert.match(
      errors[2]!,
      /--sqlite-page-size is a setting of the embedded store, and this command uses etcd/,
    );
  });
});

describe('retention through the service', () => {
  it('removes finished entities after their retention: gone from lists, a delete change to subscribers (what streams send)', async () => {
    const dir = await tempDir();
    const store = await openStore({ backend: 'sqlite', dataDir: dir.path });
    const old = task({
      id: 'old',
      cluster: 'ret',
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      extra: { stoppedAt: '2017-01-01T00:00:00.000Z' },
    });
    await putEntities(store, [task({ id: 'alive', cluster: 'ret' })]);
    const service = await startStateService({
      store,
      ownsStore: true,
      retention: { retentionMs: 1000, intervalMs: 50 },
    });
    try {
      await service.ready;
      const deletes: string[] = [];
      service.index.subscribe(
        { filter: { cluster: 'ret' } },
        { onChange: (c) => c.type === 'delete' && deletes.push(c.entry.fields.id) },
      );
      await putEntities(store, [old]);
      await waitFor('the stopped task to be removed', () => deletes.includes('old'));
      const list = JSON.parse(
        (await service.app!.inject({ method: 'GET', url: '/v1/tasks?cluster=ret' })).body,
      );
      assert.deepEqual(
        list.items.map((i: { entity: { taskARN: string } }) => i.entity.taskARN.split('/').pop()),
        ['alive'],
      );
      const status = JSON.parse((await service.app!.inject({ method: 'GET', url: '/v1/status' })).body);
      assert.ok(status.retention.removedTotal >= 1);
    } finally {
      await service.close();
      await dir.cleanup();
    }
  });
});
