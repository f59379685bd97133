import type {
  ContainerDetail,
  ContainerInstanceDetail,
  NetworkBinding,
  Resource,
  TaskDetail,
} from '../../core/ecs/entities.js';

/**
 * Blox v0.3's entity JSON (swagger models `TaskDetail` / `ContainerInstanceDetail`), built from
 * our stored ECS detail. Keys are in v0.3's order (go-swagger sorts them, upper case first), the
 * required fields are always present (`null` when ECS did not send them — v0.3 refused such
 * records and answered 500, or 200 with an error body), optional fields are left out when empty
 * exactly where v0.3's `omitempty` did, including an `exitCode` of 0. Pure.
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const s = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const n = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function setIf(o: Record<string, Json>, key: string, v: unknown): void {
  // Go's omitempty on strings and integers: absent, "" and 0 are all left out.
  if (typeof v === 'string' ? v !== '' : typeof v === 'number' ? v !== 0 && Number.isFinite(v) : false)
    o[key] = v as Json;
}

function binding(b: NetworkBinding): Json {
  const o: Record<string, Json> = {
    bindIP: s(b.bindIP),
    containerPort: n(b.containerPort),
    hostPort: n(b.hostPort),
  };
  setIf(o, 'protocol', b.protocol);
  return o;
}

function container(c: ContainerDetail): Json {
  const o: Record<string, Json> = { containerARN: s(c.containerArn) };
  setIf(o, 'exitCode', c.exitCode);
  o.lastStatus = s(c.lastStatus);
  o.name = s(c.name);
  o.networkBindings = Array.isArray(c.networkBindings) ? c.networkBindings.map(binding) : null;
  setIf(o, 'reason', c.reason);
  return o;
}

function overrides(d: TaskDetail): Json {
  const ov = d.overrides && typeof d.overrides === 'object' ? d.overrides : {};
  const list = Array.isArray(ov.containerOverrides) ? ov.containerOverrides : [];
  const o: Record<string, Json> = {
    containerOverrides: list.map((c) => ({
      command: Array.isArray(c.command) ? c.command.map((x) => String(x)) : null,
      environment: Array.isArray(c.environment)
        ? c.environment.map((e) => ({ name: s(e.name), value: s(e.value) }))
        : null,
      name: s(c.name),
    })),
  };
  setIf(o, 'taskRoleArn', ov.taskRoleArn);
  return o;
}

export function toV03Task(d: TaskDetail): Json {
  const o: Record<string, Json> = {
    clusterARN: s(d.clusterArn),
    containerInstanceARN: s(d.containerInstanceArn),
    containers: Array.isArray(d.containers) ? d.containers.map(container) : [],
    createdAt: s(d.createdAt),
    desiredStatus: s(d.desiredStatus),
    lastStatus: s(d.lastStatus),
    overrides: overrides(d),
  };
  setIf(o, 'startedAt', d.startedAt);
  setIf(o, 'startedBy', d.startedBy);
  setIf(o, 'stoppedAt', d.stoppedAt);
  setIf(o, 'stoppedReason', d.stoppedReason);
  o.taskARN = s(d.taskArn);
  o.taskDefinitionARN = s(d.taskDefinitionArn);
  return o;
}

/** A resource's value as v0.3 formatted it: always a string, by declared (upper-case) type. */
export function resourceValueString(r: Resource): string {
  switch (r.type) {
    case 'DOUBLE':
      return n(r.doubleValue) === null ? '' : r.doubleValue!.toFixed(2);
    case 'INTEGER':
      return n(r.integerValue) === null ? '' : String(Math.trunc(r.integerValue!));
    case 'LONG':
      return n(r.longValue) === null ? '' : String(Math.trunc(r.longValue!));
    case 'STRINGSET':
      return Array.isArray(r.stringSetValue) ? r.stringSetValue.join(',') : '';
    default:
      return '';
  }
}

function resources(list: Resource[] | undefined): Json {
  // Required in v0.3's model: an array, empty when ECS sent none.
  return Array.isArray(list)
    ? list.map((r) => ({ name: s(r.name), type: s(r.type), value: resourceValueString(r) }))
    : [];
}

export function toV03Instance(d: ContainerInstanceDetail): Json {
  const o: Record<string, Json> = {};
  setIf(o, 'EC2InstanceID', d.ec2InstanceId);
  o.agentConnected = typeof d.agentConnected === 'boolean' ? d.agentConnected : null;
  setIf(o, 'agentUpdateStatus', d.agentUpdateStatus);
  o.attributes = Array.isArray(d.attributes)
    ? d.attributes.map((a) => ({ name: s(a.name), value: s(a.value) }))
    : null;
  o.clusterARN = s(d.clusterArn);
  o.containerInstanceARN = s(d.containerInstanceArn);
  o.registeredResources = resources(d.registeredResources);
  o.remainingResources = resources(d.remainingResources);
  o.status = s(d.status);
  if (d.versionInfo && typeof d.versionInfo === 'object') {
    const v: Record<string, Json> = {};
    setIf(v, 'agentHash', d.versionInfo.agentHash);
    setIf(v, 'agentVersion', d.versionInfo.agentVersion);
    setIf(v, 'dockerVersion', d.versionInfo.dockerVersion);
    o.versionInfo = v;
  } else {
    o.versionInfo = null;
  }
  return o;
}
