import { fastifySwagger } from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import {
  LogController,
  fastify,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyPluginAsync,
} from 'fastify';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from '../core/logger.js';
import { installErrorHandlers } from './http-error.js';

/** A readiness check: resolves to undefined when ready, or a short reason when not. */
export type ReadinessCheck = () => Promise<string | undefined> | string | undefined;

export interface HttpAppOptions {
  logger: Logger;
  /** Route plugins (state service, scheduler, …), registered in order. */
  plugins: FastifyPluginAsync[];
  /** Metrics registry shared by every component of the process. */
  registry?: Registry;
  readiness?: Record<string, ReadinessCheck>;
  title?: string;
  version?: string;
  /** Log every request at info (default: debug). */
  logRequests?: boolean;
}

/**
 * The HTTP composition of a Blox process: one fastify app with the one error shape, health
 * and readiness, Prometheus metrics, the OpenAPI document (generated from every route's JSON
 * schema) at /openapi.json and Swagger UI at /docs, plus the route plugins of the services.
 */
export async function createHttpApp(options: HttpAppOptions): Promise<FastifyInstance> {
  const registry = options.registry ?? new Registry();
  const app = fastify({
    loggerInstance: options.logger.child({ component: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: !options.logRequests }),
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: false } },
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 2048 },
  });
  installErrorHandlers(app);

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: options.title ?? 'Blox API', version: options.version ?? '0.0.0' },
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  // Liveness as both Blox v0.3 services answered it: 200 with an empty JSON body. It lives here,
  // not in a service's plugin, because `blox up` serves both services on one app.
  app.get('/v1/ping', { schema: { tags: ['health'], summary: 'Liveness (v0.3)' } }, async (_request, reply) =>
    reply.code(200).type('application/json; charset=UTF-8').send(''),
  );
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const checks: Record<string, string> = {};
    let ready = true;
    for (const [name, check] of Object.entries(options.readiness ?? {})) {
      const reason = await check();
      checks[name] = reason ?? 'ok';
      if (reason) ready = false;
    }
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );

  for (const plugin of options.plugins) await app.register(plugin);
  return app;
}

/** A registry with Node's default process metrics (RSS, heap, event loop lag) under `blox_`. */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'blox_' });
  return registry;
}
