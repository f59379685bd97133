import { createEcsClient } from '../../aws/clients.js';
import { parseAddress } from '../../core/config/index.js';
import { ConfigError } from '../../core/errors.js';
import { remoteStateSource, stateEndpointUrl } from '../../scheduler/framework/remote-source.js';
import { startScheduler } from '../../scheduler/daemon/scheduler.js';
import { schedulerSettings } from '../../scheduler/settings.js';
import { createHttpApp, createMetricsRegistry } from '../../server/app.js';
import { openStore } from '../../store/open.js';
import { storeOptionsFromSettings } from '../../store/settings.js';
import { awsOptionsFromSettings } from '../../aws/settings.js';
import { VERSION } from '../version.js';
import { defineCommand } from '../command.js';

/**
 * `blox scheduler`: Blox v0.3's daemon-scheduler command line (`--bind`, `--css-endpoint`,
 * `--etcd-endpoint`), reading cluster state from a remote state service. Several replicas on one
 * etcd elect one leader that acts; the others serve the API and wait.
 */
export const schedulerCommand = defineCommand({
  name: 'scheduler',
  description:
    'Run the daemon scheduler: the v1 environments/deployments API, and (as the elected leader) one task per eligible instance.',
  settings: schedulerSettings,
  async run(config, { logger, stopSignal }) {
    const address = parseAddress(config.bind)!;
    const storeOptions = storeOptionsFromSettings(config);
    const backend = storeOptions.backend;
    const store = await openStore(storeOptions, logger);
    const ecs = createEcsClient(awsOptionsFromSettings(config, process.env.ECS_ENDPOINT));
    const registry = createMetricsRegistry();
    const scheduler = await startScheduler({
      store,
      registry,
      source: remoteStateSource({ endpoint: stateEndpointUrl(config.cssEndpoint!) }),
      ecs,
      logger,
      leaderTtlSeconds: config.leaderTtl,
      resyncMs: config.resync,
      ...(config.identity ? { identity: config.identity } : {}),
    });
    const app = await createHttpApp({
      logger,
      plugins: [scheduler.routes],
      registry,
      readiness: scheduler.readiness,
      title: 'Blox daemon scheduler',
      version: VERSION,
    });
    const shutdown = async () => {
      await app.close();
      await scheduler.stop();
      ecs.destroy();
      await store.close();
    };
    try {
      await app.listen({ host: address.host, port: address.port });
    } catch (err) {
      await shutdown();
      throw new ConfigError(`cannot listen on ${config.bind}: ${(err as Error).message}`);
    }
    logger.info({ bind: config.bind, store: backend, css: config.cssEndpoint }, 'scheduler listening');
    await new Promise<void>((resolve) => {
      if (stopSignal.aborted) resolve();
      else stopSignal.addEventListener('abort', () => resolve(), { once: true });
    });
    logger.info('shutting down');
    await shutdown();
    return 0;
  },
});
