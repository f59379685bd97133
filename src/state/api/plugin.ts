import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import type { Store } from '../../store/types.js';
import type { StateIndex } from '../index/state-index.js';
import { stateApiMetrics } from './metrics.js';
import { registerEntityRoutes } from './routes-entities.js';
import type { StreamHub } from './routes-stream.js';
import { registerStreamRoutes, type StreamSettings } from './routes-stream.js';
import { statusSchema } from './schemas.js';
import { warmItemCache } from './warm-cache.js';
import { HttpError } from '../../server/http-error.js';

export interface StateApiOptions {
  index: StateIndex;
  /** The store the index is fed from: used only to resume streams older than the index's change log. */
  store: Store;
  registry: Registry;
  stream?: Partial<StreamSettings>;
  /**
   * Sections of GET /v1/status besides the index: e.g. `{ reconcile: () => reconciler.status() }`.
   * Each is called per request and must answer at once (no I/O that can block).
   */
  status?: Record<string, () => unknown>;
  /**
   * Serialise every entity's v0.3 list item in the background once the index is ready (default
   * true), so the first unpaginated list of a cluster is as fast as the next. Costs the memory
   * heavy querying fills anyway (~0.8 KB per task); set false when lists are rare and memory tight.
   */
  warmListCache?: boolean;
  /** Filled with the stream hub, so the owner can close every stream on shutdown and tests can count clients. */
  onHub?: (hub: StreamHub) => void;
}

/**
 * The cluster state service's HTTP routes (Blox v1 API and beyond) as one fastify plugin, so
 * that `blox state-service` and `blox up` mount them next to other services in one app.
 */
export function stateApiPlugin(options: StateApiOptions): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    const { index } = options;
    const metrics = stateApiMetrics(options.registry, index);

    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unknown';
      metrics.requests.inc({ route, status: String(reply.statusCode) });
      metrics.duration.observe({ route }, reply.elapsedTime / 1000);
    });

    // Until the index has loaded the persisted state (the store unreachable, e.g. etcd not up
    // yet), an entity route would answer an empty cluster as if it were the truth: say 503.
    app.addHook('onRequest', async (request) => {
      if (index.ready || !request.url.startsWith('/v1/') || request.url.startsWith('/v1/status')) return;
      throw new HttpError(
        503,
        'NotReady',
        'the state service is still loading the persisted cluster state (is its store reachable?); retry shortly',
      );
    });

    registerEntityRoutes(app, index);
    const hub = registerStreamRoutes(app, { index, store: options.store, metrics, settings: options.stream });
    options.onHub?.(hub);

    app.get('/v1/status', { schema: statusSchema }, async () => {
      const extra: Record<string, unknown> = {};
      for (const [name, get] of Object.entries(options.status ?? {})) {
        try {
          extra[name] = get();
        } catch (err) {
          extra[name] = { error: String(err) };
        }
      }
      return {
        index: {
          ready: index.ready,
          revision: index.revision,
          tasks: index.count('task'),
          instances: index.count('instance'),
          oldestResumableEntityVersion: index.oldestResumableRevision,
          subscriptions: index.subscriptionCount,
        },
        streams: { clients: hub.clientCount },
        process: (() => {
          const m = process.memoryUsage();
          return {
            rssBytes: m.rss,
            heapUsedBytes: m.heapUsed,
            externalBytes: m.external,
            uptimeSeconds: Math.round(process.uptime()),
          };
        })(),
        ...extra,
      };
    });
    const warmer = options.warmListCache === false ? undefined : warmItemCache(index);
    app.addHook('onClose', async () => {
      warmer?.stop();
      hub.closeAll();
    });
  };
}
