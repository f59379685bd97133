import { hostname } from 'node:os';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { FastifyPluginAsync } from 'fastify';
import { Registry } from 'prom-client';
import { silentLogger, type Logger } from '../../core/logger.js';
import type { Store } from '../../store/types.js';
import type { EcsActuator } from '../framework/actuator.js';
import { ClusterInformer } from '../framework/informer.js';
import { IntentLog } from '../framework/intents.js';
import { Leadership } from '../framework/leader.js';
import type { ClusterStateSource } from '../framework/source.js';
import { schedulerRoutes } from './api/routes.js';
import { DaemonController } from './controller.js';
import { ecsChecks } from './ecs-checks.js';
import { compileFilter } from './filter.js';
import { environmentGroup, type EnvironmentRecord, type Revision, type StatusCounts } from './model.js';
import { planPrepared, type Plan } from './planner.js';
import { prepareCluster } from './cluster-view.js';
import { EnvironmentRepository, SCHEDULER_PREFIX } from './repository.js';
import { ObservedActuator, SchedulerMetrics, type EnvironmentSummary } from './metrics.js';
import { EnvironmentService } from './service.js';

export interface SchedulerOptions {
  /** Where environments, deployments, intents and the leader election live. */
  store: Store;
  /** Cluster state: in-process (the state service's index) or remote (the state API). */
  source: ClusterStateSource;
  ecs: ECSClient;
  logger?: Logger;
  /** This replica's name in the election (default host:pid). */
  identity?: string;
  /** Leader lease TTL (default 5 s): a dead leader is replaced after about this long. */
  leaderTtlSeconds?: number;
  /** Periodic resync of every environment (default 10 s). */
  resyncMs?: number;
  /** Launch intents older than this are checked against ECS (default 60 s). */
  intentTtlMs?: number;
  /** Client-side pacing of StartTask/StopTask (default ECS's modify bucket: 40/s, burst 100). */
  modifyRate?: { perSecond: number; burst: number };
  /** Retry backoff after a failed launch on an instance (default 1 s doubling to 60 s). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  onPlan?: (environment: string, plan: Plan) => void;
  /**
   * The process's metrics registry (the one its /metrics serves): the scheduler's metrics are
   * registered there under `blox_scheduler_`. Default: a registry of its own (`scheduler.registry`).
   */
  registry?: Registry;
}

export interface RunningScheduler {
  /** The v1 API routes: mount them in any fastify app (`blox up` mounts state and scheduler in one). */
  readonly routes: FastifyPluginAsync;
  readonly readiness: Record<string, () => string | undefined>;
  readonly informer: ClusterInformer;
  readonly service: EnvironmentService;
  readonly actuator: EcsActuator;
  isLeader(): boolean;
  /** Where the scheduler's metrics are (options.registry, or its own). */
  readonly registry: Registry;
  readonly metrics: SchedulerMetrics;
  /** Resolves once the informer has its first list (the API answers before that). */
  readonly synced: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the daemon scheduler: the informer over the given source, the leader election (one
 * replica acts; the others serve the API and wait), and the API routes as a plugin. The API
 * works from the first moment, on the store; status counts appear once the informer synced.
 */
export async function startScheduler(options: SchedulerOptions): Promise<RunningScheduler> {
  // The parts get the caller's logger and name themselves (component: leader, actuator, …); a
  // second `component` binding on top of ours would write the key twice in every line.
  const base = options.logger ?? silentLogger;
  const logger = base.child({ component: 'scheduler' });
  const identity = options.identity ?? `${hostname()}:${process.pid}`;
  const repo = new EnvironmentRepository(options.store);
  const service = new EnvironmentService(repo, ecsChecks(options.ecs));
  const registry = options.registry ?? new Registry();
  // Created before the parts it observes: its sources are only read at scrape time.
  const metrics: SchedulerMetrics = new SchedulerMetrics(registry, {
    isLeader: () => leadership.isLeader,
    environments: async () => summaries(repo),
    groupOf: (cluster, task): string | undefined => informer.task(cluster, task)?.group,
    throttled: () => actuator.stats.throttled,
    logger: base,
  });
  const informer = new ClusterInformer(options.source, { logger: base });
  const actuator: EcsActuator = new ObservedActuator(
    {
      ecs: options.ecs,
      logger: base,
      identity,
      ...(options.modifyRate ? { modifyRate: options.modifyRate } : {}),
    },
    metrics,
  );
  const intents = new IntentLog(options.store, `${SCHEDULER_PREFIX}intents/`);
  const controller = new DaemonController({
    store: options.store,
    repo,
    informer,
    actuator,
    intents,
    logger: base,
    ...(options.resyncMs !== undefined ? { resyncMs: options.resyncMs } : {}),
    ...(options.intentTtlMs !== undefined ? { intentTtlMs: options.intentTtlMs } : {}),
    ...(options.retryBaseMs !== undefined ? { retryBaseMs: options.retryBaseMs } : {}),
    ...(options.retryMaxMs !== undefined ? { retryMaxMs: options.retryMaxMs } : {}),
    onPlan: (environment, plan, timing) => {
      metrics.observePlan(environment, plan, timing);
      options.onPlan?.(environment, plan);
    },
    onReconcileError: (environment) => metrics.reconcileFailed(environment),
  });
  const leadership = new Leadership(options.store, {
    prefix: `${SCHEDULER_PREFIX}leader/`,
    identity,
    ttlSeconds: options.leaderTtlSeconds ?? 5,
    logger: base,
  });

  const synced = informer.start();
  let stopped = false;
  void synced.then(() => {
    if (stopped) return;
    leadership.start(async (term) => {
      logger.info({ identity }, 'this replica leads the daemon scheduler');
      metrics.leaderTermStarted();
      await controller.lead(term);
    });
  });

  /** Live counts for GET environment, computed by this replica from its own informer. */
  const statusOf = (env: EnvironmentRecord, revision: Revision): StatusCounts | undefined => {
    if (!informer.synced) return undefined;
    const view = prepareCluster(
      env.clusterArn,
      informer.instances(env.clusterArn),
      informer.tasks(env.clusterArn),
    );
    // Counts only: 'inactive' plans no actions, whatever the environment's deployment state.
    const p = planPrepared(
      {
        name: env.name,
        group: environmentGroup(env),
        clusterArn: env.clusterArn,
        mode: 'inactive',
        revision: revision.revision,
        taskDefinition: revision.taskDefinition,
        filter: compileFilter(revision.instanceFilter),
        maxUnavailable: revision.deploymentConfiguration.maxUnavailable,
        foreignTasks: revision.foreignTasks,
      },
      view,
      { now: Date.now() },
    );
    return p.counts;
  };

  const routes = schedulerRoutes({ service, statusOf, onChange: (name) => controller.poke(name) });
  return {
    routes,
    readiness: { scheduler: () => (informer.synced ? undefined : 'cluster state not loaded yet') },
    informer,
    service,
    actuator,
    synced,
    isLeader: () => leadership.isLeader,
    registry,
    metrics,
    async stop() {
      stopped = true;
      await controller.stop();
      await leadership.stop();
      await informer.stop();
    },
  };
}

/** Deployment state and health of every environment, for the scrape-time gauges. */
async function summaries(repo: EnvironmentRepository): Promise<EnvironmentSummary[]> {
  const envs = await repo.listAll();
  return Promise.all(
    envs.map(async (env) => {
      const last = env.lastDeployment ? await repo.deployment(env.name, env.lastDeployment) : undefined;
      return { name: env.name, health: env.health, ...(last ? { deploymentState: last.state } : {}) };
    }),
  );
}
