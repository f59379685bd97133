import { OrderedIndex } from './ordered-index.js';
import type { ClusterRecord, InstanceRecord, TaskDefinitionRecord, TaskRecord } from './types.js';

/**
 * Everything the emulator holds, with the indexes that keep lookups and pages cheap at 10,000
 * instances and 100,000 tasks: by ARN and by ID, per cluster, and per (cluster, desired status)
 * × {all, family, startedBy, container instance} for ListTasks.
 */
export class EcsState {
  readonly clusters = new Map<string, ClusterRecord>();
  /** family → revisions (index = revision - 1). */
  readonly taskDefinitions = new Map<string, TaskDefinitionRecord[]>();
  readonly instances = new Map<string, InstanceRecord>();
  readonly instancesById = new Map<string, InstanceRecord>();
  readonly clusterInstances = new Map<string, OrderedIndex<InstanceRecord>>();
  readonly tasks = new Map<string, TaskRecord>();
  readonly tasksById = new Map<string, TaskRecord>();
  private readonly taskIndexes = new Map<string, OrderedIndex<TaskRecord>>();
  /** Monotonic key for every index insertion; pages resume after a key. */
  private orderCounter = 0;

  nextOrder(): number {
    return ++this.orderCounter;
  }

  // ---- container instances ----

  addInstance(inst: InstanceRecord): void {
    this.instances.set(inst.arn, inst);
    this.instancesById.set(inst.id, inst);
    let index = this.clusterInstances.get(inst.cluster);
    if (!index) this.clusterInstances.set(inst.cluster, (index = new OrderedIndex()));
    inst.order = this.nextOrder();
    index.add(inst.order, inst);
  }

  removeInstance(inst: InstanceRecord): void {
    if (this.instances.get(inst.arn) !== inst) return;
    this.instances.delete(inst.arn);
    this.instancesById.delete(inst.id);
    this.clusterInstances.get(inst.cluster)?.markRemoved(this.isInstanceLive);
  }

  readonly isInstanceLive = (inst: InstanceRecord): boolean => this.instancesById.get(inst.id) === inst;

  /** Finds an instance by full ARN or ID within a cluster. */
  findInstance(cluster: string, ref: string): InstanceRecord | undefined {
    const inst = ref.startsWith('arn:')
      ? this.instances.get(ref)
      : this.instancesById.get(ref.slice(ref.lastIndexOf('/') + 1));
    return inst && inst.cluster === cluster ? inst : undefined;
  }

  instancesOf(cluster: string): OrderedIndex<InstanceRecord> | undefined {
    return this.clusterInstances.get(cluster);
  }

  // ---- tasks ----

  addTask(task: TaskRecord): void {
    this.tasks.set(task.arn, task);
    this.tasksById.set(task.id, task);
    this.indexTask(task, task.desiredStatus);
  }

  /** Moves a task from its RUNNING indexes to its STOPPED ones (desiredStatus changed). */
  reindexStopped(task: TaskRecord): void {
    for (const key of taskIndexKeys(task, 'RUNNING'))
      this.taskIndexes.get(key)?.markRemoved(this.liveFor('RUNNING'));
    this.indexTask(task, 'STOPPED');
  }

  removeTask(task: TaskRecord): void {
    if (this.tasksById.get(task.id) !== task) return;
    this.tasks.delete(task.arn);
    this.tasksById.delete(task.id);
    for (const key of taskIndexKeys(task, task.desiredStatus))
      this.taskIndexes.get(key)?.markRemoved(this.liveFor(task.desiredStatus));
  }

  findTask(cluster: string, ref: string): TaskRecord | undefined {
    const task = ref.startsWith('arn:')
      ? this.tasks.get(ref)
      : this.tasksById.get(ref.slice(ref.lastIndexOf('/') + 1));
    return task && task.cluster === cluster ? task : undefined;
  }

  /** The narrowest task index for a ListTasks query. */
  taskIndex(
    cluster: string,
    status: 'RUNNING' | 'STOPPED',
    by?: { family?: string; startedBy?: string; instanceArn?: string },
  ): OrderedIndex<TaskRecord> | undefined {
    let key = `c|${cluster}|${status}`;
    if (by?.instanceArn !== undefined) key = `i|${cluster}|${status}|${by.instanceArn}`;
    else if (by?.startedBy !== undefined) key = `s|${cluster}|${status}|${by.startedBy}`;
    else if (by?.family !== undefined) key = `f|${cluster}|${status}|${by.family}`;
    return this.taskIndexes.get(key);
  }

  liveFor(status: 'RUNNING' | 'STOPPED'): (task: TaskRecord) => boolean {
    return status === 'RUNNING' ? this.isRunningLive : this.isStoppedLive;
  }

  private readonly isRunningLive = (t: TaskRecord): boolean =>
    this.tasksById.get(t.id) === t && t.desiredStatus === 'RUNNING';
  private readonly isStoppedLive = (t: TaskRecord): boolean =>
    this.tasksById.get(t.id) === t && t.desiredStatus === 'STOPPED';

  private indexTask(task: TaskRecord, status: 'RUNNING' | 'STOPPED'): void {
    const order = this.nextOrder();
    for (const key of taskIndexKeys(task, status)) {
      let index = this.taskIndexes.get(key);
      if (!index) this.taskIndexes.set(key, (index = new OrderedIndex()));
      index.add(order, task);
    }
  }

  clear(): void {
    this.clusters.clear();
    this.taskDefinitions.clear();
    this.instances.clear();
    this.instancesById.clear();
    this.clusterInstances.clear();
    this.tasks.clear();
    this.tasksById.clear();
    this.taskIndexes.clear();
  }
}

function taskIndexKeys(task: TaskRecord, status: string): string[] {
  const keys = [
    `c|${task.cluster}|${status}`,
    `f|${task.cluster}|${status}|${task.family}`,
    `i|${task.cluster}|${status}|${task.instanceArn}`,
  ];
  if (task.startedBy !== undefined) keys.push(`s|${task.cluster}|${status}|${task.startedBy}`);
  return keys;
}
