import {
  DescribeTasksCommand,
  ListTasksCommand,
  RunTaskCommand,
  type ECSClient,
  type Tag,
} from '@aws-sdk/client-ecs';
import { ecsTransportFor, type EcsTransport } from '../../aws/ecs-transport.js';
import { TokenBucket } from '../../aws/rate-limiter.js';
import { withBackoff, isThrottlingError } from '../../aws/backoff.js';
import { errorMessage } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import type { Compare } from '../../store/types.js';
import type { IntentLog, LaunchIntent } from './intents.js';

/** ECS limits: StartTask takes at most 10 container instances, RunTask at most 10 tasks per call. */
export const START_TASK_BATCH = 10;
export const RUN_TASK_BATCH = 10;
const DESCRIBE_BATCH = 100;

export interface ActuatorOptions {
  ecs: ECSClient;
  logger?: Logger;
  /** Client-side pacing of modify calls (StartTask/RunTask/StopTask) under ECS's bucket. Default 40/s, burst 100. */
  modifyRate?: { perSecond: number; burst: number };
  /** Calls in flight at once (default 16). */
  concurrency?: number;
  /** Attempts per call when throttled (default 8). */
  maxAttempts?: number;
  /** Identity written into intents. */
  identity?: string;
}

export interface StartTasksRequest {
  cluster: string;
  taskDefinition: string;
  instances: readonly string[];
  startedBy?: string;
  group?: string;
  tags?: Tag[];
}

export interface StartResult {
  started: Array<{ instance: string; taskArn: string }>;
  /** Per-instance failures: ECS `failures` (e.g. RESOURCE:MEMORY) or the error of the whole call. */
  failures: Array<{ instance: string; reason: string }>;
}

export interface LaunchOptions {
  /** Intent scope (e.g. the environment name). */
  scope: string;
  intents: IntentLog;
  /** Leadership fence for intent writes. */
  fence?: Compare;
}

/**
 * The ECS actuator: the only part of a scheduler that changes ECS. It batches StartTask by 10
 * instances and RunTask by 10 tasks, paces modify calls under ECS's throttling bucket, retries
 * ThrottlingException with jittered backoff, reports failures per instance (a failed call fails
 * each of its instances, never the whole request), and — with `launch` — records an intent in
 * the store before each StartTask so that no crash or failover launches twice.
 */
export class EcsActuator {
  private readonly logger: Logger;
  private readonly bucket: TokenBucket;
  private readonly limit: number;
  /**
   * StartTask and StopTask, the join's and the rollout's hot calls, go through the lean ECS
   * transport (src/aws/ecs-transport.ts: same client credentials, endpoint, timeouts, retries and
   * error names as the SDK, a fraction of its CPU); the rest stays on the SDK.
   */
  private readonly transport: EcsTransport;
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];
  /**
   * Calls that will take a token of the pacing bucket before they go out: waiting for a slot or a
   * token, or backing off before a retry (each attempt takes a token of its own).
   */
  private unpaced = 0;
  /** Counters for metrics and benchmarks. */
  readonly stats = { startTaskCalls: 0, runTaskCalls: 0, stopTaskCalls: 0, throttled: 0 };

  constructor(private readonly options: ActuatorOptions) {
    this.logger = (options.logger ?? silentLogger).child({ component: 'actuator' });
    const rate = options.modifyRate ?? { perSecond: 40, burst: 100 };
    this.bucket = new TokenBucket(rate.perSecond, rate.burst);
    this.limit = options.concurrency ?? 16;
    this.transport = ecsTransportFor(options.ecs);
  }

  /** StartTask on every instance, 10 per call, calls in parallel. */
  async startTasks(req: StartTasksRequest): Promise<StartResult> {
    const result: StartResult = { started: [], failures: [] };
    const batches = chunk(req.instances, START_TASK_BATCH);
    await Promise.all(
      batches.map(async (instances) => {
        try {
          const out = await this.call('StartTask', () =>
            this.transport.startTask({
              cluster: req.cluster,
              taskDefinition: req.taskDefinition,
              containerInstances: instances,
              ...(req.startedBy !== undefined ? { startedBy: req.startedBy } : {}),
              ...(req.group !== undefined ? { group: req.group } : {}),
              ...(req.tags && req.tags.length > 0 ? { tags: req.tags } : {}),
            }),
          );
          this.stats.startTaskCalls++;
          const placed = new Set<string>();
          for (const t of out.tasks ?? []) {
            if (!t.taskArn || !t.containerInstanceArn) continue;
            const instance = matchInstance(instances, t.containerInstanceArn);
            placed.add(instance);
            result.started.push({ instance, taskArn: t.taskArn });
          }
          for (const f of out.failures ?? []) {
            const instance = f.arn ? matchInstance(instances, f.arn) : undefined;
            if (instance && !placed.has(instance)) {
              placed.add(instance);
              result.failures.push({ instance, reason: f.reason ?? 'UNKNOWN' });
            }
          }
          for (const i of instances)
            if (!placed.has(i))
              result.failures.push({ instance: i, reason: 'ECS returned neither a task nor a failure' });
        } catch (err) {
          for (const i of instances) result.failures.push({ instance: i, reason: callFailure(err) });
        }
      }),
    );
    return result;
  }

  /**
   * StartTask with intents: record one intent per instance (fenced), call ECS, then drop the
   * intents of instances that failed (the caller records failures). The intents of started tasks
   * stay in the store in the `calling` state until the caller sees the task and forgets them:
   * whoever leads next checks every recorded intent with ECS anyway, so rewriting them with the
   * task ARN (a store write of every launched instance, on the join's critical path) bought nothing.
   */
  async launch(req: StartTasksRequest & { startedBy: string }, options: LaunchOptions): Promise<StartResult> {
    const at = new Date().toISOString();
    const by = this.options.identity ?? 'blox';
    const intents: LaunchIntent[] = req.instances.map((instance) => ({
      scope: options.scope,
      cluster: req.cluster,
      taskDefinition: req.taskDefinition,
      startedBy: req.startedBy,
      at,
      by,
      instance,
      state: 'calling',
    }));
    await options.intents.put(intents, options.fence);
    const result = await this.startTasks(req);
    try {
      const failed = result.failures.map((f) => f.instance);
      if (failed.length > 0) await options.intents.remove(options.scope, failed, options.fence);
    } catch (err) {
      // The intents stay: the next pass (or leader) verifies them against ECS.
      this.logger.warn({ err }, 'could not drop the launch intents of failed StartTask calls');
    }
    return result;
  }

  /** RunTask (ECS places the tasks), 10 per call. */
  async runTasks(req: {
    cluster: string;
    taskDefinition: string;
    count: number;
    startedBy?: string;
    group?: string;
    placementConstraints?: Array<{ type: 'distinctInstance' | 'memberOf'; expression?: string }>;
    placementStrategy?: Array<{ type: 'random' | 'spread' | 'binpack'; field?: string }>;
    tags?: Tag[];
  }): Promise<{ taskArns: string[]; failures: Array<{ arn?: string; reason: string }> }> {
    const taskArns: string[] = [];
    const failures: Array<{ arn?: string; reason: string }> = [];
    const calls: number[] = [];
    for (let left = req.count; left > 0; left -= RUN_TASK_BATCH) calls.push(Math.min(RUN_TASK_BATCH, left));
    await Promise.all(
      calls.map(async (count) => {
        try {
          const out = await this.call('RunTask', () =>
            this.options.ecs.send(
              new RunTaskCommand({
                cluster: req.cluster,
                taskDefinition: req.taskDefinition,
                count,
                launchType: 'EC2',
                ...(req.startedBy !== undefined ? { startedBy: req.startedBy } : {}),
                ...(req.group !== undefined ? { group: req.group } : {}),
                ...(req.placementConstraints ? { placementConstraints: req.placementConstraints } : {}),
                ...(req.placementStrategy ? { placementStrategy: req.placementStrategy } : {}),
                ...(req.tags && req.tags.length > 0 ? { tags: req.tags } : {}),
              }),
            ),
          );
          this.stats.runTaskCalls++;
          for (const t of out.tasks ?? []) if (t.taskArn) taskArns.push(t.taskArn);
          for (const f of out.failures ?? [])
            failures.push({ ...(f.arn ? { arn: f.arn } : {}), reason: f.reason ?? 'UNKNOWN' });
        } catch (err) {
          failures.push({ reason: callFailure(err) });
        }
      }),
    );
    return { taskArns, failures };
  }

  /** StopTask for each task (ECS has no batch stop); failures per task. */
  async stopTasks(req: {
    cluster: string;
    tasks: readonly string[];
    reason: string;
  }): Promise<{ stopped: string[]; failures: Array<{ task: string; reason: string }> }> {
    const stopped: string[] = [];
    const failures: Array<{ task: string; reason: string }> = [];
    await Promise.all(
      req.tasks.map(async (task) => {
        try {
          await this.call('StopTask', () =>
            this.transport.stopTask({ cluster: req.cluster, task, reason: req.reason.slice(0, 255) }),
          );
          this.stats.stopTaskCalls++;
          stopped.push(task);
        } catch (err) {
          failures.push({ task, reason: callFailure(err) });
        }
      }),
    );
    return { stopped, failures };
  }

  /** Live tasks ECS has for a `startedBy` (ListTasks + DescribeTasks): how intents are verified. */
  async tasksStartedBy(
    cluster: string,
    startedBy: string,
  ): Promise<Array<{ taskArn: string; instance?: string; group?: string; lastStatus?: string }>> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await withBackoff(() =>
        this.options.ecs.send(
          new ListTasksCommand({ cluster, startedBy, maxResults: 100, ...(nextToken ? { nextToken } : {}) }),
        ),
      );
      arns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    const out: Array<{ taskArn: string; instance?: string; group?: string; lastStatus?: string }> = [];
    for (const batch of chunk(arns, DESCRIBE_BATCH)) {
      const res = await withBackoff(() =>
        this.options.ecs.send(new DescribeTasksCommand({ cluster, tasks: batch })),
      );
      for (const t of res.tasks ?? []) {
        if (!t.taskArn) continue;
        out.push({
          taskArn: t.taskArn,
          ...(t.containerInstanceArn ? { instance: t.containerInstanceArn } : {}),
          ...(t.group ? { group: t.group } : {}),
          ...(t.lastStatus ? { lastStatus: t.lastStatus } : {}),
        });
      }
    }
    return out;
  }

  /**
   * Modify calls (StartTask, RunTask, StopTask) that could go out now without waiting for the
   * pacing bucket: its tokens less the calls already waiting for one. A scheduler that batches its
   * starts asks before it spends a call on a partial batch (ECS's bucket counts calls, not tasks).
   */
  spareModifyCalls(): number {
    return this.bucket.available() - this.unpaced;
  }

  private async call<T>(op: string, fn: () => Promise<T>): Promise<T> {
    // Whether this call is counted in `unpaced` now: from the start until its token, and again
    // from a retry's backoff until the retry's token.
    let counted = true;
    this.unpaced++;
    const paced = () => {
      if (counted) {
        counted = false;
        this.unpaced--;
      }
    };
    await this.acquire();
    try {
      return await withBackoff(
        async () => {
          await this.bucket.take();
          paced();
          return fn();
        },
        {
          maxAttempts: this.options.maxAttempts ?? 8,
          baseMs: 200,
          maxMs: 5_000,
          onRetry: (err, attempt, delayMs) => {
            // The retry will take a token again: counted from now, so a scheduler asking
            // spareModifyCalls() meanwhile does not spend that token on a partial batch.
            if (!counted) {
              counted = true;
              this.unpaced++;
            }
            if (isThrottlingError(err)) this.stats.throttled++;
            this.logger.debug(
              { op, attempt, delayMs, err: errorMessage(err) },
              'ECS call throttled; backing off',
            );
          },
        },
      );
    } finally {
      paced();
      this.release();
    }
  }

  private async acquire(): Promise<void> {
    if (this.inFlight < this.limit) {
      this.inFlight++;
      return;
    }
    await new Promise<void>((r) => this.waiting.push(r));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.inFlight--;
  }
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** ECS may answer with either ARN format: match by the ID (last segment). */
function matchInstance(asked: readonly string[], arn: string): string {
  const id = arn.slice(arn.lastIndexOf('/') + 1);
  return asked.find((a) => a === arn || a.slice(a.lastIndexOf('/') + 1) === id) ?? arn;
}

function callFailure(err: unknown): string {
  const name = (err as { name?: string }).name;
  return name && name !== 'Error' ? `${name}: ${errorMessage(err)}` : errorMessage(err);
}
