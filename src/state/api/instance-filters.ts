import type { ContainerInstanceDetail } from '../../core/ecs/entities.js';
import { matchesCql, parseCql, type CqlExpression, type CqlInstanceView } from '../../core/cql/index.js';
import { errorMessage } from '../../core/errors.js';
import type { IndexEntry } from '../index/entry.js';
import type { StateIndex } from '../index/state-index.js';
import { apiErrors } from './errors.js';

/** Compiles `filter=` (CQL) and `attribute=` into one predicate over instance entries; 400 on a bad filter. */
export function instancePredicate(
  index: StateIndex,
  cqlText: string | undefined,
  attributes: ReadonlyArray<{ name: string; value?: string }>,
): ((entry: IndexEntry) => boolean) | undefined {
  let cql: CqlExpression | undefined;
  if (cqlText !== undefined) {
    try {
      cql = parseCql(cqlText);
    } catch (err) {
      throw apiErrors.invalidParameter(`Invalid filter: ${errorMessage(err)}`);
    }
  }
  if (!cql && attributes.length === 0) return undefined;
  return (entry) => {
    const d = entry.entity.detail as ContainerInstanceDetail;
    const attrs = Array.isArray(d.attributes) ? d.attributes : [];
    for (const want of attributes) {
      const found = attrs.find((a) => a.name === want.name);
      if (!found || (want.value !== undefined && found.value !== want.value)) return false;
    }
    return cql ? matchesCql(cql, instanceView(index, entry)) : true;
  };
}

/** What CQL sees of an instance; running tasks and task groups come from the index's tasks on it. */
export function instanceView(index: StateIndex, entry: IndexEntry): CqlInstanceView {
  const d = entry.entity.detail as ContainerInstanceDetail;
  const attributes: Record<string, string | undefined> = {};
  for (const a of Array.isArray(d.attributes) ? d.attributes : []) attributes[a.name] = a.value;
  const tasks = index.list('task', {
    containerInstance: entry.fields.id,
    account: entry.fields.account,
    region: entry.fields.region,
    cluster: entry.fields.cluster,
  }).items;
  const running = tasks.filter((t) => t.fields.status === 'RUNNING');
  const groups = new Set<string>();
  for (const t of tasks) if (t.fields.status !== 'STOPPED' && t.fields.group) groups.add(t.fields.group);
  return {
    ec2InstanceId: d.ec2InstanceId,
    agentConnected: d.agentConnected === true,
    agentVersion: d.versionInfo?.agentVersion,
    registeredAt: d.registeredAt ?? 0,
    runningTasksCount: typeof d.runningTasksCount === 'number' ? d.runningTasksCount : running.length,
    attributes,
    taskGroups: [...groups],
  };
}
