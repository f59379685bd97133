import { buildTaskArn } from '../../core/arn.js';
import type { EcsContext } from './context.js';
import { imageDigest } from './ids.js';
import type { InstanceRecord, TaskContainer, TaskDefinitionRecord, TaskRecord } from './types.js';

/**
 * The task lifecycle as ECS drives it: PENDING at placement → RUNNING after `taskStartDelayMs`
 * (the agent pulled and started the containers) → desiredStatus STOPPED on a stop request →
 * lastStatus STOPPED after `taskStopDelayMs` → gone after `stoppedTaskRetentionMs`. Resources are
 * reserved on the instance at placement and released at STOPPED. Each step bumps the task's
 * version and emits one change; each change of the instance's counts or resources bumps its own.
 * While an agent is disconnected nothing on that instance moves (nobody reports); reconnecting
 * resumes the pending transitions.
 */

export interface TaskRequirements {
  cpu: number;
  memory: number;
  tcp: string[];
  udp: string[];
  /** Container sizes after overrides, in container order. */
  containers: { cpu: number; memory?: number; memoryReservation?: number }[];
}

/** CPU/memory/ports a task definition (with container overrides) needs on an instance. */
export function taskRequirements(
  td: TaskDefinitionRecord,
  overrides: Record<string, unknown>,
): TaskRequirements {
  const containerOverrides = Array.isArray(overrides.containerOverrides)
    ? (overrides.containerOverrides as Record<string, unknown>[])
    : [];
  const containers = td.containers.map((c) => {
    const o = containerOverrides.find((x) => x.name === c.name) ?? {};
    const size: { cpu: number; memory?: number; memoryReservation?: number } = {
      cpu: typeof o.cpu === 'number' ? o.cpu : c.cpu,
    };
    const memory = typeof o.memory === 'number' ? o.memory : c.memory;
    const memoryReservation =
      typeof o.memoryReservation === 'number' ? o.memoryReservation : c.memoryReservation;
    if (memory !== undefined) size.memory = memory;
    if (memoryReservation !== undefined) size.memoryReservation = memoryReservation;
    return size;
  });
  const sumCpu = containers.reduce((s, c) => s + c.cpu, 0);
  // ECS reserves the soft limit when given, else the hard limit.
  const sumMemory = containers.reduce((s, c) => s + (c.memoryReservation ?? c.memory ?? 0), 0);
  const taskCpu =
    typeof overrides.cpu === 'string' ? Number(overrides.cpu) : td.cpu ? Number(td.cpu) : undefined;
  const taskMemory =
    typeof overrides.memory === 'string'
      ? Number(overrides.memory)
      : td.memory
        ? Number(td.memory)
        : undefined;
  const tcp: string[] = [];
  const udp: string[] = [];
  for (const c of td.containers)
    for (const pm of c.portMappings) {
      const host = td.networkMode === 'host' ? (pm.hostPort ?? pm.containerPort) : pm.hostPort;
      if (td.networkMode === 'awsvpc' || td.networkMode === 'none' || !host) continue;
      (pm.protocol === 'udp' ? udp : tcp).push(String(host));
    }
  return {
    cpu: taskCpu ?? sumCpu,
    memory: taskMemory ?? sumMemory,
    tcp,
    udp,
    containers,
  };
}

export interface PlaceOptions {
  startedBy?: string;
  group?: string;
  overrides?: Record<string, unknown>;
  tags?: { key: string; value: string }[];
}

/** Creates a PENDING task on `inst`, reserving its resources. Caller has checked it fits. */
export function placeTask(
  ctx: EcsContext,
  inst: InstanceRecord,
  td: TaskDefinitionRecord,
  req: TaskRequirements,
  options: PlaceOptions,
): TaskRecord {
  const now = ctx.now();
  const id = ctx.random.hex(32);
  const given = options.overrides ?? {};
  const givenContainers = Array.isArray(given.containerOverrides)
    ? (given.containerOverrides as Record<string, unknown>[])
    : [];
  const overrides = {
    ...given,
    // As ECS reports it: one entry per container, with whatever the caller overrode.
    containerOverrides: td.containers.map((c) => ({
      ...(givenContainers.find((o) => o.name === c.name) ?? {}),
      name: c.name,
    })),
  };
  const containers: TaskContainer[] = td.containers.map((c, i) => {
    const size = req.containers[i]!;
    const container: TaskContainer = {
      id: ctx.random.uuid(),
      name: c.name,
      image: c.image,
      cpu: size.cpu,
      lastStatus: 'PENDING',
      bindings: [],
    };
    if (size.memory !== undefined) container.memory = size.memory;
    if (size.memoryReservation !== undefined) container.memoryReservation = size.memoryReservation;
    return container;
  });
  const task: TaskRecord = {
    id,
    arn: buildTaskArn(ctx.scope, inst.cluster, id),
    cluster: inst.cluster,
    clusterArn: inst.clusterArn,
    instanceArn: inst.arn,
    taskDefinitionArn: td.arn,
    family: td.family,
    group: options.group ?? `family:${td.family}`,
    lastStatus: 'PENDING',
    desiredStatus: 'RUNNING',
    version: 0,
    createdAt: now,
    updatedAt: now,
    cpu: req.cpu,
    memory: req.memory,
    containers,
    overrides,
    tags: options.tags ?? [],
    tcpPorts: req.tcp,
    udpPorts: req.udp,
  };
  const az = inst.attributes.get('ecs.availability-zone');
  const arch = inst.attributes.get('ecs.cpu-architecture');
  if (az) task.availabilityZone = az;
  if (arch) task.cpuArchitecture = arch;
  if (options.startedBy !== undefined) task.startedBy = options.startedBy;
  ctx.state.addTask(task);
  ctx.taskChanged(task);

  inst.tasks.add(task);
  inst.remainingCpu -= req.cpu;
  inst.remainingMemory -= req.memory;
  inst.usedTcp.push(...req.tcp);
  inst.usedUdp.push(...req.udp);
  inst.runningTasksCount++;
  inst.pendingTasksCount++;
  inst.groupCounts.set(task.group, (inst.groupCounts.get(task.group) ?? 0) + 1);
  ctx.instanceChanged(inst);

  scheduleStart(ctx, task);
  return task;
}

function scheduleStart(ctx: EcsContext, task: TaskRecord): void {
  ctx.timers.schedule(ctx.timings.taskStartDelayMs, () => startTask(ctx, task));
}

function instanceOf(ctx: EcsContext, task: TaskRecord): InstanceRecord | undefined {
  return ctx.state.instances.get(task.instanceArn);
}

/** The agent reports the task RUNNING: pull and start times, runtime IDs, port bindings. */
export function startTask(ctx: EcsContext, task: TaskRecord): void {
  if (ctx.state.tasksById.get(task.id) !== task) return;
  if (task.lastStatus !== 'PENDING' || task.desiredStatus !== 'RUNNING') return;
  const inst = instanceOf(ctx, task);
  if (!inst || !inst.agentConnected) return; // resumed by reconnectAgent
  const now = ctx.now();
  const span = Math.max(0, now - task.createdAt);
  task.pullStartedAt = task.createdAt + Math.round(span * 0.15);
  task.pullStoppedAt = task.createdAt + Math.round(span * 0.85);
  task.startedAt = now;
  task.lastStatus = 'RUNNING';
  const td = findTaskDefinition(ctx, task);
  for (const [i, c] of task.containers.entries()) {
    c.lastStatus = 'RUNNING';
    c.runtimeId = ctx.random.hex(64);
    c.imageDigest = imageDigest(c.image);
    c.bindings = bindings(ctx, td, i, inst);
  }
  ctx.taskChanged(task);
  inst.pendingTasksCount--;
  ctx.instanceChanged(inst);
}

function findTaskDefinition(ctx: EcsContext, task: TaskRecord): TaskDefinitionRecord | undefined {
  const revision = Number(task.taskDefinitionArn.slice(task.taskDefinitionArn.lastIndexOf(':') + 1));
  return ctx.state.taskDefinitions.get(task.family)?.[revision - 1];
}

/** Port bindings of container `i`: static host ports as reserved, dynamic ones from 32768 up. */
function bindings(
  ctx: EcsContext,
  td: TaskDefinitionRecord | undefined,
  i: number,
  inst: InstanceRecord,
): TaskContainer['bindings'] {
  const def = td?.containers[i];
  if (!td || !def || td.networkMode === 'awsvpc' || td.networkMode === 'none') return [];
  return def.portMappings.map((pm) => {
    let hostPort = td.networkMode === 'host' ? (pm.hostPort ?? pm.containerPort) : (pm.hostPort ?? 0);
    if (!hostPort) hostPort = 32768 + ((inst.tasks.size * 7 + ctx.random.int(28000)) % 28000);
    return { containerPort: pm.containerPort, hostPort, protocol: pm.protocol };
  });
}

export interface StopRequest {
  reason: string;
  stopCode: string;
  /** Containers exit right away with this code (crash, kill) instead of at the end of stopping. */
  exitCode?: number;
  /** Skip the agent's stop delay (ECS itself declares the task stopped, e.g. host terminated). */
  immediate?: boolean;
}

/** desiredStatus → STOPPED (one event), then STOPPED after the stop delay. Idempotent. */
export function requestStop(ctx: EcsContext, task: TaskRecord, stop: StopRequest): void {
  if (task.desiredStatus === 'STOPPED') {
    if (stop.immediate && task.lastStatus !== 'STOPPED') finishStop(ctx, task, stop.exitCode);
    return;
  }
  const now = ctx.now();
  task.desiredStatus = 'STOPPED';
  task.stoppingAt = now;
  task.stoppedReason = stop.reason;
  task.stopCode = stop.stopCode;
  if (stop.exitCode !== undefined && task.lastStatus === 'RUNNING') {
    task.executionStoppedAt = now;
    for (const c of task.containers) {
      c.lastStatus = 'STOPPED';
      c.exitCode = stop.exitCode;
    }
  }
  ctx.state.reindexStopped(task);
  ctx.taskChanged(task);
  const inst = instanceOf(ctx, task);
  if (inst && inst.tasks.has(task)) {
    inst.runningTasksCount--;
    ctx.instanceChanged(inst);
  }
  if (stop.immediate) finishStop(ctx, task, stop.exitCode);
  else scheduleStop(ctx, task, stop.exitCode);
}

function scheduleStop(ctx: EcsContext, task: TaskRecord, exitCode: number | undefined): void {
  ctx.timers.schedule(ctx.timings.taskStopDelayMs, () => {
    const inst = instanceOf(ctx, task);
    if (inst && !inst.agentConnected && inst.status !== 'INACTIVE') return; // resumed on reconnect
    finishStop(ctx, task, exitCode);
  });
}

/** lastStatus → STOPPED; resources released on the instance; expiry scheduled. */
export function finishStop(ctx: EcsContext, task: TaskRecord, exitCode?: number): void {
  if (ctx.state.tasksById.get(task.id) !== task || task.lastStatus === 'STOPPED') return;
  const now = ctx.now();
  const wasRunning = task.lastStatus === 'RUNNING';
  const wasPending = task.lastStatus === 'PENDING';
  task.lastStatus = 'STOPPED';
  if (wasRunning) task.executionStoppedAt ??= Math.max(task.stoppingAt ?? now, now - 1000);
  task.stoppedAt = now;
  for (const c of task.containers) {
    if (c.lastStatus === 'RUNNING') c.exitCode = exitCode ?? 0;
    c.lastStatus = 'STOPPED';
  }
  ctx.taskChanged(task);

  const inst = instanceOf(ctx, task);
  if (inst && inst.tasks.delete(task)) {
    inst.remainingCpu += task.cpu;
    inst.remainingMemory += task.memory;
    removePorts(inst.usedTcp, task.tcpPorts);
    removePorts(inst.usedUdp, task.udpPorts);
    if (wasPending) inst.pendingTasksCount--;
    const n = (inst.groupCounts.get(task.group) ?? 1) - 1;
    if (n > 0) inst.groupCounts.set(task.group, n);
    else inst.groupCounts.delete(task.group);
    ctx.instanceChanged(inst);
  }
  ctx.timers.schedule(ctx.timings.stoppedTaskRetentionMs, () => ctx.state.removeTask(task));
}

function removePorts(used: string[], ports: readonly string[]): void {
  for (const p of ports) {
    const i = used.indexOf(p);
    if (i >= 0) used.splice(i, 1);
  }
}

/** After an agent reconnects: move on every task that was waiting for it. */
export function resumeTasks(ctx: EcsContext, inst: InstanceRecord): void {
  for (const task of inst.tasks) {
    if (task.desiredStatus === 'RUNNING' && task.lastStatus === 'PENDING') scheduleStart(ctx, task);
    else if (task.desiredStatus === 'STOPPED' && task.lastStatus !== 'STOPPED')
      scheduleStop(ctx, task, task.containers[0]?.exitCode);
  }
}
