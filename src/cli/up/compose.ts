import type { ECSClient } from '@aws-sdk/client-ecs';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../core/logger.js';
import { startScheduler, type RunningScheduler } from '../../scheduler/daemon/scheduler.js';
import { createHttpApp } from '../../server/app.js';
import { inProcessClusterSource } from '../../server/in-process-source.js';
import { startStateService, type StateService } from '../../state/service.js';
import type { Store } from '../../store/types.js';
import { VERSION } from '../version.js';

export const BLOX_API_TITLE = 'Blox API (cluster state service + daemon scheduler)';

export interface ComposeOptions {
  store: Store;
  logger: Logger;
  ecs: ECSClient;
  /** Ingest ECS events from this queue (omit for no ingest, e.g. when only the API is needed). */
  ingest?: { sqs: SQSClient; queue: string };
  /** Reconcile against ECS at this interval (omit for no reconcile). */
  reconcileIntervalMs?: number;
  /** Sweep STOPPED tasks and INACTIVE instances after this long (omit for no sweep). */
  retentionMs?: number;
}

export interface ComposedBlox {
  app: FastifyInstance;
  state: StateService;
  scheduler: RunningScheduler;
  /** Closes the app, then the scheduler, then the state service (not the store). */
  close(): Promise<void>;
}

/**
 * The one composition of Blox in a single process: the state service, the daemon scheduler
 * reading the state index in-process, and one fastify app serving both route sets. Used by
 * `blox up` and by the API reference generator, so docs/api.md is the API `blox up` serves.
 */
export async function composeBlox(options: ComposeOptions): Promise<ComposedBlox> {
  const state = await startStateService({
    store: options.store,
    logger: options.logger,
    createApp: false,
    ...(options.ingest
      ? { ingest: { sqs: options.ingest.sqs, options: { queue: options.ingest.queue } } }
      : {}),
    ...(options.reconcileIntervalMs !== undefined
      ? { reconcile: { ecs: options.ecs, options: { intervalMs: options.reconcileIntervalMs } } }
      : {}),
    ...(options.retentionMs !== undefined ? { retention: { retentionMs: options.retentionMs } } : {}),
  });
  let scheduler: RunningScheduler | undefined;
  let app: FastifyInstance | undefined;
  try {
    scheduler = await startScheduler({
      store: options.store,
      source: inProcessClusterSource(state.index),
      ecs: options.ecs,
      logger: options.logger,
      // One registry per process: state and scheduler metrics are served together on /metrics.
      registry: state.registry,
    });
    app = await createHttpApp({
      logger: options.logger,
      registry: state.registry,
      plugins: [state.routes, scheduler.routes],
      readiness: { ...state.readiness, ...scheduler.readiness },
      title: BLOX_API_TITLE,
      version: VERSION,
    });
  } catch (err) {
    await scheduler?.stop();
    await state.close();
    throw err;
  }
  const running = { app, state, scheduler };
  let closed: Promise<void> | undefined;
  return {
    ...running,
    close() {
      closed ??= (async () => {
        await running.app.close();
        await running.scheduler.stop();
        await running.state.close();
      })();
      return closed;
    },
  };
}
