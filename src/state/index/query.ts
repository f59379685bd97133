import { clusterName, isClusterArn, parseArn } from '../../core/arn.js';
import type { IndexEntry, IndexFields } from './entry.js';

/**
 * What a list or a stream can filter on. Every field is optional; an absent field does not
 * filter. Statuses compare case-insensitively (give them in any case); the rest are exact.
 */
export interface EntityFilter {
  /** Cluster name. */
  cluster?: string;
  account?: string;
  region?: string;
  /** Task lastStatus / instance status. */
  status?: string;
  /** Tasks only. */
  desiredStatus?: string;
  /** Tasks only; exact and case-sensitive, as in v0.3. */
  startedBy?: string;
  /** Tasks only: container instance ID (the last ARN segment). */
  containerInstance?: string;
  /** Tasks only: task definition family. */
  family?: string;
  /** Any further condition (e.g. a CQL filter over instances); evaluated last. */
  where?: (entry: IndexEntry) => boolean;
}

/** The fields the index keeps secondary indexes for (exact-match filters). */
export const INDEXED_FIELDS = [
  'cluster',
  'status',
  'desiredStatus',
  'startedBy',
  'containerInstance',
  'family',
] as const;
export type IndexedField = (typeof INDEXED_FIELDS)[number];

/** Normalizes a filter: upper-cases statuses and drops empty values. Pure. */
export function normalizeFilter(filter: EntityFilter): EntityFilter {
  const out: EntityFilter = {};
  for (const [k, v] of Object.entries(filter) as Array<[keyof EntityFilter, unknown]>) {
    if (v === undefined || v === '') continue;
    if (k === 'where') out.where = v as EntityFilter['where'];
    else if (k === 'status' || k === 'desiredStatus') out[k] = String(v).toUpperCase();
    else (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

const FIELD_NAMES = [
  'cluster',
  'account',
  'region',
  'status',
  'desiredStatus',
  'startedBy',
  'containerInstance',
  'family',
] as const satisfies ReadonlyArray<keyof EntityFilter & keyof IndexFields>;

/** Does the entry pass a normalized filter? Pure. */
export function matchesFilter(entry: IndexEntry, filter: EntityFilter): boolean {
  const f = entry.fields;
  for (const name of FIELD_NAMES) {
    const want = filter[name];
    if (want !== undefined && f[name] !== want) return false;
  }
  return filter.where ? filter.where(entry) : true;
}

/**
 * The filter for one cluster given by name (any account/region) or ARN (that account and region);
 * undefined when the text is neither.
 */
export function clusterFilter(nameOrArn: string): EntityFilter | undefined {
  const name = clusterName(nameOrArn);
  if (name === undefined) return undefined;
  if (!isClusterArn(nameOrArn)) return { cluster: name };
  const arn = parseArn(nameOrArn)!;
  return { cluster: name, account: arn.account, region: arn.region };
}
