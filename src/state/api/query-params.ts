import { clusterName, isClusterArn, isContainerInstanceArn, parseArn, resourceId } from '../../core/arn.js';
import { INSTANCE_STATUSES, TASK_STATUSES, type EntityKind } from '../../core/ecs/entities.js';
import type { EntityFilter } from '../index/query.js';
import { apiErrors } from './errors.js';
import { ENTITY_FORMATS, type EntityFormat } from './serialize.js';

/** Every value of every query key, as sent (keys are case-sensitive, as in v0.3). */
export type RawQuery = Map<string, string[]>;

export function parseRawQuery(url: string): RawQuery {
  const q: RawQuery = new Map();
  const i = url.indexOf('?');
  if (i < 0) return q;
  for (const [k, v] of new URLSearchParams(url.slice(i + 1))) {
    const list = q.get(k);
    if (list) list.push(v);
    else q.set(k, [v]);
  }
  return q;
}

/** Most items one page may ask for (unpaginated requests still get everything). */
export const MAX_PAGE_SIZE = 10_000;

export const TASK_LIST_KEYS = [
  'status',
  'cluster',
  'startedBy',
  'desiredStatus',
  'containerInstance',
  'family',
  'account',
  'region',
  'limit',
  'nextToken',
  'format',
] as const;
export const INSTANCE_LIST_KEYS = [
  'status',
  'cluster',
  'filter',
  'attribute',
  'account',
  'region',
  'limit',
  'nextToken',
  'format',
] as const;
/** Stream keys; anything else is ignored, as v0.3 ignored every key but entityVersion. */
export const TASK_STREAM_KEYS = [
  'entityVersion',
  'status',
  'cluster',
  'startedBy',
  'desiredStatus',
  'containerInstance',
  'family',
  'account',
  'region',
  'format',
] as const;
export const INSTANCE_STREAM_KEYS = [
  'entityVersion',
  'status',
  'cluster',
  'account',
  'region',
  'format',
] as const;
export const ENTITY_STREAM_KEYS = ['entityVersion', 'cluster', 'account', 'region', 'format'] as const;
/** Keys that may repeat. */
const REPEATABLE = new Set(['attribute']);

export interface ListQuery {
  filter: EntityFilter;
  /** Instances: CQL text (`filter=`), parsed by the route. */
  cql?: string;
  /** Instances: `attribute=name` or `attribute=name=value`, all must match. */
  attributes: Array<{ name: string; value?: string }>;
  limit?: number;
  /** Continue after this key. */
  after?: string;
  format: EntityFormat;
}

export interface StreamQuery {
  /** Replay from this revision (inclusive); undefined or 0 = live only. */
  entityVersion?: number;
  filter: EntityFilter;
  format: EntityFormat;
}

const one = (q: RawQuery, key: string): string => q.get(key)?.[0] ?? '';

/**
 * The list query of /v1/tasks or /v1/instances, validated in v0.3's order: unsupported key →
 * repeated key → status → cluster; then the parameters Blox added. Throws the API error. Pure.
 */
export function parseListQuery(kind: EntityKind, q: RawQuery): ListQuery {
  const allowed: readonly string[] = kind === 'task' ? TASK_LIST_KEYS : INSTANCE_LIST_KEYS;
  for (const key of q.keys()) if (!allowed.includes(key)) throw apiErrors.unsupportedFilter();
  checkRepeats(q, allowed);
  const filter = commonFilters(kind, q);
  const out: ListQuery = { filter, attributes: [], format: parseFormat(q) };
  if (kind === 'instance') {
    const cql = one(q, 'filter');
    if (cql !== '') out.cql = cql;
    for (const raw of q.get('attribute') ?? []) {
      if (raw === '') continue;
      const eq = raw.indexOf('=');
      const name = eq < 0 ? raw : raw.slice(0, eq);
      if (!/^[a-zA-Z0-9_.:/-]{1,128}$/.test(name))
        throw apiErrors.invalidParameter(
          `Invalid attribute "${raw}": use attribute=name or attribute=name=value, where name is 1-128 letters, digits, '.', '-', '_', ':' or '/'`,
        );
      out.attributes.push(eq < 0 ? { name } : { name, value: raw.slice(eq + 1) });
    }
  }
  const limit = one(q, 'limit');
  if (limit !== '') {
    if (!/^\d+$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_PAGE_SIZE)
      throw apiErrors.invalidParameter(
        `Invalid limit "${limit}": give a whole number from 1 to ${MAX_PAGE_SIZE}`,
      );
    out.limit = Number(limit);
  }
  const token = one(q, 'nextToken');
  if (token !== '') out.after = decodeNextToken(kind, token);
  return out;
}

/** The query of /v1/stream/tasks or /v1/stream/instances. Unknown keys are ignored (as v0.3). Pure. */
export function parseStreamQuery(kind: EntityKind | 'all', q: RawQuery): StreamQuery {
  const known: readonly string[] =
    kind === 'task' ? TASK_STREAM_KEYS : kind === 'instance' ? INSTANCE_STREAM_KEYS : ENTITY_STREAM_KEYS;
  checkRepeats(q, known);
  const ev = one(q, 'entityVersion');
  // The combined stream filters on what both kinds have (cluster, account, region): status means different things.
  const filter = kind === 'all' ? commonFilters('instance', q, false) : commonFilters(kind, q);
  const out: StreamQuery = { filter, format: parseFormat(q) };
  if (ev !== '') out.entityVersion = parseEntityVersion(ev);
  return out;
}

/**
 * v0.3's entityVersion rule (Go strconv.ParseInt, base 10, int64 >= 0: `+5` and `007` pass;
 * `-1`, `1.5`, `abc` fail). Values beyond what the store can hold are "out of range".
 */
export function parseEntityVersion(raw: string): number {
  if (!/^\+?\d+$/.test(raw)) throw apiErrors.invalidEntityVersion();
  const big = BigInt(raw.replace(/^\+/, ''));
  if (big > 9223372036854775807n) throw apiErrors.invalidEntityVersion();
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw apiErrors.outOfRangeEntityVersion();
  return Number(big);
}

function checkRepeats(q: RawQuery, keys: readonly string[]): void {
  for (const key of keys) {
    if (!REPEATABLE.has(key) && (q.get(key)?.length ?? 0) > 1) throw apiErrors.redundantFilter();
  }
}

function parseFormat(q: RawQuery): EntityFormat {
  const f = one(q, 'format');
  if (f === '') return 'v03';
  if (!(ENTITY_FORMATS as readonly string[]).includes(f))
    throw apiErrors.invalidParameter(`Invalid format "${f}": use one of ${ENTITY_FORMATS.join(', ')}`);
  return f as EntityFormat;
}

function commonFilters(kind: EntityKind, q: RawQuery, withStatus = true): EntityFilter {
  const filter: EntityFilter = {};
  const statuses: readonly string[] = kind === 'task' ? TASK_STATUSES : INSTANCE_STATUSES;
  const status = withStatus ? one(q, 'status') : '';
  if (status !== '') {
    if (!statuses.includes(status.toUpperCase())) throw apiErrors.invalidStatus();
    filter.status = status.toUpperCase();
  }
  const cluster = one(q, 'cluster');
  if (cluster !== '') {
    const name = clusterName(cluster);
    if (name === undefined) throw apiErrors.invalidCluster();
    filter.cluster = name;
    if (isClusterArn(cluster)) {
      const arn = parseArn(cluster)!;
      filter.account = arn.account;
      filter.region = arn.region;
    }
  }
  const account = one(q, 'account');
  if (account !== '') {
    if (!/^\d{12}$/.test(account))
      throw apiErrors.invalidParameter(`Invalid account "${account}": give a 12-digit AWS account ID`);
    if (filter.account !== undefined && filter.account !== account)
      throw apiErrors.invalidParameter(`account "${account}" contradicts the account of the cluster ARN`);
    filter.account = account;
  }
  const region = one(q, 'region');
  if (region !== '') {
    if (!/^[a-z]{2}(-[a-z0-9]+)+$/.test(region))
      throw apiErrors.invalidParameter(`Invalid region "${region}": give an AWS region such as us-east-1`);
    if (filter.region !== undefined && filter.region !== region)
      throw apiErrors.invalidParameter(`region "${region}" contradicts the region of the cluster ARN`);
    filter.region = region;
  }
  if (kind === 'task') {
    const desired = one(q, 'desiredStatus');
    if (desired !== '') {
      if (!statuses.includes(desired.toUpperCase()))
        throw apiErrors.invalidParameter(
          `Invalid desiredStatus "${desired}": use one of ${TASK_STATUSES.join(', ')} (any case)`,
        );
      filter.desiredStatus = desired.toUpperCase();
    }
    const startedBy = one(q, 'startedBy');
    if (startedBy !== '') filter.startedBy = startedBy;
    const ci = one(q, 'containerInstance');
    if (ci !== '') {
      if (!isContainerInstanceArn(ci) && !/^[a-zA-Z0-9_-]{1,255}$/.test(ci))
        throw apiErrors.invalidParameter(
          `Invalid containerInstance "${ci}": give a container instance ARN or its ID (the last part of the ARN)`,
        );
      filter.containerInstance = resourceId(ci);
    }
    const family = one(q, 'family');
    if (family !== '') {
      if (!/^[a-zA-Z0-9_-]{1,255}$/.test(family))
        throw apiErrors.invalidParameter(
          `Invalid family "${family}": a task definition family is 1-255 letters, digits, '-' or '_'`,
        );
      filter.family = family;
    }
  }
  return filter;
}

/** nextToken: an opaque continuation (the last key of the previous page, base64url-encoded). */
export function encodeNextToken(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

export function decodeNextToken(kind: EntityKind, token: string): string {
  const key = /^[A-Za-z0-9_-]+$/.test(token) ? Buffer.from(token, 'base64url').toString('utf8') : '';
  if (!key.startsWith(`ecs/${kind}/`))
    throw apiErrors.invalidParameter(
      `Invalid nextToken: pass back the nextToken of the previous page of this list unchanged`,
    );
  return key;
}
