/**
 * In-memory records of the ECS emulator. Times are epoch milliseconds; shapes for the API (epoch
 * seconds) and for events (ISO strings) are built from these by shapes.ts.
 */

export type InstanceStatus =
  'ACTIVE' | 'DRAINING' | 'INACTIVE' | 'REGISTERING' | 'DEREGISTERING' | 'REGISTRATION_FAILED';

export interface ClusterRecord {
  name: string;
  arn: string;
  status: 'ACTIVE' | 'INACTIVE';
  tags: { key: string; value: string }[];
  createdAt: number;
}

export interface PortMapping {
  containerPort: number;
  hostPort?: number;
  protocol: 'tcp' | 'udp';
}

export interface ContainerDefinition {
  name: string;
  image: string;
  cpu: number;
  memory?: number;
  memoryReservation?: number;
  essential: boolean;
  portMappings: PortMapping[];
  /** Everything else the caller sent, returned verbatim by DescribeTaskDefinition. */
  extra: Record<string, unknown>;
}

export interface TaskDefinitionRecord {
  family: string;
  revision: number;
  arn: string;
  status: 'ACTIVE' | 'INACTIVE';
  containers: ContainerDefinition[];
  /** Task-level size as sent (strings), if any. */
  cpu?: string;
  memory?: string;
  networkMode: string;
  placementConstraints: { type: string; expression?: string }[];
  requiresCompatibilities: string[];
  registeredAt: number;
  deregisteredAt?: number;
  extra: Record<string, unknown>;
}

export interface ResourceAmounts {
  cpu: number;
  memory: number;
  /** Static host ports (strings, as ECS lists them). */
  tcp: string[];
  udp: string[];
}

export interface InstanceRecord {
  id: string;
  arn: string;
  cluster: string;
  clusterArn: string;
  ec2InstanceId: string;
  status: InstanceStatus;
  agentConnected: boolean;
  version: number;
  registeredAt: number;
  updatedAt: number;
  /** Insertion-ordered; `undefined` value = attribute without a value (capabilities). */
  attributes: Map<string, string | undefined>;
  registered: ResourceAmounts;
  remainingCpu: number;
  remainingMemory: number;
  /** Host ports in use by tasks, in the order they were taken. */
  usedTcp: string[];
  usedUdp: string[];
  versionInfo: { agentHash?: string; agentVersion?: string; dockerVersion?: string };
  /** Tasks placed here that are not yet STOPPED. */
  tasks: Set<TaskRecord>;
  runningTasksCount: number;
  pendingTasksCount: number;
  /** Task group → number of not-yet-STOPPED tasks of that group here (for task:group). */
  groupCounts: Map<string, number>;
  /** Order key in the cluster's instance index. */
  order: number;
  deregisteredAt?: number;
  /** Cached plain attribute object for CQL views; cleared on attribute change. */
  attributeView?: Record<string, string | undefined>;
}

export type TaskLastStatus = 'PENDING' | 'RUNNING' | 'STOPPED';

export interface TaskContainer {
  id: string;
  name: string;
  image: string;
  cpu: number;
  memory?: number;
  memoryReservation?: number;
  lastStatus: TaskLastStatus;
  runtimeId?: string;
  imageDigest?: string;
  exitCode?: number;
  reason?: string;
  bindings: { containerPort: number; hostPort: number; protocol: 'tcp' | 'udp' }[];
}

export interface TaskRecord {
  id: string;
  arn: string;
  cluster: string;
  clusterArn: string;
  instanceArn: string;
  availabilityZone?: string;
  cpuArchitecture?: string;
  taskDefinitionArn: string;
  family: string;
  group: string;
  startedBy?: string;
  lastStatus: TaskLastStatus;
  desiredStatus: 'RUNNING' | 'STOPPED';
  version: number;
  createdAt: number;
  updatedAt: number;
  pullStartedAt?: number;
  pullStoppedAt?: number;
  startedAt?: number;
  stoppingAt?: number;
  executionStoppedAt?: number;
  stoppedAt?: number;
  stoppedReason?: string;
  stopCode?: string;
  cpu: number;
  memory: number;
  containers: TaskContainer[];
  overrides: Record<string, unknown>;
  tags: { key: string; value: string }[];
  /** Static host ports this task holds on its instance. */
  tcpPorts: string[];
  udpPorts: string[];
}

/** One state change of a task or container instance: `detail` is the ECS event detail. */
export interface EcsChange {
  kind: 'task' | 'container-instance';
  detail: Record<string, unknown>;
  /** ISO-8601 time of the change (= detail.updatedAt). */
  time: string;
  /**
   * For a task change: the fields a watcher of placements reads, as of the change, without the
   * cost of building `detail` (a JSON parse of the whole task per change).
   */
  task?: TaskChangeSummary;
}

/** A task's identity, place and status at one change (the same values as in `detail`). */
export interface TaskChangeSummary {
  taskArn: string;
  containerInstanceArn: string;
  group: string;
  lastStatus: string;
  desiredStatus: string;
  taskDefinitionArn: string;
  startedBy?: string;
}

export type EcsChangeListener = (change: EcsChange) => void;
