/**
 * Ingest: events in the emulator's SQS queue → received, decoded, committed, visible in the state
 * service's index (what the API answers from). Throughput against the SQS-transport-only ceiling
 * (the ingest's receive + delete loop with no decoding and no store), and end-to-end lag of single
 * events emitted by the emulator at a steady rate.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createSqsClient } from '../../src/aws/clients.js';
import { sqsTransportFor } from '../../src/aws/sqs-transport.js';
import { startStateService } from '../../src/state/service.js';
import type { Store } from '../../src/store/index.js';
import { tempDir, waitFor } from '../../test/support/env.js';
import { etcdFor } from '../lib/etcd.js';
import { startChild, type ChildHandle } from '../lib/child.js';
import type { Figures } from '../lib/figure.js';
import { epochMs, loadState, openSpec } from '../lib/fixtures.js';
import { load } from '../lib/machine.js';
import { percentile } from '../lib/stats.js';
import type { ScenarioContext } from '../lib/types.js';

const EMULATOR = new URL('../lib/emulator-child.ts', import.meta.url).pathname;
const POLLERS = 16;
const LAG_INSTANCES = 1000;
const CEILING_MESSAGES = 20_000;

/**
 * The same-run ceiling: the ingest's own receive + delete loop (the lean SQS transport it uses,
 * src/aws/sqs-transport.ts), with no decoding and no store.
 */
async function sqsOnly(emu: ChildHandle, sqs: SQSClient, queueUrl: string, n: number): Promise<number> {
  await emu.call('fillRaw', { n });
  const transport = sqsTransportFor(sqs);
  let received = 0;
  let deleted = 0;
  let done = 0;
  // Once every message is gone the pollers' last long polls only wait for nothing: cancel them.
  const stop = new AbortController();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: POLLERS }, async () => {
      while (received < n && !stop.signal.aborted) {
        const out = await transport
          .receiveMessage({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }, stop.signal)
          .catch((err: unknown) => {
            if (stop.signal.aborted) return { Messages: [] };
            throw err;
          });
        const messages = out.Messages ?? [];
        received += messages.length;
        if (messages.length)
          await transport.deleteMessageBatch({
            QueueUrl: queueUrl,
            Entries: messages.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle! })),
          });
        deleted += messages.length;
        if (deleted >= n && done === 0) {
          done = performance.now();
          stop.abort();
        }
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
  // Every task of this run STOPPED (its last version applied) in the index, counted from the
  // index's change feed: polling a list of every task would cost the measured process CPU.
  const stopped = new Set<string>();
  const sub = service.index.subscribe(
    { kinds: ['task'], filter: { cluster } },
    { onChange: (c) => void (c.entry.fields.status === 'STOPPED' && stopped.add(c.key)) },
  );
  try {
    for (const e of service.index.list('task', { cluster, status: 'STOPPED' }, {}).items) stopped.add(e.key);
    const tasks = Math.ceil(n / 4);
    await waitFor('every event ingested and visible', () => stopped.size >= tasks, {
      timeoutMs: 600_000,
      intervalMs: 20,
    });
    return (n * 1000) / (performance.now() - t0);
  } finally {
    sub.close();
    await service.close();
  }
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

/** Throughput sizes (events) and the tasks persisted under the lag runs, per mode. */
export function ingestSizes(quick: boolean): { events: number[]; persisted: number[]; lagEvents: number } {
  return quick
    ? { events: [1000], persisted: [1000], lagEvents: 20 }
    : { events: [1000, 10_000, 100_000], persisted: [1000, 10_000, 100_000], lagEvents: 150 };
}

export async function run(ctx: ScenarioContext, figures: Figures): Promise<void> {
  const emu = await startChild(EMULATOR, null);
  const etcd = await etcdFor(ctx);
  const dir = await tempDir('blox-bench-ingest-');
  const plan = ingestSizes(ctx.quick);
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
      // Throughput: each run measures the SQS-only ceiling, then ingest into each store, so the
      // ceiling is of the same run and shared by both stores. The ceiling is a rate, steady from
      // ~10,000 messages on: it is measured on at most CEILING_MESSAGES (the client's CPU is most of it).
      let seq = 0;
      for (const n of plan.events) {
        const l0 = load()[0];
        const m = Math.min(n, CEILING_MESSAGES);
        const ceiling: number[] = [];
        const rates = new Map<string, number[]>(ctx.backends.map((b) => [b, []]));
        for (let r = 0; r < ctx.runs; r++) {
          ceiling.push(await sqsOnly(emu, sqs, queueUrl, m));
          for (const backend of ctx.backends) {
            const store = await openSpec(
              backend === 'sqlite'
                ? { backend, dataDir: `${dir.path}/${n}-${r}` }
                : { backend, endpoints: etcd!.endpoints, namespace: `i${n}-${r}/` },
            );
            try {
              rates
                .get(backend)!
                .push(await throughput(emu, store, sqs, queueUrl, n, `${backend.slice(0, 1)}${seq++}x`));
            } finally {
              await store.close();
            }
          }
        }
        for (const backend of ctx.backends)
          figures.add({
            name: 'ingest throughput',
            backend,
            size: n,
            sizeLabel: `${n.toLocaleString('en-US')} events`,
            unit: 'events/s',
            better: 'higher',
            runs: rates.get(backend)!,
            loadStart: l0,
            ceiling: {
              label: `SQS transport only (receive + delete, ${m.toLocaleString('en-US')} messages)`,
              runs: ceiling,
              unit: 'msg/s',
            },
            note: `${POLLERS} pollers, batches of 10; timed from the start of the service until every task's last version is in the index (seen on its change feed); the emulator runs in its own process; each run measures the ceiling, then each store.`,
          });
      }
      for (const backend of ctx.backends) {
        // End-to-end lag: a steady trickle of single events into a service whose store (and
        // index) already holds `persisted` tasks and 1,000 instances: a line per size.
        const k = plan.lagEvents;
        for (const persisted of plan.persisted) {
          const store = await openSpec(
            backend === 'sqlite'
              ? { backend, dataDir: `${dir.path}/lag-${persisted}` }
              : { backend, endpoints: etcd!.endpoints, namespace: `lag${persisted}/` },
          );
          const p50s: number[] = [];
          const p99s: number[] = [];
          let l0 = 0;
          try {
            await loadState(store, persisted, LAG_INSTANCES);
            l0 = load()[0];
            for (let r = 0; r < ctx.runs; r++) {
              const { p50, p99 } = await lag(
                emu,
                store,
                sqs,
                queueUrl,
                k,
                `${backend.slice(0, 1)}${persisted}r${r}lag`,
              );
              p50s.push(p50);
              p99s.push(p99);
            }
          } finally {
            await store.close();
          }
          const label = `${k} events at 50/s, ${persisted.toLocaleString('en-US')} tasks persisted`;
          const common = { backend, size: persisted, sizeLabel: label, loadStart: l0 } as const;
          figures.add({
            ...common,
            name: 'end-to-end lag p50 (emitted → committed → visible)',
            unit: 'ms',
            better: 'lower',
            runs: p50s,
          });
          figures.add({
            ...common,
            name: 'end-to-end lag p99 (emitted → committed → visible)',
            unit: 'ms',
            better: 'lower',
            runs: p99s,
            note: `each event's emit time in the emulator process until the task is visible in the index (what the API answers from); the service restarted for each run over ${LAG_INSTANCES.toLocaleString('en-US')} instances and the persisted tasks.`,
          });
        }
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
