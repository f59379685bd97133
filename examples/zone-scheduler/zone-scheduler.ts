/**
 * Example: a scheduler that keeps exactly one task per availability zone of a cluster (a zonal
 * proxy, a per-AZ cache warmer…), built on the Blox scheduler framework. Walkthrough:
 * docs/custom-scheduler.md. The decision is a pure function; everything else is framework.
 */
import type { ECSClient } from '@aws-sdk/client-ecs';
import {
  ClusterInformer,
  Controller,
  EcsActuator,
  isLiveTask,
  type ClusterStateSource,
  type InstanceView,
  type TaskView,
} from '../../src/scheduler/index.js';

const ZONE = 'ecs.availability-zone';

export interface ZonePlan {
  start: Array<{ zone: string; instance: string }>;
  stop: string[];
}

/**
 * One task of `group` per zone that has an ACTIVE, connected instance: start where a zone has
 * none (on its instance with the most free memory), stop extra copies (keep the oldest), and
 * leave zones with a launch in flight alone.
 */
export function planZones(
  instances: readonly InstanceView[],
  tasks: readonly TaskView[],
  group: string,
  launching: ReadonlySet<string>,
): ZonePlan {
  const candidates = new Map<string, InstanceView[]>();
  const zoneOf = new Map<string, string | undefined>();
  for (const i of instances) {
    const zone = i.attributes[ZONE];
    zoneOf.set(i.arn, zone);
    if (zone && i.status === 'ACTIVE' && i.agentConnected)
      candidates.set(zone, [...(candidates.get(zone) ?? []), i]);
  }
  const running = new Map<string, TaskView[]>();
  for (const t of tasks) {
    const zone = t.instanceArn ? zoneOf.get(t.instanceArn) : undefined;
    if (t.group === group && zone && isLiveTask(t)) running.set(zone, [...(running.get(zone) ?? []), t]);
  }
  const plan: ZonePlan = { start: [], stop: [] };
  for (const [zone, list] of candidates) {
    const live = (running.get(zone) ?? []).sort((a, b) =>
      (a.createdAt ?? '').localeCompare(b.createdAt ?? ''),
    );
    plan.stop.push(...live.slice(1).map((t) => t.arn));
    if (live.length > 0 || launching.has(zone)) continue;
    const best = [...list].sort(
      (a, b) => (b.remainingMemory ?? 0) - (a.remainingMemory ?? 0) || a.arn.localeCompare(b.arn),
    )[0]!;
    plan.start.push({ zone, instance: best.arn });
  }
  return plan;
}

export interface ZoneSchedulerOptions {
  source: ClusterStateSource;
  ecs: ECSClient;
  /** Cluster ARN. */
  cluster: string;
  taskDefinition: string;
  group?: string;
}

/** The I/O around planZones: informer → work queue → plan → actuator. */
export class ZoneScheduler {
  readonly group: string;
  private readonly informer: ClusterInformer;
  private readonly actuator: EcsActuator;
  private readonly controller: Controller<string>;
  /** Zone → until when a launch counts as in flight (the task is not visible yet). */
  private readonly launching = new Map<string, number>();

  constructor(private readonly options: ZoneSchedulerOptions) {
    this.group = options.group ?? 'zone-daemon';
    this.informer = new ClusterInformer(options.source, { clusters: [options.cluster] });
    this.actuator = new EcsActuator({ ecs: options.ecs });
    this.controller = new Controller<string>({
      informer: this.informer,
      keysFor: (e) => (e.clusterArn === options.cluster ? [options.cluster] : []),
      allKeys: () => [options.cluster],
      reconcile: () => this.reconcile(),
      resyncMs: 5_000,
    });
  }

  async start(): Promise<void> {
    await this.informer.start();
    await this.controller.start();
  }

  async stop(): Promise<void> {
    await this.controller.stop();
    await this.informer.stop();
  }

  private async reconcile(): Promise<{ requeueAfterMs?: number }> {
    const { cluster, taskDefinition } = this.options;
    const now = Date.now();
    const tasks = this.informer.tasks(cluster);
    for (const [zone, until] of this.launching) if (until < now) this.launching.delete(zone);
    const plan = planZones(
      this.informer.instances(cluster),
      tasks,
      this.group,
      new Set(this.launching.keys()),
    );
    for (const s of plan.start) this.launching.set(s.zone, now + 30_000);
    const started = await Promise.all(
      plan.start.map((s) =>
        this.actuator.startTasks({
          cluster,
          taskDefinition,
          instances: [s.instance],
          group: this.group,
          startedBy: 'zone-scheduler',
        }),
      ),
    );
    started.forEach((r, i) => r.failures.length > 0 && this.launching.delete(plan.start[i]!.zone));
    if (plan.stop.length > 0)
      await this.actuator.stopTasks({ cluster, tasks: plan.stop, reason: 'zone-scheduler: extra copy' });
    // Forget launches whose task is now visible, so a later crash is replaced.
    const zones = new Set(plan.start.map((s) => s.zone));
    for (const zone of this.launching.keys())
      if (!zones.has(zone) && this.visible(zone, tasks)) this.launching.delete(zone);
    return { requeueAfterMs: this.launching.size > 0 ? 500 : 5_000 };
  }

  private visible(zone: string, tasks: readonly TaskView[]): boolean {
    return tasks.some(
      (t) =>
        t.group === this.group &&
        isLiveTask(t) &&
        t.instanceArn !== undefined &&
        this.informer.instance(this.options.cluster, t.instanceArn)?.attributes[ZONE] === zone,
    );
  }
}
