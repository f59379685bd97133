import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { buildClusterArn, clusterName, isContainerInstanceArn, isTaskArn, parseArn } from '../../core/arn.js';
import { entityKey } from '../../core/ecs/keys.js';
import type { EntityKind } from '../../core/ecs/entities.js';
import type { StateIndex } from '../index/state-index.js';
import { apiErrors } from './errors.js';
import { instancePredicate } from './instance-filters.js';
import { encodeNextToken, parseListQuery, parseRawQuery } from './query-params.js';
import {
  clustersSchema,
  getInstanceSchema,
  getTaskSchema,
  listInstancesSchema,
  listTasksSchema,
} from './schemas.js';
import { LIST_CHUNK_BYTES, writeListBody } from './list-writer.js';
import { itemJson, listBody, type EntityFormat } from './serialize.js';

/** Header carrying the index revision an answer reflects: stream from it + 1 to follow changes after a list. */
export const REVISION_HEADER = 'x-blox-revision';
const JSON_TYPE = 'application/json; charset=utf-8';

/** GET /v1/tasks, /v1/instances, /v1/tasks/{cluster}/{arn}, /v1/instances/{cluster}/{arn}, /v1/clusters. */
export function registerEntityRoutes(app: FastifyInstance, index: StateIndex): void {
  const list = (kind: EntityKind) => async (request: FastifyRequest, reply: FastifyReply) => {
    const query = parseListQuery(kind, parseRawQuery(request.url));
    const filter = { ...query.filter };
    if (kind === 'instance') {
      const where = instancePredicate(index, query.cql, query.attributes);
      if (where) filter.where = where;
    }
    const result = index.list(kind, filter, { limit: query.limit, after: query.after });
    const token = result.next === undefined ? undefined : encodeNextToken(result.next);
    reply.type(JSON_TYPE).header(REVISION_HEADER, String(result.revision));
    // Copied from the cached item strings into Buffers (serialize.ts): no per-request JSON
    // serialisation, no giant string, and a Content-Length instead of chunked encoding.
    const body = listBody(result.items, query.format, token);
    if (body.byteLength <= LIST_CHUNK_BYTES) return reply.send(body.chunks().next().value);
    // Larger lists are written by hand from pooled Buffers (list-writer.ts); onResponse hooks
    // (metrics) still run when the response finishes.
    reply.hijack();
    writeListBody(reply.raw, reply.getHeaders(), body);
    return reply;
  };

  const get =
    (kind: EntityKind) =>
    async (request: FastifyRequest<{ Params: { cluster: string; '*': string } }>, reply: FastifyReply) => {
      const notFound = kind === 'task' ? apiErrors.taskNotFound : apiErrors.instanceNotFound;
      const cluster = clusterName(request.params.cluster);
      const arn = request.params['*'];
      const valid = kind === 'task' ? isTaskArn(arn) : isContainerInstanceArn(arn);
      if (cluster === undefined || !valid) throw notFound();
      const p = parseArn(arn)!;
      const entry = index.get(entityKey(kind, p.account, p.region, cluster, arn));
      if (!entry) throw notFound();
      const format: EntityFormat =
        (request.query as { format?: string }).format === 'native' ? 'native' : 'v03';
      return reply
        .type(JSON_TYPE)
        .header(REVISION_HEADER, String(index.revision))
        .send(itemJson(entry, format) + '\n');
    };

  app.get('/v1/tasks', { schema: listTasksSchema, attachValidation: true }, list('task'));
  app.get('/v1/instances', { schema: listInstancesSchema, attachValidation: true }, list('instance'));
  app.get('/v1/tasks/:cluster/*', { schema: getTaskSchema, attachValidation: true }, get('task'));
  app.get('/v1/instances/:cluster/*', { schema: getInstanceSchema, attachValidation: true }, get('instance'));

  app.get('/v1/clusters', { schema: clustersSchema }, async () => ({
    items: index.clusters().map((c) => ({
      clusterARN: buildClusterArn({ account: c.account, region: c.region }, c.cluster),
      clusterName: c.cluster,
      account: c.account,
      region: c.region,
      tasks: c.tasks,
      instances: c.instances,
    })),
  }));
}
