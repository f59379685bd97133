/**
 * State API benchmark: 100,000 tasks and 1,000 container instances persisted in the embedded
 * store; `blox state-service` runs as its own process (compiled, as shipped) and autocannon measures it.
 *
 *   npx tsx bench/state-api.bench.ts     # writes bench/results/state-api.json and the state-api-cli block of docs/benchmarks.md
 *
 * Figures (median of BENCH_RUNS runs, default 3, with min and max):
 * - start → ready: spawn of the process until /readyz answers 200 (index loaded from the store);
 * - get: GET /v1/tasks/{cluster}/{arn} of random tasks;
 * - page: GET /v1/tasks?cluster=…&status=running&limit=100 (a filtered page of 100);
 * - list10k: GET /v1/tasks?cluster=… (unpaginated, 10,000 tasks, ~12 MB of JSON);
 * - RSS of the server after all of it.
 * Latency runs use 1 connection (the latency a client sees); `get c=16` shows throughput under load.
 */
import { spawn, execSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error -- autocannon ships no type declarations; the shape used here is declared below
import autocannonUntyped from 'autocannon';
import { openStore } from '../src/store/open.js';
import { clustersFor, loadState, taskOf } from './lib/fixtures.js';
import { freePort, tempDir, waitFor } from '../test/support/env.js';

interface CannonResult {
  latency: { p50: number; p99: number };
  requests: { average: number; total: number };
  errors: number;
  non2xx: number;
}
interface CannonRequest {
  method: string;
  path: string;
}
const autocannon = autocannonUntyped as (options: {
  url: string;
  connections: number;
  duration: number;
  requests: Array<{ method: string; setupRequest: (req: CannonRequest) => CannonRequest }>;
}) => Promise<CannonResult>;

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const TASKS = Number(process.env.BENCH_TASKS ?? 100_000);
const INSTANCES = 1000;
const CLUSTERS = clustersFor(TASKS);
const root = new URL('..', import.meta.url).pathname;
const DIST = join(root, '.tmp', 'bench-dist');

/** Compiles src/ into .tmp/bench-dist (tsc emits even when other files have type errors). */
function build(): void {
  const t0 = Date.now();
  try {
    execSync(`npx tsc -p tsconfig.build.json --outDir ${DIST} --declaration false`, {
      cwd: root,
      stdio: 'ignore',
    });
  } catch {
    // type errors elsewhere in the repository do not stop the emit
  }
  if (!existsSync(join(DIST, 'cli', 'main.js')))
    throw new Error('building the CLI into .tmp/bench-dist failed');
  console.log(`built the CLI in ${Date.now() - t0} ms`);
}

export async function load(dataDir: string): Promise<void> {
  const store = await openStore({ backend: 'sqlite', dataDir });
  const t0 = Date.now();
  await loadState(store, TASKS, INSTANCES);
  await store.close();
  console.log(`loaded ${TASKS} tasks and ${INSTANCES} instances in ${Date.now() - t0} ms`);
}

async function startServer(
  dataDir: string,
  port: number,
): Promise<{ child: ChildProcess; readyMs: number; readyCpuMs: number }> {
  // The shipped form: the compiled CLI (as bin/blox.js runs it), built once into .tmp/bench-dist.
  const script = join(dataDir, 'server.mjs');
  writeFileSync(
    script,
    `import { main } from ${JSON.stringify(join(DIST, 'cli/main.js'))};\nprocess.exitCode = await main(process.argv);\n`,
  );
  const t0 = Date.now();
  const child = spawn(
    process.execPath,
    [
      script,
      'state-service',
      '--bind',
      `127.0.0.1:${port}`,
      '--data-dir',
      dataDir,
      '--reconcile',
      'false',
      '--log-level',
      'warn',
      '--log-format',
      'json',
    ],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } },
  );
  await waitFor(
    'the state service to be ready',
    async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200,
    { timeoutMs: 60_000, intervalMs: 10 },
  );
  return { child, readyMs: Date.now() - t0, readyCpuMs: cpuMs(child.pid!) };
}

/** CPU time (user + system) the process has used so far: a load-independent figure on a busy machine. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

async function stopServer(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function cannon(
  port: number,
  paths: () => string,
  connections: number,
  pid: number,
): Promise<{ p50: number; p99: number; rps: number; errors: number; cpuPerRequestMs: number }> {
  const cpu0 = cpuMs(pid);
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: DURATION,
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: paths() }) }],
  });
  return {
    p50: result.latency.p50,
    p99: result.latency.p99,
    rps: result.requests.average,
    errors: result.errors + result.non2xx,
    cpuPerRequestMs: (cpuMs(pid) - cpu0) / Math.max(1, result.requests.total),
  };
}

function stats(values: number[]) {
  const s = [...values].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s[s.length - 1]! };
}

async function main(): Promise<void> {
  const dir = await tempDir('blox-bench-state-api-');
  const load0 = loadavg()[0]!;
  try {
    if (process.env.BENCH_BUILD !== '0') build();
    await load(dir.path);
    const runs: Array<Record<string, number>> = [];
    for (let run = 0; run < RUNS; run++) {
      const port = await freePort();
      const { child, readyMs, readyCpuMs } = await startServer(dir.path, port);
      try {
        const randomTask = () => {
          const i = Math.floor(Math.random() * TASKS);
          const t = taskOf(i, CLUSTERS, INSTANCES);
          return `/v1/tasks/${t.cluster}/${t.detail.taskArn}`;
        };
        // Warm-up: fills the per-revision JSON caches as a running service would have them.
        await cannon(port, () => `/v1/tasks?cluster=c${Math.floor(Math.random() * CLUSTERS)}`, 2, child.pid!);
        const get1 = await cannon(port, randomTask, 1, child.pid!);
        const get16 = await cannon(port, randomTask, 16, child.pid!);
        const page = await cannon(
          port,
          () => `/v1/tasks?cluster=c${Math.floor(Math.random() * CLUSTERS)}&status=running&limit=100`,
          1,
          child.pid!,
        );
        const list10k = await cannon(
          port,
          () => `/v1/tasks?cluster=c${Math.floor(Math.random() * CLUSTERS)}`,
          1,
          child.pid!,
        );
        const check = (await (await fetch(`http://127.0.0.1:${port}/v1/tasks?cluster=c0`)).json()) as {
          items: unknown[];
        };
        if (check.items.length !== TASKS / CLUSTERS)
          throw new Error(`expected ${TASKS / CLUSTERS} items, got ${check.items.length}`);
        const rss = rssMb(child.pid!);
        const status = (await (await fetch(`http://127.0.0.1:${port}/v1/status`)).json()) as {
          process: { heapUsedBytes: number; externalBytes: number };
        };
        const heapMb = status.process.heapUsedBytes / 2 ** 20;
        const r = {
          readyMs,
          readyCpuMs,
          getP50: get1.p50,
          getP99: get1.p99,
          getRps1: get1.rps,
          getP99c16: get16.p99,
          getRps16: get16.rps,
          getCpuMs: get1.cpuPerRequestMs,
          pageCpuMs: page.cpuPerRequestMs,
          list10kCpuMs: list10k.cpuPerRequestMs,
          pageP99: page.p99,
          pageRps: page.rps,
          list10kP99: list10k.p99,
          list10kRps: list10k.rps,
          rssMb: rss,
          heapMb,
          errors: get1.errors + get16.errors + page.errors + list10k.errors,
        };
        console.log(`run ${run + 1}:`, r);
        runs.push(r);
      } finally {
        await stopServer(child);
      }
    }
    report(runs, load0);
  } finally {
    await dir.cleanup();
  }
}

function report(runs: Array<Record<string, number>>, load0: number): void {
  const m = (k: string) => stats(runs.map((r) => r[k]!));
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: root }).toString().trim();
  } catch {
    // not a checkout
  }
  const machine = {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    commit,
    date: new Date().toISOString(),
    loadavg: [load0, loadavg()[0]!],
  };
  const fmt = (n: number, d = 1) => n.toLocaleString('en-US', { maximumFractionDigits: d });
  const row = (label: string, k: string, unit: string, target?: number) => {
    const s = m(k);
    const met = target === undefined ? '–' : s.median <= target ? 'yes' : 'no';
    return `| ${label} | ${fmt(s.median)} ${unit} | ${fmt(s.min)} | ${fmt(s.max)} | ${target === undefined ? '–' : `≤ ${fmt(target)} ${unit}`} | ${met} |`;
  };
  const section = [
    '### The shipped CLI under load (bench/state-api.bench.ts)',
    '',
    `Run \`npx tsx bench/state-api.bench.ts\`. ${TASKS.toLocaleString('en-US')} tasks (${CLUSTERS} clusters × ${(TASKS / CLUSTERS).toLocaleString('en-US')}) and ${INSTANCES.toLocaleString('en-US')} container instances persisted in the embedded (SQLite) store;`,
    '`blox state-service` runs as its own process, compiled as shipped (`node dist/cli`, built into .tmp/bench-dist), and',
    `autocannon drives it over loopback for ${DURATION} s per figure. Median of ${runs.length} runs (min–max). Latency rows use 1 connection.`,
    '',
    `Machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, Node ${machine.node}; commit ${commit}; ${machine.date}.`,
    `1-minute load average at start / end: ${fmt(load0, 2)} / ${fmt(loadavg()[0]!, 2)} (the 2 cores are shared with other work).`,
    '',
    '| figure | median | min | max | target | met |',
    '|---|---:|---:|---:|---:|---|',
    row('process start → API ready (100k tasks persisted), wall clock', 'readyMs', 'ms', 5000),
    row('… CPU time the process used until ready (what one idle core needs)', 'readyCpuMs', 'ms', 5000),
    row('get task p99', 'getP99', 'ms', 5),
    row('get task p50', 'getP50', 'ms'),
    row('get task throughput, 1 connection', 'getRps1', 'req/s'),
    row('get task p99, 16 connections', 'getP99c16', 'ms'),
    row('get task throughput, 16 connections', 'getRps16', 'req/s'),
    row('filtered page of 100 (cluster + status) p99', 'pageP99', 'ms', 20),
    row('unpaginated filtered list of 10,000 tasks p99', 'list10kP99', 'ms', 150),
    row('RSS after all queries', 'rssMb', 'MB', 500),
    row('… of which V8 heap in use (entities, cached JSON, indexes)', 'heapMb', 'MB'),
    row('server CPU per get', 'getCpuMs', 'ms'),
    row('server CPU per filtered page of 100', 'pageCpuMs', 'ms'),
    row('server CPU per unpaginated list of 10,000', 'list10kCpuMs', 'ms'),
    '',
    `Errors/non-2xx responses across all runs: ${runs.reduce((a, r) => a + r.errors!, 0)}.`,
    '',
    'Wall-clock latencies on this shared machine include waiting for a core (load average above); the CPU rows',
    "(the server process's user + system time per request or until ready) are what an otherwise idle core needs.",
  ].join('\n');
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(
    join(root, 'bench', 'results', 'state-api.json'),
    JSON.stringify(
      { machine, tasks: TASKS, instances: INSTANCES, durationSeconds: DURATION, runs },
      null,
      2,
    ) + '\n',
  );
  // Its own block inside the State API section, whose findings above it are written by hand.
  writeSection('state-api-cli', section);
}

/** Replaces this benchmark's marked section of docs/benchmarks.md (never other sections). */
export function writeSection(name: string, section: string): void {
  const docPath = join(root, 'docs', 'benchmarks.md');
  let doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Benchmarks\n';
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${begin}\n${section}\n${end}`;
  const b = doc.indexOf(begin);
  const e = doc.indexOf(end);
  doc =
    b >= 0 && e > b ? doc.slice(0, b) + block + doc.slice(e + end.length) : `${doc.trimEnd()}\n\n${block}\n`;
  writeFileSync(docPath, doc);
  console.log('\n' + section);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
