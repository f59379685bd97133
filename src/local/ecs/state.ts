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
  /**
   * Task indexes by cluster and desired status: all tasks, and by family, container instance and
   * startedBy. Nested maps keyed by the record's own strings (whose hashes V8 keeps), not one map
   * of composed keys: composing and hashing 3–4 fresh ~100-character keys per task was a visible
   * share of every placement.
   */
  private readonly taskIndexes = new Map<string, { RUNNING: TaskIndexes; STOPPED: TaskIndexes }>();
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
    this.unindexTask(task, 'RUNNING');
    this.indexTask(task, 'STOPPED');
  }

  removeTask(task: TaskRecord): void {
    if (this.tasksById.get(task.id) !== task) return;
    this.tasks.delete(task.arn);
    this.tasksById.delete(task.id);
    this.unindexTask(task, task.desiredStatus);
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
    const indexes = this.taskIndexes.get(cluster)?.[status];
    if (!indexes) return undefined;
    if (by?.instanceArn !== undefined) return indexes.byInstance.get(by.instanceArn);
    if (by?.startedBy !== undefined) return indexes.byStartedBy.get(by.startedBy);
    if (by?.family !== undefined) return indexes.byFamily.get(by.family);
    return indexes.all;
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
    let cluster = this.taskIndexes.get(task.cluster);
    if (!cluster)
      this.taskIndexes.set(task.cluster, (cluster = { RUNNING: taskIndexes(), STOPPED: taskIndexes() }));
    const indexes = cluster[status];
    indexes.all.add(order, task);
    indexIn(indexes.byFamily, task.family).add(order, task);
    indexIn(indexes.byInstance, task.instanceArn).add(order, task);
    if (task.startedBy !== undefined) indexIn(indexes.byStartedBy, task.startedBy).add(order, task);
  }

  private unindexTask(task: TaskRecord, status: 'RUNNING' | 'STOPPED'): void {
    const indexes = this.taskIndexes.get(task.cluster)?.[status];
    if (!indexes) return;
    const live = this.liveFor(status);
    indexes.all.markRemoved(live);
    indexes.byFamily.get(task.family)?.markRemoved(live);
    indexes.byInstance.get(task.instanceArn)?.markRemoved(live);
    if (task.startedBy !== undefined) indexes.byStartedBy.get(task.startedBy)?.markRemoved(live);
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

interface TaskIndexes {
  all: OrderedIndex<TaskRecord>;
  byFamily: Map<string, OrderedIndex<TaskRecord>>;
  byInstance: Map<string, OrderedIndex<TaskRecord>>;
  byStartedBy: Map<string, OrderedIndex<TaskRecord>>;
}

function taskIndexes(): TaskIndexes {
  return { all: new OrderedIndex(), byFamily: new Map(), byInstance: new Map(), byStartedBy: new Map() };
}

function indexIn(indexes: Map<string, OrderedIndex<TaskRecord>>, key: string): OrderedIndex<TaskRecord> {
  let index = indexes.get(key);
  if (!index) indexes.set(key, (index = new OrderedIndex()));
  return index;
}
