import { randomUUID } from 'node:crypto';
import { silentLogger, type Logger } from '../../core/logger.js';
import type { Store, Watcher } from '../../store/types.js';
import { START_TASK_BATCH, type EcsActuator } from '../framework/actuator.js';
import { Controller } from '../framework/controller.js';
import type { ClusterInformer } from '../framework/informer.js';
import type { IntentLog, LaunchIntent } from '../framework/intents.js';
import type { LeaderTerm } from '../framework/leader.js';
import { isLiveTask } from '../framework/views.js';
import { prepareCluster, type ClusterView } from './cluster-view.js';
import { execute } from './executor.js';
import { compileFilter, type CompiledFilter } from './filter.js';
import { evaluateProgress, failureRecords, recordFailures, targetOf, transition } from './lifecycle.js';
import { environmentGroup, type Deployment, type EnvironmentRecord, type Revision } from './model.js';
import {
  isRevisionFailure,
  planPrepared,
  type Action,
  type LaunchInFlight,
  type Plan,
  type PlannerEnvironment,
} from './planner.js';
import { SCHEDULER_PREFIX, TOMBSTONES, type EnvironmentRepository, type Tombstone } from './repository.js';

export interface DaemonControllerOptions {
  store: Store;
  repo: EnvironmentRepository;
  informer: ClusterInformer;
  actuator: EcsActuator;
  intents: IntentLog;
  logger?: Logger;
  /** Periodic resync of every environment (default 10 s). */
  resyncMs?: number;
  /** How long a launch may stay invisible in cluster state before ECS is asked (default 60 s). */
  intentTtlMs?: number;
  /** Look again this soon while a rollout or launches are under way (default 1 s). */
  activeRequeueMs?: number;
  /**
   * Cluster changes within this window share one planning pass (default 25 ms). A fleet joining
   * arrives as a stream of changes; a pass per change cost more CPU than it saved in latency.
   */
  eventDelayMs?: number;
  /**
   * …but once changes pause this long (default 5 ms) the pass comes without waiting out the
   * window: the last instances of a join, or one instance joining alone, are acted on at once.
   */
  eventQuietMs?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /**
   * Called after every planned pass (observability, tests, benchmarks), with the time it took to
   * prepare the cluster view and plan.
   */
  onPlan?: (environment: string, plan: Plan, timing: { planSeconds: number }) => void;
  /** Called when a pass fails (it is retried with backoff); `environment` is 'tombstone' for deletions. */
  onReconcileError?: (environment: string, err: unknown) => void;
}

const TOMB = 'tombstone:';
/** How soon a pass that held back a partial StartTask batch looks again (see `launchable`). */
const HOLD_RECHECK_MS = 10;
/** The same while the pacing bucket has no call to spare: about when it refills one at ECS's 40/s. */
const HOLD_THROTTLED_RECHECK_MS = 25;
/** A partial batch goes out after this long held back, whatever the bucket. */
const HOLD_MAX_MS = 1000;

/**
 * A launch intent as the leader tracks it: the intent, its time as a number (the planner and the
 * TTL check read it on every pass, for every instance of a join), and whether this leader's
 * StartTask call for it is still under way (such an intent is never verified with ECS and dropped:
 * ECS may not have answered yet).
 */
interface TrackedLaunch extends LaunchInFlight {
  intent: LaunchIntent;
  calling: boolean;
}

/**
 * The daemon scheduler's leader loop for one term: a level-triggered controller keyed by
 * environment name. Each pass reads the environment and its deployments from the store and the
 * cluster from the informer, plans (pure), advances the deployment state machine, and executes
 * the plan. Launch intents and in-flight stops are remembered so nothing is done twice.
 */
export class DaemonController {
  private readonly logger: Logger;
  private controller: Controller<string> | undefined;
  private watcher: Watcher | undefined;
  private term: LeaderTerm | undefined;
  /** env name → instance ARN → intent (passed to the planner as its launches in flight). */
  private readonly launches = new Map<string, Map<string, TrackedLaunch>>();
  /**
   * Executions of plans still under way (their ECS calls), and how many per environment. A pass
   * does not wait for its calls: the next pass plans the instances that joined meanwhile while
   * the earlier calls are in flight (their instances count as launching).
   */
  private readonly executions = new Set<Promise<void>>();
  private readonly executing = new Map<string, number>();
  /**
   * Environments whose last pass held back a partial StartTask batch: how many starts it held, and
   * since when starts have been held with no whole batch going out (see `launchable`).
   */
  private readonly heldBack = new Map<string, { starts: number; since: number }>();
  /** task ARN → when StopTask was sent. */
  private readonly stopping = new Map<string, number>();
  private readonly envCluster = new Map<string, string>();
  /** cluster ARN → its environments (derived from envCluster, cleared when that changes). */
  private readonly byCluster = new Map<string, readonly string[]>();
  private readonly views = new Map<string, { version: number; view: ClusterView }>();
  private readonly filters = new Map<string, CompiledFilter>();
  private readonly lastCountsWrite = new Map<string, number>();
  /** instance ARN → no launch before (transient StartTask failures). */
  private readonly holds = new Map<string, number>();
  /** Largest `unavailable` seen per deployment (counts are written at most once a second). */
  private readonly maxUnavailable = new Map<string, number>();

  constructor(private readonly options: DaemonControllerOptions) {
    this.logger = (options.logger ?? silentLogger).child({ component: 'daemon-controller' });
  }

  /** Runs for one leadership term; returns once started (the term's signal stops it). */
  async lead(term: LeaderTerm): Promise<void> {
    // A previous term of this replica may still be finishing a pass (its abort only asked it to
    // stop). Its StartTask calls must land before this term checks the recorded intents with ECS,
    // or the check drops an intent whose call is still on its way and the instance gets a second
    // task; and until it is done, its writes must carry its own (stale) fence, not this term's.
    await this.stopped;
    this.term = term;
    this.launches.clear();
    // `stopping` is kept: stops sent in the last term may not show in cluster state yet, and
    // forgetting them would count those instances as available and spend the budget twice.
    for (const intent of await this.options.intents.list()) this.remember(intent);
    await this.verifyIntents(true);
    const controller = new Controller<string>({
      informer: this.options.informer,
      keysFor: (e) => this.environmentsOf(e.clusterArn),
      allKeys: async () => {
        const envs = await this.options.repo.listAll();
        for (const env of envs) this.placeEnvironment(env.name, env.clusterArn);
        const tombs = await this.options.repo.tombstones();
        return [...envs.map((e) => e.name), ...tombs.map((t) => `${TOMB}${JSON.stringify(t)}`)];
      },
      reconcile: (key) =>
        this.reconcile(key).catch((err: unknown) => {
          this.options.onReconcileError?.(key.startsWith(TOMB) ? 'tombstone' : key, err);
          throw err;
        }),
      resyncMs: this.options.resyncMs ?? 10_000,
      eventDelayMs: this.options.eventDelayMs ?? 25,
      eventQuietMs: this.options.eventQuietMs ?? 5,
      logger: this.logger,
    });
    this.controller = controller;
    // Changes other replicas' APIs write to the store reach the leader through a watch.
    const rev = await this.options.store.revision();
    this.watcher = await this.options.store.watch(
      SCHEDULER_PREFIX,
      { fromRevision: rev + 1 },
      {
        onEvents: (events) => {
          for (const e of events) {
            const m = /^scheduler\/(environments|deployments|deployment-ids|revisions)\/([^/]+)/.exec(e.key);
            if (m) controller.queue.add(m[2]!);
            else if (e.key.startsWith(TOMBSTONES)) void controller.resync();
          }
        },
        onError: (err) => {
          this.logger.warn({ err }, 'store watch failed; relying on periodic resync');
        },
      },
    );
    await controller.start();
    term.signal.addEventListener('abort', () => void this.stop(), { once: true });
  }

  private stopped: Promise<void> | undefined;

  /** Ask for a pass now (the API calls this after a write on this replica). */
  poke(name: string): void {
    this.controller?.queue.add(name);
  }

  /** Stops acting; resolves when the pass under way (if any) has finished. */
  stop(): Promise<void> {
    const c = this.controller;
    const w = this.watcher;
    this.controller = undefined;
    this.watcher = undefined;
    const previous = this.stopped;
    this.stopped = (async () => {
      await previous;
      await w?.close();
      await c?.stop();
      // Calls a pass sent off are part of this term: they land before the next term starts.
      while (this.executions.size > 0) await Promise.allSettled([...this.executions]);
    })();
    return this.stopped;
  }

  /** Records which cluster an environment is in (undefined: it is gone). */
  private placeEnvironment(name: string, clusterArn: string | undefined): void {
    if (this.envCluster.get(name) === clusterArn) return;
    if (clusterArn === undefined) this.envCluster.delete(name);
    else this.envCluster.set(name, clusterArn);
    this.byCluster.clear();
  }

  /** The environments of a cluster: asked for every cluster change, so kept until an environment moves. */
  private environmentsOf(clusterArn: string): readonly string[] {
    const known = this.byCluster.get(clusterArn);
    if (known) return known;
    const names: string[] = [];
    for (const [name, cluster] of this.envCluster) if (cluster === clusterArn) names.push(name);
    this.byCluster.set(clusterArn, names);
    return names;
  }

  private get fence() {
    return this.term?.fence;
  }

  private remember(intent: LaunchIntent, calling = false): void {
    let m = this.launches.get(intent.scope);
    if (!m) this.launches.set(intent.scope, (m = new Map()));
    m.set(intent.instance, { intent, at: Date.parse(intent.at), calling });
  }

  /**
   * Checks intents against ECS: at the start of a term (all of them: the previous leader may
   * have died between recording an intent and calling ECS) and later those older than the TTL.
   * An intent whose task ECS does not have is dropped so the instance gets a launch again.
   */
  private async verifyIntents(all: boolean, scope?: string): Promise<void> {
    const ttl = this.options.intentTtlMs ?? 60_000;
    const now = Date.now();
    const byQuery = new Map<string, LaunchIntent[]>();
    for (const [s, m] of this.launches) {
      if (scope !== undefined && s !== scope) continue;
      for (const tracked of m.values()) {
        if (tracked.calling || (!all && now - tracked.at < ttl)) continue;
        const intent = tracked.intent;
        const k = `${intent.cluster}\n${intent.startedBy}`;
        const list = byQuery.get(k);
        if (list) list.push(intent);
        else byQuery.set(k, [intent]);
      }
    }
    for (const [k, intents] of byQuery) {
      const [cluster, startedBy] = k.split('\n') as [string, string];
      let live: Array<{ instance?: string; lastStatus?: string }>;
      try {
        live = await this.options.actuator.tasksStartedBy(cluster, startedBy);
      } catch (err) {
        this.logger.warn({ err }, 'could not verify launch intents with ECS; keeping them');
        continue;
      }
      const id = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);
      const onInstance = new Set(
        live.filter((t) => t.lastStatus !== 'STOPPED' && t.instance).map((t) => id(t.instance!)),
      );
      const drop: LaunchIntent[] = [];
      for (const intent of intents) {
        if (onInstance.has(id(intent.instance))) {
          // ECS has it: wait for cluster state to show it (settleIntents then forgets it).
          const tracked = this.launches.get(intent.scope)?.get(intent.instance);
          if (tracked?.intent === intent) tracked.at = Date.now();
          intent.at = new Date().toISOString();
          intent.state = 'started';
        } else drop.push(intent);
      }
      await this.forget(drop);
    }
  }

  private async forget(intents: readonly LaunchIntent[]): Promise<void> {
    const byScope = new Map<string, string[]>();
    for (const i of intents) {
      const m = this.launches.get(i.scope);
      if (m?.get(i.instance)?.intent === i) m.delete(i.instance);
      const list = byScope.get(i.scope);
      if (list) list.push(i.instance);
      else byScope.set(i.scope, [i.instance]);
    }
    for (const [scope, instances] of byScope) await this.options.intents.remove(scope, instances, this.fence);
  }

  private viewOf(clusterArn: string): ClusterView {
    const informer = this.options.informer;
    const version = informer.clusterVersion(clusterArn);
    const cached = this.views.get(clusterArn);
    if (cached && cached.version === version) return cached.view;
    const view = prepareCluster(clusterArn, informer.instances(clusterArn), informer.tasks(clusterArn));
    this.views.set(clusterArn, { version, view });
    return view;
  }

  private filterOf(revision: Revision): CompiledFilter {
    const key = JSON.stringify(revision.instanceFilter);
    let f = this.filters.get(key);
    if (!f) this.filters.set(key, (f = compileFilter(revision.instanceFilter)));
    return f;
  }

  private async reconcile(key: string): Promise<void | { requeueAfterMs?: number }> {
    if (this.term?.signal.aborted) return;
    if (key.startsWith(TOMB)) return this.reconcileTombstone(JSON.parse(key.slice(TOMB.length)) as Tombstone);
    const found = await this.options.repo.get(key);
    if (!found) {
      this.placeEnvironment(key, undefined);
      const m = this.launches.get(key);
      if (m) this.launches.delete(key);
      return;
    }
    const env = found.value;
    this.placeEnvironment(env.name, env.clusterArn);
    const repo = this.options.repo;
    const current = env.currentDeployment
      ? await repo.deployment(env.name, env.currentDeployment)
      : undefined;
    const last = env.lastDeployment ? await repo.deployment(env.name, env.lastDeployment) : undefined;
    const { mode, deployment } = targetOf(env, current, last);
    const revision = await repo.revision(env.name, deployment?.revision ?? env.latestRevision);
    if (!revision) return;

    // Launch intents: drop those whose task is now visible; verify old ones with ECS.
    await this.settleIntents(env);
    this.expireStops();

    const planStart = performance.now();
    const view = this.viewOf(env.clusterArn);
    const plannerEnv: PlannerEnvironment = {
      name: env.name,
      group: environmentGroup(env),
      clusterArn: env.clusterArn,
      mode,
      revision: revision.revision,
      taskDefinition: revision.taskDefinition,
      ...(deployment ? { deploymentId: deployment.id } : {}),
      filter: this.filterOf(revision),
      maxUnavailable: revision.deploymentConfiguration.maxUnavailable,
      foreignTasks: revision.foreignTasks,
    };
    const plan = planPrepared(plannerEnv, view, {
      now: Date.now(),
      ...(this.launches.has(env.name) ? { launches: this.launches.get(env.name)! } : {}),
      stopping: new Set(this.stopping.keys()),
      failures: failureRecords(deployment),
      holds: this.holds,
      ...(this.options.retryBaseMs !== undefined ? { retryBaseMs: this.options.retryBaseMs } : {}),
      ...(this.options.retryMaxMs !== undefined ? { retryMaxMs: this.options.retryMaxMs } : {}),
    });
    this.options.onPlan?.(env.name, plan, { planSeconds: (performance.now() - planStart) / 1000 });

    // Deployment bookkeeping first: a failed rollout stops acting before doing more damage.
    const outcome = deployment ? await this.advance(env, deployment, revision, plan) : 'same';
    if (outcome === 'changed') return { requeueAfterMs: 0 };

    if (plan.actions.length > 0) {
      const actions = this.launchable(env.name, plan.actions);
      this.logger.debug(
        {
          env: env.name,
          actions: actions.length,
          heldBack: plan.actions.length - actions.length,
          counts: plan.counts,
        },
        'executing plan',
      );
      const now = Date.now();
      const at = new Date(now).toISOString();
      const starts: TrackedLaunch[] = [];
      for (const a of actions) {
        if (a.type === 'stop') this.stopping.set(a.task, now);
        else {
          // Remembered before the call and until ECS answered: the passes that run meanwhile
          // count the instance as launching, so it is never planned (or verified away) twice.
          this.remember(
            {
              scope: env.name,
              instance: a.instance,
              cluster: env.clusterArn,
              taskDefinition: a.taskDefinition,
              startedBy: a.deploymentId,
              at,
              state: 'calling',
              by: 'leader',
            },
            true,
          );
          starts.push(this.launches.get(env.name)!.get(a.instance)!);
        }
      }
      if (actions.length > 0) this.dispatch(env, plannerEnv.group, deployment, actions, starts);
    }
    const busy =
      plan.actions.length > 0 ||
      plan.inFlight > 0 ||
      mode === 'rolling' ||
      plan.backingOff > 0 ||
      plan.counts.failed > 0;
    if (this.heldBack.has(env.name))
      return {
        requeueAfterMs:
          this.options.actuator.spareModifyCalls() >= 1 ? HOLD_RECHECK_MS : HOLD_THROTTLED_RECHECK_MS,
      };
    return busy ? { requeueAfterMs: this.options.activeRequeueMs ?? 1000 } : undefined;
  }

  /**
   * The actions to carry out now. Starts go out in whole StartTask batches of 10 while instances
   * keep joining: ECS's bucket allows 100 modify calls at once, so a partial batch per pass (a pass
   * every few tens of ms while a fleet joins) would cost calls the join needs. The remainder goes
   * out when a pass finds the same number of starts as the one before held back (nothing joined
   * since: waiting gains nothing) and the bucket has a call to spare (while it has none, as in a
   * throttle-bound rollout whose stops free instances one by one, a partial batch would only
   * take the place of a fuller one). A pass that holds some back looks again soon
   * (`HOLD_RECHECK_MS`, or about when the bucket has refilled a call), so a lone instance, or the
   * last of a join, waits that long and no more. The starts held are the last planned: the newest
   * instances, as the informer keeps a cluster's instances in the order it first saw them.
   */
  private launchable(name: string, actions: readonly Action[]): readonly Action[] {
    const before = this.heldBack.get(name);
    this.heldBack.delete(name);
    let starts = 0;
    for (const a of actions) if (a.type === 'start') starts++;
    const keep = starts - (starts % START_TASK_BATCH);
    if (keep === starts) return actions;
    const now = Date.now();
    if (before) {
      const settled = starts === before.starts && this.options.actuator.spareModifyCalls() >= 1;
      // Not held for long once nothing else goes out: other environments' calls may keep the
      // bucket empty for minutes. (While whole batches go out, the bucket is spent well.)
      if (settled || now - before.since >= HOLD_MAX_MS) return actions;
    }
    this.heldBack.set(name, { starts: starts - keep, since: keep > 0 || !before ? now : before.since });
    let n = 0;
    return actions.filter((a) => a.type !== 'start' || n++ < keep);
  }

  /**
   * Carries out a pass's actions without holding up the pass: the work queue can run the next
   * pass of this environment (new instances, other changes) while these calls are in flight.
   * `stop()` waits for them, so a new term never checks intents whose calls are still going.
   */
  private dispatch(
    env: EnvironmentRecord,
    group: string,
    deployment: Deployment | undefined,
    actions: readonly Action[],
    starts: readonly TrackedLaunch[],
  ): void {
    const name = env.name;
    const fence = this.fence;
    this.executing.set(name, (this.executing.get(name) ?? 0) + 1);
    const run = (async () => {
      let failed = false;
      try {
        const result = await execute(
          actions,
          { cluster: env.clusterArn, group, scope: name, environment: name },
          { actuator: this.options.actuator, intents: this.options.intents, ...(fence ? { fence } : {}) },
        );
        const mine = new Map(starts.map((t) => [t.intent.instance, t]));
        for (const s of result.started) {
          const tracked = mine.get(s.instance);
          if (tracked) Object.assign(tracked.intent, { state: 'started', taskArn: s.taskArn });
        }
        const launches = this.launches.get(name);
        for (const f of result.failures) {
          const tracked = mine.get(f.instance);
          if (tracked && launches?.get(f.instance) === tracked) launches.delete(f.instance);
        }
        for (const f of result.stopFailures) this.stopping.delete(f.task);
        if (result.failures.length > 0 && deployment) {
          this.logger.info({ env: name, failures: result.failures.slice(0, 5) }, 'StartTask failures');
          const now = Date.now();
          for (const [instance, until] of this.holds) if (until < now) this.holds.delete(instance);
          for (const f of result.failures)
            if (!isRevisionFailure(f.reason))
              this.holds.set(f.instance, now + (this.options.retryBaseMs ?? 1000) * 2);
          const real = result.failures.filter((f) => isRevisionFailure(f.reason));
          if (real.length > 0) await this.recordDeploymentFailures(name, deployment.id, real, fence);
        }
      } catch (err) {
        // Intents of a call whose outcome is unknown stay: they are verified with ECS after the TTL.
        failed = true;
        this.logger.warn({ err, env: name }, 'executing a plan failed; looking again shortly');
        this.options.onReconcileError?.(name, err);
      } finally {
        for (const t of starts) t.calling = false;
        const left = (this.executing.get(name) ?? 1) - 1;
        if (left > 0) this.executing.set(name, left);
        else this.executing.delete(name);
        // Look again: failures change the plan, and a held-back partial batch waits for this.
        const queue = this.controller?.queue;
        if (failed) queue?.addAfter(name, this.options.activeRequeueMs ?? 1000);
        else if (this.heldBack.has(name) && left === 0) queue?.add(name);
        else queue?.addAfter(name, this.options.eventDelayMs ?? 25);
      }
    })();
    this.executions.add(run);
    void run.finally(() => this.executions.delete(run));
  }

  /** Moves the deployment through its state machine from what the plan shows. */
  private async advance(
    env: EnvironmentRecord,
    deployment: Deployment,
    revision: Revision,
    plan: Plan,
  ): Promise<'same' | 'changed'> {
    const now = new Date().toISOString();
    const config = revision.deploymentConfiguration;
    const unavailableNow = Math.max(this.maxUnavailable.get(deployment.id) ?? 0, plan.unavailable);
    this.maxUnavailable.set(deployment.id, unavailableNow);
    const countsDue = Date.now() - (this.lastCountsWrite.get(deployment.id) ?? 0) > 1000;
    /** What to write, given the environment and deployment as stored (undefined: nothing). */
    const decide = async (e: EnvironmentRecord, stored: Deployment) => {
      let d = stored;
      const before = JSON.stringify(d);
      const writes: Deployment[] = [];
      let next: EnvironmentRecord = { ...e };
      d = recordFailures(d, plan.observedFailures, now);
      if (d.state === 'pending') d = transition(d, 'in_progress', now);
      if (d.state === 'in_progress') {
        d = {
          ...d,
          counts: plan.counts,
          maxUnavailableSeen: Math.max(d.maxUnavailableSeen ?? 0, unavailableNow),
        };
        if (d.failures.length > 0) next.health = 'unhealthy';
        const verdict = evaluateProgress(d, plan, config);
        if (verdict?.to === 'completed') {
          d = transition(d, 'completed', now, { reason: verdict.reason });
          next = { ...next, currentDeployment: undefined, activeRevision: d.revision };
          if (!d.rollbackOf) next.health = d.failures.length > 0 ? 'unhealthy' : 'healthy';
        } else if (verdict?.to === 'failed') {
          d = transition(d, 'failed', now, { reason: verdict.reason });
          next = { ...next, currentDeployment: undefined, health: 'unhealthy' };
          const back =
            config.autoRollback &&
            !d.rollbackOf &&
            e.activeRevision !== undefined &&
            e.activeRevision !== d.revision
              ? e.activeRevision
              : undefined;
          if (back !== undefined) {
            const rollback: Deployment = {
              id: randomUUID(),
              environment: e.name,
              seq: e.deploymentSeq + 1,
              revision: back,
              taskDefinition:
                (await this.options.repo.revision(e.name, back))?.taskDefinition ?? d.taskDefinition,
              state: 'pending',
              token: e.token,
              createdAt: now,
              failures: [],
              rollbackOf: d.id,
            };
            d = transition(d, 'rolled_back', now, { rolledBackBy: rollback.id });
            writes.push(rollback);
            next = {
              ...next,
              deploymentSeq: rollback.seq,
              currentDeployment: rollback.id,
              lastDeployment: rollback.id,
              token: randomUUID(),
            };
          }
        }
      }
      const changedState = d.state !== deployment.state;
      // Counts change on every pass of a rollout: write them at most once a second.
      const withoutCounts = (x: Deployment) =>
        JSON.stringify({ ...x, counts: undefined, maxUnavailableSeen: undefined });
      const significant = withoutCounts(d) !== withoutCounts(JSON.parse(before) as Deployment);
      if (JSON.stringify(d) === before || (!significant && !countsDue)) return undefined;
      if (next.currentDeployment === undefined) delete next.currentDeployment;
      next.updatedAt = now;
      writes.unshift(d);
      return { env: next, deployments: writes, result: changedState ? 'changed' : 'same' };
    };
    // Most passes of a join or a rollout have nothing to write (counts are written once a second):
    // decided on what this pass read, that costs no store reads. A write made since then reaches
    // this leader through its store watch and asks for another pass, which decides again.
    if ((await decide(env, deployment)) === undefined) return 'same';
    const result = await this.options.repo.update(
      env.name,
      async (e) => {
        const d = await this.options.repo.deployment(e.name, deployment.id);
        return d ? decide(e, d) : undefined;
      },
      this.fence ? { fence: this.fence } : {},
    );
    if (result !== undefined) this.lastCountsWrite.set(deployment.id, Date.now());
    if (result === 'changed') {
      // The deployment ended (or started): its per-deployment bookkeeping is done with.
      this.lastCountsWrite.delete(deployment.id);
      this.maxUnavailable.delete(deployment.id);
    }
    if (result === 'changed')
      this.logger.info({ env: env.name, deployment: deployment.id }, 'deployment state changed');
    return (result as 'same' | 'changed' | undefined) ?? 'same';
  }

  private async recordDeploymentFailures(
    name: string,
    id: string,
    failures: Array<{ instance: string; reason: string }>,
    fence = this.fence,
  ): Promise<void> {
    const now = new Date().toISOString();
    await this.options.repo.update(
      name,
      async (e) => {
        const d = await this.options.repo.deployment(name, id);
        if (!d) return undefined;
        const next = recordFailures(d, failures, now);
        if (next === d) return undefined;
        const health = d.state === 'in_progress' || d.state === 'pending' ? 'unhealthy' : e.health;
        return { env: { ...e, health }, deployments: [next], result: undefined };
      },
      fence ? { fence } : {},
    );
  }

  private async settleIntents(env: EnvironmentRecord): Promise<void> {
    const m = this.launches.get(env.name);
    if (!m || m.size === 0) return;
    const group = environmentGroup(env);
    const informer = this.options.informer;
    const visible: LaunchIntent[] = [];
    // Built on first need: while a fleet joins, most passes have no intent whose call answered yet.
    let liveOnInstance: Set<string> | undefined;
    for (const { intent } of m.values()) {
      if (intent.state !== 'started') continue;
      if (intent.taskArn && informer.task(env.clusterArn, intent.taskArn)) {
        visible.push(intent);
        continue;
      }
      if (!liveOnInstance) {
        liveOnInstance = new Set<string>();
        for (const t of informer.tasks(env.clusterArn))
          if (t.group === group && t.instanceArn && t.lastStatus !== 'STOPPED')
            liveOnInstance.add(t.instanceArn);
      }
      if (liveOnInstance.has(intent.instance)) visible.push(intent);
    }
    if (visible.length > 0) await this.forget(visible);
    await this.verifyIntents(false, env.name);
  }

  private expireStops(): void {
    const now = Date.now();
    for (const [task, at] of this.stopping) {
      let seen = false;
      for (const cluster of this.options.informer.clusters()) {
        const t = this.options.informer.task(cluster, task);
        if (t) {
          seen = true;
          if (!isLiveTask(t) || t.desiredStatus === 'STOPPED') this.stopping.delete(task);
          break;
        }
      }
      if ((!seen && now - at > 5_000) || now - at > 30_000) this.stopping.delete(task);
    }
  }

  private async reconcileTombstone(t: Tombstone): Promise<void | { requeueAfterMs?: number }> {
    const view = this.viewOf(t.clusterArn);
    const plan = planPrepared(
      {
        name: t.name,
        group: t.group,
        clusterArn: t.clusterArn,
        mode: 'delete',
        maxUnavailable: 1,
        foreignTasks: 'ignore',
      },
      view,
      { now: Date.now(), stopping: new Set(this.stopping.keys()) },
    );
    const live = (view.tasksByGroup.get(t.group)?.tasks ?? []).filter((x) => x.lastStatus !== 'STOPPED');
    if (live.length === 0) {
      await this.options.intents.removeScope(t.name, this.fence);
      await this.options.repo.removeTombstone(t, this.fence);
      this.logger.info({ env: t.name }, 'deleted environment has no tasks left');
      return;
    }
    if (plan.actions.length > 0) {
      for (const a of plan.actions) if (a.type === 'stop') this.stopping.set(a.task, Date.now());
      await execute(
        plan.actions,
        { cluster: t.clusterArn, group: t.group, scope: t.name, environment: t.name },
        {
          actuator: this.options.actuator,
          intents: this.options.intents,
        },
      );
    }
    return { requeueAfterMs: 1000 };
  }
}
