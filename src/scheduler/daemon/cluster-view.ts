import { isLiveTask, type InstanceView, type TaskView } from '../framework/views.js';
import type { CompiledFilter } from './filter.js';
import { GROUP_PREFIX } from './model.js';

/**
 * One cluster's instances and tasks, indexed once per reconcile pass so planning many
 * environments over many instances stays linear: tasks by group (an environment finds its own
 * tasks without scanning), by instance, and foreign tasks by task definition (adoption).
 * Eligibility per distinct filter is computed once and shared by every environment using it.
 */
export interface ClusterView {
  clusterArn: string;
  instances: readonly InstanceView[];
  indexByArn: ReadonlyMap<string, number>;
  tasksByGroup: ReadonlyMap<string, TaskView[]>;
  /** Live tasks not started by any daemon environment (no `blox:` group), by task definition. */
  foreignByTaskDefinition: ReadonlyMap<string, TaskView[]>;
  /** Every task, by instance index. */
  tasksByInstance: ReadonlyArray<TaskView[] | undefined>;
  /** 1 = eligible (ACTIVE, agent connected, matches the filter), per instance index; cached per filter key. */
  eligibility(filter: CompiledFilter): Uint8Array;
}

export function prepareCluster(
  clusterArn: string,
  instances: readonly InstanceView[],
  tasks: readonly TaskView[],
): ClusterView {
  const own = instances.filter((i) => i.clusterArn === clusterArn);
  const indexByArn = new Map<string, number>();
  own.forEach((i, n) => indexByArn.set(i.arn, n));
  const tasksByGroup = new Map<string, TaskView[]>();
  const foreignByTaskDefinition = new Map<string, TaskView[]>();
  const tasksByInstance: Array<TaskView[] | undefined> = new Array(own.length);
  for (const t of tasks) {
    if (t.clusterArn !== clusterArn) continue;
    if (t.group !== undefined) push(tasksByGroup, t.group, t);
    if ((t.group === undefined || !t.group.startsWith(GROUP_PREFIX)) && isLiveTask(t))
      push(foreignByTaskDefinition, t.taskDefinitionArn, t);
    const idx = t.instanceArn === undefined ? undefined : indexByArn.get(t.instanceArn);
    if (idx !== undefined) (tasksByInstance[idx] ??= []).push(t);
  }
  const cache = new Map<string, Uint8Array>();
  return {
    clusterArn,
    instances: own,
    indexByArn,
    tasksByGroup,
    foreignByTaskDefinition,
    tasksByInstance,
    eligibility(filter) {
      let result = cache.get(filter.key);
      if (result) return result;
      result = new Uint8Array(own.length);
      for (let n = 0; n < own.length; n++) {
        const i = own[n]!;
        if (i.status !== 'ACTIVE' || !i.agentConnected) continue;
        const groups = () => (tasksByInstance[n] ?? []).filter(isLiveTask).map((t) => t.group ?? '');
        if (filter.matches(i, groups)) result[n] = 1;
      }
      cache.set(filter.key, result);
      return result;
    },
  };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
