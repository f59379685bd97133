import { resourceId } from '../arn.js';
import type { EntityKind } from './entities.js';

/**
 * Store key layout of cluster state: one key per entity, scoped by account, region and cluster
 * (Blox v0.3 keyed by cluster name only, so same-named clusters of two accounts collided):
 *
 *   ecs/task/<account>/<region>/<cluster>/<taskId>
 *   ecs/instance/<account>/<region>/<cluster>/<containerInstanceId>
 *
 * IDs (the last ARN segment) are the same in the old and new ARN formats, so an entity keeps its
 * key whichever format an event or API response uses.
 */
export const STATE_PREFIX = 'ecs/';

export function kindPrefix(kind: EntityKind): string {
  return `${STATE_PREFIX}${kind}/`;
}

export function clusterPrefix(kind: EntityKind, account: string, region: string, cluster: string): string {
  return `${kindPrefix(kind)}${account}/${region}/${cluster}/`;
}

export function entityKey(
  kind: EntityKind,
  account: string,
  region: string,
  cluster: string,
  arn: string,
): string {
  return `${clusterPrefix(kind, account, region, cluster)}${resourceId(arn)}`;
}

export interface ParsedKey {
  kind: EntityKind;
  account: string;
  region: string;
  cluster: string;
  id: string;
}

export function parseEntityKey(key: string): ParsedKey | undefined {
  const m = /^ecs\/(task|instance)\/([^/]+)\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(key);
  if (!m) return undefined;
  return { kind: m[1] as EntityKind, account: m[2]!, region: m[3]!, cluster: m[4]!, id: m[5]! };
}
