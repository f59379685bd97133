import { buildContainerInstanceArn, buildTaskArn } from '../../core/arn.js';
import { JsonText, type EcsContext } from './context.js';
import { cqlView, parseFilter } from './container-instances.js';
import { placeTask, requestStop, taskRequirements } from './lifecycle.js';
import {
  placeTasks,
  refusal,
  type PlacementCandidate,
  type PlacementConstraint,
  type PlacementStrategy,
} from './placement.js';
import { taskApiJson } from './task-json.js';
import { resolveTaskDefinition } from './task-definitions.js';
import type { InstanceRecord, TaskDefinitionRecord, TaskRecord } from './types.js';
import {
  asInput,
  decodeToken,
  encodeToken,
  invalidParameter,
  optInteger,
  optObject,
  optObjectList,
  optString,
  pageSize,
  reqString,
  reqStringList,
  type Input,
} from './validate.js';

/** RunTask, StartTask, StopTask, ListTasks, DescribeTasks. */

const STARTED_BY_RE = /^[a-zA-Z0-9_/-]{1,128}$/;
const MAX_OVERRIDES_CHARS = 8192;

function commonTaskInput(input: Input, startedByMax: number) {
  const startedBy = optString(input, 'startedBy');
  if (startedBy !== undefined && (!STARTED_BY_RE.test(startedBy) || startedBy.length > startedByMax))
    throw invalidParameter(
      `startedBy must be up to ${startedByMax} letters (uppercase and lowercase), numbers, hyphens, forward slashes and underscores.`,
    );
  const group = optString(input, 'group');
  if (group !== undefined && (group.length === 0 || group.length > 255))
    throw invalidParameter('group must be 1-255 characters.');
  const overrides = optObject(input, 'overrides');
  if (overrides && JSON.stringify(overrides).length > MAX_OVERRIDES_CHARS)
    throw invalidParameter(`Task overrides cannot exceed ${MAX_OVERRIDES_CHARS} characters of JSON.`);
  const tags = (optObjectList(input, 'tags') ?? []).map((t) => ({
    key: String(t.key ?? ''),
    value: String(t.value ?? ''),
  }));
  if (tags.length > 50) throw invalidParameter('A resource can have at most 50 tags.');
  const options: {
    startedBy?: string;
    group?: string;
    overrides?: Record<string, unknown>;
    tags: typeof tags;
  } = { tags };
  if (startedBy !== undefined) options.startedBy = startedBy;
  if (group !== undefined) options.group = group;
  if (overrides) options.overrides = overrides;
  return options;
}

/** ECS refuses an override of a container its task definition does not have (a typo would else pass). */
function checkContainerOverrides(
  td: TaskDefinitionRecord,
  overrides: Record<string, unknown> | undefined,
): void {
  const list = overrides?.containerOverrides;
  if (list === undefined) return;
  if (!Array.isArray(list)) throw invalidParameter('overrides.containerOverrides must be a list.');
  for (const o of list as unknown[]) {
    const name = (o as { name?: unknown } | null)?.name;
    if (typeof name !== 'string' || !td.containers.some((c) => c.name === name))
      throw invalidParameter(
        `Override for container named ${String(name)} is not a container in the TaskDefinition.`,
      );
  }
}

const NO_PORTS: ReadonlySet<string> = new Set();

/**
 * A placement view of an instance; port sets only when the task needs host ports. A class, not
 * an object literal with a getter and closures: such a literal is built by a runtime call each
 * time, and StartTask and RunTask make one per instance they consider.
 */
class InstanceCandidate implements PlacementCandidate {
  readonly arn: string;
  readonly agentConnected: boolean;
  remainingCpu: number;
  remainingMemory: number;
  busyTcp: ReadonlySet<string>;
  busyUdp: ReadonlySet<string>;
  groups: ReadonlyMap<string, number>;
  private cql: ReturnType<typeof cqlView> | undefined;

  constructor(
    private readonly inst: InstanceRecord,
    needs: { tcp: boolean; udp: boolean },
  ) {
    this.arn = inst.arn;
    this.agentConnected = inst.agentConnected;
    this.remainingCpu = inst.remainingCpu;
    this.remainingMemory = inst.remainingMemory;
    this.busyTcp = needs.tcp ? new Set([...inst.registered.tcp, ...inst.usedTcp]) : NO_PORTS;
    this.busyUdp = needs.udp ? new Set([...inst.registered.udp, ...inst.usedUdp]) : NO_PORTS;
    this.groups = inst.groupCounts;
  }

  /** Made on first use: only attribute spreads read it (constraints go through the CQL view). */
  get attributes(): Record<string, string | undefined> {
    return (this.inst.attributeView ??= Object.fromEntries(this.inst.attributes));
  }

  // placement's take() replaces this with a view of the instance as it will be after placing
  view(): ReturnType<typeof cqlView> {
    return (this.cql ??= cqlView(this.inst));
  }
}

function constraintsOf(input: Input, td: TaskDefinitionRecord): PlacementConstraint[] {
  const list = optObjectList(input, 'placementConstraints') ?? [];
  const all = [...td.placementConstraints, ...list];
  if (all.length > 10)
    throw invalidParameter(
      'Too many placement constraints: at most 10 (task definition and request together).',
    );
  return all.map((c) => {
    if (c.type === 'distinctInstance') {
      if (c.expression !== undefined && c.expression !== null && c.expression !== '')
        throw invalidParameter('distinctInstance placement constraints do not take an expression.');
      return { type: 'distinctInstance' };
    }
    if (c.type === 'memberOf') {
      if (typeof c.expression !== 'string' || c.expression === '')
        throw invalidParameter('A memberOf placement constraint requires an expression.');
      return { type: 'memberOf', expression: parseFilter(c.expression) };
    }
    throw invalidParameter(
      `Invalid placement constraint type '${String(c.type)}': distinctInstance or memberOf.`,
    );
  });
}

function strategiesOf(input: Input): PlacementStrategy[] {
  const list = optObjectList(input, 'placementStrategy') ?? [];
  if (list.length > 5) throw invalidParameter('Too many placement strategies: at most 5.');
  return list.map((s) => {
    const field = typeof s.field === 'string' ? s.field : undefined;
    if (s.type === 'random') return { type: 'random' };
    if (s.type === 'binpack') {
      const f = field?.toLowerCase();
      if (f !== 'cpu' && f !== 'memory')
        throw invalidParameter('binpack placement strategy field must be cpu or memory.');
      return { type: 'binpack', field: f };
    }
    if (s.type === 'spread') {
      if (
        !field ||
        !(field === 'instanceId' || field === 'host' || /^attribute:[a-zA-Z0-9_./\\-]{1,128}$/.test(field))
      )
        throw invalidParameter(
          'spread placement strategy field must be instanceId, host or attribute:<name>.',
        );
      return { type: 'spread', field };
    }
    throw invalidParameter(`Invalid placement strategy type '${String(s.type)}': binpack, spread or random.`);
  });
}

export function runTask(ctx: EcsContext, raw: unknown): JsonText {
  const input = asInput(raw);
  const cluster = ctx.cluster(input);
  const td = resolveTaskDefinition(ctx, reqString(input, 'taskDefinition', 'taskDefinition'), {
    activeOnly: true,
  });
  const count = optInteger(input, 'count') ?? 1;
  if (count < 1 || count > 10) throw invalidParameter('count must be between 1 and 10.');
  const launchType = optString(input, 'launchType');
  if (launchType !== undefined && launchType !== 'EC2')
    throw invalidParameter(`launchType ${launchType} is not supported by this emulator: use EC2.`);
  const options = commonTaskInput(input, 128);
  const constraints = constraintsOf(input, td);
  const strategies = strategiesOf(input);
  checkContainerOverrides(td, options.overrides);
  const req = taskRequirements(td, options.overrides ?? {});
  const instances: InstanceRecord[] = [];
  const index = ctx.state.instancesOf(cluster.name);
  // DRAINING and INACTIVE instances are not considered at all, as in ECS.
  if (index)
    for (const inst of index.values(ctx.state.isInstanceLive))
      if (inst.status === 'ACTIVE') instances.push(inst);
  if (instances.length === 0) throw invalidParameter('No Container Instances were found in your cluster.');
  const needs = { tcp: req.tcp.length > 0, udp: req.udp.length > 0 };
  const candidates = instances.map((inst) => new InstanceCandidate(inst, needs));
  const group = options.group ?? `family:${td.family}`;
  const result = placeTasks(candidates, {
    count,
    group,
    cpu: req.cpu,
    memory: req.memory,
    tcp: req.tcp,
    udp: req.udp,
    constraints,
    strategies,
    random: () => ctx.random.next(),
  });
  const tasks = result.placements.map((i) => placeTask(ctx, instances[i]!, td, req, { ...options, group }));
  return tasksAnswer(ctx, tasks, result.failures);
}

/**
 * `{"tasks":[…],"failures":[…]}` from each task's API JSON (byte for byte JSON.stringify of
 * taskShape 'api', a test holds them together). The JSON goes into the DescribeTasks cache at
 * the task's current version, so the background writer finds a new task's JSON already made
 * instead of serialising it a second time.
 */
function tasksAnswer(ctx: EcsContext, tasks: TaskRecord[], failures: unknown[]): JsonText {
  const parts: Buffer[] = [TASKS_OPEN];
  for (let i = 0; i < tasks.length; i++) {
    if (i > 0) parts.push(COMMA);
    parts.push(ctx.taskApiJson(tasks[i]!));
  }
  parts.push(Buffer.from(`],"failures":${JSON.stringify(failures)}}`));
  return new JsonText(Buffer.concat(parts));
}

export function startTask(ctx: EcsContext, raw: unknown): JsonText {
  const input = asInput(raw);
  const cluster = ctx.cluster(input);
  const td = resolveTaskDefinition(ctx, reqString(input, 'taskDefinition', 'taskDefinition'), {
    activeOnly: true,
  });
  const refs = reqStringList(input, 'containerInstances', 'containerInstances');
  if (refs.length > 10) throw invalidParameter('containerInstances cannot have more than 10 elements.');
  const options = commonTaskInput(input, 36);
  checkContainerOverrides(td, options.overrides);
  const req = taskRequirements(td, options.overrides ?? {});
  const group = options.group ?? `family:${td.family}`;
  // StartTask honours only the task definition's constraints (memberOf); no strategies.
  const constraints = td.placementConstraints.map((c) => ({
    type: 'memberOf' as const,
    expression: parseFilter(c.expression ?? ''),
  }));
  // refusal() looks at busy ports only for the protocols the task asks ports of
  const needs = { tcp: req.tcp.length > 0, udp: req.udp.length > 0 };
  const tasks: TaskRecord[] = [];
  const failures: { arn: string; reason: string }[] = [];
  for (const ref of refs) {
    const inst = ctx.state.findInstance(cluster.name, ref);
    if (!inst) {
      failures.push({
        arn: ref.startsWith('arn:') ? ref : buildContainerInstanceArn(ctx.scope, cluster.name, ref),
        reason: 'MISSING',
      });
      continue;
    }
    if (inst.status === 'INACTIVE') {
      failures.push({ arn: inst.arn, reason: 'INACTIVE' });
      continue;
    }
    if (inst.status !== 'ACTIVE') {
      failures.push({ arn: inst.arn, reason: inst.status });
      continue;
    }
    const reason = refusal(new InstanceCandidate(inst, needs), {
      group,
      cpu: req.cpu,
      memory: req.memory,
      tcp: req.tcp,
      udp: req.udp,
      constraints,
    });
    if (reason) failures.push({ arn: inst.arn, reason });
    else tasks.push(placeTask(ctx, inst, td, req, { ...options, group }));
  }
  return tasksAnswer(ctx, tasks, failures);
}

export function stopTask(ctx: EcsContext, raw: unknown): JsonText {
  const input = asInput(raw);
  const cluster = ctx.cluster(input);
  const ref = reqString(input, 'task', 'task');
  const reason = optString(input, 'reason');
  if (reason !== undefined && reason.length > 255)
    throw invalidParameter('reason cannot be longer than 255 characters.');
  const task = ctx.state.findTask(cluster.name, ref);
  if (!task) throw invalidParameter('The referenced task was not found.');
  requestStop(ctx, task, {
    reason: reason === undefined || reason === '' ? 'Task stopped by user' : reason,
    stopCode: 'UserInitiated',
  });
  return new JsonText(Buffer.concat([TASK_OPEN, ctx.taskApiJson(task), CLOSE]));
}

export function describeTasks(ctx: EcsContext, raw: unknown): JsonText {
  const input = asInput(raw);
  const cluster = ctx.cluster(input);
  const refs = reqStringList(input, 'tasks', 'tasks');
  if (refs.length > 100) throw invalidParameter('Tasks cannot have more than 100 elements.');
  const includeTags = Array.isArray(input.include) && input.include.includes('TAGS');
  // the answer is put together from each task's cached bytes: `{"tasks":[t1,t2,…],"failures":[…]}`
  const parts: Buffer[] = [TASKS_OPEN];
  const failures: unknown[] = [];
  for (const ref of refs) {
    const task = ctx.state.findTask(cluster.name, ref);
    if (!task) {
      failures.push({
        arn: ref.startsWith('arn:') ? ref : buildTaskArn(ctx.scope, cluster.name, ref),
        reason: 'MISSING',
      });
      continue;
    }
    if (parts.length > 1) parts.push(COMMA);
    // Tags are only shown with include=TAGS.
    if (includeTags || task.tags.length === 0) parts.push(ctx.taskApiJson(task));
    else parts.push(Buffer.from(taskApiJson(task, false)));
  }
  parts.push(Buffer.from(`],"failures":${JSON.stringify(failures)}}`));
  return new JsonText(Buffer.concat(parts));
}

const TASKS_OPEN = Buffer.from('{"tasks":[');
const TASK_OPEN = Buffer.from('{"task":');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from('}');

export function listTasks(ctx: EcsContext, raw: unknown): unknown {
  const input = asInput(raw);
  const cluster = ctx.cluster(input);
  const startedBy = optString(input, 'startedBy');
  const family = optString(input, 'family');
  const instanceRef = optString(input, 'containerInstance');
  const serviceName = optString(input, 'serviceName');
  const launchType = optString(input, 'launchType');
  const desiredRaw = optString(input, 'desiredStatus');
  if (
    startedBy !== undefined &&
    [family, instanceRef, serviceName, launchType, desiredRaw].some((v) => v !== undefined)
  )
    throw invalidParameter('cannot specify startedBy with other arguments');
  const desired = (desiredRaw ?? 'RUNNING').toUpperCase();
  if (desired !== 'RUNNING' && desired !== 'PENDING' && desired !== 'STOPPED')
    throw invalidParameter(`Invalid desiredStatus '${desiredRaw}'. Valid values: RUNNING, PENDING, STOPPED.`);
  if (launchType !== undefined && !['EC2', 'FARGATE', 'EXTERNAL', 'MANAGED_INSTANCES'].includes(launchType))
    throw invalidParameter(`Invalid launchType '${launchType}'.`);
  const limit = pageSize(input);
  const after = decodeToken(input, 'tasks');
  // ECS never sets desiredStatus PENDING; there are no services and only EC2 tasks here.
  if (
    desired === 'PENDING' ||
    serviceName !== undefined ||
    (launchType !== undefined && launchType !== 'EC2')
  )
    return { taskArns: [] };
  let instanceArn: string | undefined;
  if (instanceRef !== undefined) {
    const inst = ctx.state.findInstance(cluster.name, instanceRef);
    if (!inst) return { taskArns: [] };
    instanceArn = inst.arn;
  }
  const status = desired as 'RUNNING' | 'STOPPED';
  const by: { family?: string; startedBy?: string; instanceArn?: string } = {};
  if (instanceArn !== undefined) by.instanceArn = instanceArn;
  else if (startedBy !== undefined) by.startedBy = startedBy;
  else if (family !== undefined) by.family = family;
  const index = ctx.state.taskIndex(cluster.name, status, by);
  if (!index) return { taskArns: [] };
  const { items, next } = index.page(after, limit, ctx.state.liveFor(status), (t) =>
    family === undefined ? true : t.family === family,
  );
  return { taskArns: items.map((t) => t.arn), nextToken: encodeToken('tasks', next) };
}
