import { buildTaskDefinitionArn, parseTaskDefinitionRef } from '../../core/arn.js';
import type { EcsContext } from './context.js';
import { taskDefinitionShape } from './shapes.js';
import type { ContainerDefinition, PortMapping, TaskDefinitionRecord } from './types.js';
import {
  asInput,
  clientError,
  decodeToken,
  encodeToken,
  invalidParameter,
  optObjectList,
  optString,
  pageSize,
  reqString,
  type Input,
} from './validate.js';

/** RegisterTaskDefinition, DeregisterTaskDefinition, DescribeTaskDefinition, ListTaskDefinitions, ListTaskDefinitionFamilies. */

const FAMILY_RE = /^[a-zA-Z0-9_-]{1,255}$/;
const KNOWN_CONTAINER_FIELDS = new Set([
  'name',
  'image',
  'cpu',
  'memory',
  'memoryReservation',
  'essential',
  'portMappings',
]);
const KNOWN_TASKDEF_FIELDS = new Set([
  'family',
  'containerDefinitions',
  'cpu',
  'memory',
  'networkMode',
  'placementConstraints',
  'requiresCompatibilities',
  'tags',
]);

export function registerTaskDefinition(ctx: EcsContext, raw: unknown): unknown {
  const input = asInput(raw);
  const family = reqString(input, 'family', 'family');
  if (!FAMILY_RE.test(family))
    throw clientError(
      'Family contains invalid characters. Up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed.',
    );
  const defs = optObjectList(input, 'containerDefinitions');
  if (!defs || defs.length === 0) throw clientError('Container list cannot be empty.');
  const containers = defs.map(containerDefinition);
  const names = new Set<string>();
  for (const c of containers) {
    if (names.has(c.name)) throw clientError(`Duplicate container name found: ${c.name}.`);
    names.add(c.name);
  }
  const cpu = sizeString(input, 'cpu');
  const memory = sizeString(input, 'memory');
  for (const c of containers)
    if (c.memory === undefined && c.memoryReservation === undefined && memory === undefined)
      throw clientError(
        `Invalid setting for container '${c.name}'. At least one of 'memory' or 'memoryReservation' must be specified.`,
      );
  const networkMode = optString(input, 'networkMode') ?? 'bridge';
  if (!['bridge', 'host', 'awsvpc', 'none'].includes(networkMode))
    throw invalidParameter(`Invalid networkMode '${networkMode}'. Valid values: bridge, host, awsvpc, none.`);
  const placementConstraints = (optObjectList(input, 'placementConstraints') ?? []).map((p) => {
    if (p.type !== 'memberOf')
      throw clientError('Task definition placement constraints only support memberOf.');
    if (typeof p.expression !== 'string' || p.expression === '')
      throw clientError('A memberOf placement constraint requires an expression.');
    return { type: 'memberOf', expression: p.expression };
  });
  if (placementConstraints.length > 10) throw clientError('Too many placement constraints (at most 10).');
  const requiresCompatibilities = Array.isArray(input.requiresCompatibilities)
    ? input.requiresCompatibilities.map(String)
    : [];
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input))
    if (!KNOWN_TASKDEF_FIELDS.has(k) && v !== undefined) extra[k] = v;

  let revisions = ctx.state.taskDefinitions.get(family);
  if (!revisions) ctx.state.taskDefinitions.set(family, (revisions = []));
  const revision = revisions.length + 1;
  const record: TaskDefinitionRecord = {
    family,
    revision,
    arn: buildTaskDefinitionArn(ctx.scope, family, revision),
    status: 'ACTIVE',
    containers,
    networkMode,
    placementConstraints,
    requiresCompatibilities,
    registeredAt: ctx.now(),
    extra,
  };
  if (cpu !== undefined) record.cpu = cpu;
  if (memory !== undefined) record.memory = memory;
  revisions.push(record);
  const tags = optObjectList(input, 'tags');
  return tags
    ? { taskDefinition: taskDefinitionShape(record), tags }
    : { taskDefinition: taskDefinitionShape(record) };
}

/**
 * A task-level size as ECS stores it: a whole number of CPU units / MiB, given as such or as
 * vCPUs ("1 vCPU", "0.5 vcpu") / GB ("2 GB", "2GB"), which ECS converts when registering.
 */
function sizeString(input: Input, field: 'cpu' | 'memory'): string | undefined {
  const v = input[field];
  if (v === undefined || v === null) return undefined;
  const text = typeof v === 'string' ? v.trim() : undefined;
  if (text !== undefined && /^\d+$/.test(text)) return text;
  const unit = field === 'cpu' ? /^(\d+(?:\.\d+)?)\s*vcpu$/i : /^(\d+(?:\.\d+)?)\s*gb$/i;
  const m = text === undefined ? null : unit.exec(text);
  const converted = m ? Number(m[1]) * 1024 : NaN;
  if (!Number.isInteger(converted) || converted <= 0)
    throw clientError(
      field === 'cpu'
        ? `Invalid 'cpu' value '${String(v)}': use a whole number of CPU units (1024 = 1 vCPU) or vCPUs such as '1 vCPU' or '0.5 vCPU'.`
        : `Invalid 'memory' value '${String(v)}': use a whole number of MiB or GB such as '2 GB' or '0.5GB'.`,
    );
  return String(converted);
}

function containerDefinition(def: Input): ContainerDefinition {
  const name = typeof def.name === 'string' ? def.name : '';
  if (!/^[a-zA-Z0-9_-]{1,255}$/.test(name))
    throw clientError('Container name must be 1-255 letters, numbers, hyphens and underscores.');
  if (typeof def.image !== 'string' || def.image === '')
    throw clientError(`Container.image should not be null or empty.`);
  const int = (field: string): number | undefined => {
    const v = def[field];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
      throw clientError(`Invalid '${field}' for container '${name}': must be a non-negative integer.`);
    return v;
  };
  const portMappings: PortMapping[] = [];
  if (def.portMappings !== undefined) {
    if (!Array.isArray(def.portMappings)) throw clientError('portMappings must be a list.');
    for (const pm of def.portMappings as Input[]) {
      const containerPort = pm.containerPort;
      if (
        typeof containerPort !== 'number' ||
        !Number.isInteger(containerPort) ||
        containerPort < 0 ||
        containerPort > 65535
      )
        throw clientError(`Invalid containerPort for container '${name}'.`);
      const hostPort = pm.hostPort;
      if (
        hostPort !== undefined &&
        (typeof hostPort !== 'number' || !Number.isInteger(hostPort) || hostPort < 0 || hostPort > 65535)
      )
        throw clientError(`Invalid hostPort for container '${name}'.`);
      const protocol = pm.protocol ?? 'tcp';
      if (protocol !== 'tcp' && protocol !== 'udp')
        throw clientError(`Invalid protocol '${String(protocol)}': tcp or udp.`);
      const mapping: PortMapping = { containerPort, protocol };
      if (typeof hostPort === 'number') mapping.hostPort = hostPort;
      portMappings.push(mapping);
    }
  }
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(def))
    if (!KNOWN_CONTAINER_FIELDS.has(k) && v !== undefined) extra[k] = v;
  const c: ContainerDefinition = {
    name,
    image: def.image,
    cpu: int('cpu') ?? 0,
    essential: def.essential !== false,
    portMappings,
    extra,
  };
  const memory = int('memory');
  const memoryReservation = int('memoryReservation');
  if (memory !== undefined) c.memory = memory;
  if (memoryReservation !== undefined) c.memoryReservation = memoryReservation;
  if (memory !== undefined && memoryReservation !== undefined && memoryReservation > memory)
    throw clientError(
      `Invalid setting for container '${name}'. 'memoryReservation' must be less than or equal to 'memory'.`,
    );
  return c;
}

/** Resolves `family`, `family:revision` or an ARN. Bare family = latest ACTIVE revision. */
export function resolveTaskDefinition(
  ctx: EcsContext,
  ref: string,
  options: { activeOnly?: boolean } = {},
): TaskDefinitionRecord {
  const parsed = parseTaskDefinitionRef(ref);
  const missing = () => clientError('Unable to describe task definition.');
  if (!parsed) throw missing();
  const revisions = ctx.state.taskDefinitions.get(parsed.family);
  if (!revisions) throw missing();
  if (parsed.revision !== undefined) {
    const td = revisions[parsed.revision - 1];
    if (!td) throw missing();
    if (ref.startsWith('arn:') && ref !== td.arn) throw missing();
    if (options.activeOnly && td.status !== 'ACTIVE')
      throw clientError(`TaskDefinition is inactive (${td.family}:${td.revision}).`);
    return td;
  }
  for (let i = revisions.length - 1; i >= 0; i--) if (revisions[i]!.status === 'ACTIVE') return revisions[i]!;
  throw missing();
}

export function describeTaskDefinition(ctx: EcsContext, raw: unknown): unknown {
  const input = asInput(raw);
  const td = resolveTaskDefinition(ctx, reqString(input, 'taskDefinition', 'taskDefinition'));
  return { taskDefinition: taskDefinitionShape(td), tags: [] };
}

export function deregisterTaskDefinition(ctx: EcsContext, raw: unknown): unknown {
  const input = asInput(raw);
  const ref = reqString(input, 'taskDefinition', 'taskDefinition');
  const parsed = parseTaskDefinitionRef(ref);
  if (!parsed || parsed.revision === undefined)
    throw clientError(
      'The specified task definition identifier is invalid. Specify a valid name or ARN and revision.',
    );
  const td = resolveTaskDefinition(ctx, ref);
  if (td.status === 'ACTIVE') {
    td.status = 'INACTIVE';
    td.deregisteredAt = ctx.now();
  }
  return { taskDefinition: taskDefinitionShape(td) };
}

export function listTaskDefinitions(ctx: EcsContext, raw: unknown): unknown {
  const input = asInput(raw);
  const family = optString(input, 'familyPrefix');
  const status = statusFilter(input, ['ACTIVE', 'INACTIVE', 'DELETE_IN_PROGRESS'], 'ACTIVE');
  const sort = optString(input, 'sort') ?? 'ASC';
  if (sort !== 'ASC' && sort !== 'DESC') throw invalidParameter('sort must be ASC or DESC.');
  const limit = pageSize(input);
  const after = decodeToken(input, 'taskdefs');
  const all: TaskDefinitionRecord[] = [];
  const families = [...ctx.state.taskDefinitions.keys()].sort();
  for (const f of families) {
    // familyPrefix is an exact family name in ECS, despite its name.
    if (family !== undefined && f !== family) continue;
    for (const td of ctx.state.taskDefinitions.get(f)!) if (td.status === status) all.push(td);
  }
  if (sort === 'DESC') all.reverse();
  const page = all.slice(after, after + limit);
  return {
    taskDefinitionArns: page.map((td) => td.arn),
    nextToken: after + limit < all.length ? encodeToken('taskdefs', after + limit) : undefined,
  };
}

export function listTaskDefinitionFamilies(ctx: EcsContext, raw: unknown): unknown {
  const input = asInput(raw);
  const prefix = optString(input, 'familyPrefix') ?? '';
  // Unlike ListTaskDefinitions, both ACTIVE and INACTIVE families by default.
  const status = statusFilter(input, ['ACTIVE', 'INACTIVE', 'ALL'], 'ALL');
  const limit = pageSize(input);
  const after = decodeToken(input, 'families');
  const families = [...ctx.state.taskDefinitions.entries()]
    .filter(([f, revs]) => {
      if (!f.startsWith(prefix)) return false;
      const anyActive = revs.some((r) => r.status === 'ACTIVE');
      return status === 'ALL' || (status === 'ACTIVE' ? anyActive : !anyActive);
    })
    .map(([f]) => f)
    .sort();
  const page = families.slice(after, after + limit);
  return {
    families: page,
    nextToken: after + limit < families.length ? encodeToken('families', after + limit) : undefined,
  };
}

/**
 * The `status` filter of a list call, one of `valid` (ECS's enum for that call). DELETE_IN_PROGRESS
 * is a state the emulator's task definitions never reach (no DeleteTaskDefinitions), so it matches none.
 */
function statusFilter<S extends string>(input: Input, valid: readonly S[], byDefault: S): S {
  const status = optString(input, 'status') ?? byDefault;
  if (!(valid as readonly string[]).includes(status))
    throw invalidParameter(`Invalid status '${status}'. Valid values: ${valid.join(', ')}.`);
  return status as S;
}
