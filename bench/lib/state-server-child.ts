/**
 * The state service (index + HTTP API) alone in its own process over a persisted store, so that its
 * load generator, its RSS and its start-up are its own. Ready (the child answers @@ready) once the
 * index has loaded the store and the API listens.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getHeapSpaceStatistics } from 'node:v8';
import { entityKey } from '../../src/core/ecs/keys.js';
import { startStateService } from '../../src/state/service.js';
import { epochMs, openSpec, taskOf, type StoreSpec } from './fixtures.js';
import { cpuMs, rssMb } from './machine.js';

export async function childMain(init: { store: StoreSpec; port: number }) {
  const store = await openSpec(init.store);
  const service = await startStateService({
    store,
    ownsStore: true,
    streamHeartbeatMs: 0,
    progressIntervalMs: 200,
  });
  await service.ready;
  await service.app!.listen({ port: init.port, host: '127.0.0.1' });
  const readyAt = epochMs();
  let bare: Server | undefined;
  return {
    readyAt: () => readyAt,
    rssMb: () => rssMb(),
    cpuMs: () => cpuMs(),
    /** A full garbage collection when the child runs with --expose-gc (diagnosis: live vs not yet collected). */
    gc: () => {
      (globalThis as { gc?: () => void }).gc?.();
      return null;
    },
    /** Where the memory is (MB): process.memoryUsage() and the used / committed size of each V8 heap space. */
    memory: () => {
      const mb = (b: number) => Math.round(b / 2 ** 20);
      const m = process.memoryUsage();
      return {
        rss: mb(m.rss),
        heapTotal: mb(m.heapTotal),
        heapUsed: mb(m.heapUsed),
        external: mb(m.external),
        arrayBuffers: mb(m.arrayBuffers),
        spaces: Object.fromEntries(
          getHeapSpaceStatistics().map((s) => [s.space_name, `${mb(s.space_used_size)}/${mb(s.space_size)}`]),
        ),
      };
    },
    streamClients: () => service.streamClientCount(),
    /** Writes `n` task versions, one every `intervalMs`, each carrying its write start time in `startedBy`. */
    async write(a: { n: number; intervalMs: number; cluster: string }) {
      for (let i = 0; i < a.n; i++) {
        const t = taskOf(i % 50, 1, 10);
        t.cluster = a.cluster;
        t.detail.clusterArn = t.detail.clusterArn.replace(/cluster\/.*/, `cluster/${a.cluster}`);
        t.detail.taskArn = t.detail.taskArn.replace(/task\/[^/]*\//, `task/${a.cluster}/`);
        t.detail.version = 100 + i;
        t.detail.startedBy = `at:${epochMs().toFixed(3)}`;
        await store.put(
          entityKey('task', t.account, t.region, t.cluster, t.detail.taskArn),
          JSON.stringify(t),
        );
        await new Promise((r) => setTimeout(r, a.intervalMs));
      }
      return null;
    },
    /**
     * A ceiling for list latency: a bare node:http server in this process answering every request
     * with one prebuilt JSON body of `bytes` bytes (Content-Length, no framework, no index). The same
     * load generator against it measures what the client, the loopback and the machine cost.
     * Returns its port.
     */
    async serveStatic(a: { bytes: number }) {
      const body = Buffer.alloc(Math.max(a.bytes, 2), 0x20);
      body[0] = 0x7b; // '{'
      body[body.length - 1] = 0x7d; // '}'
      await new Promise<void>((r) => bare?.close(() => r()) ?? r());
      bare = createServer((_req, res) => {
        res.writeHead(200, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': body.length,
        });
        res.end(body);
      });
      await new Promise<void>((r) => bare!.listen(0, '127.0.0.1', r));
      return (bare.address() as AddressInfo).port;
    },
    close: async () => {
      bare?.close();
      await service.close();
    },
  };
}
