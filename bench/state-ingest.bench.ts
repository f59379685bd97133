/**
 * Ingest benchmark: events in the emulator's SQS queue → received, decoded, committed to the
 * store and deleted, end to end over HTTP (ReceiveMessage/DeleteMessageBatch through the lean SQS
 * transport, src/aws/sqs-transport.ts; the rest through the AWS SDK). The emulator runs in its own
 * process (as SQS is remote in production); the ingest runs here with the embedded SQLite store
 * and with a single local etcd.
 *
 *   npx tsx bench/state-ingest.bench.ts      # writes bench/results/state-ingest.json and the
 *                                            # "state-ingest" section of docs/benchmarks.md
 *
 * Environment: BENCH_RUNS (default 3), BENCH_EVENTS (default 20000 for SQLite, half for etcd),
 * BENCH_POLLERS (default 16). Each run loads the queue first (not timed), then times from the
 * start of ingest until the queue is empty (every message acknowledged after its commit).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Registry } from 'prom-client';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createSqsClient, type AwsClientOptions } from '../src/aws/clients.js';
import { sqsTransportFor } from '../src/aws/sqs-transport.js';
import { startIngest } from '../src/state/ingest/index.js';
import { openStore } from '../src/store/open.js';
import type { Store } from '../src/store/types.js';
import { startLocalAws } from '../src/local/index.js';
import { tempDir, waitFor } from '../test/support/env.js';
import { startEtcd } from '../test/support/etcd.js';
import { queueCounts } from '../test/state/ingest/harness.js';
import { machine, median, writeReport } from './state-report.js';

function startEmulatorProcess(): Promise<{ endpoint: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', new URL(import.meta.url).pathname, '--emulator'],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    child.once('error', reject);
    child.stdout!.once('data', (d: Buffer) => resolve({ endpoint: d.toString().trim(), child }));
  });
}

const TASK_ENV = {
  version: '0',
  'detail-type': 'ECS Task State Change',
  source: 'aws.ecs',
  account: '123456789012',
  region: 'us-east-1',
};
const STATUSES = [
  ['PENDING', 'RUNNING'],
  ['RUNNING', 'RUNNING'],
  ['RUNNING', 'STOPPED'],
  ['STOPPED', 'STOPPED'],
] as const;

/** `tasks` tasks × 4 versions each, interleaved so a receive mostly holds distinct tasks. */
function events(n: number, run: number): string[] {
  const tasks = Math.ceil(n / STATUSES.length);
  const out: string[] = [];
  const now = new Date().toISOString();
  for (let v = 0; v < STATUSES.length; v++) {
    for (let t = 0; t < tasks && out.length < n; t++) {
      const id = `${run.toString(16).padStart(4, '0')}${t.toString(16).padStart(28, '0')}`;
      const taskArn = `arn:aws:ecs:us-east-1:123456789012:task/bench/${id}`;
      out.push(
        JSON.stringify({
          ...TASK_ENV,
          id: `${id}-${v}`,
          time: now,
          resources: [taskArn],
          detail: {
            taskArn,
            clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/bench',
            containerInstanceArn: `arn:aws:ecs:us-east-1:123456789012:container-instance/bench/${(t % 100).toString(16).padStart(32, '0')}`,
            taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1',
            lastStatus: STATUSES[v]![0],
            desiredStatus: STATUSES[v]![1],
            group: 'family:web',
            launchType: 'EC2',
            startedBy: 'bench',
            containers: [{ name: 'web', lastStatus: STATUSES[v]![0], image: 'nginx' }],
            createdAt: now,
            updatedAt: now,
            version: v + 1,
          },
        }),
      );
    }
  }
  return out;
}

/** CPU time (µs) a process has used so far, from /proc (Linux); undefined elsewhere. */
function processCpuUs(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * (1_000_000 / 100); // clock ticks at USER_HZ 100
  } catch {
    return undefined;
  }
}

/** Asks the emulator process to fill its queue with `n` events of run `run`. */
function load(child: ChildProcess, n: number, run: number): Promise<void> {
  return new Promise((resolve) => {
    const onData = (d: Buffer) => {
      if (!d.toString().includes('loaded')) return;
      child.stdout!.off('data', onData);
      resolve();
    };
    child.stdout!.on('data', onData);
    child.stdin!.write(`load ${n} ${run}\n`);
  });
}

async function oneRun(
  backend: string,
  store: Store,
  emulator: ChildProcess,
  sqs: SQSClient,
  queueUrl: string,
  n: number,
  run: number,
  pollers: number,
): Promise<{
  emulatorCpuPerEventUs: number | undefined;
  eventsPerSecond: number;
  seconds: number;
  applied: number;
  cpuPerEventUs: number;
  commitMs: number;
}> {
  await load(emulator, n, run);
  await waitFor('queue loaded', async () => (await queueCounts(sqs, queueUrl)).visible >= n, {
    timeoutMs: 60_000,
  });
  const registry = new Registry();
  const cpu0 = process.cpuUsage();
  const emulatorCpu0 = processCpuUs(emulator.pid);
  const t0 = performance.now();
  const ingest = await startIngest(
    { queue: queueUrl, pollers, waitTimeSeconds: 1, queueDepthIntervalMs: 0 },
    { store, sqs, registry },
  );
  await waitFor(
    'queue drained',
    async () => {
      const c = await queueCounts(sqs, queueUrl);
      return c.visible === 0 && c.inFlight === 0;
    },
    { timeoutMs: 300_000, intervalMs: 20 },
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const emulatorCpu1 = processCpuUs(emulator.pid);
  const emulatorCpuPerEventUs =
    emulatorCpu0 !== undefined && emulatorCpu1 !== undefined ? (emulatorCpu1 - emulatorCpu0) / n : undefined;
  await ingest.stop();
  const commit = (await registry.getSingleMetric('blox_state_ingest_commit_seconds')!.get()).values;
  const commitSum =
    commit.find((v) => (v as { metricName?: string }).metricName?.endsWith('_sum'))?.value ?? 0;
  const commitCount =
    commit.find((v) => (v as { metricName?: string }).metricName?.endsWith('_count'))?.value ?? 1;
  const cpuPerEventUs = (cpu.user + cpu.system) / n;
  const s = ingest.status().counts;
  if (s.applied + s.duplicate + s.stale !== n)
    throw new Error(`${backend}: counts do not add up: ${JSON.stringify(s)}`);
  const stored = await store.range({
    prefix: `ecs/task/123456789012/us-east-1/bench/${run.toString(16).padStart(4, '0')}`,
    countOnly: true,
  });
  if (stored.count !== Math.ceil(n / 4))
    throw new Error(`${backend}: ${stored.count} tasks stored, expected ${Math.ceil(n / 4)}`);
  console.log(
    `${backend} run ${run}: ${n} events in ${seconds.toFixed(2)} s = ${Math.round(n / seconds)} events/s (applied ${s.applied}); ` +
      `ingest CPU ${cpuPerEventUs.toFixed(0)} µs/event, emulator CPU ${emulatorCpuPerEventUs?.toFixed(0) ?? '?'} µs/event; mean commit ${((commitSum / commitCount) * 1000).toFixed(2)} ms per receive`,
  );
  return {
    emulatorCpuPerEventUs,
    eventsPerSecond: n / seconds,
    seconds,
    applied: s.applied,
    cpuPerEventUs,
    commitMs: (commitSum / commitCount) * 1000,
  };
}

/**
 * The floor set by the SQS client alone: the ingest's receive (10) + DeleteMessageBatch loop (its
 * lean transport) with the same pollers, but no decoding and no store.
 */
async function sqsOnlyRun(
  emulator: ChildProcess,
  sqs: SQSClient,
  queueUrl: string,
  n: number,
  run: number,
  pollers: number,
): Promise<{ eventsPerSecond: number; cpuPerEventUs: number; emulatorCpuPerEventUs: number | undefined }> {
  await load(emulator, n, run);
  await waitFor('queue loaded', async () => (await queueCounts(sqs, queueUrl)).visible >= n, {
    timeoutMs: 60_000,
  });
  const cpu0 = process.cpuUsage();
  const emulatorCpu0 = processCpuUs(emulator.pid);
  const t0 = performance.now();
  let received = 0;
  const transport = sqsTransportFor(sqs);
  await Promise.all(
    Array.from({ length: pollers }, async () => {
      while (received < n) {
        const out = await transport.receiveMessage({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
        });
        const messages = out.Messages ?? [];
        received += messages.length;
        if (messages.length > 0)
          await transport.deleteMessageBatch({
            QueueUrl: queueUrl,
            Entries: messages.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle! })),
          });
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const emulatorCpu1 = processCpuUs(emulator.pid);
  const result = {
    eventsPerSecond: n / seconds,
    cpuPerEventUs: (cpu.user + cpu.system) / n,
    emulatorCpuPerEventUs:
      emulatorCpu0 !== undefined && emulatorCpu1 !== undefined
        ? (emulatorCpu1 - emulatorCpu0) / n
        : undefined,
  };
  console.log(
    `sqs-only run ${run}: ${Math.round(result.eventsPerSecond)} messages/s; client CPU ${result.cpuPerEventUs.toFixed(0)} µs/message`,
  );
  return result;
}

async function main(): Promise<void> {
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const pollers = Number(process.env.BENCH_POLLERS ?? 16);
  const sqliteEvents = Number(process.env.BENCH_EVENTS ?? 20_000);
  const etcdEvents = Math.round(sqliteEvents / 2);
  const emulator = await startEmulatorProcess();
  const clientOptions: AwsClientOptions = {
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  };
  const sqs = createSqsClient(clientOptions, 20);
  const queueUrl = `${emulator.endpoint}/123456789012/blox_queue`;
  const dir = await tempDir('blox-bench-ingest-');
  const etcd = await startEtcd();
  type Run = Awaited<ReturnType<typeof oneRun>>;
  const results: Array<{
    backend: string;
    events: number;
    pollers: number;
    runs: Run[];
    median: number;
    min: number;
    max: number;
    ingestCpuUs: number;
    emulatorCpuUs: number | undefined;
    target: number;
    met: boolean;
  }> = [];
  const summarize = (backend: string, events: number, rs: Run[], target: number) => {
    const m = median(rs.map((r) => r.eventsPerSecond));
    const emu = rs.map((r) => r.emulatorCpuPerEventUs).filter((x): x is number => x !== undefined);
    results.push({
      backend,
      events,
      pollers,
      runs: rs,
      ...m,
      ingestCpuUs: median(rs.map((r) => r.cpuPerEventUs)).median,
      emulatorCpuUs: emu.length ? median(emu).median : undefined,
      target,
      met: m.median >= target,
    });
  };
  const baseline: Array<Awaited<ReturnType<typeof sqsOnlyRun>>> = [];
  try {
    for (let r = 1; r <= runs; r++)
      baseline.push(await sqsOnlyRun(emulator.child, sqs, queueUrl, sqliteEvents, 200 + r, pollers));
    const sqlite = await openStore({ backend: 'sqlite', dataDir: dir.path, compaction: { intervalMs: 0 } });
    const sqliteRuns: Run[] = [];
    for (let r = 1; r <= runs; r++)
      sqliteRuns.push(
        await oneRun('sqlite', sqlite, emulator.child, sqs, queueUrl, sqliteEvents, r, pollers),
      );
    await sqlite.close();
    summarize('sqlite (embedded)', sqliteEvents, sqliteRuns, 10_000);
    const etcdStore = await openStore({
      backend: 'etcd',
      endpoints: etcd.endpoints,
      compaction: { intervalMs: 0 },
    });
    const etcdRuns: Run[] = [];
    for (let r = 1; r <= runs; r++)
      etcdRuns.push(
        await oneRun('etcd', etcdStore, emulator.child, sqs, queueUrl, etcdEvents, 100 + r, pollers),
      );
    await etcdStore.close();
    summarize('etcd (single local member)', etcdEvents, etcdRuns, 3_000);
  } finally {
    sqs.destroy();
    emulator.child.kill('SIGTERM');
    await etcd.stop();
    await dir.cleanup();
  }
  const b = median(baseline.map((x) => x.eventsPerSecond));
  const bCpu = median(baseline.map((x) => x.cpuPerEventUs)).median;
  const bEmus = baseline.map((x) => x.emulatorCpuPerEventUs).filter((x): x is number => x !== undefined);
  const bEmu = bEmus.length ? median(bEmus).median : undefined;
  const info = machine();
  const load = loadavg()
    .map((x) => x.toFixed(1))
    .join(', ');
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
  const section = [
    '## State service: SQS ingest',
    '',
    `Run \`npx tsx bench/state-ingest.bench.ts\`. Median of ${runs} runs (min–max). Synthetic ECS task events (4 versions per`,
    "task, interleaved) are put into the emulator's `blox_queue` first (inside the emulator process, not timed); the time runs",
    `from the start of the ingest (${pollers} pollers, batches of 10, group commit) until the queue is empty, i.e. every message`,
    'received, decoded, committed under version compares and deleted. The emulator runs in its own process, the ingest and',
    'its store client in this one; etcd is a single local member. Everything shares the machine. CPU columns: CPU time per',
    'event of the ingest process and of the emulator process (the SQS side), which is what the throughput is made of.',
    '',
    `Machine: ${info.cores} cores (${info.cpu}), ${info.memoryGiB} GiB, Node ${info.node}, ${info.platform}; commit ${info.commit}; ${info.date}; load average at the end ${load} (other work was running on the machine).`,
    '',
    '| store | events | median | min | max | ingest CPU/event | emulator CPU/event | target | met |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
    ...results.map(
      (r) =>
        `| ${r.backend} | ${fmt(r.events)} | ${fmt(r.median)} events/s | ${fmt(r.min)} | ${fmt(r.max)} | ${fmt(r.ingestCpuUs)} µs | ${r.emulatorCpuUs === undefined ? '?' : `${fmt(r.emulatorCpuUs)} µs`} | ≥ ${fmt(r.target)} events/s | ${r.met ? 'yes' : 'no'} |`,
    ),
    `| *SQS client only (receive + delete, no decode, no store)* | ${fmt(sqliteEvents)} | ${fmt(b.median)} messages/s | ${fmt(b.min)} | ${fmt(b.max)} | ${fmt(bCpu)} µs | ${bEmu === undefined ? '?' : `${fmt(bEmu)} µs`} | | |`,
    '',
    `**Where the time goes.** The SQS client alone (last row: the ingest's receive/delete loop through its lean`,
    `transport, without decoding or store) costs ${fmt(bCpu)} µs of client CPU per message, against ${fmt(results[0]?.ingestCpuUs ?? 0)} µs per event for the whole`,
    'ingest on SQLite: node:http, the loopback socket writes and SigV4 signing dominate it (CPU profile with',
    '`node --cpu-prof`; docs/state-ingest.md has the profile of the whole ingest). Each receive carries at most 10',
    'messages and needs a DeleteMessageBatch, so the work per message cannot be batched further.',
    'The ingest scales out instead: several processes or replicas consume the same queue as competing consumers',
    '(writes are idempotent by ECS version), which a 2-core machine shared with other work cannot show.',
    '',
    'Blox v0.3 for comparison: 207 events/s (one message per receive, one STM transaction per event).',
  ].join('\n');
  writeReport(
    'state-ingest',
    { machine: info, loadavg: loadavg(), runs, pollers, results, sqsOnly: baseline },
    section,
  );
}

if (process.argv.includes('--emulator')) {
  // Child mode: the emulator on a free port. "load <n> <run>" on stdin fills blox_queue in process
  // (so loading costs the measured process nothing) and answers "loaded".
  const aws = await startLocalAws({ port: 0 });
  process.stdout.write(`${aws.endpoint}\n`);
  const queue = aws.sqs.queueByArn(`arn:aws:sqs:${aws.region}:${aws.account}:blox_queue`)!;
  process.stdin.on('data', (d: Buffer) => {
    const [cmd, n, run] = d.toString().trim().split(' ');
    if (cmd !== 'load') return;
    for (const body of events(Number(n), Number(run))) aws.sqs.send(queue, body);
    process.stdout.write('loaded\n');
  });
  process.on('SIGTERM', () => void aws.close().then(() => process.exit(0)));
} else {
  await main();
}
