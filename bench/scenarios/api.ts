/**
 * API latency under concurrent load, cold start to ready, and RSS, at several sizes: N tasks and
 * 1,000 instances persisted, the state service started in its own process (cold start = spawn →
 * index loaded and API listening), autocannon here. Ceiling of the cold start: reading every
 * persisted value with the raw client (better-sqlite3 / etcd3) and parsing it.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Etcd3 } from 'etcd3';
// @ts-expect-error -- autocannon ships no type declarations; the shape used is declared below
import autocannonUntyped from 'autocannon';
import { freePort, tempDir } from '../../test/support/env.js';
import { etcdFor } from '../lib/etcd.js';
import { startChild } from '../lib/child.js';
import type { Figures } from '../lib/figure.js';
import { clustersFor, loadState, openSpec, taskOf, type StoreSpec } from '../lib/fixtures.js';
import { load } from '../lib/machine.js';
import type { ScenarioContext } from '../lib/types.js';

interface CannonResult {
  latency: { p50: number; p99: number };
  requests: { average: number; total: number };
  errors: number;
  non2xx: number;
}
const autocannon = autocannonUntyped as (o: {
  url: string;
  connections: number;
  duration: number;
  requests: Array<{ method: string; setupRequest: (req: { path: string }) => { path: string } }>;
}) => Promise<CannonResult>;

const SERVER = new URL('../lib/state-server-child.ts', import.meta.url).pathname;
const INSTANCES = 1000;
const CONNECTIONS = 4;

async function cannon(port: number, path: () => string, seconds: number): Promise<CannonResult> {
  const r = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: path() }) }],
  });
  if (r.errors + r.non2xx > 0) throw new Error(`autocannon: ${r.errors} errors, ${r.non2xx} non-2xx answers`);
  return r;
}

/** The ceiling of a cold start: every persisted value read with the raw client and parsed. */
async function rawReadAll(spec: StoreSpec): Promise<number> {
  const t0 = performance.now();
  if (spec.backend === 'sqlite') {
    const db = new Database(join(spec.dataDir, 'blox.db'), { readonly: true, fileMustExist: false });
    try {
      const table = (
        db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{
          name: string;
        }>
      ).map((r) => r.name);
      const kv = table.find((t) => /kv|key/i.test(t)) ?? table[0];
      for (const row of db.prepare(`SELECT * FROM ${kv}`).iterate() as Iterable<Record<string, unknown>>)
        for (const v of Object.values(row)) if (typeof v === 'string' && v.startsWith('{')) JSON.parse(v);
    } finally {
      db.close();
    }
  } else {
    const client = new Etcd3({
      hosts: spec.endpoints,
      grpcOptions: { 'grpc.max_receive_message_length': -1 },
    });
    try {
      const all = await client.namespace(spec.namespace).getAll().strings();
      for (const v of Object.values(all)) if (v.startsWith('{')) JSON.parse(v);
    } finally {
      client.close();
    }
  }
  return performance.now() - t0;
}

export async function run(ctx: ScenarioContext, figures: Figures): Promise<void> {
  // The quick run (CI: the report is produced) measures one size; the full run a line per size.
  const sizes = ctx.quick ? [1000] : [1000, 10_000, 100_000];
  const seconds = ctx.quick ? 0.2 : 3;
  const etcd = await etcdFor(ctx);
  const dir = await tempDir('blox-bench-api-');
  try {
    for (const backend of ctx.backends) {
      for (const n of sizes) {
        const spec: StoreSpec =
          backend === 'sqlite'
            ? { backend, dataDir: join(dir.path, `s${n}`) }
            : { backend, endpoints: etcd!.endpoints, namespace: `api${n}/` };
        const store = await openSpec(spec);
        const tl = performance.now();
        await loadState(store, n, INSTANCES);
        await store.close();
        console.error(`  api: loaded ${n} tasks into ${backend} in ${Math.round(performance.now() - tl)} ms`);
        const clusters = clustersFor(n);
        const perCluster = Math.ceil(n / clusters);
        const label = `${n.toLocaleString('en-US')} tasks`;
        const runs = {
          ready: [] as number[],
          raw: [] as number[],
          get50: [] as number[],
          get99: [] as number[],
          page99: [] as number[],
          page50: [] as number[],
          list50: [] as number[],
          list99: [] as number[],
          listCpu: [] as number[],
          staticList99: [] as number[],
          rss: [] as number[],
          rssReady: [] as number[],
          rps: [] as number[],
        };
        const l0 = load()[0];
        for (let r = 0; r < ctx.runs; r++) {
          runs.raw.push(await rawReadAll(spec));
          const port = await freePort();
          const t0 = performance.now();
          const server = await startChild(SERVER, { store: spec, port }, { startTimeoutMs: 300_000 });
          runs.ready.push(performance.now() - t0);
          try {
            runs.rssReady.push(await server.call<number>('rssMb'));
            const randomTask = () => {
              const t = taskOf(Math.floor(Math.random() * n), clusters, INSTANCES);
              return `/v1/tasks/${t.cluster}/${t.detail.taskArn}`;
            };
            const randomCluster = () => `c${Math.floor(Math.random() * clusters)}`;
            // Warm-up: each cluster listed once (its items serialised, as the background warming
            // would do within a few seconds), and some gets.
            let listBytes = 0;
            for (let c = 0; c < clusters; c++) {
              const body = await fetch(`http://127.0.0.1:${port}/v1/tasks?cluster=c${c}`).then((x) =>
                x.arrayBuffer(),
              );
              listBytes = Math.max(listBytes, body.byteLength);
            }
            for (let w = 0; w < 10; w++)
              await fetch(`http://127.0.0.1:${port}${randomTask()}`).then((x) => x.arrayBuffer());
            const get = await cannon(port, randomTask, seconds);
            const page = await cannon(
              port,
              () => `/v1/tasks?cluster=${randomCluster()}&status=running&limit=100`,
              seconds,
            );
            const cpu0 = await server.call<number>('cpuMs');
            const list = await cannon(port, () => `/v1/tasks?cluster=${randomCluster()}`, seconds);
            runs.listCpu.push(((await server.call<number>('cpuMs')) - cpu0) / list.requests.total);
            // Ceiling: the same load generator against a bare node:http server answering a prebuilt
            // body of the same size, in the same child: what the client, loopback and machine cost.
            const bare = await server.call<number>('serveStatic', { bytes: listBytes });
            runs.staticList99.push((await cannon(bare, () => '/', seconds)).latency.p99);
            runs.get50.push(get.latency.p50);
            runs.get99.push(get.latency.p99);
            runs.rps.push(get.requests.average);
            runs.page99.push(page.latency.p99);
            runs.page50.push(page.latency.p50);
            runs.list50.push(list.latency.p50);
            runs.list99.push(list.latency.p99);
            runs.rss.push(await server.call<number>('rssMb'));
          } finally {
            await server.stop();
          }
        }
        const common = { backend, size: n, sizeLabel: label, loadStart: l0 } as const;
        figures.add({
          ...common,
          name: 'cold start to ready',
          unit: 'ms',
          better: 'lower',
          runs: runs.ready,
          ceiling: {
            label: `raw ${backend === 'sqlite' ? 'better-sqlite3' : 'etcd3'} read + parse of every value`,
            runs: runs.raw,
            unit: 'ms',
          },
          note: 'spawn of a process (tsx loader, cached) until the index has loaded the store and the API listens.',
        });
        figures.add({ ...common, name: 'get p50', unit: 'ms', better: 'lower', runs: runs.get50 });
        figures.add({
          ...common,
          name: 'get p99',
          unit: 'ms',
          better: 'lower',
          runs: runs.get99,
          note: `autocannon, ${CONNECTIONS} connections, ${seconds} s per figure, in this process; the server in its own.`,
        });
        figures.add({ ...common, name: 'get throughput', unit: 'req/s', better: 'higher', runs: runs.rps });
        figures.add({
          ...common,
          name: 'filtered page of 100 p50',
          unit: 'ms',
          better: 'lower',
          runs: runs.page50,
        });
        figures.add({
          ...common,
          name: 'filtered page of 100 p99',
          unit: 'ms',
          better: 'lower',
          runs: runs.page99,
        });
        figures.add({
          ...common,
          name: 'unpaginated filtered list p50',
          unit: 'ms',
          better: 'lower',
          runs: runs.list50,
        });
        figures.add({
          ...common,
          name: 'unpaginated filtered list p99',
          unit: 'ms',
          better: 'lower',
          runs: runs.list99,
          ceiling: {
            label: 'bare node:http answering a prebuilt body of the same size (same load generator)',
            runs: runs.staticList99,
            unit: 'ms',
          },
          note: `clusters of at most 10,000 tasks: an unpaginated list of one cluster holds ${perCluster.toLocaleString('en-US')} tasks at ${label}.`,
        });
        figures.add({
          ...common,
          name: 'server CPU per unpaginated list',
          unit: 'ms',
          better: 'lower',
          runs: runs.listCpu,
          note: 'CPU time of the state-service process during the list load, divided by the lists answered.',
        });
        figures.add({
          ...common,
          name: 'RSS at ready',
          unit: 'MB',
          better: 'lower',
          runs: runs.rssReady,
          note: `resident set of the state-service process once the index has loaded the persisted tasks and ${INSTANCES.toLocaleString('en-US')} instances, before any query.`,
        });
        figures.add({ ...common, name: 'RSS after queries', unit: 'MB', better: 'lower', runs: runs.rss });
      }
    }
  } finally {
    await etcd?.stop();
    await dir.cleanup();
  }
}
