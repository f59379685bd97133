import type { InstanceRecord, TaskDefinitionRecord, TaskRecord } from './types.js';
import { isoTime } from './iso-time.js';

/**
 * Builders of the shapes clients see, from one record: the API form (epoch-second numbers,
 * healthStatus, tags, zero-filled Resource members) and the event `detail` form (ISO strings,
 * updatedAt). Keys whose value would be null are left out. Key order follows the samples.
 */

export type ShapeMode = 'api' | 'event';

/** Epoch seconds as a JSON number with up to 3 decimals (awsJson1_1 timestamps). */
export function epochSeconds(ms: number): number {
  return ms / 1000;
}

function time(ms: number | undefined, mode: ShapeMode): string | number | undefined {
  if (ms === undefined) return undefined;
  return mode === 'api' ? epochSeconds(ms) : isoTime(ms);
}

/** Copies defined members only, in the given order. */
function compact(entries: [string, unknown][]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) if (v !== undefined) out[k] = v;
  return out;
}

export function taskShape(task: TaskRecord, mode: ShapeMode): Record<string, unknown> {
  const api = mode === 'api';
  const containers = task.containers.map((c) =>
    compact([
      ['containerArn', containerArn(task, c.id)],
      ['exitCode', c.exitCode],
      ['lastStatus', c.lastStatus],
      ['name', c.name],
      ['image', c.image],
      ['imageDigest', c.imageDigest],
      ['runtimeId', c.runtimeId],
      ['reason', c.reason],
      ['taskArn', task.arn],
      [
        'networkBindings',
        c.runtimeId === undefined ? undefined : c.bindings.map((b) => ({ bindIP: '0.0.0.0', ...b })),
      ],
      ['networkInterfaces', []],
      ['healthStatus', api ? 'UNKNOWN' : undefined],
      ['cpu', String(c.cpu)],
      ['memory', c.memory === undefined ? undefined : String(c.memory)],
      ['memoryReservation', c.memoryReservation === undefined ? undefined : String(c.memoryReservation)],
    ]),
  );
  const overrides = api ? { ...task.overrides, inferenceAcceleratorOverrides: [] } : task.overrides;
  return compact([
    ['attachments', []],
    [
      'attributes',
      task.cpuArchitecture ? [{ name: 'ecs.cpu-architecture', value: task.cpuArchitecture }] : [],
    ],
    ['availabilityZone', task.availabilityZone],
    ['clusterArn', task.clusterArn],
    ['connectivity', 'CONNECTED'],
    ['connectivityAt', time(task.createdAt, mode)],
    ['containerInstanceArn', task.instanceArn],
    ['containers', containers],
    ['cpu', String(task.cpu)],
    ['createdAt', time(task.createdAt, mode)],
    ['desiredStatus', task.desiredStatus],
    ['enableExecuteCommand', false],
    ['executionStoppedAt', time(task.executionStoppedAt, mode)],
    ['group', task.group],
    ['healthStatus', api ? 'UNKNOWN' : undefined],
    ['lastStatus', task.lastStatus],
    ['launchType', 'EC2'],
    ['memory', String(task.memory)],
    ['overrides', overrides],
    ['pullStartedAt', time(task.pullStartedAt, mode)],
    ['pullStoppedAt', time(task.pullStoppedAt, mode)],
    ['startedAt', time(task.startedAt, mode)],
    ['startedBy', task.startedBy],
    ['stopCode', task.stopCode],
    ['stoppedAt', time(task.stoppedAt, mode)],
    ['stoppedReason', task.stoppedReason],
    ['stoppingAt', time(task.stoppingAt, mode)],
    ['tags', api ? task.tags.map((t) => ({ ...t })) : undefined],
    ['taskArn', task.arn],
    ['taskDefinitionArn', task.taskDefinitionArn],
    ['updatedAt', api ? undefined : time(task.updatedAt, mode)],
    ['version', task.version],
  ]);
}

/** `arn:…:container/<cluster>/<task id>/<uuid>` from the task ARN's prefix. */
function containerArn(task: TaskRecord, id: string): string {
  const prefix = task.arn.slice(0, task.arn.indexOf(':task/'));
  return `${prefix}:container/${task.cluster}/${task.id}/${id}`;
}

function resources(
  cpu: number,
  memory: number,
  tcp: readonly string[],
  udp: readonly string[],
  mode: ShapeMode,
): Record<string, unknown>[] {
  const zero = mode === 'api';
  const integer = (name: string, value: number) =>
    zero
      ? { name, type: 'INTEGER', doubleValue: 0.0, longValue: 0, integerValue: value }
      : { name, type: 'INTEGER', integerValue: value };
  const set = (name: string, value: readonly string[]) =>
    zero
      ? {
          name,
          type: 'STRINGSET',
          doubleValue: 0.0,
          longValue: 0,
          integerValue: 0,
          stringSetValue: [...value],
        }
      : { name, type: 'STRINGSET', stringSetValue: [...value] };
  return [integer('CPU', cpu), integer('MEMORY', memory), set('PORTS', tcp), set('PORTS_UDP', udp)];
}

/** Remaining PORTS = the instance's reserved ports plus host ports in use by tasks. */
export function remainingPorts(reserved: readonly string[], used: readonly string[]): string[] {
  if (used.length === 0) return [...reserved];
  const out = [...reserved];
  for (const p of used) if (!out.includes(p)) out.push(p);
  return out;
}

export function attributeList(
  attributes: Map<string, string | undefined>,
): { name: string; value?: string }[] {
  const out: { name: string; value?: string }[] = [];
  for (const [name, value] of attributes) out.push(value === undefined ? { name } : { name, value });
  return out;
}

export function instanceShape(inst: InstanceRecord, mode: ShapeMode): Record<string, unknown> {
  const r = inst.registered;
  return compact([
    ['agentConnected', inst.agentConnected],
    ['attachments', []],
    ['attributes', attributeList(inst.attributes)],
    ['clusterArn', inst.clusterArn],
    ['containerInstanceArn', inst.arn],
    ['ec2InstanceId', inst.ec2InstanceId],
    ['pendingTasksCount', inst.pendingTasksCount],
    ['registeredAt', time(inst.registeredAt, mode)],
    ['registeredResources', resources(r.cpu, r.memory, r.tcp, r.udp, mode)],
    [
      'remainingResources',
      resources(
        inst.remainingCpu,
        inst.remainingMemory,
        remainingPorts(r.tcp, inst.usedTcp),
        remainingPorts(r.udp, inst.usedUdp),
        mode,
      ),
    ],
    ['runningTasksCount', inst.runningTasksCount],
    ['status', inst.status],
    ['updatedAt', mode === 'event' ? time(inst.updatedAt, mode) : undefined],
    ['version', inst.version],
    ['versionInfo', { ...inst.versionInfo }],
  ]);
}

export function taskDefinitionShape(td: TaskDefinitionRecord): Record<string, unknown> {
  return compact([
    ['taskDefinitionArn', td.arn],
    [
      'containerDefinitions',
      td.containers.map((c) =>
        compact([
          ['name', c.name],
          ['image', c.image],
          ['cpu', c.cpu],
          ['memory', c.memory],
          ['memoryReservation', c.memoryReservation],
          ['portMappings', c.portMappings.map((p) => ({ ...p }))],
          ['essential', c.essential],
          ...Object.entries(c.extra),
        ]),
      ),
    ],
    ['family', td.family],
    ['networkMode', td.networkMode],
    ['revision', td.revision],
    ['volumes', []],
    ['status', td.status],
    ['requiresAttributes', []],
    ['placementConstraints', td.placementConstraints.map((p) => ({ ...p }))],
    ['compatibilities', ['EXTERNAL', 'EC2']],
    [
      'requiresCompatibilities',
      td.requiresCompatibilities.length ? [...td.requiresCompatibilities] : undefined,
    ],
    ['cpu', td.cpu],
    ['memory', td.memory],
    ['registeredAt', epochSeconds(td.registeredAt)],
    ['deregisteredAt', td.deregisteredAt === undefined ? undefined : epochSeconds(td.deregisteredAt)],
    ...Object.entries(td.extra),
  ]);
}
