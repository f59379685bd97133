import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { BloxError } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import {
  EcsActuator,
  type ActuatorOptions,
  type StartResult,
  type StartTasksRequest,
} from '../framework/actuator.js';
import { DEPLOYMENT_STATES, GROUP_PREFIX, type DeploymentState, type Health } from './model.js';
import { stopReasonText, type Plan, type StopReason } from './planner.js';

/** What the scrape-time collectors read: store data any replica can report. */
export interface EnvironmentSummary {
  name: string;
  health: Health;
  /** State of the environment's most recent deployment (absent before its first). */
  deploymentState?: DeploymentState;
}

export interface SchedulerMetricsSources {
  isLeader(): boolean;
  /** Every environment, read from the store at scrape time. */
  environments(): Promise<EnvironmentSummary[]>;
  /** The ECS group of a task in the informer's cache (names the environment of a task being stopped). */
  groupOf(cluster: string, task: string): string | undefined;
  /** Throttled ECS calls the actuator retried so far. */
  throttled(): number;
  logger?: Logger;
}

const STOP_REASONS: readonly StopReason[] = ['duplicate', 'outdated', 'ineligible', 'draining', 'deleted'];
const STOP_REASON_BY_TEXT = new Map(STOP_REASONS.map((r) => [stopReasonText(r), r]));
const PLAN_COUNTS = ['desired', 'current', 'updated', 'available', 'failed', 'misscheduled'] as const;
/** Environment label for work whose environment cannot be told (a task that left the cache). */
const UNKNOWN = 'unknown';
/** A replacement start is expected this soon after the outdated task's stop was planned. */
const REPLACEMENT_WINDOW_MS = 10 * 60_000;

/**
 * The daemon scheduler's Prometheus metrics, all under `blox_scheduler_` so they share one
 * registry with the state service's (`blox_state_`) when `blox up` serves both on one port.
 *
 * Per-environment counts come from the leader's plans (followers do not plan: their plan gauges
 * are empty, and a replica that loses leadership drops them at the next scrape). Deployment state
 * and health are store data: every replica reports them. Gauges of deleted environments are
 * removed at the next scrape; counters stay until the process restarts (rate() needs them).
 */
export class SchedulerMetrics {
  private readonly planGauges: Record<
    (typeof PLAN_COUNTS)[number] | 'unavailable' | 'maxUnavailable',
    Gauge<'environment'>
  >;
  private readonly started: Counter<'environment' | 'reason'>;
  private readonly stopped: Counter<'environment' | 'reason'>;
  private readonly startFailures: Counter<'environment' | 'reason'>;
  private readonly stopFailures: Counter<'environment'>;
  private readonly planDuration: Histogram;
  private readonly reconcileErrors: Counter;
  private readonly leaderTerms: Counter;
  private readonly logger: Logger;
  /** Environments with plan gauges set (to remove the deleted ones). */
  private readonly planned = new Set<string>();
  /** `env\ninstance` → when a stop of its outdated task was planned: the next start there replaces it. */
  private readonly replacing = new Map<string, number>();
  /** task ARN → environment, from planned stops (a stop request names tasks, not environments). */
  private readonly stopTargets = new Map<string, string>();
  private summary: Promise<EnvironmentSummary[] | undefined> | undefined;

  constructor(
    registry: Registry,
    private readonly sources: SchedulerMetricsSources,
  ) {
    if (registry.getSingleMetric('blox_scheduler_leader'))
      throw new BloxError(
        'SchedulerMetricsRegistered',
        'this metrics registry already has a daemon scheduler: start one scheduler per registry (one per process)',
      );
    this.logger = (sources.logger ?? silentLogger).child({ component: 'scheduler-metrics' });
    const registers = [registry];
    const refresh = () => this.refresh();
    const dropDeleted = async () => {
      await refresh();
    };
    const planGauge = (name: string, help: string) =>
      new Gauge({ name, help, labelNames: ['environment'], registers, collect: dropDeleted });
    this.planGauges = {
      desired: planGauge('blox_scheduler_environment_desired', 'Eligible instances (leader only)'),
      current: planGauge(
        'blox_scheduler_environment_current',
        'Eligible instances with a daemon task of any revision (leader only)',
      ),
      updated: planGauge(
        'blox_scheduler_environment_updated',
        'Eligible instances whose daemon task runs the target revision (leader only)',
      ),
      available: planGauge(
        'blox_scheduler_environment_available',
        'Eligible instances whose daemon task is RUNNING (leader only)',
      ),
      failed: planGauge(
        'blox_scheduler_environment_failed',
        'Eligible instances where the target revision failed to start or keep running (leader only)',
      ),
      misscheduled: planGauge(
        'blox_scheduler_environment_misscheduled',
        'Daemon tasks on instances that are not eligible, being stopped (leader only)',
      ),
      unavailable: planGauge(
        'blox_scheduler_environment_unavailable',
        'Eligible instances without a RUNNING daemon task (leader only; compare with max_unavailable)',
      ),
      maxUnavailable: planGauge(
        'blox_scheduler_environment_max_unavailable',
        'maxUnavailable of the target revision resolved against desired (leader only)',
      ),
    };
    new Gauge({
      name: 'blox_scheduler_deployment_state',
      help: 'State of the environment’s most recent deployment: 1 for the state it is in, 0 for the others',
      labelNames: ['environment', 'state'],
      registers,
      async collect() {
        const envs = await refresh();
        if (!envs) return; // store unreachable: keep the last values
        this.reset();
        for (const e of envs)
          for (const state of DEPLOYMENT_STATES)
            this.set({ environment: e.name, state }, e.deploymentState === state ? 1 : 0);
      },
    });
    new Gauge({
      name: 'blox_scheduler_environment_healthy',
      help: 'Environment health: 1 healthy, 0 unhealthy (a deployment failed and no later one completed cleanly)',
      labelNames: ['environment'],
      registers,
      async collect() {
        const envs = await refresh();
        if (!envs) return;
        this.reset();
        for (const e of envs) this.set({ environment: e.name }, e.health === 'healthy' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'blox_scheduler_leader',
      help: 'Whether this replica is the elected leader (1) or a follower (0)',
      registers,
      collect() {
        this.set(sources.isLeader() ? 1 : 0);
      },
    });
    this.leaderTerms = new Counter({
      name: 'blox_scheduler_leader_terms_total',
      help: 'Leadership terms this replica has started',
      registers,
    });
    this.started = new Counter({
      name: 'blox_scheduler_tasks_started_total',
      help: 'Daemon tasks started, by reason: missing (the instance had none) or replacement (of an outdated task)',
      labelNames: ['environment', 'reason'],
      registers,
    });
    this.stopped = new Counter({
      name: 'blox_scheduler_tasks_stopped_total',
      help: 'Tasks stopped by the scheduler, by reason (duplicate, outdated, ineligible, draining, deleted)',
      labelNames: ['environment', 'reason'],
      registers,
    });
    this.startFailures = new Counter({
      name: 'blox_scheduler_start_failures_total',
      help: 'Instances where StartTask failed, by ECS reason (RESOURCE:MEMORY, MISSING, …) or error name',
      labelNames: ['environment', 'reason'],
      registers,
    });
    this.stopFailures = new Counter({
      name: 'blox_scheduler_stop_failures_total',
      help: 'StopTask calls that failed',
      labelNames: ['environment'],
      registers,
    });
    let throttledSeen = 0;
    new Counter({
      name: 'blox_scheduler_ecs_throttled_total',
      help: 'ECS calls of the scheduler answered with ThrottlingException (retried with backoff)',
      registers,
      collect() {
        const now = sources.throttled();
        if (now > throttledSeen) this.inc(now - throttledSeen);
        throttledSeen = now;
      },
    });
    this.reconcileErrors = new Counter({
      name: 'blox_scheduler_reconcile_errors_total',
      help: 'Failed passes of an environment (retried with backoff); environment "tombstone" for deletions',
      labelNames: ['environment'],
      registers,
    });
    this.planDuration = new Histogram({
      name: 'blox_scheduler_plan_duration_seconds',
      help: 'Time to prepare the cluster view and plan one environment (leader)',
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    });
  }

  /** A pass of the controller failed (it retries it with backoff). */
  reconcileFailed(environment: string): void {
    this.reconcileErrors.inc({ environment });
  }

  /** A new leadership term began on this replica. */
  leaderTermStarted(): void {
    this.leaderTerms.inc();
  }

  /** The controller's onPlan hook: counts of one environment, and what its stops are for. */
  observePlan(environment: string, plan: Plan, timing?: { planSeconds: number }): void {
    if (timing) this.planDuration.observe(timing.planSeconds);
    const labels = { environment };
    for (const name of PLAN_COUNTS) this.planGauges[name].set(labels, plan.counts[name]);
    this.planGauges.unavailable.set(labels, plan.unavailable);
    this.planGauges.maxUnavailable.set(labels, plan.maxUnavailable);
    this.planned.add(environment);
    const now = Date.now();
    for (const a of plan.actions) {
      if (a.type !== 'stop') continue;
      this.stopTargets.set(a.task, environment);
      if (a.reason === 'outdated' && a.instance) this.replacing.set(`${environment}\n${a.instance}`, now);
    }
    // Planned actions a pass did not execute (its deployment changed state) are planned again;
    // these bounds only keep the maps from growing on a very busy leader.
    if (this.stopTargets.size > 100_000) this.stopTargets.clear();
    if (this.replacing.size > 10_000)
      for (const [k, at] of this.replacing) if (now - at > REPLACEMENT_WINDOW_MS) this.replacing.delete(k);
  }

  observeStarts(req: StartTasksRequest, result: StartResult): void {
    const environment = environmentOfGroup(req.group) ?? UNKNOWN;
    for (const s of result.started) {
      const key = `${environment}\n${s.instance}`;
      const reason = this.replacing.delete(key) ? 'replacement' : 'missing';
      this.started.inc({ environment, reason });
    }
    for (const f of result.failures) this.startFailures.inc({ environment, reason: failureReason(f.reason) });
  }

  observeStops(
    req: { cluster: string; tasks: readonly string[]; reason: string },
    result: { stopped: string[]; failures: Array<{ task: string }> },
  ): void {
    const reason = STOP_REASON_BY_TEXT.get(req.reason) ?? 'other';
    const envOf = (task: string) => {
      const planned = this.stopTargets.get(task);
      this.stopTargets.delete(task);
      return planned ?? environmentOfGroup(this.sources.groupOf(req.cluster, task)) ?? UNKNOWN;
    };
    for (const task of result.stopped) this.stopped.inc({ environment: envOf(task), reason });
    for (const f of result.failures) this.stopFailures.inc({ environment: envOf(f.task) });
  }

  /**
   * Reads the environments (shared by the collectors of one scrape) and drops the plan gauges of
   * environments that no longer exist — or all of them when this replica no longer leads.
   */
  private refresh(): Promise<EnvironmentSummary[] | undefined> {
    if (this.summary) return this.summary;
    const read = this.sources.environments().then(
      (envs) => {
        const present = new Set(envs.map((e) => e.name));
        const leading = this.sources.isLeader();
        for (const name of [...this.planned]) {
          if (leading && present.has(name)) continue;
          for (const g of Object.values(this.planGauges)) g.remove({ environment: name });
          this.planned.delete(name);
        }
        return envs;
      },
      (err: unknown) => {
        this.logger.warn({ err }, 'could not read environments for metrics; keeping the last values');
        return undefined;
      },
    );
    // Shared by the collectors of one scrape (they all ask in the same synchronous run); the
    // next scrape reads again.
    this.summary = read.finally(() => {
      this.summary = undefined;
    });
    return this.summary;
  }
}

/** The environment name in a daemon task's group `blox:<name>:<uid>` (names cannot contain ':'). */
export function environmentOfGroup(group: string | undefined): string | undefined {
  if (!group?.startsWith(GROUP_PREFIX)) return undefined;
  const rest = group.slice(GROUP_PREFIX.length);
  const end = rest.lastIndexOf(':');
  return end > 0 ? rest.slice(0, end) : undefined;
}

/**
 * A bounded label for a StartTask failure: ECS's reason codes as they are (`RESOURCE:MEMORY`,
 * `MISSING`, `ATTRIBUTE`), the error name of a failed call (`ThrottlingException`), else `other`.
 */
export function failureReason(reason: string): string {
  if (/^[A-Z][A-Z_]*(?::[A-Z_]+)?$/.test(reason)) return reason;
  const name = /^([A-Za-z]+(?:Exception|Error)):/.exec(reason);
  return name ? name[1]! : 'other';
}

/** The actuator, reporting what each StartTask and StopTask achieved (after retries) to the metrics. */
export class ObservedActuator extends EcsActuator {
  constructor(
    options: ActuatorOptions,
    private readonly metrics: SchedulerMetrics,
  ) {
    super(options);
  }

  override async startTasks(req: StartTasksRequest): Promise<StartResult> {
    const result = await super.startTasks(req);
    this.metrics.observeStarts(req, result);
    return result;
  }

  override async stopTasks(req: { cluster: string; tasks: readonly string[]; reason: string }) {
    const result = await super.stopTasks(req);
    this.metrics.observeStops(req, result);
    return result;
  }
}
