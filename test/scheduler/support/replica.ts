/**
 * One scheduler replica as its own process (for the failover test): the state service's read
 * side over the shared etcd store (no ingest: the test process ingests), the daemon scheduler on
 * the in-process index, and the API on a port. Prints `ready <port>` when it serves.
 * env: ETCD, NAMESPACE, AWS_ENDPOINT, IDENTITY.
 */
import { createEcsClient } from '../../../src/aws/clients.js';
import { silentLogger } from '../../../src/core/logger.js';
import { startScheduler } from '../../../src/scheduler/daemon/scheduler.js';
import { createHttpApp } from '../../../src/server/app.js';
import { inProcessClusterSource } from '../../../src/server/in-process-source.js';
import { startStateService } from '../../../src/state/service.js';
import { openStore } from '../../../src/store/index.js';

const store = await openStore({
  backend: 'etcd',
  endpoints: [process.env.ETCD!],
  namespace: process.env.NAMESPACE!,
});
const ecs = createEcsClient({
  endpoint: process.env.AWS_ENDPOINT!,
  region: 'us-east-1',
  credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
});
const state = await startStateService({
  store,
  logger: silentLogger,
  createApp: false,
  progressIntervalMs: 200,
});
const scheduler = await startScheduler({
  store,
  source: inProcessClusterSource(state.index),
  ecs,
  identity: process.env.IDENTITY!,
  leaderTtlSeconds: 2,
  resyncMs: 2000,
  retryBaseMs: 200,
  retryMaxMs: 2000,
});
const app = await createHttpApp({ logger: silentLogger, plugins: [scheduler.routes] });
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
console.log(`ready ${typeof address === 'object' && address ? address.port : 0}`);
process.on('SIGTERM', () => {
  void (async () => {
    await app.close();
    await scheduler.stop();
    await state.close();
    await store.close();
    process.exit(0);
  })();
});
