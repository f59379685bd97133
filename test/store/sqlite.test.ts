import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { after, describe, it } from 'node:test';
import { ConfigError } from '../../src/core/errors.js';
import { CompactedError, openStore, SqliteStore, StoreUnavailableError } from '../../src/store/index.js';
import { tempDir, waitFor } from '../support/env.js';
import { storeContract } from './contract.js';

storeContract('sqlite', async (options) => {
  const dir = await tempDir('blox-store-');
  const store = await openStore({ backend: 'sqlite', dataDir: dir.path, compaction: options?.compaction });
  return { store, cleanup: dir.cleanup };
});

describe('sqlite store specifics', () => {
  const dirs: Array<() => Promise<void>> = [];
  after(async () => {
    for (const d of dirs) await d();
  });
  const dir = async () => {
    const d = await tempDir('blox-store-');
    dirs.push(d.cleanup);
    return d.path;
  };

  it('persists across reopen: data, revision, compaction and history', async () => {
    const path = await dir();
    const s1 = await openStore({ backend: 'sqlite', dataDir: path });
    await s1.put('a', '1');
    const r2 = (await s1.put('a', '2')).revision;
    await s1.put('b', '1');
    await s1.compact(r2);
    const rev = await s1.revision();
    await s1.close();
    const s2 = await openStore({ backend: 'sqlite', dataDir: path });
    try {
      assert.equal(await s2.revision(), rev);
      assert.equal((await s2.get('a'))?.version, 2);
      assert.equal((await s2.get('a', { revision: r2 }))?.value, '2');
      assert.equal((await s2.status()).compactedRevision, r2);
      assert.equal((await s2.put('c', '1')).revision, rev + 1);
    } finally {
      await s2.close();
    }
  });

  it('a second open of the same data dir fails with a clear error', async () => {
    const path = await dir();
    const s1 = await openStore({ backend: 'sqlite', dataDir: path });
    try {
      await assert.rejects(openStore({ backend: 'sqlite', dataDir: path }), (err: unknown) => {
        assert.ok(err instanceof StoreUnavailableError);
        assert.match(err.message, /in use by another process/);
        return true;
      });
    } finally {
      await s1.close();
    }
    // Once closed, it opens again.
    const s2 = await openStore({ backend: 'sqlite', dataDir: path });
    await s2.close();
  });

  it('openStore rejects unknown backends and bad options with ConfigError', async () => {
    await assert.rejects(openStore({ backend: 'redis' } as never), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /unknown store backend "redis"/);
      return true;
    });
    await assert.rejects(openStore({ backend: 'sqlite', dataDir: '' }), /needs dataDir/);
    await assert.rejects(
      openStore({ backend: 'sqlite', dataDir: '/tmp/x', compaction: { retainRevisions: -1 } }),
      /compaction.retainRevisions must be a non-negative integer/,
    );
    await assert.rejects(
      openStore({ backend: 'sqlite', dataDir: '/tmp/x', synchronous: 'sometimes' as never }),
      /synchronous must be "normal" or "full"/,
    );
    await assert.rejects(
      openStore({ backend: 'sqlite', dataDir: '/tmp/x', pageSize: 3000 }),
      (err: unknown) =>
        err instanceof ConfigError &&
        /store option pageSize must be a power of two from 512 to 65536 bytes, got 3000/.test(err.message),
    );
    await assert.rejects(openStore({ backend: 'etcd', endpoints: [] }), /needs endpoints/);
    await assert.rejects(openStore({ backend: 'etcd', endpoints: ['not a url'] }), /is not host:port/);
  });

  it('a watch still replaying when compaction overtakes it ends with CompactedError', async () => {
    const store = new SqliteStore({ dataDir: await dir(), compaction: { intervalMs: 0 } });
    try {
      const first = (await store.put('h/0', '0')).revision;
      for (let i = 1; i < 5000; i++) await store.put(`h/${i % 10}`, String(i));
      const errors: Error[] = [];
      let delivered = 0;
      await store.watch(
        'h/',
        { fromRevision: first },
        { onEvents: (events) => (delivered += events.length), onError: (err) => errors.push(err) },
      );
      // Replay runs in chunks on later turns of the event loop; compaction gets in first.
      await store.compact(await store.revision());
      await waitFor('the watch to fail', () => errors.length === 1);
      assert.ok(errors[0] instanceof CompactedError, String(errors[0]));
      assert.ok(delivered < 5000);
    } finally {
      await store.close();
    }
  });

  it('a guarded put reads each key once: the row its compare read serves the put, also when the key is absent', async () => {
    const store = new SqliteStore({ dataDir: await dir() });
    // Counts the store's row reads (statement .get calls) on the real driver while one txn runs.
    const statement = Object.getPrototypeOf(new Database(':memory:').prepare('SELECT 1')) as {
      get: (...args: unknown[]) => unknown;
    };
    const realGet = statement.get;
    let reads = 0;
    try {
      await store.put('g/old', 'o1');
      const old = (await store.get('g/old'))!;
      statement.get = function (this: unknown, ...args: unknown[]) {
        reads++;
        return realGet.apply(this, args);
      };
      const res = await store.txn({
        compare: [
          { key: 'g/old', target: 'modRevision', op: '=', value: old.modRevision },
          { key: 'g/new', target: 'modRevision', op: '=', value: 0 },
        ],
        success: [
          { type: 'put', key: 'g/old', value: 'o2' },
          { type: 'put', key: 'g/new', value: 'n1' },
        ],
      });
      statement.get = realGet;
      assert.equal(res.succeeded, true);
      assert.equal(reads, 2, 'one read per compared key, none again for its put');
      assert.deepEqual([(await store.get('g/old'))?.version, (await store.get('g/new'))?.version], [2, 1]);
    } finally {
      statement.get = realGet;
      await store.close();
    }
  });

  it('synchronous=full works too', async () => {
    const store = new SqliteStore({ dataDir: await dir(), synchronous: 'full' });
    try {
      await store.put('k', 'v');
      assert.equal((await store.get('k'))?.value, 'v');
    } finally {
      await store.close();
    }
  });

  it('a new file gets the page size asked for (4 KB by default); an existing file keeps its own', async () => {
    const path = await dir();
    const old = new SqliteStore({ dataDir: path, pageSize: 16384 });
    assert.equal(old.pageSize, 16384);
    await old.put('k', 'v1');
    await old.close();
    // Reopened with the default: the 16 KB file stays 16 KB and reads and writes as before.
    const reopened = new SqliteStore({ dataDir: path });
    try {
      assert.equal(reopened.pageSize, 16384);
      assert.equal((await reopened.get('k'))?.value, 'v1');
      await reopened.put('k', 'v2'.repeat(5000));
      assert.equal((await reopened.get('k'))?.version, 2);
    } finally {
      await reopened.close();
    }
    const fresh = new SqliteStore({ dataDir: await dir() });
    try {
      assert.equal(fresh.pageSize, 4096);
    } finally {
      await fresh.close();
    }
  });

  it('openStore creates a new file with the page size asked for; an existing file keeps its own', async () => {
    const path = await dir();
    const s1 = await openStore({ backend: 'sqlite', dataDir: path, pageSize: 16384 });
    assert.equal((s1 as SqliteStore).pageSize, 16384);
    await s1.put('k', 'v');
    await s1.close();
    const s2 = await openStore({ backend: 'sqlite', dataDir: path, pageSize: 4096 });
    try {
      assert.equal((s2 as SqliteStore).pageSize, 16384);
      assert.equal((await s2.get('k'))?.value, 'v');
    } finally {
      await s2.close();
    }
  });

  it('rejects a page size that is not a power of two from 512 to 65536', async () => {
    for (const pageSize of [1000, 256, 131072, 0.5])
      assert.throws(
        () => new SqliteStore({ dataDir: '/nonexistent-never-created', pageSize }),
        (err: Error) => err.message.includes('pageSize must be a power of two from 512 to 65536'),
      );
  });

  it('leases survive a restart and then expire (their keep-alive stops with the process)', async () => {
    const path = await dir();
    const s1 = new SqliteStore({ dataDir: path, leaseSweepMs: 50 });
    const lease = await s1.grantLease(1);
    await s1.put('l', '1', { lease: lease.id });
    await s1.close();
    const s2 = new SqliteStore({ dataDir: path, leaseSweepMs: 50 });
    try {
      await waitFor(
        'the lease to expire within its TTL after the restart',
        async () => (await s2.get('l')) === undefined,
        {
          timeoutMs: 5_000,
        },
      );
    } finally {
      await s2.close();
    }
  });
});
