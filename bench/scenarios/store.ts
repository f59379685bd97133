/**
 * Store-bound ceilings: single puts and single-key txns (create if absent) through each Store
 * backend, interleaved run by run with the raw client under it (raw etcd3, raw better-sqlite3).
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Etcd3 } from 'etcd3';
import { openStore, type Store } from '../../src/store/index.js';
import { tempDir } from '../../test/support/env.js';
import { etcdFor } from '../lib/etcd.js';
import type { Figures } from '../lib/figure.js';
import { load } from '../lib/machine.js';
import { pool } from '../lib/stats.js';
import type { ScenarioContext } from '../lib/types.js';

interface Impl {
  put(key: string, value: string): Promise<unknown>;
  txn(key: string, value: string): Promise<unknown>;
}
const VALUE = 'v'.repeat(100);

function storeImpl(store: Store): Impl {
  return {
    put: (k, v) => store.put(k, v),
    txn: (k, v) =>
      store.txn({
        compare: [{ key: k, target: 'createRevision', op: '=', value: 0 }],
        success: [{ type: 'put', key: k, value: v }],
      }),
  };
}

async function rate(n: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await pool(n, concurrency, fn);
  return (n * 1000) / (performance.now() - t0);
}

async function compare(
  ctx: ScenarioContext,
  figures: Figures,
  backend: 'sqlite' | 'etcd',
  raw: Impl,
  ours: Impl,
  n: number,
): Promise<void> {
  const rawName = backend === 'sqlite' ? 'raw better-sqlite3' : 'raw etcd3';
  for (const concurrency of backend === 'etcd' ? [1, 64] : [1]) {
    for (const op of ['put', 'txn'] as const) {
      const mine: number[] = [];
      const base: number[] = [];
      const load0 = load()[0];
      // warm-up (connections, JIT), then alternate which goes first so neither always gets the cold start
      await pool(50, concurrency, (i) => raw[op](`raw/${op}/${concurrency}/warm/${i}`, VALUE));
      await pool(50, concurrency, (i) => ours[op](`ours/${op}/${concurrency}/warm/${i}`, VALUE));
      for (let run = 0; run < ctx.runs; run++) {
        const r = () => rate(n, concurrency, (i) => raw[op](`raw/${op}/${concurrency}/${run}/${i}`, VALUE));
        const o = () => rate(n, concurrency, (i) => ours[op](`ours/${op}/${concurrency}/${run}/${i}`, VALUE));
        if (run % 2 === 0) {
          base.push(await r());
          mine.push(await o());
        } else {
          mine.push(await o());
          base.push(await r());
        }
      }
      figures.add({
        name: `${op} c=${concurrency}`,
        backend,
        size: n,
        sizeLabel: `${n.toLocaleString('en-US')} ops`,
        unit: `${op}s/s`,
        better: 'higher',
        runs: mine,
        loadStart: load0,
        ceiling: { label: rawName, runs: base, unit: `${op}s/s` },
      });
    }
  }
}

export async function run(ctx: ScenarioContext, figures: Figures): Promise<void> {
  if (ctx.backends.includes('sqlite')) {
    const dir = await tempDir('blox-bench-store-');
    const db = new Database(join(dir.path, 'raw.db'));
    const store = await openStore({ backend: 'sqlite', dataDir: dir.path, compaction: { intervalMs: 0 } });
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec('CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID');
      const upsert = db.prepare('INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)');
      const get = db.prepare('SELECT value FROM kv WHERE key = ?');
      const txn = db.transaction((k: string, v: string) => {
        if (!get.get(k)) upsert.run(k, v);
      });
      const raw: Impl = { put: async (k, v) => upsert.run(k, v), txn: async (k, v) => txn(k, v) };
      await compare(ctx, figures, 'sqlite', raw, storeImpl(store), ctx.quick ? 1000 : 20_000);
    } finally {
      db.close();
      await store.close();
      await dir.cleanup();
    }
  }
  if (ctx.backends.includes('etcd')) {
    const etcd = (await etcdFor(ctx))!;
    const client = new Etcd3({ hosts: etcd.endpoints });
    const store = await openStore({
      backend: 'etcd',
      endpoints: etcd.endpoints,
      namespace: 'ours/',
      compaction: { intervalMs: 0 },
    });
    try {
      const ns = client.namespace('raw/');
      const raw: Impl = {
        put: (k, v) => ns.put(k).value(v).exec(),
        txn: (k, v) => ns.if(k, 'Create', '==', 0).then(ns.put(k).value(v)).commit(),
      };
      await compare(ctx, figures, 'etcd', raw, storeImpl(store), ctx.quick ? 100 : 2000);
    } finally {
      client.close();
      await store.close();
      await etcd.stop();
    }
  }
}
