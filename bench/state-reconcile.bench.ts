/**
 * Reconcile benchmark: a full pass over 1,000 container instances and 10,000 tasks in the local
 * emulator (throttling off), into an empty store (everything added) and again (steady state:
 * everything unchanged). The emulator runs in its own process; the reconciler talks to it through
 * the AWS SDK over HTTP.
 *
 *   npx tsx bench/state-reconcile.bench.ts    # writes bench/results/state-reconcile.json and the
 *                                             # "state-reconcile-pass" block of docs/benchmarks.md
 *   npx tsx bench/state-reconcile.bench.ts --growth
 *       # growth with the size: 1,000/10,000 and 10,000/100,000 instances/tasks, SQLite, each with
 *       # its SDK-only ceiling and CPU; writes bench/results/state-reconcile-growth.json and the
 *       # "state-reconcile-growth" block (both blocks sit inside the "state-reconcile" section)
 *
 * Environment: BENCH_RUNS (default 3), BENCH_INSTANCES (1000), BENCH_TASKS (10000),
 * BENCH_GROWTH_SIZES (instances:tasks,… default 1000:10000,10000:100000).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import {
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  ListContainerInstancesCommand,
  ListTasksCommand,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import { Registry } from 'prom-client';
import { createEcsClient } from '../src/aws/clients.js';
import { startReconciler, type ReconcileOptions } from '../src/state/reconcile/index.js';
import { openStore, type StoreOptions } from '../src/store/open.js';
import { startLocalAws } from '../src/local/index.js';
import { tempDir } from '../test/support/env.js';
import { startEtcd } from '../test/support/etcd.js';
import { startChild } from './lib/child.js';
import { load } from './lib/machine.js';
import { machine, median } from './state-report.js';

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

const EMULATOR = new URL('./lib/emulator-child.ts', import.meta.url).pathname;

interface GrowthRow {
  instances: number;
  tasks: number;
  /** Seconds per pass, per run. */
  ceiling: number[];
  pass: number[];
  /** CPU seconds of this process (the reconciler) and of the emulator per pass, per run. */
  passCpu: number[];
  emulatorCpu: number[];
  /** 1-minute load average at the start of each pass. */
  load: number[];
}

/** The emulator's own capacity: every list page and describe batch of a pass, through the SDK, no store. */
async function sdkOnly(ecs: ECSClient, cluster: string): Promise<number> {
  const t0 = performance.now();
  for (const desiredStatus of ['RUNNING', 'STOPPED'] as const) {
    let nextToken: string | undefined;
    do {
      const page = await ecs.send(
        new ListTasksCommand({ cluster, desiredStatus, maxResults: 100, nextToken }),
      );
      if (page.taskArns?.length) await ecs.send(new DescribeTasksCommand({ cluster, tasks: page.taskArns }));
      nextToken = page.nextToken;
    } while (nextToken);
  }
  let nextToken: string | undefined;
  do {
    const page = await ecs.send(new ListContainerInstancesCommand({ cluster, maxResults: 100, nextToken }));
    if (page.containerInstanceArns?.length)
      await ecs.send(
        new DescribeContainerInstancesCommand({ cluster, containerInstances: page.containerInstanceArns }),
      );
    nextToken = page.nextToken;
  } while (nextToken);
  return (performance.now() - t0) / 1000;
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function measureGrowth(
  sizes: Array<{ instances: number; tasks: number }>,
  runs: number,
): Promise<GrowthRow[]> {
  const emu = await startChild(EMULATOR, null);
  const dir = await tempDir('blox-bench-rec-growth-');
  const rows: GrowthRow[] = [];
  try {
    const { endpoint, region } = await emu.call<{ endpoint: string; region: string }>('endpoint');
    const ecs = createEcsClient({
      endpoint,
      region,
      credentials: { accessKeyId: 'b', secretAccessKey: 'b' },
    });
    const emuCpu = async () => (await emu.call<number>('cpuMs')) / 1000;
    try {
      let populated = 0;
      for (const size of sizes) {
        await emu.call('populate', { cluster: 'bench', ...size, tasks: size.tasks - populated }, 1_800_000);
        populated = size.tasks;
        const row: GrowthRow = { ...size, ceiling: [], pass: [], passCpu: [], emulatorCpu: [], load: [] };
        for (let r = 0; r < runs; r++) {
          row.ceiling.push(await sdkOnly(ecs, 'bench'));
          const store = await openStore({
            backend: 'sqlite',
            dataDir: `${dir.path}/${size.tasks}-${r}`,
            compaction: { intervalMs: 0 },
          });
          const rec = startReconciler(
            {
              intervalMs: 0,
              initialDelayMs: 86_400_000,
              clusterConcurrency: 2,
              callsPerSecond: 10_000,
              callBurst: 10_000,
            },
            { store, ecs, registry: new Registry() },
          );
          try {
            row.load.push(load()[0]);
            const [c0, e0] = [cpuSeconds(), await emuCpu()];
            const s = await rec.runNow();
            const [c1, e1] = [cpuSeconds(), await emuCpu()];
            if (s.result !== 'success' || s.drift.added !== size.instances + size.tasks)
              throw new Error(`unexpected pass: ${JSON.stringify(s).slice(0, 300)}`);
            row.pass.push(s.durationMs / 1000);
            row.passCpu.push(c1 - c0);
            row.emulatorCpu.push(e1 - e0);
            console.log(
              `${size.tasks} tasks run ${r + 1}: ceiling ${row.ceiling[r]!.toFixed(2)} s, pass ${row.pass[r]!.toFixed(2)} s, ` +
                `CPU ${row.passCpu[r]!.toFixed(1)} s (emulator ${row.emulatorCpu[r]!.toFixed(1)} s), load ${row.load[r]}`,
            );
          } finally {
            await rec.stop();
            await store.close();
          }
        }
        rows.push(row);
      }
    } finally {
      ecs.destroy();
    }
  } finally {
    await emu.stop();
    await dir.cleanup();
  }
  return rows;
}

/** The markdown block of the growth figures. */
function growthSection(rows: GrowthRow[], runs: number, stamp: string): string {
  const f = (x: number) => x.toFixed(2);
  const m = (xs: number[]) => {
    const s = median(xs);
    return `${f(s.median)} s (${f(s.min)}–${f(s.max)})`;
  };
  const lines = [
    '### Growth with the cluster size (embedded store, throttling off)',
    '',
    `Run \`npx tsx bench/state-reconcile.bench.ts --growth\`. Median of ${runs} runs (min–max). Ceiling: the same`,
    "List/Describe calls through the SDK without a store (the emulator's own capacity). CPU: user + system seconds",
    "of the reconciler's process per pass (the emulator's in brackets). Load: 1-minute load average at the start of the passes.",
    '',
    stamp,
    '',
    '| instances / tasks | ceiling | full pass | pass / ceiling | CPU per pass | load |',
    '|---|---:|---:|---:|---:|---|',
    ...rows.map((r) => {
      const ratio = median(r.pass).median / median(r.ceiling).median;
      return `| ${r.instances.toLocaleString('en-US')} / ${r.tasks.toLocaleString('en-US')} | ${m(r.ceiling)} | ${m(r.pass)} | ${ratio.toFixed(1)}× | ${f(median(r.passCpu).median)} s (${f(median(r.emulatorCpu).median)} s) | ${Math.min(...r.load)}–${Math.max(...r.load)} |`;
    }),
  ];
  for (let i = 1; i < rows.length; i++) {
    const a = rows[i - 1]!;
    const b = rows[i]!;
    const x = b.tasks / a.tasks;
    lines.push(
      '',
      `${a.tasks.toLocaleString('en-US')} → ${b.tasks.toLocaleString('en-US')} tasks (${x}× the data): pass ${(median(b.pass).median / median(a.pass).median).toFixed(1)}×, ` +
        `its CPU ${(median(b.passCpu).median / median(a.passCpu).median).toFixed(1)}×, ceiling ${(median(b.ceiling).median / median(a.ceiling).median).toFixed(1)}×.`,
    );
  }
  return lines.join('\n');
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
  const loads: number[] = [];
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
          loads.push(load()[0]);
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
    `Run \`npx tsx bench/state-reconcile.bench.ts\`. Median of ${runs} runs (min–max), seconds per full pass over`,
    `${INSTANCES.toLocaleString('en-US')} container instances and ${TASKS.toLocaleString('en-US')} tasks in one cluster of the emulator (throttling off; the emulator in its own`,
    'process): ListClusters, ListContainerInstances for each of the 6 statuses, ListTasks RUNNING and STOPPED, Describe* in',
    'batches of 100, version-ordered writes, then the removal scan. "unpaced" lifts the reconciler\'s own ECS call pacing;',
    '"default" keeps it (20 calls/s after a burst of 50, to leave ECS\'s shared 20/s read bucket room for the scheduler).',
    '',
    `Machine: ${info.cores} cores (${info.cpu}), ${info.memoryGiB} GiB, Node ${info.node}, ${info.platform}; commit ${info.commit}; ${info.date}. 1-minute load average at the start of the runs: ${Math.min(...loads)}–${Math.max(...loads)}.`,
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
  writeResult('state-reconcile', { machine: info, runs, instances: INSTANCES, tasks: TASKS, loads, rows });
  writeBlock('state-reconcile-pass', section);
}

const root = new URL('..', import.meta.url).pathname;

function writeResult(name: string, json: unknown): void {
  mkdirSync(`${root}bench/results`, { recursive: true });
  writeFileSync(`${root}bench/results/${name}.json`, JSON.stringify(json, null, 2) + '\n');
}

/**
 * Replaces the block `name` of docs/benchmarks.md; a block that does not exist yet goes at the end
 * of the "state-reconcile" section (created if missing), so the two blocks of this benchmark can
 * be rewritten independently.
 */
function writeBlock(name: string, text: string): void {
  const docPath = `${root}docs/benchmarks.md`;
  let doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Benchmarks\n';
  const block = `<!-- ${name}:begin -->\n${text}\n<!-- ${name}:end -->`;
  const b = doc.indexOf(`<!-- ${name}:begin -->`);
  const e = doc.indexOf(`<!-- ${name}:end -->`);
  const outerEnd = '<!-- state-reconcile:end -->';
  if (b >= 0 && e > b) doc = doc.slice(0, b) + block + doc.slice(e + `<!-- ${name}:end -->`.length);
  else if (doc.includes(outerEnd)) doc = doc.replace(outerEnd, `${block}\n${outerEnd}`);
  else
    doc = `${doc.trimEnd()}\n\n<!-- state-reconcile:begin -->\n## State service: reconciliation\n\n${block}\n${outerEnd}\n`;
  writeFileSync(docPath, doc);
  console.log('\n' + text);
}

async function growthMain(): Promise<void> {
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const sizes = (process.env.BENCH_GROWTH_SIZES ?? '1000:10000,10000:100000').split(',').map((s) => {
    const [instances, tasks] = s.split(':').map(Number);
    if (!Number.isInteger(instances) || !Number.isInteger(tasks) || instances! <= 0 || tasks! < 0)
      throw new Error(`BENCH_GROWTH_SIZES: '${s}' is not instances:tasks (e.g. 1000:10000)`);
    return { instances: instances!, tasks: tasks! };
  });
  const rows = await measureGrowth(sizes, runs);
  const info = machine();
  const stamp = `Machine: ${info.cores} cores (${info.cpu}), ${info.memoryGiB} GiB, Node ${info.node}, ${info.platform}; commit ${info.commit}; ${info.date}.`;
  writeResult('state-reconcile-growth', { machine: info, runs, rows });
  writeBlock('state-reconcile-growth', growthSection(rows, runs, stamp));
}

if (process.argv.includes('--emulator')) await emulatorChild();
else if (process.argv.includes('--growth')) await growthMain();
else await main();
