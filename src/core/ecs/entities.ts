/**
 * Blox's normalized copy of ECS entities. The `detail` is the ECS event `detail` (or the same
 * shape built from a Describe* response by the reconciler): every field ECS sent is kept,
 * including ones this version does not know, so nothing is lost when ECS adds fields. Event
 * timestamps are ISO-8601 strings. `version` is ECS's per-entity version counter, which orders
 * changes (higher wins; equal = duplicate; lower = stale).
 */

export interface Attribute {
  name: string;
  value?: string;
  targetType?: string;
  targetId?: string;
}

export interface Resource {
  name: string;
  type: string;
  doubleValue?: number;
  longValue?: number;
  integerValue?: number;
  stringSetValue?: string[];
}

export interface NetworkBinding {
  bindIP?: string;
  containerPort?: number;
  hostPort?: number;
  protocol?: string;
}

export interface ContainerDetail {
  containerArn?: string;
  name?: string;
  image?: string;
  lastStatus?: string;
  exitCode?: number;
  reason?: string;
  networkBindings?: NetworkBinding[];
  [field: string]: unknown;
}

export interface TaskOverrides {
  containerOverrides?: Array<{
    name?: string;
    command?: string[];
    environment?: Array<{ name?: string; value?: string }>;
    [field: string]: unknown;
  }>;
  taskRoleArn?: string;
  [field: string]: unknown;
}

export interface TaskDetail {
  taskArn: string;
  clusterArn: string;
  containerInstanceArn?: string;
  taskDefinitionArn: string;
  lastStatus: string;
  desiredStatus: string;
  version: number;
  startedBy?: string;
  group?: string;
  launchType?: string;
  createdAt?: string;
  startedAt?: string;
  stoppingAt?: string;
  stoppedAt?: string;
  stoppedReason?: string;
  stopCode?: string;
  updatedAt?: string;
  containers?: ContainerDetail[];
  overrides?: TaskOverrides;
  [field: string]: unknown;
}

export interface VersionInfo {
  agentHash?: string;
  agentVersion?: string;
  dockerVersion?: string;
}

export interface ContainerInstanceDetail {
  containerInstanceArn: string;
  clusterArn: string;
  status: string;
  agentConnected: boolean;
  version: number;
  ec2InstanceId?: string;
  agentUpdateStatus?: string;
  attributes?: Attribute[];
  registeredResources?: Resource[];
  remainingResources?: Resource[];
  versionInfo?: VersionInfo;
  runningTasksCount?: number;
  pendingTasksCount?: number;
  registeredAt?: string;
  updatedAt?: string;
  [field: string]: unknown;
}

export type EntityKind = 'task' | 'instance';

/** Where a stored copy came from: the event stream or a reconcile pass against the ECS API. */
export type EntitySource = 'event' | 'reconcile';

/** The value stored under an entity's key (JSON). */
export interface StoredEntity<D = TaskDetail | ContainerInstanceDetail> {
  kind: EntityKind;
  account: string;
  region: string;
  /** Cluster name (from the detail's clusterArn). */
  cluster: string;
  detail: D;
  source: EntitySource;
  /** When Blox stored this version (ISO-8601). */
  observedAt: string;
}

export type StoredTask = StoredEntity<TaskDetail> & { kind: 'task' };
export type StoredInstance = StoredEntity<ContainerInstanceDetail> & { kind: 'instance' };

/** An entity as read from the store or the index, with the store revision that wrote it (v0.3's entityVersion). */
export interface Versioned<E> {
  entity: E;
  /** modRevision of the entity's key. */
  revision: number;
}

/** Task statuses ECS reports in `lastStatus` / `desiredStatus`. */
export const TASK_STATUSES = [
  'PROVISIONING',
  'PENDING',
  'ACTIVATING',
  'RUNNING',
  'DEACTIVATING',
  'STOPPING',
  'DEPROVISIONING',
  'STOPPED',
  'DELETED',
] as const;
/** Container instance statuses. */
export const INSTANCE_STATUSES = [
  'REGISTERING',
  'REGISTRATION_FAILED',
  'ACTIVE',
  'DRAINING',
  'DEREGISTERING',
  'INACTIVE',
] as const;

/** The number of a resource (CPU units, MiB) or the set (ports), by its declared type. */
export function resourceValue(
  resources: Resource[] | undefined,
  name: string,
): number | string[] | undefined {
  const r = resources?.find((x) => x.name === name);
  if (!r) return undefined;
  switch (r.type) {
    case 'INTEGER':
      return r.integerValue;
    case 'LONG':
      return r.longValue;
    case 'DOUBLE':
      return r.doubleValue;
    case 'STRINGSET':
      return r.stringSetValue ?? [];
    default:
      return undefined;
  }
}
