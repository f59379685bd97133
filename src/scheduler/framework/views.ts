import type {
  ContainerInstanceDetail,
  StoredInstance,
  StoredTask,
  TaskDetail,
} from '../../core/ecs/entities.js';

/**
 * Compact, plain views of container instances and tasks: what scheduling decisions read.
 * The informer keeps these next to the stored entities so planners never parse ECS details
 * on their hot path, and tests build them in one line.
 */
export interface InstanceView {
  arn: string;
  clusterArn: string;
  status: string;
  agentConnected: boolean;
  /** Attribute name → value (undefined for attributes without a value). */
  attributes: Readonly<Record<string, string | undefined>>;
  ec2InstanceId?: string;
  agentVersion?: string;
  registeredAt?: string;
  runningTasksCount: number;
  /** Remaining CPU units and memory MiB, when ECS reported them. */
  remainingCpu?: number;
  remainingMemory?: number;
  version: number;
}

export interface TaskView {
  arn: string;
  clusterArn: string;
  instanceArn?: string;
  taskDefinitionArn: string;
  group?: string;
  startedBy?: string;
  lastStatus: string;
  desiredStatus: string;
  stoppedReason?: string;
  stopCode?: string;
  createdAt?: string;
  startedAt?: string;
  version: number;
}

type Attribute = NonNullable<ContainerInstanceDetail['attributes']>[number];
type Resource = NonNullable<ContainerInstanceDetail['remainingResources']>[number];

/** An instance's attribute list and, once something read it, the record built from it. */
interface AttributeState {
  list: readonly Attribute[];
  record?: Record<string, string | undefined>;
}

/** The attribute state of each view made by instanceViewOf, so its next revision can share it. */
const attributeStates = new WeakMap<InstanceView, AttributeState>();

function sameAttributes(a: readonly Attribute[], b: readonly Attribute[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++)
    if (a[i]!.name !== b[i]!.name || a[i]!.value !== b[i]!.value) return false;
  return true;
}

function recordOf(state: AttributeState): Record<string, string | undefined> {
  if (state.record) return state.record;
  const record: Record<string, string | undefined> = {};
  for (const a of state.list) record[a.name] = a.value;
  return (state.record = record);
}

// At module level (not a closure per call): tsx's keepNames wraps every named inner function in a
// helper call, which showed in the informer's profile.
function remainingOf(resources: readonly Resource[] | undefined, name: string): number | undefined {
  if (!resources) return undefined;
  for (const r of resources) if (r.name === name) return r.integerValue ?? r.longValue ?? r.doubleValue;
  return undefined;
}

const NO_ATTRIBUTES: readonly Attribute[] = [];

/**
 * The view of an instance's detail. Its `attributes` record is built when first read: only
 * attribute and CQL filters read it, and building a record of 20-odd attributes per instance was
 * most of the cost of following a fleet as it joins. With `previous` (the view of the instance's
 * last revision), an equal attribute list shares the previous view's record (built or not): most
 * changes of an instance (tasks starting and stopping) only move its resources.
 */
export function instanceViewOf(detail: ContainerInstanceDetail, previous?: InstanceView): InstanceView {
  const list = detail.attributes ?? NO_ATTRIBUTES;
  const before = previous ? attributeStates.get(previous) : undefined;
  const state: AttributeState = before && sameAttributes(before.list, list) ? before : { list };
  const view: InstanceView = {
    arn: detail.containerInstanceArn,
    clusterArn: detail.clusterArn,
    status: detail.status,
    agentConnected: detail.agentConnected,
    get attributes() {
      return recordOf(state);
    },
    runningTasksCount: detail.runningTasksCount ?? 0,
    version: detail.version,
  };
  if (detail.ec2InstanceId !== undefined) view.ec2InstanceId = detail.ec2InstanceId;
  if (detail.versionInfo?.agentVersion !== undefined) view.agentVersion = detail.versionInfo.agentVersion;
  if (detail.registeredAt !== undefined) view.registeredAt = detail.registeredAt;
  const cpu = remainingOf(detail.remainingResources, 'CPU');
  const memory = remainingOf(detail.remainingResources, 'MEMORY');
  if (cpu !== undefined) view.remainingCpu = cpu;
  if (memory !== undefined) view.remainingMemory = memory;
  attributeStates.set(view, state);
  return view;
}

export function taskViewOf(detail: TaskDetail): TaskView {
  const view: TaskView = {
    arn: detail.taskArn,
    clusterArn: detail.clusterArn,
    taskDefinitionArn: detail.taskDefinitionArn,
    lastStatus: detail.lastStatus,
    desiredStatus: detail.desiredStatus,
    version: detail.version,
  };
  if (detail.containerInstanceArn !== undefined) view.instanceArn = detail.containerInstanceArn;
  if (detail.group !== undefined) view.group = detail.group;
  if (detail.startedBy !== undefined) view.startedBy = detail.startedBy;
  if (detail.stoppedReason !== undefined) view.stoppedReason = detail.stoppedReason;
  if (detail.stopCode !== undefined) view.stopCode = detail.stopCode;
  if (detail.createdAt !== undefined) view.createdAt = detail.createdAt;
  if (detail.startedAt !== undefined) view.startedAt = detail.startedAt;
  return view;
}

export const storedInstanceView = (e: StoredInstance): InstanceView => instanceViewOf(e.detail);
export const storedTaskView = (e: StoredTask): TaskView => taskViewOf(e.detail);

/** A task that is, or is about to be, running (ECS has not been asked to stop it). */
export function isLiveTask(t: TaskView): boolean {
  return t.desiredStatus !== 'STOPPED' && t.lastStatus !== 'STOPPED';
}
