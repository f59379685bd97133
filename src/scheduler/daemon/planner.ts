import type { InstanceView, TaskView } from '../framework/views.js';
import { LIVE, RUNNING, STOPPING, prepareCluster, type ClusterView } from './cluster-view.js';
import { resolveCount, type CountOrPercent } from './counts.js';
import { MATCH_ALL, type CompiledFilter } from './filter.js';
import { type ForeignTaskPolicy, type StatusCounts } from './model.js';

/**
 * The daemon planner: a pure function from (environment, instances, tasks) to the actions that
 * bring the cluster one step closer to "exactly one task of the target revision on every
 * eligible instance", without ever having more eligible instances than `maxUnavailable`
 * without a running daemon task because of a stop it ordered. No I/O, no clock: `now` is given.
 *
 * Modes:
 *  - rolling / steady: start where missing, replace outdated tasks within maxUnavailable,
 *    stop duplicates and tasks on instances that left the environment;
 *  - paused (the last deployment failed and was not rolled back): as above, but outdated tasks
 *    are left alone;
 *  - inactive (no deployment yet, as in v0.3): counts only, no actions;
 *  - delete: stop every task of the environment.
 */
export type PlanMode = 'rolling' | 'steady' | 'paused' | 'inactive' | 'delete';

export interface PlannerEnvironment {
  name: string;
  /** ECS group that marks the environment's tasks. */
  group: string;
  clusterArn: string;
  mode: PlanMode;
  /** Target revision (absent when inactive without any revision). */
  revision?: number;
  taskDefinition?: string;
  /** Deployment whose ID goes into `startedBy` of started tasks. */
  deploymentId?: string;
  filter?: CompiledFilter;
  maxUnavailable: CountOrPercent;
  foreignTasks: ForeignTaskPolicy;
}

export interface LaunchInFlight {
  /** When the intent was recorded (epoch ms). */
  at: number;
  taskArn?: string;
}

export interface FailureRecord {
  attempts: number;
  /** Epoch ms of the last failure. */
  lastAt: number;
}

export interface PlanContext {
  now: number;
  /** Launches recorded in the store whose task is not visible in cluster state yet, by instance ARN. */
  launches?: ReadonlyMap<string, LaunchInFlight>;
  /** StopTask calls made whose effect is not visible yet, by task ARN. */
  stopping?: ReadonlySet<string>;
  /** Failures of the target deployment, by instance ARN. */
  failures?: ReadonlyMap<string, FailureRecord>;
  /**
   * Instances not to launch on before the given time (epoch ms), for reasons that are not the
   * revision's fault (the instance just left, the call failed): not counted as failures.
   */
  holds?: ReadonlyMap<string, number>;
  /** An outdated task not RUNNING this long after creation is stuck: replaced without using the budget (default 60 s). */
  stuckAfterMs?: number;
  /** Retry backoff after a failure on an instance: base * 2^(attempts-1), capped. */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

export type StopReason = 'duplicate' | 'outdated' | 'ineligible' | 'draining' | 'deleted';

export type Action =
  | {
      type: 'start';
      instance: string;
      taskDefinition: string;
      revision: number;
      deploymentId: string;
    }
  | { type: 'stop'; task: string; instance?: string; reason: StopReason };

export interface ObservedFailure {
  instance: string;
  task: string;
  reason: string;
}

export interface Plan {
  actions: Action[];
  counts: StatusCounts;
  /** Eligible instances without a RUNNING daemon task, before this plan's actions. */
  unavailable: number;
  /** maxUnavailable resolved against `desired`. */
  maxUnavailable: number;
  /** Eligible instances whose daemon task runs another task definition. */
  outdated: number;
  /** Launches recorded but not visible yet. */
  inFlight: number;
  /** Instances waiting for a failure backoff to pass. */
  backingOff: number;
  /** Tasks of the target deployment that stopped on their own (crashed, failed to start). */
  observedFailures: ObservedFailure[];
  /** Every eligible instance runs exactly one RUNNING task of the target revision and nothing else is left to do. */
  converged: boolean;
}

/** Stop reasons the scheduler writes; a task stopped with one of these is not a failure. */
export const STOP_REASON_PREFIX = 'Blox daemon scheduler: ';

export function stopReasonText(reason: StopReason): string {
  const text: Record<StopReason, string> = {
    duplicate: 'extra copy of the daemon task on this instance',
    outdated: 'replaced by a newer revision of the environment',
    ineligible: 'instance no longer matches the environment',
    draining: 'instance is draining',
    deleted: 'environment deleted',
  };
  return STOP_REASON_PREFIX + text[reason];
}

/** Plans from plain lists (prepares the cluster view first). */
export function plan(
  environment: PlannerEnvironment,
  instances: readonly InstanceView[],
  tasks: readonly TaskView[],
  context: PlanContext,
): Plan {
  return planPrepared(environment, prepareCluster(environment.clusterArn, instances, tasks), context);
}

/** Plans against a prepared cluster view (share one view across the cluster's environments). */
export function planPrepared(env: PlannerEnvironment, view: ClusterView, ctx: PlanContext): Plan {
  const actions: Action[] = [];
  const counts: StatusCounts = {
    desired: 0,
    current: 0,
    updated: 0,
    available: 0,
    failed: 0,
    misscheduled: 0,
  };
  const observedFailures: ObservedFailure[] = [];
  const stopping = ctx.stopping;
  const noStops = stopping === undefined || stopping.size === 0;
  const isActive = (t: TaskView) =>
    t.desiredStatus !== 'STOPPED' && t.lastStatus !== 'STOPPED' && (noStops || !stopping.has(t.arn));

  const n = view.instances.length;
  // The environment's tasks (and adopted ones) as linked lists per instance index, in typed
  // arrays: no per-instance allocation, so 100 environments × 10,000 instances stay fast.
  const own = view.tasksByGroup.get(env.group);
  let tasks: TaskView[] = own?.tasks ?? [];
  let idx: number[] = own?.idx ?? [];
  let flags: Uint8Array = own?.flags ?? new Uint8Array(0);
  let tds: Int32Array = own?.td ?? new Int32Array(0);
  const adopted = new Set<string>();
  if (env.foreignTasks === 'adopt' && env.taskDefinition !== undefined && env.mode !== 'delete') {
    const foreign = view.foreignByTaskDefinition.get(env.taskDefinition);
    if (foreign) {
      tasks = [...tasks, ...foreign.tasks];
      idx = [...idx, ...foreign.idx];
      const f = new Uint8Array(flags.length + foreign.flags.length);
      f.set(flags);
      f.set(foreign.flags, flags.length);
      const d = new Int32Array(tds.length + foreign.td.length);
      d.set(tds);
      d.set(foreign.td, tds.length);
      flags = f;
      tds = d;
      for (const t of foreign.tasks) adopted.add(t.arn);
    }
  }
  // Stops sent but not visible yet count as stopping.
  if (!noStops) {
    flags = Uint8Array.from(flags);
    for (let k = 0; k < tasks.length; k++)
      if (flags[k]! & LIVE && stopping!.has(tasks[k]!.arn)) flags[k] = (flags[k]! & ~LIVE) | STOPPING;
  }
  const targetId = view.taskDefinitionId(env.taskDefinition);
  const { head, next } = scratch(n, tasks.length);
  for (let k = 0; k < tasks.length; k++) {
    const i = idx[k]!;
    next[k] = head[i]!;
    head[i] = k;
  }
  const eligible = view.eligibility(env.filter ?? MATCH_ALL);
  const target = env.taskDefinition;
  const canAct = env.mode !== 'inactive';
  const outdated: Array<{ instance: string; task: TaskView; running: boolean }> = [];
  /** Per instance, RUNNING extra copies beside a kept copy that is not running yet (stopped within the budget). */
  const heldCopies: TaskView[][] = [];
  let unavailable = 0;
  let inFlight = 0;
  let backingOff = 0;
  let duplicates = 0;
  // Hot counters as locals (written to `counts` after the loop).
  let desired = 0;
  let current = 0;
  let updatedCount = 0;
  let available = 0;

  for (let i = 0; i < n; i++) {
    const first = head[i]!;
    if (env.mode === 'delete') {
      for (let k = first; k >= 0; k = next[k]!) {
        const t = tasks[k]!;
        if (isActive(t) && !adopted.has(t.arn)) stop(actions, t, 'deleted');
      }
      continue;
    }
    if (!eligible[i]) {
      const instance = view.instances[i]!;
      if (first < 0) continue;
      let live: TaskView[] | undefined;
      for (let k = first; k >= 0; k = next[k]!) {
        const t = tasks[k]!;
        if (isActive(t) && !adopted.has(t.arn)) (live ??= []).push(t);
      }
      if (!live) continue;
      counts.misscheduled += live.length;
      if (!canAct) continue;
      if (instance.status === 'DRAINING') {
        // As ECS does: the daemon task is the last to stop on a draining instance.
        if (!view.otherTasks[i]) for (const t of live) stop(actions, t, 'draining');
      } else if (instance.status === 'ACTIVE' && instance.agentConnected) {
        for (const t of live) stop(actions, t, 'ineligible');
      }
      continue;
    }

    desired++;
    let keptK = -1;
    let extra: TaskView[] | undefined;
    let anyStopping = false;
    for (let k = first; k >= 0; k = next[k]!) {
      const f = flags[k]!;
      if (f & LIVE) {
        if (keptK < 0) keptK = k;
        else (extra ??= [tasks[keptK]!]).push(tasks[k]!);
        continue;
      }
      if (f & STOPPING) {
        anyStopping = true;
        continue;
      }
      if (tds[k] !== targetId) continue;
      const t = tasks[k]!;
      if (env.deploymentId !== undefined && t.startedBy === env.deploymentId && isFailure(t))
        observedFailures.push({
          instance: view.instances[i]!.arn,
          task: t.arn,
          reason: t.stoppedReason ?? t.stopCode ?? 'task stopped',
        });
    }
    let kept: TaskView | undefined;
    let updated = false;
    let running = false;
    if (keptK >= 0) {
      updated = tds[keptK] === targetId;
      running = (flags[keptK]! & RUNNING) !== 0;
    }
    if (extra) {
      extra.sort((a, b) => preference(a, b, target, adopted));
      kept = extra[0]!;
      updated = kept.taskDefinitionArn === target;
      running = kept.lastStatus === 'RUNNING';
      let runningCopies: TaskView[] | undefined;
      for (let k = 1; k < extra.length; k++) {
        duplicates++;
        if (!canAct) continue;
        // The kept copy (the target revision) is not running yet but this one is: stopping it
        // takes the instance down, so it is a replacement and waits for the budget below.
        if (!running && extra[k]!.lastStatus === 'RUNNING') (runningCopies ??= []).push(extra[k]!);
        else stop(actions, extra[k]!, 'duplicate');
      }
      if (runningCopies) {
        heldCopies.push(runningCopies);
        running = true; // a copy runs: the instance is available until that copy is stopped
      }
    }
    if (keptK >= 0) {
      current++;
      if (updated) updatedCount++;
      if (running) available++;
      else unavailable++;
      if (!updated) outdated.push({ instance: view.instances[i]!.arn, task: kept ?? tasks[keptK]!, running });
      else if (!running && ctx.failures?.has(view.instances[i]!.arn)) counts.failed++;
      continue;
    }
    const instance = view.instances[i]!;
    unavailable++;
    const failure = ctx.failures?.get(instance.arn);
    if (failure) counts.failed++;
    if (anyStopping) continue;
    if (ctx.launches?.has(instance.arn)) {
      inFlight++;
      continue;
    }
    if (!canAct || target === undefined || env.revision === undefined || env.deploymentId === undefined)
      continue;
    const hold = ctx.holds?.get(instance.arn);
    if (
      (hold !== undefined && ctx.now < hold) ||
      (failure && ctx.now < failure.lastAt + backoffMs(failure.attempts, ctx))
    ) {
      backingOff++;
      continue;
    }
    actions.push({
      type: 'start',
      instance: instance.arn,
      taskDefinition: target,
      revision: env.revision,
      deploymentId: env.deploymentId,
    });
  }

  for (let k = 0; k < idx.length; k++) head[idx[k]!] = -1; // leave the scratch clean for the next plan
  counts.desired = desired;
  counts.current = current;
  counts.updated = updatedCount;
  counts.available = available;

  const maxUnavailable = Math.max(1, resolveCount(env.maxUnavailable, counts.desired, 'up'));
  let budget = maxUnavailable - unavailable;
  // Duplicates first: their instance already has a copy of the target revision.
  for (const copies of heldCopies) {
    if (budget <= 0) break;
    budget--;
    for (const t of copies) stop(actions, t, 'duplicate');
  }
  if (canAct && env.mode !== 'paused' && env.mode !== 'delete') {
    // Every replacement uses the budget, except an outdated task that has not reached RUNNING for
    // a long time (stuck): cluster state lags ECS by seconds, so a task that looks PENDING may be
    // running already, and replacing it "for free" would take more instances down than allowed.
    const stuckAfter = ctx.stuckAfterMs ?? 60_000;
    const isStuck = (o: (typeof outdated)[number]) =>
      !o.running && o.task.createdAt !== undefined && ctx.now - Date.parse(o.task.createdAt) > stuckAfter;
    const ranked = outdated.map((o) => ({ ...o, stuck: isStuck(o) }));
    ranked.sort((a, b) => Number(b.stuck) - Number(a.stuck) || cmp(a.instance, b.instance));
    for (const o of ranked) {
      if (!o.stuck) {
        if (budget <= 0) continue;
        budget--;
      }
      stop(actions, o.task, 'outdated');
    }
  }
  const converged =
    env.mode !== 'inactive' &&
    env.mode !== 'delete' &&
    counts.updated === counts.desired &&
    counts.available === counts.desired &&
    counts.misscheduled === 0 &&
    duplicates === 0 &&
    inFlight === 0;
  return {
    actions,
    counts,
    unavailable,
    maxUnavailable,
    outdated: outdated.length,
    inFlight,
    backingOff,
    observedFailures,
    converged,
  };
}

/**
 * Scratch arrays shared by every plan (planning is synchronous, so one set suffices): allocating
 * them per plan made the garbage collector walk a million-task heap on every pass.
 */
let HEAD = new Int32Array(0);
let NEXT = new Int32Array(0);
function scratch(instances: number, tasks: number): { head: Int32Array; next: Int32Array } {
  if (HEAD.length < instances) HEAD = new Int32Array(Math.max(instances, HEAD.length * 2)).fill(-1);
  if (NEXT.length < tasks) NEXT = new Int32Array(Math.max(tasks, NEXT.length * 2));
  return { head: HEAD, next: NEXT };
}

export function backoffMs(attempts: number, ctx: Pick<PlanContext, 'retryBaseMs' | 'retryMaxMs'>): number {
  const base = ctx.retryBaseMs ?? 1000;
  const max = ctx.retryMaxMs ?? 60_000;
  return Math.min(max, base * 2 ** Math.max(0, Math.min(attempts - 1, 30)));
}

/**
 * StartTask failure reasons that say the revision cannot run there (resources, constraints).
 * Others (MISSING, INACTIVE, DRAINING: cluster state was behind; call errors) are transient.
 */
export function isRevisionFailure(reason: string): boolean {
  return reason.startsWith('RESOURCE:') || reason.startsWith('ATTRIBUTE') || reason === 'AGENT';
}

/** A task that stopped on its own: not by us, not by a user. */
function isFailure(t: TaskView): boolean {
  if (t.stoppedReason?.startsWith(STOP_REASON_PREFIX)) return false;
  if (t.stopCode !== undefined) return t.stopCode !== 'UserInitiated';
  return t.startedAt === undefined;
}

/** Which copy to keep: the target revision, then RUNNING, then our own over adopted, then the oldest. */
function preference(a: TaskView, b: TaskView, target: string | undefined, adopted: Set<string>): number {
  return (
    Number(b.taskDefinitionArn === target) - Number(a.taskDefinitionArn === target) ||
    Number(b.lastStatus === 'RUNNING') - Number(a.lastStatus === 'RUNNING') ||
    Number(adopted.has(a.arn)) - Number(adopted.has(b.arn)) ||
    cmp(a.createdAt ?? '', b.createdAt ?? '') ||
    cmp(a.arn, b.arn)
  );
}

function stop(actions: Action[], t: TaskView, reason: StopReason): void {
  const action: Action = { type: 'stop', task: t.arn, reason };
  if (t.instanceArn !== undefined) action.instance = t.instanceArn;
  actions.push(action);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One line per action, for logs and `--dry-run` style printing. */
export function formatPlan(p: Plan): string {
  const c = p.counts;
  const head = `desired=${c.desired} current=${c.current} updated=${c.updated} available=${c.available} failed=${c.failed} misscheduled=${c.misscheduled} unavailable=${p.unavailable}/${p.maxUnavailable} inFlight=${p.inFlight} converged=${p.converged}`;
  const lines = p.actions.map((a) =>
    a.type === 'start'
      ? `start ${a.taskDefinition} on ${a.instance} (revision ${a.revision})`
      : `stop ${a.task} (${a.reason})`,
  );
  return [head, ...lines].join('\n');
}
