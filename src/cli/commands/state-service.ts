import { createEcsClient, createSqsClient } from '../../aws/clients.js';
import { parseAddress } from '../../core/config/index.js';
import { ConfigError } from '../../core/errors.js';
import { startStateService } from '../../state/service.js';
import { stateServiceSettings } from '../../state/settings.js';
import { openStore } from '../../store/open.js';
import { storeOptionsFromSettings } from '../../store/settings.js';
import { awsOptionsFromSettings } from '../../aws/settings.js';
import { defineCommand } from '../command.js';

/** `blox state-service`: Blox v0.3's cluster-state-service command line, plus Blox's own settings. */
export const stateServiceCommand = defineCommand({
  name: 'state-service',
  description:
    'Run the cluster state service: ingest ECS events from SQS, reconcile against ECS in the background, serve the v1 REST API and streams.',
  settings: stateServiceSettings,
  async run(config, { logger, stopSignal }) {
    const address = parseAddress(config.bind)!;
    const storeOptions = storeOptionsFromSettings(config, {
      retainRevisions: config.compactionRetainRevisions,
      retainMs: config.compactionRetain,
    });
    const backend = storeOptions.backend;
    const store = await openStore(storeOptions, logger);
    const aws = awsOptionsFromSettings(config);
    const service = await startStateService({
      store,
      ownsStore: true,
      logger,
      changeLogSize: config.indexChangeLog,
      streamHeartbeatMs: config.streamHeartbeat,
      streamMaxQueuedLines: config.streamMaxQueued,
      retention: { retentionMs: config.retention, intervalMs: config.retentionInterval },
      ...(config.queue
        ? {
            ingest: {
              sqs: createSqsClient(aws),
              options: {
                queue: config.queue,
                pollers: config.ingestPollers,
                allowedAccounts: config.allowedAccounts,
                allowedRegions: config.allowedRegions,
                ...(config.deadLetterQueue ? { deadLetterQueue: config.deadLetterQueue } : {}),
              },
            },
          }
        : {}),
      ...(config.reconcile
        ? {
            reconcile: {
              ecs: createEcsClient(aws),
              options: {
                intervalMs: config.reconcileInterval,
                ...(config.reconcileClusters.length > 0 ? { clusters: config.reconcileClusters } : {}),
              },
            },
          }
        : {}),
    });
    try {
      await service.app!.listen({ host: address.host, port: address.port });
    } catch (err) {
      await service.close();
      throw new ConfigError(`cannot listen on ${config.bind}: ${(err as Error).message}`);
    }
    logger.info(
      { bind: config.bind, store: backend, queue: config.queue ?? null },
      'state service listening',
    );
    if (!config.queue) logger.warn('no --queue given: ECS events are not ingested (reconcile only)');
    await new Promise<void>((resolve) => {
      if (stopSignal.aborted) resolve();
      else stopSignal.addEventListener('abort', () => resolve(), { once: true });
    });
    logger.info('shutting down');
    await service.close();
    return 0;
  },
});
