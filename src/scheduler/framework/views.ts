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

export function instanceViewOf(detail: ContainerInstanceDetail): InstanceView {
  const attributes: Record<string, string | undefined> = {};
  for (const a of detail.attributes ?? []) attributes[a.name] = a.value;
  const remaining = (name: string) => {
    const r = detail.remainingResources?.find((x) => x.name === name);
    return r?.integerValue ?? r?.longValue ?? r?.doubleValue;
  };
  const view: InstanceView = {
    arn: detail.containerInstanceArn,
    clusterArn: detail.clusterArn,
    status: detail.status,
    agentConnected: detail.agentConnected,
    attributes,
    runningTasksCount: detail.runningTasksCount ?? 0,
    version: detail.version,
  };
  if (detail.ec2InstanceId !== undefined) view.ec2InstanceId = detail.ec2InstanceId;
  if (detail.versionInfo?.agentVersion !== undefined) view.agentVersion = detail.versionInfo.agentVersion;
  if (detail.registeredAt !== undefined) view.registeredAt = detail.registeredAt;
  const cpu = remaining('CPU');
  const memory = remaining('MEMORY');
  if (cpu !== undefined) view.remainingCpu = cpu;
  if (memory !== undefined) view.remainingMemory = memory;
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
