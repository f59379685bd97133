/**
 * Ingest: events in the emulator's SQS queue → received, decoded, committed, visible in the state
 * service's index (what the API answers from). Throughput against the SQS-client-only ceiling
 * (the same receive + delete loop with no decoding and no store), and end-to-end lag of single
 * events emitted by the emulator at a steady rate.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createSqsClient } from '../../src/aws/clients.js';
import { startStateService } from '../../src/state/service.js';
import type { Store } from '../../src/store/index.js';
import { tempDir, waitFor } from '../../test/support/env.js';
import { startEtcd } from '../../test/support/etcd.js';
import { startChild, type ChildHandle } from '../lib/child.js';
import type { Figures } from '../lib/figure.js';
import { epochMs, openSpec } from '../lib/fixtures.js';
import { load } from '../lib/machine.js';
import { percentile } from '../lib/stats.js';
import type { ScenarioContext } from '../lib/types.js';

const EMULATOR = new URL('../lib/emulator-child.ts', import.meta.url).pathname;
const POLLERS = 16;

async function sqsOnly(emu: ChildHandle, sqs: SQSClient, queueUrl: string, n: number): Promise<number> {
  await emu.call('fillRaw', { n });
  let received = 0;
  let deleted = 0;
  let done = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: POLLERS }, async () => {
      while (received < n) {
        const out = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        const messages = out.Messages ?? [];
        received += messages.length;
        if (messages.length)
          await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: messages.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle! })),
            }),
          );
        deleted += messages.length;
        // every message gone: later polls of the empty queue only wait out their long poll
        if (deleted >= n && done === 0) done = performance.now();
      }
    }),
  );
  return (n * 1000) / (done - t0);
}

/** One throughput run: n events queued first, then the time until every task is visible in the index. */
async function throughput(
  emu: ChildHandle,
  store: Store,
  sqs: SQSClient,
  queueUrl: string,
  n: number,
  prefix: string,
): Promise<number> {
  const cluster = `ing${prefix}`;
  await emu.call('fill', { n, cluster, prefix });
  const t0 = performance.now();
  const service = await startStateService({
    store,
    createApp: false,
    progressIntervalMs: 100,
    ingest: {
      options: { queue: queueUrl, pollers: POLLERS, waitTimeSeconds: 1, queueDepthIntervalMs: 0 },
      sqs,
    },
  });
  try {
    const tasks = Math.ceil(n / 4);
    // all versions applied: every task of this run is STOPPED (version 4) in the index
    await waitFor(
      'every event ingested and visible',
      () =>
        service.index.list('task', { cluster }, {}).items.length >= tasks &&
        stoppedAll(service, cluster, tasks),
      { timeoutMs: 600_000, intervalMs: 20 },
    );
    return (n * 1000) / (performance.now() - t0);
  } finally {
    await service.close();
  }
}

function stoppedAll(
  service: Awaited<ReturnType<typeof startStateService>>,
  cluster: string,
  tasks: number,
): boolean {
  return service.index.list('task', { cluster, status: 'STOPPED' }, {}).items.length >= tasks;
}

/** End-to-end lag: k single events emitted by the emulator at `intervalMs`, until each is in the index. */
async function lag(
  emu: ChildHandle,
  store: Store,
  sqs: SQSClient,
  queueUrl: string,
  k: number,
  prefix: string,
): Promise<{ p50: number; p99: number }> {
  const cluster = `lag${prefix}`;
  const service = await startStateService({
    store,
    createApp: false,
    progressIntervalMs: 100,
    ingest: {
      options: { queue: queueUrl, pollers: POLLERS, waitTimeSeconds: 1, queueDepthIntervalMs: 0 },
      sqs,
    },
  });
  const seen = new Map<string, number>();
  await service.ready;
  const sub = service.index.subscribe(
    { kinds: ['task'] },
    {
      onChange: (c) => {
        const id = c.key.slice(c.key.lastIndexOf('/') + 1);
        if (!seen.has(id)) seen.set(id, epochMs());
      },
    },
  );
  try {
    const emitted = await emu.call<Record<string, number>>('emit', { n: k, intervalMs: 20, cluster, prefix });
    await waitFor('every lag event visible', () => Object.keys(emitted).every((id) => seen.has(id)), {
      timeoutMs: 60_000,
      intervalMs: 10,
    });
    const lags = Object.entries(emitted).map(([id, t]) => seen.get(id)! - t);
    return { p50: percentile(lags, 50), p99: percentile(lags, 99) };
  } finally {
    sub.close();
    await service.close();
  }
}

export async function run(ctx: ScenarioContext, figures: Figures): Promise<void> {
  const emu = await startChild(EMULATOR, null);
  const etcd = ctx.backends.includes('etcd') ? await startEtcd() : undefined;
  const dir = await tempDir('blox-bench-ingest-');
  try {
    const { endpoint, queueUrl, region } = await emu.call<{
      endpoint: string;
      queueUrl: string;
      region: string;
    }>('endpoint');
    const sqs = createSqsClient(
      { endpoint, region, credentials: { accessKeyId: 'b', secretAccessKey: 'b' } },
      1,
    );
    try {
      for (const backend of ctx.backends) {
        const sizes =
          backend === 'sqlite' ? (ctx.quick ? [2000] : [2000, 20_000]) : ctx.quick ? [1000] : [1000, 10_000];
        let seq = 0;
        for (const n of sizes) {
          const l0 = load()[0];
          const ceiling: number[] = [];
          const rates: number[] = [];
          for (let r = 0; r < ctx.runs; r++) {
            ceiling.push(await sqsOnly(emu, sqs, queueUrl, n));
            const store = await openSpec(
              backend === 'sqlite'
                ? { backend, dataDir: `${dir.path}/${n}-${r}` }
                : { backend, endpoints: etcd!.endpoints, namespace: `i${n}-${r}/` },
            );
            try {
              rates.push(await throughput(emu, store, sqs, queueUrl, n, `${backend.slice(0, 1)}${seq++}x`));
            } finally {
              await store.close();
            }
          }
          figures.add({
            name: 'ingest throughput',
            backend,
            size: n,
            sizeLabel: `${n.toLocaleString('en-US')} events`,
            unit: 'events/s',
            better: 'higher',
            runs: rates,
            loadStart: l0,
            ceiling: { label: 'SQS client only (receive + delete)', runs: ceiling, unit: 'msg/s' },
            note: `${POLLERS} pollers, batches of 10; timed from the start of the service until every task's last version is in the index; the emulator runs in its own process.`,
          });
        }
        // lag: steady trickle of single events
        const k = ctx.quick ? 30 : 150;
        const p50s: number[] = [];
        const p99s: number[] = [];
        const l0 = load()[0];
        for (let r = 0; r < ctx.runs; r++) {
          const store = await openSpec(
            backend === 'sqlite'
              ? { backend, dataDir: `${dir.path}/lag-${r}` }
              : { backend, endpoints: etcd!.endpoints, namespace: `lag${r}/` },
          );
          try {
            const { p50, p99 } = await lag(emu, store, sqs, queueUrl, k, `${backend.slice(0, 1)}${r}lag`);
            p50s.push(p50);
            p99s.push(p99);
          } finally {
            await store.close();
          }
        }
        const label = `${k} events at 50/s`;
        figures.add({
          name: 'end-to-end lag p50 (emitted → committed → visible)',
          backend,
          size: k,
          sizeLabel: label,
          unit: 'ms',
          better: 'lower',
          runs: p50s,
          loadStart: l0,
        });
        figures.add({
          name: 'end-to-end lag p99 (emitted → committed → visible)',
          backend,
          size: k,
          sizeLabel: label,
          unit: 'ms',
          better: 'lower',
          runs: p99s,
          loadStart: l0,
        });
      }
    } finally {
      sqs.destroy();
    }
  } finally {
    await emu.stop();
    await etcd?.stop();
    await dir.cleanup();
  }
}
