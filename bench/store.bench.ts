/**
 * Store benchmark: put, txn, range and watch-delivery throughput of both backends, next to the raw
 * `etcd3` client and raw better-sqlite3 measured in the same run (the ceiling). Starts its own etcd.
 *
 *   npm run bench:store            # writes bench/results/store.json and the "Store" section of docs/benchmarks.md
 *
 * Each figure is the median of RUNS runs (min and max shown). Environment: BENCH_RUNS (default 3).
 */
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Etcd3 } from 'etcd3';
import { EtcdStore, SqliteStore, type Store } from '../src/store/index.js';
import { tempDir } from '../test/support/env.js';
import { startEtcd } from '../test/support/etcd.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const root = new URL('..', import.meta.url).pathname;

interface Result {
  backend: string;
  op: string;
  concurrency: number;
  unit: string;
  median: number;
  min: number;
  max: number;
  runs: number[];
}

const results: Result[] = [];

async function pool(n: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
}

/** Runs `once` RUNS times; each returns ops/s. */
async function measure(
  backend: string,
  op: string,
  concurrency: number,
  once: (run: number) => Promise<number>,
  unit = 'ops/s',
): Promise<void> {
  const runs: number[] = [];
  for (let r = 0; r < RUNS; r++) runs.push(await once(r));
  const sorted = [...runs].sort((a, b) => a - b);
  const result = {
    backend,
    op,
    concurrency,
    unit,
    median: sorted[Math.floor(sorted.length / 2)]!,
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    runs,
  };
  results.push(result);
  console.log(
    `${backend.padEnd(14)} ${op.padEnd(12)} c=${String(concurrency).padEnd(3)} ${Math.round(result.median)
      .toString()
      .padStart(8)} ${unit} (min ${Math.round(result.min)}, max ${Math.round(result.max)})`,
  );
}

async function timed(n: number, fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (n * 1000) / (performance.now() - t0);
}

// ---- store backends (through the Store interface) ------------------------------------------------

async function benchStore(
  label: string,
  store: Store,
  sizes: { put: number; txn: number; range: number; watch: number },
  concurrencies: number[],
) {
  for (const c of concurrencies) {
    await measure(label, 'put', c, (run) =>
      timed(sizes.put, () => pool(sizes.put, c, (i) => store.put(`put/${c}/${run}/${i}`, 'v'.repeat(100)))),
    );
  }
  for (const c of concurrencies) {
    await measure(label, 'txn', c, (run) =>
      timed(sizes.txn, () =>
        pool(sizes.txn, c, (i) => {
          const key = `txn/${c}/${run}/${i}`;
          return store.txn({
            compare: [{ key, target: 'createRevision', op: '=', value: 0 }],
            success: [{ type: 'put', key, value: 'v'.repeat(100) }],
          });
        }),
      ),
    );
  }
  for (let i = 0; i < 1000; i++) await store.put(`range/${String(i).padStart(4, '0')}`, 'v'.repeat(100));
  await measure(label, 'range100', 1, () =>
    timed(sizes.range, () => pool(sizes.range, 1, () => store.range({ prefix: 'range/', limit: 100 }))),
  );
  const c = concurrencies[concurrencies.length - 1]!;
  await measure(
    label,
    'watch',
    c,
    async (run) => {
      let seen = 0;
      let done!: () => void;
      const all = new Promise<void>((r) => (done = r));
      const w = await store.watch(
        `watch/${run}/`,
        {},
        {
          onEvents: (events) => {
            seen += events.length;
            if (seen >= sizes.watch) done();
          },
          onError: (err) => console.error(err),
        },
      );
      const rate = await timed(sizes.watch, async () => {
        await pool(sizes.watch, c, (i) => store.put(`watch/${run}/${i}`, 'v'));
        await all;
      });
      await w.close();
      return rate;
    },
    'events/s',
  );
}

// ---- raw ceilings --------------------------------------------------------------------------------

async function benchRawSqlite(dir: string, sizes: { put: number; range: number }) {
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID');
  const upsert = db.prepare('INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)');
  await measure('raw sqlite', 'put', 1, (run) =>
    timed(sizes.put, async () => {
      for (let i = 0; i < sizes.put; i++) upsert.run(`put/${run}/${i}`, 'v'.repeat(100));
    }),
  );
  const get = db.prepare('SELECT value FROM kv WHERE key = ?');
  const txn = db.transaction((key: string) => {
    if (!get.get(key)) upsert.run(key, 'v'.repeat(100));
  });
  await measure('raw sqlite', 'txn', 1, (run) =>
    timed(sizes.put, async () => {
      for (let i = 0; i < sizes.put; i++) txn(`txn/${run}/${i}`);
    }),
  );
  for (let i = 0; i < 1000; i++) upsert.run(`range/${String(i).padStart(4, '0')}`, 'v'.repeat(100));
  const range = db.prepare('SELECT key, value FROM kv WHERE key >= ? AND key < ? ORDER BY key LIMIT 100');
  await measure('raw sqlite', 'range100', 1, () =>
    timed(sizes.range, async () => {
      for (let i = 0; i < sizes.range; i++) range.all('range/', 'range0');
    }),
  );
  db.close();
}

async function benchRawEtcd(
  endpoints: string[],
  sizes: { put: number; txn: number; range: number; watch: number },
  concurrencies: number[],
) {
  const client = new Etcd3({ hosts: endpoints });
  const ns = client.namespace('raw/');
  for (const c of concurrencies) {
    await measure('raw etcd3', 'put', c, (run) =>
      timed(sizes.put, () =>
        pool(sizes.put, c, (i) => ns.put(`put/${c}/${run}/${i}`).value('v'.repeat(100)).exec()),
      ),
    );
  }
  for (const c of concurrencies) {
    await measure('raw etcd3', 'txn', c, (run) =>
      timed(sizes.txn, () =>
        pool(sizes.txn, c, (i) => {
          const key = `txn/${c}/${run}/${i}`;
          return ns
            .if(key, 'Create', '==', 0)
            .then(ns.put(key).value('v'.repeat(100)))
            .commit();
        }),
      ),
    );
  }
  for (let i = 0; i < 1000; i++) await ns.put(`range/${String(i).padStart(4, '0')}`).value('v'.repeat(100));
  await measure('raw etcd3', 'range100', 1, () =>
    timed(sizes.range, () => pool(sizes.range, 1, () => ns.getAll().prefix('range/').limit(100).exec())),
  );
  const c = concurrencies[concurrencies.length - 1]!;
  await measure(
    'raw etcd3',
    'watch',
    c,
    async (run) => {
      let seen = 0;
      let done!: () => void;
      const all = new Promise<void>((r) => (done = r));
      const w = await ns.watch().prefix(`watch/${run}/`).create();
      w.on('put', () => {
        if (++seen >= sizes.watch) done();
      });
      const rate = await timed(sizes.watch, async () => {
        await pool(sizes.watch, c, (i) => ns.put(`watch/${run}/${i}`).value('v').exec());
        await all;
      });
      await w.cancel();
      return rate;
    },
    'events/s',
  );
  client.close();
}

// ---- report --------------------------------------------------------------------------------------

function machine() {
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: root }).toString().trim();
  } catch {
    // not a git checkout
  }
  let etcdVersion = 'unknown';
  try {
    etcdVersion =
      /etcd Version: (\S+)/.exec(execSync('/usr/bin/etcd --version').toString())?.[1] ?? etcdVersion;
  } catch {
    // no etcd
  }
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    etcd: etcdVersion,
    commit,
    date: new Date().toISOString(),
  };
}

function find(backend: string, op: string, c: number): Result | undefined {
  return results.find((r) => r.backend === backend && r.op === op && r.concurrency === c);
}

function report(info: ReturnType<typeof machine>, concurrencies: number[]) {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const lines = [
    '## Store',
    '',
    `Run \`npm run bench:store\` (bench/store.bench.ts). Median of ${RUNS} runs (min–max); client and a single-member`,
    'etcd share the machine. Values are 100 bytes; every put/txn writes a new key; txn = one compare',
    '(createRevision = 0) + one put; range100 = first 100 of 1,000 keys under a prefix; watch = time from the',
    'first put until the watcher has received every event.',
    '',
    `Machine: ${info.cores} cores (${info.cpu}), ${info.memoryGiB} GiB, Node ${info.node}, ${info.platform}, etcd ${info.etcd}; commit ${info.commit}; ${info.date}.`,
    '',
    '| backend | op | concurrency | median | min | max |',
    '|---|---|---:|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${r.backend} | ${r.op} | ${r.concurrency} | ${fmt(r.median)} ${r.unit} | ${fmt(r.min)} | ${fmt(r.max)} |`,
    ),
    '',
    '**Targets**',
    '',
  ];
  const targets: Array<{ target: string; value: string; met: boolean }> = [];
  for (const op of ['put', 'txn']) {
    for (const c of concurrencies) {
      const mine = find('etcd', op, c);
      const raw = find('raw etcd3', op, c);
      if (!mine || !raw) continue;
      const ratio = mine.median / raw.median;
      targets.push({
        target: `etcd backend ${op} ≥ 80% of raw etcd3 (c=${c})`,
        value: `${Math.round(ratio * 100)}%`,
        met: ratio >= 0.8,
      });
    }
  }
  const sqliteTxn = find('sqlite', 'txn', 1);
  if (sqliteTxn) {
    targets.push({
      target: 'embedded ≥ 20,000 committed single-key txns/s',
      value: `${fmt(sqliteTxn.median)}/s`,
      met: sqliteTxn.median >= 20_000,
    });
  }
  lines.push('| target | measured | met |', '|---|---:|---|');
  for (const t of targets) lines.push(`| ${t.target} | ${t.value} | ${t.met ? 'yes' : 'no'} |`);
  const section = lines.join('\n');

  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(
    join(root, 'bench', 'results', 'store.json'),
    JSON.stringify({ machine: info, runs: RUNS, results, targets }, null, 2) + '\n',
  );
  const docPath = join(root, 'docs', 'benchmarks.md');
  mkdirSync(join(root, 'docs'), { recursive: true });
  let doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Benchmarks\n';
  const begin = '<!-- store:begin -->';
  const end = '<!-- store:end -->';
  const block = `${begin}\n${section}\n${end}`;
  const b = doc.indexOf(begin);
  const e = doc.indexOf(end);
  if (b >= 0 && e > b) doc = doc.slice(0, b) + block + doc.slice(e + end.length);
  else doc = `${doc.trimEnd()}\n\n${block}\n`;
  writeFileSync(docPath, doc);
  console.log('\n' + section);
}

async function main() {
  const info = machine();
  const concurrencies = [1, 64];
  const dir = await tempDir('blox-bench-');
  const etcd = await startEtcd();
  try {
    // Embedded: sequential (better-sqlite3 is synchronous; concurrency adds nothing).
    await benchRawSqlite(dir.path, { put: 20_000, range: 2_000 });
    const sqlite = new SqliteStore({ dataDir: dir.path, compaction: { intervalMs: 0 } });
    await benchStore('sqlite', sqlite, { put: 20_000, txn: 20_000, range: 2_000, watch: 20_000 }, [1]);
    await sqlite.close();

    const sizes = { put: 3_000, txn: 3_000, range: 500, watch: 3_000 };
    // Alternate raw and backend so both see the same (warm) etcd.
    await benchRawEtcd(etcd.endpoints, sizes, concurrencies);
    const store = new EtcdStore({
      endpoints: etcd.endpoints,
      namespace: 'bench/',
      compaction: { intervalMs: 0 },
    });
    await benchStore('etcd', store, sizes, concurrencies);
    await store.close();
  } finally {
    await etcd.stop();
    await dir.cleanup();
  }
  report(info, concurrencies);
}

await main();
