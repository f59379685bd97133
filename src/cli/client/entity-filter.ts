import { clusterName, resourceId } from '../../core/arn.js';
import type { StoredInstance, StoredTask } from '../../core/ecs/entities.js';
import type { ListFilter } from '../../sdk/index.js';

/** The family of a task definition ARN (`…:task-definition/family:3` → `family`). */
export function familyOf(taskDefinitionArn: string): string {
  const tail = taskDefinitionArn.includes('task-definition/')
    ? taskDefinitionArn.slice(taskDefinitionArn.indexOf('task-definition/') + 16)
    : taskDefinitionArn;
  const colon = tail.lastIndexOf(':');
  return colon < 0 ? tail : tail.slice(0, colon);
}

const sameStatus = (a: string | undefined, b: string) => (a ?? '').toUpperCase() === b.toUpperCase();

/**
 * Does a task match the list filters? The same rules as the API (statuses any case, the rest
 * exact; containerInstance by ID or ARN), used to filter a watch the stream cannot filter. Pure.
 */
export function taskMatches(task: StoredTask, filter: ListFilter): boolean {
  const d = task.detail;
  if (filter.cluster && task.cluster !== clusterName(filter.cluster)) return false;
  if (filter.status && !sameStatus(d.lastStatus, filter.status)) return false;
  if (filter.desiredStatus && !sameStatus(d.desiredStatus, filter.desiredStatus)) return false;
  if (filter.startedBy !== undefined && filter.startedBy !== '' && d.startedBy !== filter.startedBy)
    return false;
  if (filter.family && familyOf(d.taskDefinitionArn) !== filter.family) return false;
  if (
    filter.containerInstance &&
    (!d.containerInstanceArn || resourceId(d.containerInstanceArn) !== resourceId(filter.containerInstance))
  )
    return false;
  return true;
}

/** Instance filters a client can check alone (cluster, status, attributes); CQL needs the server. Pure. */
export function instanceMatchesLocally(instance: StoredInstance, filter: ListFilter): boolean {
  const d = instance.detail;
  if (filter.cluster && instance.cluster !== clusterName(filter.cluster)) return false;
  if (filter.status && !sameStatus(d.status, filter.status)) return false;
  for (const raw of filter.attribute ?? []) {
    const eq = raw.indexOf('=');
    const name = eq < 0 ? raw : raw.slice(0, eq);
    const found = d.attributes?.find((a) => a.name === name);
    if (!found) return false;
    if (eq >= 0 && found.value !== raw.slice(eq + 1)) return false;
  }
  return true;
}

/** Drops unset filters so they are not sent as empty query parameters. Pure. */
export function compactFilter(filter: Record<string, string | string[] | undefined>): ListFilter {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(filter)) {
    if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = v;
  }
  return out as ListFilter;
}
