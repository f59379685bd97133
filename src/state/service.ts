import type { ECSClient } from '@aws-sdk/client-ecs';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import { SerializedEntities } from '../core/ecs/stored.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import { createHttpApp, createMetricsRegistry, type ReadinessCheck } from '../server/app.js';
import type { Store } from '../store/types.js';
import { stateApiMetrics } from './api/metrics.js';
import { stateApiPlugin } from './api/plugin.js';
import type { StreamHub } from './api/routes-stream.js';
import { startIndexFeed, type IndexFeed } from './index/feed.js';
import { StateIndex } from './index/state-index.js';
import { startIngest, type Ingest, type IngestOptions } from './ingest/index.js';
import { startReconciler, type ReconcileOptions, type Reconciler } from './reconcile/index.js';
import { startRetention, type Retention, type RetentionOptions } from './retention/index.js';

export interface StateServiceOptions {
  /** The store cluster state lives in (opened by the caller; see `ownsStore`). */
  store: Store;
  /** Close the store in close() (default false). */
  ownsStore?: boolean;
  logger?: Logger;
  /** Metrics registry shared by the process (default: a new one with process metrics). */
  registry?: Registry;
  /** Changes kept in memory for stream resumes (default 10,000). */
  changeLogSize?: number;
  /** Bookmark interval on idle streams (default 10 s; 0 = none). */
  streamHeartbeatMs?: number;
  /** Unsent lines after which a slow stream client is dropped (default 10,000). */
  streamMaxQueuedLines?: number;
  /** Store watch progress interval, keeps the index revision current (default 1 s). */
  progressIntervalMs?: number;
  /** Extra sections of GET /v1/status (e.g. reconcile progress); each must answer without I/O. */
  status?: Record<string, () => unknown>;
  /** Also build a fastify app with health, metrics and OpenAPI around the routes (default true). */
  createApp?: boolean;
  /** Extra route plugins for that app (e.g. the scheduler's, in `blox up`). */
  extraPlugins?: FastifyPluginAsync[];
  /** Ingest ECS events from SQS. Started in the background: an unreachable queue is retried, never blocks the API. */
  ingest?: { options: IngestOptions; sqs: SQSClient };
  /** Reconcile against the ECS API in the background. */
  reconcile?: { options: ReconcileOptions; ecs: ECSClient };
  /** Remove STOPPED tasks and INACTIVE instances after their retention (deletes stream as `delete` lines). */
  retention?: RetentionOptions;
}

export interface StateService {
  readonly index: StateIndex;
  /** The state API routes as a plugin: mount it in any fastify app (blox up mounts it with the scheduler's). */
  readonly routes: FastifyPluginAsync;
  /** Readiness checks for createHttpApp: ready once the index has loaded the persisted state. */
  readonly readiness: Record<string, ReadinessCheck>;
  readonly registry: Registry;
  /** The app (not listening) when createApp is not false. */
  readonly app: FastifyInstance | undefined;
  /** Resolves when the index has loaded the store's content. */
  readonly ready: Promise<void>;
  /** Connected stream clients (0 before the routes are registered). */
  streamClientCount(): number;
  /** The ingest loop once it has started (undefined without a queue, or while the queue is unreachable). */
  ingest(): Ingest | undefined;
  readonly reconciler: Reconciler | undefined;
  readonly retention: Retention | undefined;
  /** Closes streams, the app, the index feed (and the store if owned). Idempotent. */
  close(): Promise<void>;
}

/**
 * The cluster state service's read side in one process: the in-memory index fed from the store,
 * and the HTTP API over it. It answers from persisted state as soon as the index has loaded
 * (no AWS call is on that path), whatever ingest and reconcile are doing.
 */
export async function startStateService(options: StateServiceOptions): Promise<StateService> {
  const logger = options.logger ?? silentLogger;
  const registry = options.registry ?? createMetricsRegistry();
  const index = new StateIndex({
    changeLogSize: options.changeLogSize,
    onListenerError: (err) => logger.error({ err }, 'index subscriber threw'),
  });
  const metrics = stateApiMetrics(registry, index);
  // The ingest's entities reach the index through the store's watch; in one process the index
  // takes the objects the ingest serialized rather than parsing their JSON back.
  const handoff = new SerializedEntities();
  const feed: IndexFeed = startIndexFeed({
    store: options.store,
    index,
    logger: logger.child({ component: 'index' }),
    progressIntervalMs: options.progressIntervalMs,
    onInvalidValue: () => metrics.indexInvalidValues.inc(),
    onRelist: (reason) => metrics.indexRelists.inc({ reason }),
    handoff,
  });
  let hub: StreamHub | undefined;
  let closing = false;
  const reconciler = options.reconcile
    ? startReconciler(options.reconcile.options, {
        store: options.store,
        ecs: options.reconcile.ecs,
        registry,
        logger,
      })
    : undefined;
  const ingestRunner = options.ingest ? startIngestInBackground() : undefined;
  const retention = options.retention
    ? startRetention(options.retention, { store: options.store, registry, logger })
    : undefined;
  const routes = stateApiPlugin({
    index,
    store: options.store,
    registry,
    stream: {
      ...(options.streamHeartbeatMs !== undefined ? { heartbeatMs: options.streamHeartbeatMs } : {}),
      ...(options.streamMaxQueuedLines !== undefined ? { maxQueuedLines: options.streamMaxQueuedLines } : {}),
    },
    status: {
      indexFeed: () => ({ lastError: feed.lastError ?? null }),
      ...(ingestRunner ? { ingest: () => ingestRunner.status() } : {}),
      ...(reconciler ? { reconcile: () => reconciler.status() } : {}),
      ...(retention ? { retention: () => retention.status() } : {}),
      ...options.status,
    },
    onHub: (h) => (hub = h),
  });
  const readiness: Record<string, ReadinessCheck> = {
    index: () => (index.ready ? undefined : 'the index is loading the persisted cluster state'),
  };
  const app =
    options.createApp === false
      ? undefined
      : await createHttpApp({
          logger,
          registry,
          readiness,
          plugins: [routes, ...(options.extraPlugins ?? [])],
          title: 'Blox cluster state service',
        });

  let closed: Promise<void> | undefined;
  return {
    index,
    routes,
    readiness,
    registry,
    app,
    ready: feed.ready,
    streamClientCount: () => hub?.clientCount ?? 0,
    ingest: () => ingestRunner?.current(),
    reconciler,
    retention,
    close() {
      closed ??= (async () => {
        closing = true;
        await ingestRunner?.stop();
        await reconciler?.stop();
        await retention?.stop();
        hub?.closeAll();
        if (app) await app.close();
        await feed.stop();
        if (options.ownsStore) await options.store.close();
      })();
      return closed;
    },
  };

  /** Starts ingest, retrying with backoff while the queue cannot be reached (AWS down, queue not created yet). */
  function startIngestInBackground() {
    const { options: ingestOptions, sqs } = options.ingest!;
    let current: Ingest | undefined;
    let lastError: string | undefined;
    let attempts = 0;
    let timer: NodeJS.Timeout | undefined;
    const attempt = async () => {
      attempts++;
      try {
        const started = await startIngest(ingestOptions, {
          store: options.store,
          sqs,
          registry,
          logger,
          handoff,
        });
        if (closing) await started.stop();
        else current = started;
        lastError = undefined;
      } catch (err) {
        lastError = errorMessage(err);
        if (closing) return;
        const delay = Math.min(30_000, 500 * 2 ** Math.min(attempts, 6));
        logger.error({ err: lastError, retryInMs: delay }, 'cannot start event ingest; retrying');
        timer = setTimeout(() => void attempt(), delay);
      }
    };
    const first = attempt();
    return {
      current: () => current,
      status: () =>
        current?.status() ?? { running: false, starting: true, attempts, lastError: lastError ?? null },
      async stop() {
        clearTimeout(timer);
        await first.catch(() => undefined);
        await current?.stop();
      },
    };
  }
}
