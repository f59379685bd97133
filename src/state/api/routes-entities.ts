import { Readable } from 'node:stream';
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
import { itemJson, listJson, listJsonChunks, type EntityFormat } from './serialize.js';

/** Lists longer than this are streamed in chunks rather than built as one string. */
const STREAM_LIST_OVER = 512;

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
    if (result.items.length > STREAM_LIST_OVER)
      return reply.send(
        Readable.from(listJsonChunks(result.items, query.format, token), { objectMode: false }),
      );
    return reply.send(listJson(result.items, query.format, token));
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
