import { CqlSyntaxError, parseCql } from '../../core/cql/index.js';
import { errorMessage } from '../../core/errors.js';
import { badRequest } from '../../server/http-error.js';
import { checkCountOrPercent } from './counts.js';
import {
  DEFAULT_DEPLOYMENT_CONFIGURATION,
  FOREIGN_TASK_POLICIES,
  type DeploymentConfiguration,
  type ForeignTaskPolicy,
  type InstanceFilter,
} from './model.js';

/** Blox v0.3's name rule (swagger `^[a-zA-Z0-9-_]{1,30}$`). */
export const NAME_PATTERN = '^[a-zA-Z0-9-_]{1,30}$';
const NAME_RE = /^[a-zA-Z0-9_-]{1,30}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** v0.3's cluster filter rules (name needs 2+ characters there; we accept 1, as ECS does). */
const CLUSTER_NAME_RE = /^[a-zA-Z0-9_-]{1,255}$/;
const CLUSTER_ARN_RE = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:cluster\/[a-zA-Z0-9_-]{1,255}$/;

export interface CreateEnvironmentInput {
  name: string;
  cluster: string;
  taskDefinition: string;
  instanceFilter: InstanceFilter;
  deploymentConfiguration: DeploymentConfiguration;
  foreignTasks: ForeignTaskPolicy;
}

export interface UpdateEnvironmentInput {
  taskDefinition?: string;
  instanceFilter?: InstanceFilter;
  deploymentConfiguration?: Partial<DeploymentConfiguration>;
  foreignTasks?: ForeignTaskPolicy;
  cluster?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * CreateEnvironment body validation in v0.3's order and wording (go-openapi): instanceGroup
 * required, then name required and matching the pattern, then taskDefinition required, all in
 * one message `validation failure list:\n…`. The fields Blox added are checked after.
 */
export function validateCreateEnvironment(body: unknown): CreateEnvironmentInput {
  const b: Obj = isObj(body) ? body : {};
  const problems: string[] = [];
  if (b.instanceGroup === undefined || b.instanceGroup === null)
    problems.push('instanceGroup in body is required');
  if (b.name === undefined || b.name === null || b.name === '') problems.push('name in body is required');
  else if (typeof b.name !== 'string' || !NAME_RE.test(b.name))
    problems.push(`name in body should match '${NAME_PATTERN}'`);
  if (b.taskDefinition === undefined || b.taskDefinition === null || b.taskDefinition === '')
    problems.push('taskDefinition in body is required');
  else if (typeof b.taskDefinition !== 'string')
    problems.push('taskDefinition in body must be of type string');
  if (problems.length > 0)
    throw badRequest(`validation failure list:\n${problems.join('\n')}`, 'ValidationError');
  const group = b.instanceGroup;
  if (!isObj(group))
    throw badRequest(
      'validation failure list:\ninstanceGroup in body must be of type object',
      'ValidationError',
    );
  if (typeof group.cluster !== 'string' || group.cluster.trim() === '')
    throw badRequest(
      'validation failure list:\ninstanceGroup.cluster in body is required: the ECS cluster name or ARN to run the daemon on',
      'ValidationError',
    );
  const extra = validateUpdateFields(b, group);
  return {
    name: b.name as string,
    cluster: group.cluster,
    taskDefinition: b.taskDefinition as string,
    instanceFilter: extra.instanceFilter ?? {},
    deploymentConfiguration: { ...DEFAULT_DEPLOYMENT_CONFIGURATION, ...extra.deploymentConfiguration },
    foreignTasks: extra.foreignTasks ?? 'ignore',
  };
}

export function validateUpdateEnvironment(body: unknown): UpdateEnvironmentInput {
  if (!isObj(body))
    throw badRequest(
      'validation failure list:\nthe body must be a JSON object with any of taskDefinition, instanceGroup, deploymentConfiguration, foreignTasks',
      'ValidationError',
    );
  const known = new Set([
    'taskDefinition',
    'instanceGroup',
    'deploymentConfiguration',
    'foreignTasks',
    'name',
  ]);
  const unknown = Object.keys(body).filter((k) => !known.has(k));
  if (unknown.length > 0)
    throw badRequest(
      `validation failure list:\n${unknown[0]} in body is not a known field`,
      'ValidationError',
    );
  if (
    body.taskDefinition !== undefined &&
    (typeof body.taskDefinition !== 'string' || body.taskDefinition === '')
  )
    throw badRequest(
      'validation failure list:\ntaskDefinition in body must be a non-empty string',
      'ValidationError',
    );
  if (body.instanceGroup !== undefined && !isObj(body.instanceGroup))
    throw badRequest(
      'validation failure list:\ninstanceGroup in body must be of type object',
      'ValidationError',
    );
  const group = isObj(body.instanceGroup) ? body.instanceGroup : undefined;
  const out: UpdateEnvironmentInput = validateUpdateFields(body, group);
  if (typeof body.taskDefinition === 'string') out.taskDefinition = body.taskDefinition;
  if (group && typeof group.cluster === 'string') out.cluster = group.cluster;
  return out;
}

function validateUpdateFields(b: Obj, group: Obj | undefined): UpdateEnvironmentInput {
  const out: UpdateEnvironmentInput = {};
  const fail = (msg: string) => badRequest(`validation failure list:\n${msg}`, 'ValidationError');
  if (group && (group.attributes !== undefined || group.query !== undefined)) {
    const filter: InstanceFilter = {};
    if (group.attributes !== undefined) {
      if (!Array.isArray(group.attributes))
        throw fail('instanceGroup.attributes in body must be an array of {name, value}');
      filter.attributes = group.attributes.map((a, i) => {
        if (!isObj(a) || typeof a.name !== 'string' || a.name === '')
          throw fail(`instanceGroup.attributes[${i}].name in body is required`);
        if (a.value !== undefined && typeof a.value !== 'string')
          throw fail(`instanceGroup.attributes[${i}].value in body must be a string`);
        return a.value === undefined ? { name: a.name } : { name: a.name, value: a.value };
      });
    }
    if (group.query !== undefined && group.query !== null && group.query !== '') {
      if (typeof group.query !== 'string') throw fail('instanceGroup.query in body must be a string');
      try {
        parseCql(group.query);
      } catch (err) {
        const detail = err instanceof CqlSyntaxError ? err.message : errorMessage(err);
        throw fail(`instanceGroup.query in body is not a valid cluster query: ${detail}`);
      }
      filter.query = group.query;
    }
    out.instanceFilter = filter;
  }
  if (b.deploymentConfiguration !== undefined) {
    const c = b.deploymentConfiguration;
    if (!isObj(c))
      throw fail(
        'deploymentConfiguration in body must be an object with maxUnavailable, failureThreshold, autoRollback',
      );
    const config: Partial<DeploymentConfiguration> = {};
    for (const k of Object.keys(c))
      if (!['maxUnavailable', 'failureThreshold', 'autoRollback'].includes(k))
        throw fail(`deploymentConfiguration.${k} in body is not a known field`);
    if (c.maxUnavailable !== undefined) {
      const m = checkCountOrPercent(c.maxUnavailable, 'deploymentConfiguration.maxUnavailable');
      if (m) throw fail(m);
      if (c.maxUnavailable === 0 || c.maxUnavailable === '0' || c.maxUnavailable === '0%')
        throw fail(
          'deploymentConfiguration.maxUnavailable must be at least 1 (or a percentage above 0%), or no task could ever be replaced',
        );
      config.maxUnavailable = c.maxUnavailable as number | string;
    }
    if (c.failureThreshold !== undefined) {
      const m = checkCountOrPercent(c.failureThreshold, 'deploymentConfiguration.failureThreshold');
      if (m) throw fail(m);
      config.failureThreshold = c.failureThreshold as number | string;
    }
    if (c.autoRollback !== undefined) {
      if (typeof c.autoRollback !== 'boolean')
        throw fail('deploymentConfiguration.autoRollback must be true or false');
      config.autoRollback = c.autoRollback;
    }
    out.deploymentConfiguration = config;
  }
  if (b.foreignTasks !== undefined) {
    if (!FOREIGN_TASK_POLICIES.includes(b.foreignTasks as ForeignTaskPolicy))
      throw fail(`foreignTasks in body must be one of ${FOREIGN_TASK_POLICIES.join(', ')}`);
    out.foreignTasks = b.foreignTasks as ForeignTaskPolicy;
  }
  return out;
}

/** The deploymentToken query parameter: required, a lower-case UUID as v0.3's route demanded. */
export function validateToken(token: unknown, name: string): string {
  if (typeof token !== 'string' || token === '')
    throw badRequest(
      `deploymentToken query parameter is required: pass the environment's current deploymentToken (GET /v1/environments/${name})`,
      'ValidationError',
    );
  if (!UUID_RE.test(token))
    throw badRequest(`deploymentToken '${token}' is not a lower-case UUID`, 'ValidationError');
  return token;
}

export function isClusterFilter(value: string): boolean {
  return CLUSTER_NAME_RE.test(value) || CLUSTER_ARN_RE.test(value);
}

/** maxResults / nextToken. */
export function validatePaging(query: Record<string, unknown>): { limit: number; after?: string } {
  let limit = 100;
  if (query.maxResults !== undefined) {
    const n = Number(query.maxResults);
    if (!Number.isInteger(n) || n < 1 || n > 1000)
      throw badRequest(
        `maxResults must be a whole number from 1 to 1000 (got ${String(query.maxResults)})`,
        'ValidationError',
      );
    limit = n;
  }
  if (query.nextToken === undefined || query.nextToken === '') return { limit };
  const raw = String(query.nextToken);
  let after: string;
  try {
    after = Buffer.from(raw, 'base64url').toString('utf8');
  } catch {
    after = '';
  }
  if (!after || Buffer.from(after, 'utf8').toString('base64url') !== raw)
    throw badRequest(
      'nextToken is not a token this API returned: pass the nextToken of the previous page',
      'ValidationError',
    );
  return { limit, after };
}

export const encodeToken = (after: string | undefined): string | undefined =>
  after === undefined ? undefined : Buffer.from(after, 'utf8').toString('base64url');
