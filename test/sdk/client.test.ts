import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  StateClient,
  StreamGoneError,
  remoteClusterSource,
  watchState,
  type EntityChange,
} from '../../src/sdk/index.js';
import { startStateService, type StateService } from '../../src/state/service.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { freePort, tempDir, waitFor } from '../support/env.js';
import { instance, keyOf, putEntities, putEntitiesBatched, task, taskArn } from '../state/api/fixtures.js';

describe('SDK: StateClient, watchState and the remote cluster source against a real state service (SQLite)', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  let store: Store;
  let service: StateService;
  let port: number;
  let client: StateClient;

  const startService = async () => {
    service = await startStateService({
      store,
      changeLogSize: 50,
      streamHeartbeatMs: 50,
      progressIntervalMs: 50,
    });
    await service.app!.listen({ port, host: '127.0.0.1' });
    await service.ready;
  };

  before(async () => {
    dir = await tempDir();
    store = await openStore({ backend: 'sqlite', dataDir: dir.path, compaction: { intervalMs: 0 } });
    await putEntitiesBatched(store, [
      ...Array.from({ length: 2500 }, (_, i) =>
        task({ id: `t${String(i).padStart(4, '0')}`, cluster: i < 100 ? 'small' : 'big' }),
      ),
      instance({ id: 'i1', cluster: 'small' }),
      instance({ id: 'i2', cluster: 'big' }),
    ]);
    port = await freePort();
    await startService();
    client = new StateClient({ endpoint: `http://127.0.0.1:${port}/` });
  });

  after(async () => {
    await service.close();
    await store.close();
    await dir.cleanup();
  });

  it('lists every page with the native entity and its revision; filters; gets one or undefined', async () => {
    const all = await client.list('task', {}, 1000);
    assert.equal(all.items.length, 2500);
    assert.equal(new Set(all.items.map((i) => i.entity.detail.taskArn)).size, 2500);
    assert.ok(all.revision >= (await store.revision()) - 1);
    assert.equal(all.items[0]!.entity.kind, 'task');
    assert.ok(all.items[0]!.revision > 0);
    assert.equal((await client.list('task', { cluster: 'small' })).items.length, 100);
    const page = await client.listPage('instance', { status: 'active' }, { limit: 1 });
    assert.equal(page.items.length, 1);
    assert.ok(page.nextToken);
    const one = await client.get('task', 'small', taskArn('small', 't0001'));
    assert.equal(one?.entity.detail.taskArn, taskArn('small', 't0001'));
    assert.equal(await client.get('task', 'small', taskArn('small', 'nope')), undefined);
    await assert.rejects(client.list('task', { status: 'bogus' }), /Invalid status/);
  });

  it('watch: replays from a revision, follows live, survives a server restart without gaps or duplicates', async () => {
    const from = (await store.revision()) + 1;
    const got: EntityChange[] = [];
    const errors: Error[] = [];
    let reconnects = 0;
    const w = watchState(
      client,
      from,
      { onChanges: (c) => got.push(...c), onError: (e) => errors.push(e) },
      { cluster: 'live', retryBaseMs: 20, onReconnect: () => reconnects++ },
    );
    try {
      await putEntities(store, [
        task({ id: 'w1', cluster: 'live' }),
        instance({ id: 'wi', cluster: 'live' }),
      ]);
      await waitFor('two changes', () => got.length >= 2);
      await service.close(); // the connection drops
      await putEntities(store, [task({ id: 'w2', cluster: 'live' })]); // written while no server runs
      await startService();
      await putEntities(store, [task({ id: 'w3', cluster: 'live' })]);
      await store.delete(keyOf(task({ id: 'w1', cluster: 'live' })));
      await waitFor('five changes', () => got.length >= 5, { timeoutMs: 10_000 });
      assert.ok(reconnects >= 1);
      assert.deepEqual(
        got.map(
          (c) => `${c.type}:${c.kind}:${c.entity.detail.version === undefined ? '?' : c.entity.cluster}`,
        ),
        ['put:task:live', 'put:instance:live', 'put:task:live', 'put:task:live', 'delete:task:live'],
      );
      const revisions = got.map((c) => c.revision);
      assert.deepEqual(
        [...revisions].sort((a, b) => a - b),
        revisions,
      );
      assert.equal(errors.length, 0);
    } finally {
      await w.close();
    }
  });

  it('watch ends with StreamGoneError once the resume revision is compacted away', async () => {
    const old = await putEntities(store, [task({ id: 'g1', cluster: 'gone' })]);
    for (let i = 0; i < 60; i++)
      await putEntities(store, [task({ id: `g${i}`, cluster: 'gone', version: i + 2 })]);
    await store.compact(await store.revision());
    const error = await new Promise<Error>((resolve) => {
      watchState(client, old, { onChanges: () => undefined, onError: resolve });
    });
    assert.ok(error instanceof StreamGoneError, String(error));
    assert.match(error.message, /re-list/);
  });

  it('remote cluster source: snapshot at a revision, then changes from revision + 1', async () => {
    const source = remoteClusterSource(client);
    const snap = await source.list({ clusters: ['small'] });
    assert.equal(snap.tasks.length, 100);
    assert.equal(snap.instances.length, 1);
    const seen: EntityChange[] = [];
    const w = await source.watch(
      snap.revision + 1,
      { onChanges: (c) => seen.push(...c), onError: () => undefined },
      {
        clusters: ['small'],
      },
    );
    try {
      await putEntities(store, [
        task({ id: 'x', cluster: 'elsewhere' }),
        task({ id: 's-new', cluster: 'small' }),
      ]);
      await waitFor('the change in cluster small', () => seen.some((c) => c.entity.cluster === 'small'));
      assert.ok(seen.every((c) => c.entity.cluster === 'small'));
    } finally {
      await w.close();
    }
  });
});
