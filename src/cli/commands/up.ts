import { join } from 'node:path';
import { createEcsClient, createSqsClient, type AwsClientOptions } from '../../aws/clients.js';
import { parseAddress } from '../../core/config/index.js';
import { ConfigError, errorMessage } from '../../core/errors.js';
import { startLocalAws, type LocalAws } from '../../local/index.js';
import { openStore } from '../../store/open.js';
import { storeOptionsFromSettings } from '../../store/settings.js';
import { awsOptionsFromSettings } from '../../aws/settings.js';
import { defineCommand } from '../command.js';
import { upSettings } from '../up-settings.js';
import { composeBlox } from '../up/compose.js';
import { seedDemo } from '../up/demo.js';
import { printBanner } from '../up/banner.js';

/**
 * `blox up`: the whole system in one process — the local AWS emulator with a demo cluster
 * (unless pointed at an AWS endpoint), the embedded store, the cluster state service and the
 * daemon scheduler, with one API port serving both route sets.
 */
export const upCommand = defineCommand({
  name: 'up',
  description:
    'Run all of Blox in one process: local AWS emulator with a demo cluster (unless AWS is configured), embedded store, state service and daemon scheduler on one API port.',
  settings: upSettings,
  async run(config, { logger, stopSignal }) {
    const started = Date.now();
    const address = parseAddress(config.bind)!;
    const externalEndpoint = config.awsEndpoint ?? process.env.AWS_ENDPOINT_URL;
    const useLocal = config.localAws === 'on' || (config.localAws === 'auto' && !externalEndpoint);
    const closers: Array<() => Promise<void>> = [];
    const closeAll = async () => {
      for (const close of closers.reverse())
        await close().catch((err) => logger.error({ err: errorMessage(err) }, 'shutdown step failed'));
    };

    try {
      let local: LocalAws | undefined;
      let aws: AwsClientOptions;
      if (useLocal) {
        local = await startLocalAws({
          port: config.localAwsPort,
          region: config.awsRegion ?? 'us-east-1',
          queues: [config.queue.replace(/^sqs:\/\//, '')],
          snapshotFile: join(config.dataDir, 'local-aws.json'),
          logger: logger.child({ component: 'local-aws' }),
        }).catch((err) => {
          throw new ConfigError(
            `cannot start the local AWS emulator on port ${config.localAwsPort}: ${errorMessage(err)}; free the port or pass --local-aws-port`,
          );
        });
        closers.push(() => local!.close());
        await seedDemo(local, config.demoCluster, config.demoInstances);
        aws = {
          endpoint: local.endpoint,
          region: local.region,
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        };
      } else {
        aws = awsOptionsFromSettings(config, externalEndpoint);
      }

      const storeOptions = storeOptionsFromSettings(config);
      const store = await openStore(storeOptions, logger);
      closers.push(() => store.close());

      const blox = await composeBlox({
        store,
        logger,
        ecs: createEcsClient(aws),
        ingest: { sqs: createSqsClient(aws), queue: config.queue },
        reconcileIntervalMs: config.reconcileInterval,
        retentionMs: config.retention,
      });
      closers.push(() => blox.close());
      const { app, state } = blox;
      await state.ready;
      try {
        await app.listen({ host: address.host, port: address.port });
      } catch (err) {
        throw new ConfigError(
          `cannot listen on ${config.bind}: ${errorMessage(err)}; free the port or pass --bind`,
        );
      }

      const bound = app.server.address();
      const port = typeof bound === 'object' && bound ? bound.port : address.port;
      printBanner({
        api: `http://${address.host === '0.0.0.0' ? '127.0.0.1' : address.host}:${port}`,
        localAws: local?.endpoint,
        store:
          storeOptions.backend === 'sqlite'
            ? `embedded SQLite in ${config.dataDir}`
            : `etcd at ${config.etcdEndpoints.join(', ')}`,
        cluster: config.demoCluster,
        readyMs: Date.now() - started,
      });
      logger.info({ readyMs: Date.now() - started }, 'blox is up');

      await new Promise<void>((resolve) => {
        if (stopSignal.aborted) resolve();
        else stopSignal.addEventListener('abort', () => resolve(), { once: true });
      });
      logger.info('shutting down: finishing in-flight messages');
    } finally {
      await closeAll();
    }
    return 0;
  },
});
