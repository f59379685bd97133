/**
 * Stream delivery benchmark: time from a store write (started) until a stream client has the line,
 * with 1 client and with 100 clients, on the embedded store. Server and clients share one process
 * (clients over loopback HTTP), so client parsing is included.
 *
 *   npx tsx bench/state-stream.bench.ts   # writes bench/results/state-stream.json and the state-stream section of docs/benchmarks.md
 */
import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { entityKey } from '../src/core/ecs/keys.js';
import type { StoredTask } from '../src/core/ecs/entities.js';
import { startStateService } from '../src/state/service.js';
import { openStore } from '../src/store/open.js';
import { freePort, tempDir, waitFor } from '../test/support/env.js';
import { writeSection } from './state-api.bench.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const root = new URL('..', import.meta.url).pathname;

function taskOf(i: number, version: number): StoredTask {
  const arn = `arn:aws:ecs:us-east-1:111122223333:task/bench/t${i}`;
  return {
    kind: 'task',
    account: '111122223333',
    region: 'us-east-1',
    cluster: 'bench',
    source: 'event',
    observedAt: new Date().toISOString(),
    detail: {
      taskArn: arn,
      clusterArn: 'arn:aws:ecs:us-east-1:111122223333:cluster/bench',
      containerInstanceArn: 'arn:aws:ecs:us-east-1:111122223333:container-instance/bench/ci1',
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:111122223333:task-definition/web:1',
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      version,
      createdAt: '2026-01-01T00:00:00.000Z',
      containers: [{ containerArn: `${arn}/c`, name: 'app', lastStatus: 'RUNNING' }],
      overrides: { containerOverrides: [] },
    },
  };
}

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

async function scenario(clients: number, events: number, intervalMs: number) {
  const dir = await tempDir('blox-bench-stream-');
  const store = await openStore({ backend: 'sqlite', dataDir: dir.path });
  const service = await startStateService({ store, streamHeartbeatMs: 0 });
  const port = await freePort();
  await service.app!.listen({ port, host: '127.0.0.1' });
  await service.ready;
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  const sockets: Array<() => void> = [];
  let received = 0;
  try {
    await Promise.all(
      Array.from(
        { length: clients },
        () =>
          new Promise<void>((resolve, reject) => {
            const req = request(`http://127.0.0.1:${port}/v1/stream/tasks?cluster=bench`, (res) => {
              let buffer = '';
              res.setEncoding('utf8');
              res.on('data', (chunk: string) => {
                const now = performance.now();
                buffer += chunk;
                let i: number;
                while ((i = buffer.indexOf('\n')) >= 0) {
                  const line = buffer.slice(0, i);
                  buffer = buffer.slice(i + 1);
                  const m = /"entityVersion":"(\d+)"/.exec(line);
                  const t0 = m ? sentAt.get(Number(m[1])) : undefined;
                  if (t0 !== undefined) latencies.push(now - t0);
                  received++;
                }
              });
              resolve();
            });
            req.on('error', reject);
            req.end();
            sockets.push(() => req.destroy());
          }),
      ),
    );
    await waitFor('every client subscribed', () => service.streamClientCount() === clients);
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < events; i++) {
      const t = taskOf(i % 50, i + 1);
      const t0 = performance.now();
      // The revision is known only after the commit: take the time before the write (conservative).
      const { revision } = await store.put(
        entityKey('task', t.account, t.region, t.cluster, t.detail.taskArn),
        JSON.stringify(t),
      );
      sentAt.set(revision, t0);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
    await waitFor('every line delivered', () => received >= events * clients, { timeoutMs: 60_000 });
    const cpu = process.cpuUsage(cpu0);
    return {
      clients,
      events,
      deliveries: latencies.length,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: percentile(latencies, 100),
      cpuMsPerEvent: (cpu.user + cpu.system) / 1000 / events,
    };
  } finally {
    for (const close of sockets) close();
    await service.close();
    await store.close();
    await dir.cleanup();
  }
}

async function main(): Promise<void> {
  const load0 = loadavg()[0]!;
  const one: Array<Awaited<ReturnType<typeof scenario>>> = [];
  const hundred: Array<Awaited<ReturnType<typeof scenario>>> = [];
  for (let run = 0; run < RUNS; run++) {
    one.push(await scenario(1, 500, 5));
    console.log('1 client', one[one.length - 1]);
    hundred.push(await scenario(100, 200, 20));
    console.log('100 clients', hundred[hundred.length - 1]);
  }
  const stat = (rs: Array<Record<string, number>>, k: string) => {
    const s = rs.map((r) => r[k]!).sort((a, b) => a - b);
    return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s[s.length - 1]! };
  };
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
  const f = (n: number) => n.toFixed(2);
  const row = (label: string, rs: Array<Record<string, number>>, k: string, target?: number) => {
    const s = stat(rs, k);
    return `| ${label} | ${f(s.median)} ms | ${f(s.min)} | ${f(s.max)} | ${target === undefined ? '–' : `≤ ${target} ms`} | ${target === undefined ? '–' : s.median <= target ? 'yes' : 'no'} |`;
  };
  const section = [
    '## State streams',
    '',
    'Run `npx tsx bench/state-stream.bench.ts`. Time from the start of a store write (embedded store) until a stream',
    'client has read the line (`/v1/stream/tasks`, NDJSON): 500 writes at ~200/s to 1 client, and 200 writes at ~50/s',
    `to each of 100 clients. Server and clients share one process. Median of ${RUNS} runs (min–max) of each run's percentile.`,
    '',
    `Machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, Node ${machine.node}; commit ${commit}; ${machine.date}.`,
    `1-minute load average at start / end: ${load0.toFixed(2)} / ${loadavg()[0]!.toFixed(2)} (the 2 cores are shared with other work).`,
    '',
    '| figure | median | min | max | target | met |',
    '|---|---:|---:|---:|---:|---|',
    row('1 client: write → delivered p99', one, 'p99', 10),
    row('1 client: p50', one, 'p50'),
    row('100 clients: write → delivered p99 (each client)', hundred, 'p99', 50),
    row('100 clients: p50', hundred, 'p50'),
    row(
      '100 clients: process CPU per event (write + index + 100 deliveries + 100 client parses)',
      hundred,
      'cpuMsPerEvent',
    ),
  ].join('\n');
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(
    join(root, 'bench', 'results', 'state-stream.json'),
    JSON.stringify({ machine, oneClient: one, hundredClients: hundred }, null, 2) + '\n',
  );
  writeSection('state-stream', section);
}

await main();
