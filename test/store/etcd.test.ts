import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CompactedError, Election, openStore, StoreUnavailableError } from '../../src/store/index.js';
import { EtcdStore } from '../../src/store/etcd/store.js';
import { freePort, waitFor } from '../support/env.js';
import { startEtcd } from '../support/etcd.js';
import { storeContract } from './contract.js';

let etcd: Awaited<ReturnType<typeof startEtcd>> | undefined;
before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  await etcd?.stop();
});

storeContract('etcd', async (options) => {
  const store = await openStore({
    backend: 'etcd',
    endpoints: etcd!.endpoints,
    namespace: `t-${randomUUID()}/`,
    compaction: options?.compaction,
  });
  return { store, cleanup: async () => {} };
});

describe('etcd store specifics', () => {
  it('namespaces isolate stores on one etcd', async () => {
    const a = new EtcdStore({
      endpoints: etcd!.endpoints,
      namespace: 'ns-a/',
      compaction: { intervalMs: 0 },
    });
    const b = new EtcdStore({
      endpoints: etcd!.endpoints,
      namespace: 'ns-b/',
      compaction: { intervalMs: 0 },
    });
    try {
      await a.put('k', 'a');
      await b.put('k', 'b');
      assert.equal((await a.get('k'))?.value, 'a');
      assert.equal((await b.get('k'))?.value, 'b');
      assert.equal((await a.range({ prefix: '' })).count, 1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('an unpaginated range larger than the default 4 MiB gRPC message limit works', async () => {
    const store = new EtcdStore({
      endpoints: etcd!.endpoints,
      namespace: `big-${randomUUID()}/`,
      compaction: { intervalMs: 0 },
    });
    try {
      const big = 'x'.repeat(1024 * 1024 - 100);
      for (let i = 0; i < 6; i++) await store.put(`big/${i}`, big);
      const all = await store.range({ prefix: 'big/' });
      assert.equal(all.items.length, 6);
      assert.equal(all.items[5]?.value.length, big.length);
    } finally {
      await store.close();
    }
  });

  it('an unreachable etcd gives StoreUnavailableError within the request timeout', async () => {
    const port = await freePort();
    const store = new EtcdStore({
      endpoints: [`http://127.0.0.1:${port}`],
      dialTimeoutMs: 500,
      requestTimeoutMs: 1_000,
      compaction: { intervalMs: 0 },
    });
    try {
      const started = Date.now();
      await assert.rejects(store.put('k', 'v'), StoreUnavailableError);
      assert.ok(Date.now() - started < 10_000);
    } finally {
      await store.close();
    }
  });

  it('election fails over when the leader process dies (its lease expires)', async () => {
    const ns = `e-${randomUUID()}/`;
    const s1 = new EtcdStore({ endpoints: etcd!.endpoints, namespace: ns, compaction: { intervalMs: 0 } });
    const s2 = new EtcdStore({ endpoints: etcd!.endpoints, namespace: ns, compaction: { intervalMs: 0 } });
    try {
      const a = new Election(s1, 'leader', { ttlSeconds: 2 });
      const b = new Election(s2, 'leader', { ttlSeconds: 2 });
      await a.campaign('A');
      let bLeads = false;
      const bCampaign = b.campaign('B').then(() => (bLeads = true));
      await waitFor('b to be a candidate', async () => (await s2.range({ prefix: 'leader/' })).count === 2);
      // "Crash" A: its client goes away without resigning; the lease is no longer kept alive.
      await s1.close();
      assert.equal(bLeads, false);
      await bCampaign;
      assert.equal((await b.leader())?.value, 'B');
      await b.resign();
    } finally {
      await s1.close();
      await s2.close();
    }
  });

  it('a watch whose replay is overtaken by compaction ends with CompactedError', async () => {
    const store = new EtcdStore({
      endpoints: etcd!.endpoints,
      namespace: `c-${randomUUID()}/`,
      compaction: { intervalMs: 0 },
    });
    try {
      const first = (await store.put('h/0', '0')).revision;
      // 3,000 revisions: etcd replays at most 1,000 revisions per 100 ms sync pass, so compaction gets in.
      let next = 1;
      await Promise.all(
        Array.from({ length: 32 }, async () => {
          while (next < 3000) {
            const i = next++;
            await store.put(`h/${i % 10}`, String(i));
          }
        }),
      );
      const errors: Error[] = [];
      const revisions: number[] = [];
      await store.watch(
        'h/',
        { fromRevision: first },
        {
          onEvents: (events) => revisions.push(...events.map((e) => e.revision)),
          onError: (err) => errors.push(err),
        },
      );
      await store.compact(await store.revision());
      await waitFor('the watch to fail', () => errors.length === 1, { timeoutMs: 10_000 });
      assert.ok(errors[0] instanceof CompactedError, String(errors[0]));
      assert.ok(revisions.length < 3000);
      for (let i = 1; i < revisions.length; i++) assert.ok(revisions[i]! > revisions[i - 1]!);
    } finally {
      await store.close();
    }
  });

  it('a watch resumes after the member restarts, without losing or repeating events', async () => {
    const store = new EtcdStore({
      endpoints: etcd!.endpoints,
      namespace: `r-${randomUUID()}/`,
      compaction: { intervalMs: 0 },
    });
    const seen: number[] = [];
    const errors: Error[] = [];
    try {
      const w = await store.watch(
        'x/',
        {},
        {
          onEvents: (events) => seen.push(...events.map((e) => Number(e.value))),
          onError: (err) => errors.push(err),
        },
      );
      for (let i = 0; i < 10; i++) await store.put(`x/${i % 3}`, String(i));
      await etcd!.member.restart();
      for (let i = 10; i < 20; i++) {
        // The first writes after the restart may hit the reconnecting channel: retry, bounded.
        await waitFor(
          `put ${i} after the restart`,
          () => store.put(`x/${i % 3}`, String(i)).then(() => true),
          {
            timeoutMs: 10_000,
            intervalMs: 100,
          },
        );
      }
      await waitFor('all 20 events', () => seen.length >= 20, { timeoutMs: 20_000 });
      assert.deepEqual(
        seen,
        Array.from({ length: 20 }, (_, i) => i),
      );
      assert.deepEqual(errors, []);
      await w.close();
    } finally {
      await store.close();
    }
  });
});
