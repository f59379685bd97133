import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify';
import { badRequest, errorResponseSchema } from '../../../server/http-error.js';
import type { EnvironmentRecord, Revision, StatusCounts } from '../model.js';
import type { Page } from '../repository.js';
import type { EnvironmentService } from '../service.js';
import {
  encodeToken,
  isClusterFilter,
  validateCreateEnvironment,
  validatePaging,
  validateToken,
  validateUpdateEnvironment,
} from '../validate.js';
import {
  deploymentBody,
  deploymentSchema,
  environmentBody,
  environmentSchema,
  listOf,
  revisionBody,
} from './shapes.js';

export interface SchedulerRoutesOptions {
  service: EnvironmentService;
  /** Live status counts of an environment (from this replica's informer), if known. */
  statusOf?: (env: EnvironmentRecord, revision: Revision) => StatusCounts | undefined;
  /** Called after a write so the leader (if this replica) reconciles at once. */
  onChange?: (name: string) => void;
}

type Q = Record<string, unknown>;

/**
 * One page when the caller pages (maxResults or nextToken given), else every item, as v0.3
 * answered: its clients never page, and a default page would hide the rest from them silently.
 */
async function pagedOrAll<T>(
  query: Q,
  fetch: (paging: { limit: number; after?: string }) => Promise<Page<T>>,
): Promise<{ items: T[]; nextToken?: string }> {
  const paging = validatePaging(query);
  if (query.maxResults !== undefined || paging.after !== undefined) {
    const page = await fetch(paging);
    const nextToken = encodeToken(page.next);
    return { items: page.items, ...(nextToken ? { nextToken } : {}) };
  }
  const items: T[] = [];
  for (let after: string | undefined; ;) {
    const page = await fetch({ limit: 1000, ...(after !== undefined ? { after } : {}) });
    items.push(...page.items);
    if (page.next === undefined) return { items };
    after = page.next;
  }
}
const errors = { 400: errorResponseSchema, 404: errorResponseSchema };

/**
 * The daemon scheduler API, base /v1, compatible with Blox v0.3 (routes, field names, status
 * codes, message texts, errors as text) plus updates, revisions, rollback and pagination.
 */
export function schedulerRoutes(options: SchedulerRoutesOptions): FastifyPluginAsync {
  const { service } = options;
  const changed = (name: string) => options.onChange?.(name);
  const envOut = (env: EnvironmentRecord, revision: Revision) =>
    environmentBody(env, revision, options.statusOf?.(env, revision));

  return async (app: FastifyInstance) => {
    // v0.3 clients POST deployments without a body (sometimes with a JSON content type): an
    // empty body is "no body"; malformed JSON is a 400 that says so. v0.3 read every body as
    // JSON whatever its content type (curl -d sends application/x-www-form-urlencoded), so do we.
    const json = (
      _req: unknown,
      body: string | Buffer,
      done: (err: Error | null, body?: unknown) => void,
    ) => {
      const text = String(body);
      if (text.trim() === '') return done(null, undefined);
      try {
        done(null, JSON.parse(text));
      } catch (err) {
        done(
          badRequest(`the request body is not valid JSON: ${(err as Error).message}`, 'InvalidJson'),
          undefined,
        );
      }
    };
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string' }, json);
    app.post(
      '/v1/environments',
      {
        schema: {
          tags: ['scheduler'],
          summary: 'Create an environment (v0.3); no tasks run until its first deployment',
          body: { type: 'object', additionalProperties: true },
          response: { 200: environmentSchema, ...errors },
        },
      },
      async (req) => {
        const input = validateCreateEnvironment(req.body);
        const { env, revision } = await service.create(input);
        changed(env.name);
        return envOut(env, revision);
      },
    );

    app.get(
      '/v1/environments',
      {
        schema: {
          tags: ['scheduler'],
          summary: 'List environments, optionally of one cluster (name or ARN); paginated',
          description:
            'Query: cluster (name or ARN), maxResults (1-1000, default 100), nextToken. Without maxResults and nextToken: every environment, as v0.3 answered.',
          response: { 200: listOf(environmentSchema), ...errors },
        },
      },
      async (req) => {
        const query = req.query as Q;
        const keys = Object.keys(query);
        const filters = keys.filter((k) => k !== 'maxResults' && k !== 'nextToken');
        if (filters.length > 1 || filters.some((k) => k !== 'cluster'))
          throw badRequest('At least one of the filters provided is not supported', 'UnsupportedFilter');
        for (const k of keys)
          if (Array.isArray(query[k]))
            throw badRequest(
              'At least one of the filters provided is specified multiple times',
              'RepeatedFilter',
            );
        const cluster = typeof query.cluster === 'string' ? query.cluster : '';
        if (cluster !== '' && !isClusterFilter(cluster))
          throw badRequest('Invalid cluster ARN or name', 'InvalidCluster');
        const list = await pagedOrAll(query, (paging) => service.list(cluster ? { cluster } : {}, paging));
        return { ...list, items: list.items.map(({ env, revision }) => envOut(env, revision)) };
      },
    );

    app.get(
      '/v1/environments/:name',
      {
        schema: {
          tags: ['scheduler'],
          summary: 'Describe an environment with live status counts',
          response: { 200: environmentSchema, ...errors },
        },
      },
      async (req) => {
        const { env, revision } = await service.get((req.params as { name: string }).name);
        return envOut(env, revision);
      },
    );

    app.put(
      '/v1/environments/:name',
      {
        schema: {
          tags: ['scheduler'],
          summary:
            'Update an environment: a new immutable revision (token required; rotates it). Deploy it with POST deployments.',
          body: { type: 'object', additionalProperties: true },
          response: { 200: environmentSchema, ...errors },
        },
      },
      async (req) => {
        const name = (req.params as { name: string }).name;
        const token = validateToken((req.query as Q).deploymentToken, name);
        const input = validateUpdateEnvironment(req.body);
        const { env, revision } = await service.update(name, token, input);
        changed(name);
        return envOut(env, revision);
      },
    );

    app.delete(
      '/v1/environments/:name',
      {
        schema: {
          tags: ['scheduler'],
          summary: 'Delete an environment and stop its tasks (idempotent, v0.3)',
        },
      },
      async (req, reply: FastifyReply) => {
        const name = (req.params as { name: string }).name;
        await service.delete(name);
        changed(name);
        return reply.code(200).type('application/json; charset=UTF-8').send('');
      },
    );

    app.post(
      '/v1/environments/:name/deployments',
      {
        schema: {
          tags: ['scheduler'],
          summary: 'Deploy the latest revision (or {"revision": N}) with the current deploymentToken (v0.3)',
          response: { 200: deploymentSchema, ...errors },
        },
      },
      async (req) => {
        const name = (req.params as { name: string }).name;
        const token = validateToken((req.query as Q).deploymentToken, name);
        const d = await service.createDeployment(name, token, { ...revisionOf(req.body) });
        changed(name);
        return deploymentBody(d);
      },
    );

    app.post(
      '/v1/environments/:name/rollback',
      {
        schema: {
          tags: ['scheduler'],
          summary:
            'Roll back to the previous completed revision (or {"revision": N}), stopping a rollout in progress',
          response: { 200: deploymentSchema, ...errors },
        },
      },
      async (req) => {
        const name = (req.params as { name: string }).name;
        const token = validateToken((req.query as Q).deploymentToken, name);
        const d = await service.createDeployment(name, token, { ...revisionOf(req.body), rollback: true });
        changed(name);
        return deploymentBody(d);
      },
    );

    app.get(
      '/v1/environments/:name/deployments',
      {
        schema: {
          tags: ['scheduler'],
          summary: 'Deployments, newest first; paginated',
          response: { 200: listOf(deploymentSchema), ...errors },
        },
      },
      async (req) => {
        const name = (req.params as { name: string }).name;
        const list = await pagedOrAll(req.query as Q, (paging) => service.listDeployments(name, paging));
        return { ...list, items: list.items.map(deploymentBody) };
      },
    );

    app.get(
      '/v1/environments/:name/deployments/:id',
      {
        schema: {
          tags: ['scheduler'],
          summary: 'Describe a deployment',
          response: { 200: deploymentSchema, ...errors },
        },
      },
      async (req) => {
        const { name, id } = req.params as { name: string; id: string };
        return deploymentBody(await service.getDeployment(name, id));
      },
    );

    app.get(
      '/v1/environments/:name/revisions',
      { schema: { tags: ['scheduler'], summary: 'Revisions, oldest first; paginated' } },
      async (req) => {
        const name = (req.params as { name: string }).name;
        const list = await pagedOrAll(req.query as Q, (paging) => service.listRevisions(name, paging));
        return { ...list, items: list.items.map(revisionBody) };
      },
    );

    app.get(
      '/v1/environments/:name/revisions/:revision',
      { schema: { tags: ['scheduler'], summary: 'Describe a revision' } },
      async (req) => {
        const { name, revision } = req.params as { name: string; revision: string };
        const n = Number(revision);
        if (!Number.isInteger(n) || n < 1)
          throw badRequest(`revision must be a whole number >= 1 (got ${revision})`, 'ValidationError');
        return service.getRevision(name, n);
      },
    );
  };
}

function revisionOf(body: unknown): { revision?: number } {
  if (body === undefined || body === null || body === '') return {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw badRequest(
      'the body, when given, must be a JSON object such as {"revision": 2}',
      'ValidationError',
    );
  const r = (body as Q).revision;
  if (r === undefined) return {};
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 1)
    throw badRequest(`revision must be a whole number >= 1 (got ${JSON.stringify(r)})`, 'ValidationError');
  return { revision: r };
}
