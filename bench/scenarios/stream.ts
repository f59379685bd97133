/**
 * Stream fan-out: time from the start of a store write (in the server process) until each stream
 * client (here, over loopback HTTP, NDJSON) has read the line, with 1, 100 and 1,000 clients.
 */
import { request, type ClientRequest } from 'node:http';
import { join } from 'node:path';
import { freePort, tempDir, waitFor } from '../../test/support/env.js';
import { etcdFor } from '../lib/etcd.js';
import { startChild, type ChildHandle } from '../lib/child.js';
import type { Figures } from '../lib/figure.js';
import { epochMs, type StoreSpec } from '../lib/fixtures.js';
import { load } from '../lib/machine.js';
import { percentile } from '../lib/stats.js';
import type { ScenarioContext } from '../lib/types.js';

const SERVER = new URL('../lib/state-server-child.ts', import.meta.url).pathname;

export async function run(ctx: ScenarioContext, figures: Figures): Promise<void> {
  const plans = ctx.quick
    ? [
        { clients: 1, events: 40, intervalMs: 5 },
        { clients: 100, events: 20, intervalMs: 20 },
      ]
    : [
        { clients: 1, events: 500, intervalMs: 5 },
        { clients: 100, events: 200, intervalMs: 20 },
        { clients: 1000, events: 50, intervalMs: 100 },
      ];
  const etcd = await etcdFor(ctx);
  const dir = await tempDir('blox-bench-stream-');
  try {
    for (const backend of ctx.backends) {
      // One server process per store for every plan and run (each run streams a cluster of its
      // own): what is measured is delivery, not start-up, and a spawn costs seconds.
      const spec: StoreSpec =
        backend === 'sqlite'
          ? { backend, dataDir: join(dir.path, backend) }
          : { backend, endpoints: etcd!.endpoints, namespace: 'stream/' };
      const port = await freePort();
      const server = await startChild(SERVER, { store: spec, port });
      try {
        for (const plan of plans) {
          const p50s: number[] = [];
          const p99s: number[] = [];
          const l0 = load()[0];
          for (let r = 0; r < ctx.runs; r++) {
            const { p50, p99 } = await streamRun(server, port, plan, `bench-${plan.clients}-${r}`);
            p50s.push(p50);
            p99s.push(p99);
          }
          const label = `${plan.clients.toLocaleString('en-US')} client${plan.clients > 1 ? 's' : ''}`;
          const note = `${plan.events} writes, one every ${plan.intervalMs} ms, in the server process; clients in this one (NDJSON over loopback); one server per store for every run, each run on a cluster of its own.`;
          figures.add({
            name: 'delivery p99',
            backend,
            size: plan.clients,
            sizeLabel: label,
            unit: 'ms',
            better: 'lower',
            runs: p99s,
            loadStart: l0,
            note,
          });
          figures.add({
            name: 'delivery p50',
            backend,
            size: plan.clients,
            sizeLabel: label,
            unit: 'ms',
            better: 'lower',
            runs: p50s,
            loadStart: l0,
          });
        }
      } finally {
        await server.stop();
      }
    }
  } finally {
    await etcd?.stop();
    await dir.cleanup();
  }
}

/** One run: `plan.clients` stream clients of `cluster`, `plan.events` writes, every line to every client. */
async function streamRun(
  server: ChildHandle,
  port: number,
  plan: { clients: number; events: number; intervalMs: number },
  cluster: string,
): Promise<{ p50: number; p99: number }> {
  const requests: ClientRequest[] = [];
  const latencies: number[] = [];
  let lines = 0;
  try {
    for (let c = 0; c < plan.clients; c++) {
      const req = request(
        { host: '127.0.0.1', port, path: `/v1/stream/tasks?cluster=${cluster}`, agent: false },
        (res) => {
          let buffer = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            const now = epochMs();
            buffer += chunk;
            let i: number;
            while ((i = buffer.indexOf('\n')) >= 0) {
              const line = buffer.slice(0, i);
              buffer = buffer.slice(i + 1);
              const m = /"startedBy":"at:([\d.]+)"/.exec(line);
              if (m) {
                latencies.push(now - Number(m[1]));
                lines++;
              }
            }
          });
        },
      );
      req.on('error', () => undefined);
      req.end();
      requests.push(req);
    }
    await waitFor(
      'every stream client subscribed',
      async () => (await server.call<number>('streamClients')) >= plan.clients,
      { timeoutMs: 60_000, intervalMs: 50 },
    );
    await server.call('write', { n: plan.events, intervalMs: plan.intervalMs, cluster });
    await waitFor('every line delivered to every client', () => lines >= plan.events * plan.clients, {
      timeoutMs: 60_000,
      intervalMs: 10,
    });
    return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
  } finally {
    for (const req of requests) req.destroy();
    // the next run counts its own clients: wait until the server has let go of these
    await waitFor('stream clients gone', async () => (await server.call<number>('streamClients')) === 0, {
      timeoutMs: 30_000,
      intervalMs: 20,
    });
  }
}
