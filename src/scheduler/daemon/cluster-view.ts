import { isLiveTask, type InstanceView, type TaskView } from '../framework/views.js';
import type { CompiledFilter } from './filter.js';
import { GROUP_PREFIX } from './model.js';

/**
 * One cluster's instances and tasks, indexed once per reconcile pass so planning many
 * environments over many instances stays linear: tasks by group (an environment finds its own
 * tasks without scanning), by instance, and foreign tasks by task definition (adoption).
 * Eligibility per distinct filter is computed once and shared by every environment using it.
 */
/** Task state bits, precomputed so that planning reads typed arrays, not a million task objects. */
export const LIVE = 1; // desired and last status both not STOPPED
export const STOPPING = 2; // asked to stop, not stopped yet
export const RUNNING = 4; // lastStatus RUNNING
export const STOPPED = 8; // lastStatus STOPPED

/**
 * Tasks with the index of their instance in `instances` (tasks on unknown instances are left
 * out), their state bits and their task definition as an interned number.
 */
export interface IndexedTasks {
  tasks: TaskView[];
  idx: number[];
  flags: Uint8Array;
  td: Int32Array;
}

export interface ClusterView {
  clusterArn: string;
  instances: readonly InstanceView[];
  indexByArn: ReadonlyMap<string, number>;
  tasksByGroup: ReadonlyMap<string, IndexedTasks>;
  /** Live tasks not started by any daemon environment (no `blox:` group), by task definition. */
  foreignByTaskDefinition: ReadonlyMap<string, IndexedTasks>;
  /** 1 where the instance has a task that is not stopped and not a daemon task (`blox:` group): drain order. */
  otherTasks: Uint8Array;
  /** Every task, by instance index. */
  tasksByInstance: ReadonlyArray<TaskView[] | undefined>;
  /** 1 = eligible (ACTIVE, agent connected, matches the filter), per instance index; cached per filter key. */
  eligibility(filter: CompiledFilter): Uint8Array;
  /** The interned number of a task definition ARN (-1 if no task of the cluster uses it). */
  taskDefinitionId(arn: string | undefined): number;
}

export function taskFlags(t: TaskView): number {
  const stopped = t.lastStatus === 'STOPPED';
  return (
    (!stopped && t.desiredStatus !== 'STOPPED' ? LIVE : 0) |
    (!stopped && t.desiredStatus === 'STOPPED' ? STOPPING : 0) |
    (t.lastStatus === 'RUNNING' ? RUNNING : 0) |
    (stopped ? STOPPED : 0)
  );
}

export function prepareCluster(
  clusterArn: string,
  instances: readonly InstanceView[],
  tasks: readonly TaskView[],
): ClusterView {
  const own = instances.filter((i) => i.clusterArn === clusterArn);
  const indexByArn = new Map<string, number>();
  own.forEach((i, n) => indexByArn.set(i.arn, n));
  const tasksByGroup = new Map<string, IndexedTasks>();
  const foreignByTaskDefinition = new Map<string, IndexedTasks>();
  const tasksByInstance: Array<TaskView[] | undefined> = new Array(own.length);
  const otherTasks = new Uint8Array(own.length);
  for (const t of tasks) {
    if (t.clusterArn !== clusterArn) continue;
    const idx = t.instanceArn === undefined ? undefined : indexByArn.get(t.instanceArn);
    if (idx === undefined) continue;
    (tasksByInstance[idx] ??= []).push(t);
    if (t.lastStatus !== 'STOPPED' && !t.group?.startsWith(GROUP_PREFIX)) otherTasks[idx] = 1;
    if (t.group !== undefined) push(tasksByGroup, t.group, t, idx);
    if ((t.group === undefined || !t.group.startsWith(GROUP_PREFIX)) && isLiveTask(t))
      push(foreignByTaskDefinition, t.taskDefinitionArn, t, idx);
  }
  const tdIds = new Map<string, number>();
  const finalize = (list: IndexedTasks) => {
    list.flags = new Uint8Array(list.tasks.length);
    list.td = new Int32Array(list.tasks.length);
    for (let k = 0; k < list.tasks.length; k++) {
      const t = list.tasks[k]!;
      list.flags[k] = taskFlags(t);
      let id = tdIds.get(t.taskDefinitionArn);
      if (id === undefined) tdIds.set(t.taskDefinitionArn, (id = tdIds.size));
      list.td[k] = id;
    }
  };
  for (const list of tasksByGroup.values()) finalize(list);
  for (const list of foreignByTaskDefinition.values()) finalize(list);
  const cache = new Map<string, Uint8Array>();
  return {
    taskDefinitionId: (arn) => (arn === undefined ? -1 : (tdIds.get(arn) ?? -1)),
    clusterArn,
    instances: own,
    indexByArn,
    tasksByGroup,
    foreignByTaskDefinition,
    tasksByInstance,
    otherTasks,
    eligibility(filter) {
      let result = cache.get(filter.key);
      if (result) return result;
      result = new Uint8Array(own.length);
      // One thunk for the whole loop (filters call it synchronously, if at all): a closure per
      // instance was most of a pass's cost over a fleet that had just joined.
      let n = 0;
      const groups = () => (tasksByInstance[n] ?? []).filter(isLiveTask).map((t) => t.group ?? '');
      for (; n < own.length; n++) {
        const i = own[n]!;
        if (i.status !== 'ACTIVE' || !i.agentConnected) continue;
        if (filter.matches(i, groups)) result[n] = 1;
      }
      cache.set(filter.key, result);
      return result;
    },
  };
}

const EMPTY_FLAGS = new Uint8Array(0);
const EMPTY_TD = new Int32Array(0);

function push(map: Map<string, IndexedTasks>, key: string, task: TaskView, idx: number): void {
  const list = map.get(key);
  if (list) {
    list.tasks.push(task);
    list.idx.push(idx);
  } else map.set(key, { tasks: [task], idx: [idx], flags: EMPTY_FLAGS, td: EMPTY_TD });
}
