import { AttributeMap } from './attribute-map.js';
import { buildContainerInstanceArn } from '../../core/arn.js';
import {
  CqlSyntaxError,
  matchesCql,
  parseCql,
  type CqlExpression,
  type CqlInstanceView,
} from '../../core/cql/index.js';
import { AwsError } from '../http/aws-error.js';
import { validateAttribute } from './attributes.js';
import type { EcsContext } from './context.js';
import { DEFAULT_AGENT_VERSION_INFO, DEFAULT_RESERVED_PORTS, INSTANCE_TYPES } from './instance-types.js';
import { requestStop, resumeTasks } from './lifecycle.js';
import { instanceShape } from './shapes.js';
import type { ClusterRecord, InstanceRecord, InstanceStatus } from './types.js';
import {
  asInput,
  decodeToken,
  encodeToken,
  invalidParameter,
  optBoolean,
  optObject,
  optObjectList,
  optString,
  pageSize,
  reqString,
  reqStringList,
  type Input,
} from './validate.js';

/**
 * RegisterContainerInstance (as the ECS agent calls it), DeregisterContainerInstance,
 * DescribeContainerInstances, ListContainerInstances, UpdateContainerInstancesState, plus the
 * agent connect/disconnect the fleet simulation drives.
 */

export interface InstanceSpec {
  ec2InstanceId?: string;
  instanceType?: string;
  availabilityZone?: string;
  amiId?: string;
  architecture?: string;
  cpu?: number;
  memory?: number;
  ports?: string[];
  udpPorts?: string[];
  /** Attributes the agent sends (capabilities, custom); `ecs.*` built-ins here override ours. */
  attributes?: { name: string; value?: string }[];
  versionInfo?: { agentHash?: string; agentVersion?: string; dockerVersion?: string };
}

const BUILT_IN_ORDER = [
  'ecs.ami-id',
  'ecs.availability-zone',
  'ecs.instance-type',
  'ecs.os-type',
  'ecs.os-family',
  'ecs.cpu-architecture',
  'ecs.vpc-id',
  'ecs.subnet-id',
];

/** Adds a container instance to a cluster as ECS does on the agent's registration. */
export function addInstance(ctx: EcsContext, cluster: ClusterRecord, spec: InstanceSpec): InstanceRecord {
  const given = new Map<string, string | undefined>();
  for (const a of spec.attributes ?? []) given.set(a.name, a.value);
  const instanceType = given.get('ecs.instance-type') ?? spec.instanceType ?? 'm5.large';
  const type = INSTANCE_TYPES[instanceType];
  const az = given.get('ecs.availability-zone') ?? spec.availabilityZone ?? `${ctx.scope.region}a`;
  const arch = given.get('ecs.cpu-architecture') ?? spec.architecture ?? type?.architecture ?? 'x86_64';
  const builtIns: Record<string, string> = {
    'ecs.ami-id': spec.amiId ?? `ami-0${ctx.random.hex(16)}`,
    'ecs.availability-zone': az,
    'ecs.instance-type': instanceType,
    'ecs.os-type': 'linux',
    'ecs.os-family': 'LINUX',
    'ecs.cpu-architecture': arch,
    'ecs.vpc-id': `vpc-0${ctx.random.hex(16)}`,
    'ecs.subnet-id': `subnet-0${ctx.random.hex(16)}`,
  };
  // Order as the agent's registration shows it: capabilities, built-ins, then custom attributes.
  const attributes = new AttributeMap();
  for (const [name, value] of given)
    if (value === undefined && !BUILT_IN_ORDER.includes(name)) attributes.set(name, value);
  for (const name of BUILT_IN_ORDER) attributes.set(name, given.get(name) ?? builtIns[name]);
  for (const [name, value] of given) if (!attributes.has(name)) attributes.set(name, value);

  const id = ctx.random.hex(32);
  const now = ctx.now();
  const inst: InstanceRecord = {
    id,
    arn: buildContainerInstanceArn(ctx.scope, cluster.name, id),
    cluster: cluster.name,
    clusterArn: cluster.arn,
    ec2InstanceId: spec.ec2InstanceId ?? ctx.random.ec2InstanceId(),
    status: 'ACTIVE',
    agentConnected: true,
    version: 0,
    registeredAt: now,
    updatedAt: now,
    attributes,
    registered: {
      cpu: spec.cpu ?? (type ? type.vcpus * 1024 : 2048),
      memory: spec.memory ?? type?.memoryMiB ?? 7680,
      tcp: spec.ports ?? [...DEFAULT_RESERVED_PORTS],
      udp: spec.udpPorts ?? [],
    },
    remainingCpu: 0,
    remainingMemory: 0,
    usedTcp: [],
    usedUdp: [],
    versionInfo: { ...(spec.versionInfo ?? DEFAULT_AGENT_VERSION_INFO) },
    tasks: new Set(),
    runningTasksCount: 0,
    pendingTasksCount: 0,
    groupCounts: new Map(),
    order: 0,
  };
  inst.remainingCpu = inst.registered.cpu;
  inst.remainingMemory = inst.registered.memory;
  ctx.state.addInstance(inst);
  ctx.instanceChanged(inst);
  return inst;
}

export function registerContainerInstance(ctx: EcsContext, raw: unknown): unknown {
  const input = asInput(raw);
  const cluster = ctx.cluster(input);
  const existingRef = optString(input, 'containerInstanceArn');
  const spec: InstanceSpec = {};
  const doc = optString(input, 'instanceIdentityDocument');
  if (doc !== undefined && doc !== '') {
    let parsed: Input;
    try {
      parsed = asInput(JSON.parse(doc));
    } catch {
      throw new AwsError(
        'ClientException',
        'instanceIdentityDocument is not a valid JSON instance identity document.',
      );
    }
    if (typeof parsed.instanceId === 'string') spec.ec2InstanceId = parsed.instanceId;
    if (typeof parsed.instanceType === 'string') spec.instanceType = parsed.instanceType;
    if (typeof parsed.availabilityZone === 'string') spec.availabilityZone = parsed.availabilityZone;
    if (typeof parsed.imageId === 'string') spec.amiId = parsed.imageId;
    if (typeof parsed.architecture === 'string') spec.architecture = parsed.architecture;
  }
  const attributes = optObjectList(input, 'attributes') ?? [];
  spec.attributes = attributes.map((a) => validateAttribute(a, { allowBuiltIn: true }));
  for (const r of optObjectList(input, 'totalResources') ?? []) {
    if (r.name === 'CPU' && typeof r.integerValue === 'number') spec.cpu = r.integerValue;
    else if (r.name === 'MEMORY' && typeof r.integerValue === 'number') spec.memory = r.integerValue;
    else if (r.name === 'PORTS' && Array.isArray(r.stringSetValue)) spec.ports = r.stringSetValue.map(String);
    else if (r.name === 'PORTS_UDP' && Array.isArray(r.stringSetValue))
      spec.udpPorts = r.stringSetValue.map(String);
  }
  const versionInfo = optObject(input, 'versionInfo');
  if (versionInfo) {
    const v: InstanceSpec['versionInfo'] = {};
    for (const k of ['agentHash', 'agentVersion', 'dockerVersion'] as const)
      if (typeof versionInfo[k] === 'string') v[k] = versionInfo[k] as string;
    spec.versionInfo = v;
  }
  if (existingRef) {
    // The agent re-registers after a restart with its previous ARN: same instance, reconnected.
    const inst = ctx.state.findInstance(cluster.name, existingRef);
    if (inst && inst.status !== 'INACTIVE') {
      for (const a of spec.attributes) inst.attributes.set(a.name, a.value);
      if (spec.versionInfo) inst.versionInfo = spec.versionInfo;
      setAgentConnected(ctx, inst, true, { force: true });
      return { containerInstance: instanceShape(inst, 'api') };
    }
  }
  return { containerInstance: instanceShape(addInstance(ctx, cluster, spec), 'api') };
}

export function findInstanceOrThrow(ctx: EcsContext, cluster: ClusterRecord, ref: string): InstanceRecord {
  const inst = ctx.state.findInstance(cluster.name, ref);
  if (!inst) throw invalidParameter('The referenced container instance was not found.');
  return inst;
}

export function deregisterContainerInstance(ctx: EcsContext, raw: unknown): unknown {
  const input = asInput(raw);
  const cluster = ctx.cluster(input);
  const inst = findInstanceOrThrow(ctx, cluster, reqString(input, 'containerInstance', 'containerInstance'));
  const force = optBoolean(input, 'force') ?? false;
  if (inst.status === 'INACTIVE') return { containerInstance: instanceShape(inst, 'api') };
  const live = [...inst.tasks].filter((t) => t.desiredStatus === 'RUNNING');
  if (live.length > 0 && !force)
    throw invalidParameter(
      'Found running tasks on the container instance. Stop them or deregister with force to orphan them.',
    );
  deregister(ctx, inst, {
    reason: 'Container instance deregistered with force; the task was orphaned.',
    stopCode: 'UserInitiated',
  });
  return { containerInstance: instanceShape(inst, 'api') };
}

/**
 * INACTIVE, agent disconnected, tasks stopped with the given reason, describable for the
 * retention period and then gone.
 */
export function deregister(
  ctx: EcsContext,
  inst: InstanceRecord,
  stop: { reason: string; stopCode: string; exitCode?: number },
): void {
  if (inst.status === 'INACTIVE') return;
  for (const task of [...inst.tasks]) requestStop(ctx, task, { ...stop, immediate: true });
  inst.status = 'INACTIVE';
  inst.agentConnected = false;
  inst.deregisteredAt = ctx.now();
  ctx.instanceChanged(inst);
  ctx.timers.schedule(ctx.timings.stoppedTaskRetentionMs, () => ctx.state.removeInstance(inst));
}

export function describeContainerInstances(ctx: EcsContext, raw: unknown): unknown {
  const input = asInput(raw);
  const cluster = ctx.cluster(input);
  const refs = reqStringList(input, 'containerInstances', 'containerInstances');
  if (refs.length > 100) throw invalidParameter('containerInstances cannot have more than 100 elements.');
  const containerInstances: unknown[] = [];
  const failures: unknown[] = [];
  for (const ref of refs) {
    const inst = ctx.state.findInstance(cluster.name, ref);
    if (inst) containerInstances.push(instanceShape(inst, 'api'));
    else
      failures.push({
        arn: ref.startsWith('arn:') ? ref : buildContainerInstanceArn(ctx.scope, cluster.name, ref),
        reason: 'MISSING',
      });
  }
  return { containerInstances, failures };
}

const LISTABLE_STATUSES = [
  'ACTIVE',
  'DRAINING',
  'REGISTERING',
  'DEREGISTERING',
  'REGISTRATION_FAILED',
  'INACTIVE',
];

export function cqlView(inst: InstanceRecord): CqlInstanceView {
  inst.attributeView ??= Object.fromEntries(inst.attributes);
  return {
    ec2InstanceId: inst.ec2InstanceId,
    agentConnected: inst.agentConnected,
    agentVersion: inst.versionInfo.agentVersion,
    registeredAt: inst.registeredAt,
    runningTasksCount: inst.runningTasksCount,
    attributes: inst.attributeView,
    taskGroups: [...inst.groupCounts.keys()],
  };
}

export function parseFilter(filter: string): CqlExpression {
  try {
    return parseCql(filter);
  } catch (err) {
    if (err instanceof CqlSyntaxError) throw invalidParameter(err.message);
    throw err;
  }
}

export function listContainerInstances(ctx: EcsContext, raw: unknown): unknown {
  const input = asInput(raw);
  const cluster = ctx.cluster(input);
  const status = optString(input, 'status');
  if (status !== undefined && !LISTABLE_STATUSES.includes(status))
    throw invalidParameter(`Invalid status '${status}'. Valid values: ${LISTABLE_STATUSES.join(', ')}.`);
  const filterText = optString(input, 'filter');
  const filter = filterText === undefined || filterText.trim() === '' ? undefined : parseFilter(filterText);
  const limit = pageSize(input);
  const after = decodeToken(input, 'instances');
  const index = ctx.state.instancesOf(cluster.name);
  if (!index) return { containerInstanceArns: [] };
  const { items, next } = index.page(after, limit, ctx.state.isInstanceLive, (inst) => {
    if (status === undefined ? inst.status === 'INACTIVE' : inst.status !== status) return false;
    return filter === undefined || matchesFilter(filter, inst);
  });
  return { containerInstanceArns: items.map((i) => i.arn), nextToken: encodeToken('instances', next) };
}

function matchesFilter(filter: CqlExpression, inst: InstanceRecord): boolean {
  return matchesCql(filter, cqlView(inst));
}

export function updateContainerInstancesState(ctx: EcsContext, raw: unknown): unknown {
  const input = asInput(raw);
  const cluster = ctx.cluster(input);
  const refs = reqStringList(input, 'containerInstances', 'containerInstances');
  if (refs.length > 10) throw invalidParameter('containerInstances cannot have more than 10 elements.');
  const status = reqString(input, 'status', 'status');
  if (status !== 'ACTIVE' && status !== 'DRAINING')
    throw invalidParameter(`Invalid status '${status}'. Valid values: ACTIVE, DRAINING.`);
  const containerInstances: unknown[] = [];
  const failures: unknown[] = [];
  for (const ref of refs) {
    const inst = ctx.state.findInstance(cluster.name, ref);
    const arn = ref.startsWith('arn:') ? ref : buildContainerInstanceArn(ctx.scope, cluster.name, ref);
    if (!inst) failures.push({ arn, reason: 'MISSING' });
    else if (inst.status === 'INACTIVE') failures.push({ arn: inst.arn, reason: 'INACTIVE' });
    else {
      setStatus(ctx, inst, status);
      containerInstances.push(instanceShape(inst, 'api'));
    }
  }
  return { containerInstances, failures };
}

/**
 * DRAINING stops no task here: ECS replaces *service* tasks on a draining instance, and the
 * emulator has no services, so standalone tasks keep running until someone stops them.
 */
export function setStatus(ctx: EcsContext, inst: InstanceRecord, status: InstanceStatus): void {
  if (inst.status === status) return;
  inst.status = status;
  ctx.instanceChanged(inst);
}

export function setAgentConnected(
  ctx: EcsContext,
  inst: InstanceRecord,
  connected: boolean,
  options: { force?: boolean } = {},
): void {
  if (inst.status === 'INACTIVE') return;
  if (inst.agentConnected === connected && !options.force) return;
  inst.agentConnected = connected;
  ctx.instanceChanged(inst);
  if (connected) resumeTasks(ctx, inst);
}
