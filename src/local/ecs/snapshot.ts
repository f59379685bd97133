import { AttributeMap } from './attribute-map.js';
import type { EcsContext } from './context.js';
import { finishStop, startTask } from './lifecycle.js';
import type { ClusterRecord, InstanceRecord, TaskDefinitionRecord, TaskRecord } from './types.js';

/**
 * Snapshot and restore of the whole emulated ECS as plain JSON, so a demo cluster survives a
 * restart. Pending transitions are re-armed on restore (a PENDING task starts after the start
 * delay; a stopping task stops after the stop delay; stopped tasks expire on their schedule).
 */

export const SNAPSHOT_FORMAT = 'blox-local-ecs/1';

type PlainInstance = Omit<InstanceRecord, 'attributes' | 'tasks' | 'groupCounts' | 'attributeView'> & {
  attributes: [string, string | null][];
};
type PlainTask = TaskRecord;

export interface EcsSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  region: string;
  account: string;
  takenAt: number;
  clusters: ClusterRecord[];
  taskDefinitions: TaskDefinitionRecord[];
  containerInstances: PlainInstance[];
  tasks: PlainTask[];
}

export function takeSnapshot(ctx: EcsContext): EcsSnapshot {
  const s = ctx.state;
  return JSON.parse(
    JSON.stringify({
      format: SNAPSHOT_FORMAT,
      region: ctx.scope.region,
      account: ctx.scope.account,
      takenAt: ctx.now(),
      clusters: [...s.clusters.values()],
      taskDefinitions: [...s.taskDefinitions.values()].flat(),
      containerInstances: [...s.instances.values()].map((i) => {
        const { attributes, tasks: _t, groupCounts: _g, attributeView: _v, ...rest } = i;
        return { ...rest, attributes: [...attributes].map(([k, v]) => [k, v ?? null]) };
      }),
      tasks: [...s.tasks.values()],
    }),
  ) as EcsSnapshot;
}

export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
}

export function restoreSnapshot(ctx: EcsContext, snapshot: unknown): void {
  const snap = snapshot as Partial<EcsSnapshot> | null;
  if (!snap || typeof snap !== 'object' || snap.format !== SNAPSHOT_FORMAT)
    throw new SnapshotError(`not an ECS emulator snapshot (expected format '${SNAPSHOT_FORMAT}')`);
  if (snap.region !== ctx.scope.region || snap.account !== ctx.scope.account)
    throw new SnapshotError(
      `snapshot is for ${snap.region}/${snap.account}, this emulator runs ${ctx.scope.region}/${ctx.scope.account}`,
    );
  for (const key of ['clusters', 'taskDefinitions', 'containerInstances', 'tasks'] as const)
    if (!Array.isArray(snap[key])) throw new SnapshotError(`snapshot field '${key}' must be a list`);
  const s = ctx.state;
  for (const c of snap.clusters!) s.clusters.set(c.name, { ...c });
  for (const td of [...snap.taskDefinitions!].sort((a, b) => a.revision - b.revision)) {
    let list = s.taskDefinitions.get(td.family);
    if (!list) s.taskDefinitions.set(td.family, (list = []));
    list[td.revision - 1] = { ...td };
  }
  for (const plain of [...snap.containerInstances!].sort((a, b) => a.order - b.order)) {
    const inst: InstanceRecord = {
      ...plain,
      attributes: new AttributeMap(plain.attributes.map(([k, v]) => [k, v ?? undefined])),
      tasks: new Set(),
      groupCounts: new Map(),
    };
    s.addInstance(inst);
    if (inst.status === 'INACTIVE')
      ctx.timers.schedule(remaining(ctx, inst.deregisteredAt ?? inst.updatedAt), () =>
        s.removeInstance(inst),
      );
  }
  for (const plain of [...snap.tasks!].sort((a, b) => a.createdAt - b.createdAt)) {
    const task: TaskRecord = { ...plain };
    s.addTask(task);
    const inst = s.instances.get(task.instanceArn);
    if (task.lastStatus !== 'STOPPED' && inst) {
      inst.tasks.add(task);
      inst.groupCounts.set(task.group, (inst.groupCounts.get(task.group) ?? 0) + 1);
    }
    if (task.lastStatus === 'STOPPED')
      ctx.timers.schedule(remaining(ctx, task.stoppedAt ?? task.updatedAt), () => s.removeTask(task));
    else if (task.desiredStatus === 'STOPPED')
      ctx.timers.schedule(ctx.timings.taskStopDelayMs, () => finishStop(ctx, task));
    else if (task.lastStatus === 'PENDING')
      ctx.timers.schedule(ctx.timings.taskStartDelayMs, () => startTask(ctx, task));
  }
}

function remaining(ctx: EcsContext, since: number): number {
  return Math.max(0, since + ctx.timings.stoppedTaskRetentionMs - ctx.now());
}
