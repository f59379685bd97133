import { AttributeMap } from './attribute-map.js';
import { remainingPorts } from './shapes.js';
import { opt, optIso } from './task-json.js';
import type { InstanceRecord } from './types.js';

/*
 * A container instance's event detail written straight to text: byte for byte
 * `JSON.stringify(instanceShape(inst, 'event'))` (same keys, order and omissions — a test holds
 * them together), without building the shape objects first (the task's is taskEventJson in
 * task-json.ts). Every state change writes one, so this is the emulator's busiest serialisation.
 * Every value still goes through JSON.stringify, so escaping is exactly JSON's.
 *
 * Most of an instance's detail does not move between its events (ARNs, EC2 id, attributes,
 * registration, agent versions): those parts are kept per instance with the values they were
 * written from, and written again only when one of those values changed.
 */

const J = JSON.stringify;

/** The event form of resources(): `[CPU, MEMORY, PORTS, PORTS_UDP]` as JSON text (ports given as JSON). */
function resourcesEventJson(cpu: number, memory: number, tcpJson: string, udpJson: string): string {
  return (
    `[{"name":"CPU","type":"INTEGER","integerValue":${J(cpu)}}` +
    `,{"name":"MEMORY","type":"INTEGER","integerValue":${J(memory)}}` +
    `,{"name":"PORTS","type":"STRINGSET","stringSetValue":${tcpJson}}` +
    `,{"name":"PORTS_UDP","type":"STRINGSET","stringSetValue":${udpJson}}]`
  );
}

/**
 * The last JSON written for each instance's attribute map, with what it was written from: an
 * AttributeMap's change count, or (any other map) its entries: attributes rarely change, but
 * every change of the instance writes them, and knowing they did not is far cheaper than
 * escaping and joining them again.
 */
const attributesWritten = new WeakMap<
  Map<string, string | undefined>,
  { changes: number; entries: (string | undefined)[] | undefined; json: string }
>();

function attributesJson(attributes: Map<string, string | undefined>): string {
  const last = attributesWritten.get(attributes);
  const counted = attributes instanceof AttributeMap;
  if (last) {
    if (counted ? last.changes === attributes.changes : sameEntries(attributes, last.entries!))
      return last.json;
  }
  let entries: (string | undefined)[] | undefined;
  if (!counted) {
    entries = [];
    for (const [name, value] of attributes) entries.push(name, value);
  }
  const json = writeAttributes(attributes);
  attributesWritten.set(attributes, { changes: counted ? attributes.changes : 0, entries, json });
  return json;
}

/** Whether the map holds exactly `entries` (name, value, name, value, …) in that order. */
function sameEntries(attributes: Map<string, string | undefined>, entries: (string | undefined)[]): boolean {
  if (attributes.size * 2 !== entries.length) return false;
  let i = 0;
  for (const [name, value] of attributes) {
    if (entries[i] !== name || entries[i + 1] !== value) return false;
    i += 2;
  }
  return true;
}

function writeAttributes(attributes: Map<string, string | undefined>): string {
  let out = '';
  for (const [name, value] of attributes)
    out +=
      (out === '' ? '{"name":' : ',{"name":') +
      J(name) +
      (value === undefined ? '}' : `,"value":${J(value)}}`);
  return `[${out}]`;
}

/** The parts of an instance's detail that rarely change, with the values each was written from. */
interface SteadyParts {
  /** `,"attachments":[],"attributes":…` through ec2InstanceId. */
  identity: string;
  attributes: string;
  clusterArn: string;
  arn: string;
  ec2InstanceId: string;
  /** `,"registeredAt":…,"registeredResources":[…]`. */
  registration: string;
  registeredAt: number;
  registered: InstanceRecord['registered'] | undefined;
  /** JSON of the registered ports: the remaining ones while none is in use. */
  tcp: string;
  udp: string;
  /** `,"versionInfo":{…}`. */
  versionText: string;
  versionInfo: InstanceRecord['versionInfo'] | undefined;
  agentHash: string | undefined;
  agentVersion: string | undefined;
  dockerVersion: string | undefined;
}

const steady = new WeakMap<InstanceRecord, SteadyParts>();

/** Parts written from nothing: every section differs from its instance's values (attribute JSON is never ''). */
function unwritten(): SteadyParts {
  return {
    identity: '',
    attributes: '',
    clusterArn: '',
    arn: '',
    ec2InstanceId: '',
    registration: '',
    registeredAt: NaN,
    registered: undefined,
    tcp: '',
    udp: '',
    versionText: '',
    versionInfo: undefined,
    agentHash: undefined,
    agentVersion: undefined,
    dockerVersion: undefined,
  };
}

function steadyParts(inst: InstanceRecord): SteadyParts {
  const attributes = attributesJson(inst.attributes);
  let parts = steady.get(inst);
  if (!parts) steady.set(inst, (parts = unwritten()));
  if (
    parts.attributes !== attributes ||
    parts.clusterArn !== inst.clusterArn ||
    parts.arn !== inst.arn ||
    parts.ec2InstanceId !== inst.ec2InstanceId
  ) {
    parts.identity = identityJson(inst, attributes);
    parts.attributes = attributes;
    parts.clusterArn = inst.clusterArn;
    parts.arn = inst.arn;
    parts.ec2InstanceId = inst.ec2InstanceId;
  }
  const r = inst.registered;
  if (parts.registeredAt !== inst.registeredAt || parts.registered !== r) {
    parts.tcp = J(r.tcp);
    parts.udp = J(r.udp);
    parts.registration =
      optIso('registeredAt', inst.registeredAt) +
      `,"registeredResources":${resourcesEventJson(r.cpu, r.memory, parts.tcp, parts.udp)}`;
    parts.registeredAt = inst.registeredAt;
    parts.registered = r;
  }
  const v = inst.versionInfo;
  if (
    parts.versionInfo !== v ||
    parts.agentHash !== v.agentHash ||
    parts.agentVersion !== v.agentVersion ||
    parts.dockerVersion !== v.dockerVersion
  ) {
    parts.versionText = `,"versionInfo":${J({ ...v })}`;
    parts.versionInfo = v;
    parts.agentHash = v.agentHash;
    parts.agentVersion = v.agentVersion;
    parts.dockerVersion = v.dockerVersion;
  }
  return parts;
}

function identityJson(inst: InstanceRecord, attributes: string): string {
  return (
    `,"attachments":[],"attributes":${attributes}` +
    opt('clusterArn', inst.clusterArn) +
    opt('containerInstanceArn', inst.arn) +
    opt('ec2InstanceId', inst.ec2InstanceId)
  );
}

/** The `detail` of a container instance's state-change event as JSON text. */
export function instanceEventJson(inst: InstanceRecord): string {
  const parts = steadyParts(inst);
  const r = inst.registered;
  // with no port in use the remaining ports are the registered ones (a copy, in their order)
  const tcp = inst.usedTcp.length === 0 ? parts.tcp : J(remainingPorts(r.tcp, inst.usedTcp));
  const udp = inst.usedUdp.length === 0 ? parts.udp : J(remainingPorts(r.udp, inst.usedUdp));
  return (
    (inst.agentConnected ? '{"agentConnected":true' : '{"agentConnected":false') +
    parts.identity +
    opt('pendingTasksCount', inst.pendingTasksCount) +
    parts.registration +
    `,"remainingResources":${resourcesEventJson(inst.remainingCpu, inst.remainingMemory, tcp, udp)}` +
    opt('runningTasksCount', inst.runningTasksCount) +
    opt('status', inst.status) +
    optIso('updatedAt', inst.updatedAt) +
    opt('version', inst.version) +
    parts.versionText +
    '}'
  );
}
