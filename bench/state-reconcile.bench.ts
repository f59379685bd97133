/**
 * Reconcile benchmark: a full pass over 1,000 container instances and 10,000 tasks in the local
 * emulator (throttling off), into an empty store (everything added) and again (steady state:
 * everything unchanged). The emulator runs in its own process; the reconciler talks to it through
 * the AWS SDK over HTTP.
 *
 *   npx tsx bench/state-reconcile.bench.ts    # writes bench/results/state-reconcile.json and the
 *                                             # "state-reconcile" section of docs/benchmarks.md
 *
 * Environment: BENCH_RUNS (default 3), BENCH_INSTANCES (1000), BENCH_TASKS (10000).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Registry } from 'prom-client';
import { createEcsClient } from '../src/aws/clients.js';
import { startReconciler, type ReconcileOptions } from '../src/state/reconcile/index.js';
import { openStore, type StoreOptions } from '../src/store/open.js';
import { startLocalAws } from '../src/local/index.js';
import { tempDir } from '../test/support/env.js';
import { startEtcd } from '../test/support/etcd.js';
import { machine, median, writeReport } from './state-report.js';

const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 1000);
const TASKS = Number(process.env.BENCH_TASKS ?? 10_000);

async function emulatorChild(): Promise<void> {
  // Events are not needed here: send them to a queue nobody reads.
  const aws = await startLocalAws({ port: 0, queues: ['unused'], taskStartDelayMs: 0 });
  aws.ecs.fleet.scale('bench', INSTANCES);
  aws.ecs.callSync('RegisterTaskDefinition', {
    family: 'bench',
    containerDefinitions: [{ name: 'app', image: 'nginx', cpu: 1, memory: 4, essential: true }],
  });
  for (let left = TASKS; left > 0; left -= 10)
    aws.ecs.callSync('RunTask', { cluster: 'bench', taskDefinition: 'bench', count: Math.min(10, left) });
  // let PENDING → RUNNING timers fire so the fleet is steady
  await new Promise((r) => setTimeout(r, 200));
  aws.ecs.tick();
  process.stdout.write(`${aws.endpoint}\n`);
  process.on('SIGTERM', () => void aws.close().then(() => process.exit(0)));
}

function startEmulatorProcess(): Promise<{ endpoint: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', new URL(import.meta.url).pathname, '--emulator'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: process.env,
      },
    );
    child.once('error', reject);
    child.stdout!.once('data', (d: Buffer) => resolve({ endpoint: d.toString().trim(), child }));
  });
}

interface Row {
  store: string;
  pacing: string;
  pass: string;
  runs: number[];
  median: number;
  min: number;
  max: number;
  calls: number;
}

async function main(): Promise<void> {
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const emulator = await startEmulatorProcess();
  const ecs = createEcsClient({
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const etcd = await startEtcd();
  const dirs: Array<{ cleanup(): Promise<void> }> = [];
  const rows: Row[] = [];
  const pacings: Array<[string, ReconcileOptions]> = [
    ['unpaced', { callsPerSecond: 10_000, callBurst: 10_000 }],
    ['default (20/s, burst 50)', {}],
  ];
  try {
    for (const backend of ['sqlite', 'etcd'] as const) {
      for (const [pacing, pacingOptions] of pacings) {
        if (backend === 'etcd' && pacing !== 'unpaced') continue; // pacing is store-independent
        const full: number[] = [];
        const steady: number[] = [];
        let calls = 0;
        for (let r = 0; r < runs; r++) {
          let options: StoreOptions;
          if (backend === 'sqlite') {
            const d = await tempDir('blox-bench-rec-');
            dirs.push(d);
            options = { backend: 'sqlite', dataDir: d.path, compaction: { intervalMs: 0 } };
          } else {
            options = {
              backend: 'etcd',
              endpoints: etcd.endpoints,
              namespace: `r${r}${pacing.length}/`,
              compaction: { intervalMs: 0 },
            };
          }
          const store = await openStore(options);
          const registry = new Registry();
          const rec = startReconciler(
            { intervalMs: 0, initialDelayMs: 86_400_000, clusterConcurrency: 2, ...pacingOptions },
            { store, ecs, registry },
          );
          const first = await rec.runNow();
          if (first.result !== 'success' || first.drift.added !== INSTANCES + TASKS)
            throw new Error(`unexpected first pass: ${JSON.stringify(first)}`);
          const second = await rec.runNow();
          if (second.drift.unchanged !== INSTANCES + TASKS)
            throw new Error(`unexpected second pass: ${JSON.stringify(second.drift)}`);
          const metric = (await registry.getSingleMetric('blox_state_reconcile_ecs_calls_total')!.get())
            .values;
          calls = metric.reduce((s, v) => s + v.value, 0) / 2;
          full.push(first.durationMs / 1000);
          steady.push(second.durationMs / 1000);
          console.log(
            `${backend} ${pacing} run ${r + 1}: full ${first.durationMs} ms, steady ${second.durationMs} ms, ${calls} ECS calls per pass`,
          );
          await rec.stop();
          await store.close();
        }
        rows.push({
          store: backend,
          pacing,
          pass: 'into an empty store (all added)',
          runs: full,
          ...median(full),
          calls,
        });
        rows.push({
          store: backend,
          pacing,
          pass: 'steady state (all unchanged)',
          runs: steady,
          ...median(steady),
          calls,
        });
      }
    }
  } finally {
    ecs.destroy();
    emulator.child.kill('SIGTERM');
    await etcd.stop();
    for (const d of dirs) await d.cleanup();
  }
  const info = machine();
  const f = (x: number) => x.toFixed(2);
  const target = rows.find(
    (r) => r.store === 'sqlite' && r.pacing === 'unpaced' && r.pass.startsWith('into'),
  );
  const section = [
    '## State service: reconciliation',
    '',
    `Run \`npx tsx bench/state-reconcile.bench.ts\`. Median of ${runs} runs (min–max), seconds per full pass over`,
    `${INSTANCES.toLocaleString('en-US')} container instances and ${TASKS.toLocaleString('en-US')} tasks in one cluster of the emulator (throttling off; the emulator in its own`,
    'process): ListClusters, ListContainerInstances for each of the 6 statuses, ListTasks RUNNING and STOPPED, Describe* in',
    'batches of 100, version-ordered writes, then the removal scan. "unpaced" lifts the reconciler\'s own ECS call pacing;',
    '"default" keeps it (20 calls/s after a burst of 50, to leave ECS\'s shared 20/s read bucket room for the scheduler).',
    '',
    `Machine: ${info.cores} cores (${info.cpu}), ${info.memoryGiB} GiB, Node ${info.node}, ${info.platform}; commit ${info.commit}; ${info.date}.`,
    '',
    '| store | pacing | pass | ECS calls | median | min | max |',
    '|---|---|---|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.store} | ${r.pacing} | ${r.pass} | ${r.calls} | ${f(r.median)} s | ${f(r.min)} | ${f(r.max)} |`,
    ),
    '',
    `Target: full reconcile of 1,000 instances and 10,000 tasks against the emulator (throttling off) ≤ 10 s: ${target ? `${f(target.median)} s (SQLite, unpaced) — ${target.median <= 10 ? 'met' : 'not met'}` : 'not measured'}.`,
  ].join('\n');
  writeReport('state-reconcile', { machine: info, runs, instances: INSTANCES, tasks: TASKS, rows }, section);
}

if (process.argv.includes('--emulator')) await emulatorChild();
else await main();
