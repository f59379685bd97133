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
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Etcd3 } from 'etcd3';
import { SqliteStore, type Store } from '../src/store/index.js';
import { EtcdStore } from '../src/store/etcd/store.js';
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
  /** In-process backends: median ops per CPU-second of the benchmark process (load-independent estimate). */
  perCpuSecond?: number;
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

function record(backend: string, op: string, concurrency: number, runs: number[], unit = 'ops/s'): void {
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
    `${backend.padEnd(14)} ${op.padEnd(10)} c=${String(concurrency).padEnd(3)} ${Math.round(result.median)
      .toString()
      .padStart(8)} ${unit} (min ${Math.round(result.min)}, max ${Math.round(result.max)})`,
  );
}

/** The last timed() call's rate per CPU-second of this process (user + system). */
let lastCpuRate = 0;

async function timed(n: number, fn: () => Promise<void>): Promise<number> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  lastCpuRate = (n * 1e6) / Math.max(1, cpu.user + cpu.system);
  return (n * 1000) / ms;
}

/** What one implementation (a store backend or a raw client) can do, for the benchmark. */
interface Impl {
  name: string;
  put(key: string, value: string): Promise<unknown>;
  /** Single-key txn: if the key does not exist, put it. */
  txnCreate(key: string, value: string): Promise<unknown>;
  range100(prefix: string): Promise<unknown>;
  /** Starts a watch on prefix counting put events; returns a stop function. */
  watch?(prefix: string, onEvents: (n: number) => void): Promise<() => Promise<void>>;
}

function storeImpl(name: string, store: Store): Impl {
  return {
    name,
    put: (key, value) => store.put(key, value),
    txnCreate: (key, value) =>
      store.txn({
        compare: [{ key, target: 'createRevision', op: '=', value: 0 }],
        success: [{ type: 'put', key, value }],
      }),
    range100: (prefix) => store.range({ prefix, limit: 100 }),
    watch: async (prefix, onEvents) => {
      const w = await store.watch(
        prefix,
        {},
        { onEvents: (events) => onEvents(events.length), onError: (err) => console.error(err) },
      );
      return () => w.close();
    },
  };
}

function rawEtcdImpl(client: Etcd3): Impl {
  const ns = client.namespace('raw/');
  return {
    name: 'raw etcd3',
    put: (key, value) => ns.put(key).value(value).exec(),
    txnCreate: (key, value) => ns.if(key, 'Create', '==', 0).then(ns.put(key).value(value)).commit(),
    range100: (prefix) => ns.getAll().prefix(prefix).limit(100).exec(),
    watch: async (prefix, onEvents) => {
      const w = await ns.watch().prefix(prefix).create();
      w.on('put', () => onEvents(1));
      return () => w.cancel();
    },
  };
}

function rawSqliteImpl(dir: string): Impl & { close(): void } {
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID');
  const upsert = db.prepare('INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)');
  const get = db.prepare('SELECT value FROM kv WHERE key = ?');
  const txn = db.transaction((key: string, value: string) => {
    if (!get.get(key)) upsert.run(key, value);
  });
  const range = db.prepare('SELECT key, value FROM kv WHERE key >= ? AND key < ? ORDER BY key LIMIT 100');
  return {
    name: 'raw sqlite',
    put: async (key, value) => upsert.run(key, value),
    txnCreate: async (key, value) => txn(key, value),
    range100: async (prefix) =>
      range.all(prefix, prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)),
    close: () => db.close(),
  };
}

const VALUE = 'v'.repeat(100);

/**
 * Measures every op of `impls` at each concurrency, interleaving the implementations run by run
 * (so a raw client and the backend over it see the same server state and machine load).
 */
async function compare(
  impls: Impl[],
  sizes: { put: number; txn: number; range: number; watch: number },
  concurrencies: number[],
  /** Everything runs in this process (SQLite): the rate per CPU-second of this process is meaningful. */
  inProcess = false,
): Promise<void> {
  const runs = new Map<string, number[]>();
  const cpuRuns = new Map<string, number[]>();
  const add = (impl: Impl, op: string, c: number, rate: number) => {
    const ck = `${impl.name}\u0000${op}\u0000${c}`;
    cpuRuns.set(ck, [...(cpuRuns.get(ck) ?? []), lastCpuRate]);
    const k = `${impl.name}\u0000${op}\u0000${c}`;
    runs.set(k, [...(runs.get(k) ?? []), rate]);
  };
  for (const impl of impls) {
    for (let i = 0; i < 1000; i++) await impl.put(`range/${String(i).padStart(4, '0')}`, VALUE);
  }
  for (let run = 0; run < RUNS; run++) {
    for (const c of concurrencies) {
      for (const impl of impls) {
        add(
          impl,
          'put',
          c,
          await timed(sizes.put, () => pool(sizes.put, c, (i) => impl.put(`put/${c}/${run}/${i}`, VALUE))),
        );
        add(
          impl,
          'txn',
          c,
          await timed(sizes.txn, () =>
            pool(sizes.txn, c, (i) => impl.txnCreate(`txn/${c}/${run}/${i}`, VALUE)),
          ),
        );
      }
    }
    for (const impl of impls) {
      add(
        impl,
        'range100',
        1,
        await timed(sizes.range, () => pool(sizes.range, 1, () => impl.range100('range/'))),
      );
      if (!impl.watch) continue;
      const c = concurrencies[concurrencies.length - 1]!;
      let seen = 0;
      let done!: () => void;
      const all = new Promise<void>((r) => (done = r));
      const stop = await impl.watch(`watch/${run}/`, (n) => {
        seen += n;
        if (seen >= sizes.watch) done();
      });
      const rate = await timed(sizes.watch, async () => {
        await pool(sizes.watch, c, (i) => impl.put(`watch/${run}/${i}`, 'v'));
        await all;
      });
      await stop();
      add(impl, 'watch', c, rate);
    }
  }
  for (const [k, r] of runs) {
    const [name, op, c] = k.split('\u0000') as [string, string, string];
    record(name, op, Number(c), r, op === 'watch' ? 'events/s' : 'ops/s');
    if (inProcess) {
      const cr = [...cpuRuns.get(k)!].sort((a, b) => a - b);
      results[results.length - 1]!.perCpuSecond = cr[Math.floor(cr.length / 2)]!;
    }
  }
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
    /** 1-minute load average when the run started and ended: other work on the machine skews every figure. */
    loadAverage: { start: Math.round(loadavg()[0]! * 100) / 100, end: 0 },
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
    `1-minute load average at start / end: ${info.loadAverage.start} / ${info.loadAverage.end}` +
      (Math.max(info.loadAverage.start, info.loadAverage.end) > info.cores
        ? ' — the machine was busy with other work, so absolute figures are low; compare rows of one run.'
        : '.'),
    '',
    '| backend | op | concurrency | median | min | max | per CPU-second |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${r.backend} | ${r.op} | ${r.concurrency} | ${fmt(r.median)} ${r.unit} | ${fmt(r.min)} | ${fmt(r.max)} | ${r.perCpuSecond === undefined ? '–' : fmt(r.perCpuSecond)} |`,
    ),
    '',
    '"per CPU-second" (in-process SQLite only): operations per second of CPU time (user + system) used by',
    'the benchmark process — what one otherwise idle core would do; it is robust to other load on the machine.',
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
  const rawTxn = find('raw sqlite', 'txn', 1);
  if (sqliteTxn && rawTxn) {
    targets.push({
      target: '(info) embedded txn vs raw better-sqlite3 txn in the same run',
      value: `${Math.round((sqliteTxn.median / rawTxn.median) * 100)}%`,
      met: true,
    });
  }
  if (sqliteTxn) {
    targets.push({
      target: 'embedded ≥ 20,000 committed single-key txns/s (wall clock)',
      value: `${fmt(sqliteTxn.median)}/s`,
      met: sqliteTxn.median >= 20_000,
    });
    if (sqliteTxn.perCpuSecond !== undefined) {
      targets.push({
        target: 'embedded ≥ 20,000 committed single-key txns per CPU-second (one idle core)',
        value: `${fmt(sqliteTxn.perCpuSecond)}/s`,
        met: sqliteTxn.perCpuSecond >= 20_000,
      });
    }
  }
  lines.push('| target | measured | met |', '|---|---:|---|');
  for (const t of targets) {
    lines.push(
      `| ${t.target} | ${t.value} | ${t.target.startsWith('(info)') ? '–' : t.met ? 'yes' : 'no'} |`,
    );
  }
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
    // Embedded: sequential (better-sqlite3 is synchronous, so concurrency adds nothing).
    const raw = rawSqliteImpl(dir.path);
    const sqlite = new SqliteStore({ dataDir: dir.path, compaction: { intervalMs: 0 } });
    await compare(
      [raw, storeImpl('sqlite', sqlite)],
      { put: 20_000, txn: 20_000, range: 2_000, watch: 20_000 },
      [1],
      true,
    );
    raw.close();
    await sqlite.close();

    const client = new Etcd3({ hosts: etcd.endpoints });
    const store = new EtcdStore({
      endpoints: etcd.endpoints,
      namespace: 'bench/',
      compaction: { intervalMs: 0 },
    });
    await compare(
      [rawEtcdImpl(client), storeImpl('etcd', store)],
      { put: 2_000, txn: 2_000, range: 500, watch: 2_000 },
      concurrencies,
    );
    await store.close();
    client.close();
  } finally {
    await etcd.stop();
    await dir.cleanup();
  }
  info.loadAverage.end = Math.round(loadavg()[0]! * 100) / 100;
  report(info, concurrencies);
}

await main();
