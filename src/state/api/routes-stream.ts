import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EntityKind } from '../../core/ecs/entities.js';
import { STATE_PREFIX, kindPrefix } from '../../core/ecs/keys.js';
import { CompactedError, FutureRevisionError } from '../../store/errors.js';
import type { Store } from '../../store/types.js';
import { apiErrors } from './errors.js';
import { parseRawQuery, parseStreamQuery } from './query-params.js';
import { streamEntitiesSchema, streamInstancesSchema, streamTasksSchema } from './schemas.js';
import type { StateIndex } from '../index/state-index.js';
import type { StateApiMetrics } from './metrics.js';
import { StreamSession, type StreamMode } from './stream-session.js';
import { REVISION_HEADER } from './routes-entities.js';

export interface StreamSettings {
  /** Send a bookmark after this long without any line (default 10 s; 0 = never). */
  heartbeatMs: number;
  /** Drop a client whose unsent lines exceed this (beyond its initial replay). Default 10,000. */
  maxQueuedLines: number;
}

export const DEFAULT_STREAM_SETTINGS: StreamSettings = { heartbeatMs: 10_000, maxQueuedLines: 10_000 };

/** Every open stream of one API instance: counted (tests, metrics) and closed together on shutdown. */
export class StreamHub {
  readonly sessions = new Set<StreamSession>();
  get clientCount(): number {
    return this.sessions.size;
  }
  closeAll(): void {
    for (const s of [...this.sessions]) s.close('server shutting down');
  }
}

/** GET /v1/stream/tasks and /v1/stream/instances. */
export function registerStreamRoutes(
  app: FastifyInstance,
  deps: { index: StateIndex; store: Store; metrics: StateApiMetrics; settings?: Partial<StreamSettings> },
): StreamHub {
  const settings = { ...DEFAULT_STREAM_SETTINGS, ...deps.settings };
  const hub = new StreamHub();
  const { index, store, metrics } = deps;

  /** `all`: tasks and instances in one stream, in revision order (what an informer of both needs). */
  const handler = (kind: EntityKind | 'all') => async (request: FastifyRequest, reply: FastifyReply) => {
    const query = parseStreamQuery(kind, parseRawQuery(request.url));
    const prefix = kind === 'all' ? STATE_PREFIX : kindPrefix(kind);
    const kinds: EntityKind[] = kind === 'all' ? ['task', 'instance'] : [kind];
    const accept = String(request.headers.accept ?? '');
    const mode: StreamMode = accept.includes('text/event-stream')
      ? 'sse'
      : accept.includes('application/x-ndjson')
        ? 'ndjson'
        : 'octet';
    let from = query.entityVersion;
    const lastEventId = request.headers['last-event-id'];
    if (from === undefined && mode === 'sse' && typeof lastEventId === 'string' && /^\d+$/.test(lastEventId))
      from = Number(lastEventId); // inclusive: a repeated event, never a gap
    if (from === 0) from = undefined; // v0.3: 0 means "from now on"

    const listPath =
      kind === 'task' ? '/v1/tasks' : kind === 'instance' ? '/v1/instances' : '/v1/tasks and /v1/instances';
    let source: 'index' | 'store' = 'index';
    if (from !== undefined) {
      if (from > index.revision) {
        // Ahead of the index: valid up to the store's next revision (another replica may be ahead;
        // "list at R, stream from R + 1" must work even when nothing was written since).
        if (from > (await store.revision()) + 1) throw apiErrors.outOfRangeEntityVersion();
      } else if (from < index.oldestResumableRevision) {
        source = 'store';
        try {
          await store.get(prefix, { revision: from });
        } catch (err) {
          if (err instanceof CompactedError) {
            metrics.streamDropped.inc({ kind, reason: 'gone' });
            throw apiErrors.gone(from, err.compactedRevision, listPath);
          }
          if (err instanceof FutureRevisionError) throw apiErrors.outOfRangeEntityVersion();
          throw err;
        }
      }
    }

    reply.hijack();
    const session = new StreamSession({
      kind,
      kinds,
      mode,
      request: request.raw,
      response: reply.raw,
      filter: query.filter,
      format: query.format,
      settings,
      metrics,
      logger: request.log,
      revisionHeader: [REVISION_HEADER, String(index.revision)],
      listPath,
      onClose: () => {
        hub.sessions.delete(session);
        metrics.streamClients.dec({ kind, mode });
      },
    });
    hub.sessions.add(session);
    metrics.streamClients.inc({ kind, mode });
    metrics.requests.inc({ route: request.routeOptions.url ?? 'stream', status: '200' });
    if (source === 'index') session.followIndex(index, from);
    else await session.followStore(store, prefix, from!);
  };

  app.get('/v1/stream/tasks', { schema: streamTasksSchema, attachValidation: true }, handler('task'));
  app.get(
    '/v1/stream/instances',
    { schema: streamInstancesSchema, attachValidation: true },
    handler('instance'),
  );
  app.get('/v1/stream/entities', { schema: streamEntitiesSchema, attachValidation: true }, handler('all'));
  return hub;
}
