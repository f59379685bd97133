/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of HTTP answers are read loosely in tests */
import { DescribeTasksCommand, ListTasksCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { createSqsClient } from '../../../src/aws/clients.js';
import { createLogger, silentLogger } from '../../../src/core/logger.js';
import type { LocalAws } from '../../../src/local/emulator.js';
import {
  startScheduler,
  type RunningScheduler,
  type SchedulerOptions,
} from '../../../src/scheduler/daemon/scheduler.js';
import { createHttpApp } from '../../../src/server/app.js';
import { inProcessClusterSource } from '../../../src/server/in-process-source.js';
import { startStateService, type StateService } from '../../../src/state/service.js';
import { openStore, type Store } from '../../../src/store/index.js';
import { tempDir } from '../../support/env.js';
import { startAws } from './harness.js';

export type Backend = { backend: 'sqlite' } | { backend: 'etcd'; endpoints: string[]; namespace: string };

interface TimelineTask {
  instance: string;
  group: string;
  lastStatus: string;
  desiredStatus: string;
  taskDefinitionArn: string;
  startedBy?: string;
}

/**
 * A live view of ECS (from the emulator's own change feed) that flags any moment with two daemon
 * copies on one instance. Counts are kept incrementally per change (benchmarks feed it 10,000s of
 * tasks, and a scan per change would cost the measured process quadratic CPU).
 */
export class TaskTimeline {
  readonly tasks = new Map<string, TimelineTask>();
  /** Moments where an instance had two live (desired RUNNING) tasks of one group. */
  readonly duplicates: string[] = [];
  maxUnavailable = 0;
  private watchGroup: string | undefined;
  private eligible: (() => number) | undefined;
  /** Live (desired RUNNING, not STOPPED) task ARNs by group and instance. */
  private readonly live = new Map<string, Set<string>>();
  /** RUNNING (and desired RUNNING) tasks by group, then instance. */
  private readonly runningOn = new Map<string, Map<string, number>>();
  /** RUNNING (and desired RUNNING) tasks by group and task definition, and by group alone. */
  private readonly runningCount = new Map<string, number>();

  constructor(aws: LocalAws) {
    aws.ecs.onChange((c) => {
      if (c.kind !== 'task') return;
      const d = c.detail as Record<string, string>;
      const task: TimelineTask = {
        instance: d.containerInstanceArn ?? '',
        group: d.group ?? '',
        lastStatus: d.lastStatus ?? '',
        desiredStatus: d.desiredStatus ?? '',
        taskDefinitionArn: d.taskDefinitionArn ?? '',
        ...(d.startedBy ? { startedBy: d.startedBy } : {}),
      };
      const arn = d.taskArn!;
      const before = this.tasks.get(arn);
      if (before) this.count(arn, before, -1);
      this.tasks.set(arn, task);
      this.count(arn, task, 1);
      if (task.group.startsWith('blox:') && isLive(task)) {
        if ((this.live.get(`${task.group}\n${task.instance}`)?.size ?? 0) > 1)
          this.duplicates.push(`${task.group} on ${task.instance}`);
      }
      if (this.watchGroup && this.eligible) {
        const running = this.runningOn.get(this.watchGroup)?.size ?? 0;
        this.maxUnavailable = Math.max(this.maxUnavailable, this.eligible() - running);
      }
    });
  }

  /** Track, from now on, how many of `eligible()` instances lack a RUNNING task of `group`. */
  watchAvailability(group: string, eligible: () => number): void {
    this.watchGroup = group;
    this.eligible = eligible;
    this.maxUnavailable = 0;
  }

  running(group: string, taskDefinitionArn?: string): number {
    return this.runningCount.get(taskDefinitionArn ? `${group}\n${taskDefinitionArn}` : group) ?? 0;
  }

  private count(arn: string, t: TimelineTask, delta: 1 | -1): void {
    if (isLive(t)) {
      const key = `${t.group}\n${t.instance}`;
      let set = this.live.get(key);
      if (!set) this.live.set(key, (set = new Set()));
      if (delta > 0) set.add(arn);
      else set.delete(arn);
      if (set.size === 0) this.live.delete(key);
    }
    if (t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING') {
      let byInstance = this.runningOn.get(t.group);
      if (!byInstance) this.runningOn.set(t.group, (byInstance = new Map()));
      const n = (byInstance.get(t.instance) ?? 0) + delta;
      if (n > 0) byInstance.set(t.instance, n);
      else byInstance.delete(t.instance);
      for (const key of [t.group, `${t.group}\n${t.taskDefinitionArn}`])
        this.runningCount.set(key, (this.runningCount.get(key) ?? 0) + delta);
    }
  }
}

function isLive(t: TimelineTask): boolean {
  return t.desiredStatus === 'RUNNING' && t.lastStatus !== 'STOPPED';
}

export interface Stack {
  aws: LocalAws;
  ecs: ECSClient;
  store: Store;
  state: StateService;
  scheduler: RunningScheduler;
  timeline: TaskTimeline;
  call(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    payload?: unknown,
  ): Promise<{ status: number; body: any }>;
  /** GET /metrics (Prometheus text) of the stack's one app. */
  scrape(): Promise<string>;
  close(): Promise<void>;
}

/**
 * Everything of `blox up` in one test process: the emulator (ECS + SQS + events), the state
 * service (SQS ingest + reconcile + index) and the daemon scheduler reading the index in process,
 * on one store of the chosen backend.
 */
export async function startStack(
  backend: Backend,
  options: {
    taskStartDelayMs?: number;
    throttling?: boolean;
    /** SQS long-pollers of the state service (default 2 in tests; `blox up` uses 4). */
    pollers?: number;
    scheduler?: Partial<SchedulerOptions>;
  } = {},
): Promise<Stack> {
  const {
    aws,
    ecs,
    close: closeAws,
  } = await startAws({
    taskStartDelayMs: options.taskStartDelayMs ?? 150,
    taskStopDelayMs: 150,
    throttling: options.throttling ?? false,
    reorderHoldMs: 20,
  });
  const dir = await tempDir();
  const store =
    backend.backend === 'sqlite'
      ? await openStore({ backend: 'sqlite', dataDir: dir.path })
      : await openStore({ backend: 'etcd', endpoints: backend.endpoints, namespace: backend.namespace });
  const sqs = createSqsClient({
    endpoint: aws.endpoint,
    region: aws.region,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
  const state = await startStateService({
    store,
    logger: silentLogger,
    createApp: false,
    progressIntervalMs: 200,
    ingest: { options: { queue: 'blox_queue', waitTimeSeconds: 1, pollers: options.pollers ?? 2 }, sqs },
    reconcile: { options: { intervalMs: 3000 }, ecs },
  });
  const scheduler = await startScheduler({
    store,
    source: inProcessClusterSource(state.index),
    ecs,
    // BLOX_TEST_LOG=debug shows the scheduler's decisions when an end-to-end test fails.
    logger: process.env.BLOX_TEST_LOG
      ? createLogger({
          level: process.env.BLOX_TEST_LOG as 'debug',
          pretty: false,
          destination: process.stderr,
        })
      : silentLogger,
    leaderTtlSeconds: 2,
    resyncMs: 2000,
    retryBaseMs: 200,
    retryMaxMs: 2000,
    // One registry for the process, as `blox up` has: the names of both services must not collide.
    registry: state.registry,
    ...options.scheduler,
  });
  const app = await createHttpApp({
    logger: silentLogger,
    registry: state.registry,
    plugins: [state.routes, scheduler.routes],
  });
  const timeline = new TaskTimeline(aws);
  return {
    aws,
    ecs,
    store,
    state,
    scheduler,
    timeline,
    async call(method, url, payload) {
      const res = await app.inject({
        method,
        url,
        ...(payload !== undefined ? { payload: payload as object } : {}),
      });
      return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined };
    },
    async scrape() {
      const res = await app.inject({ method: 'GET', url: '/metrics' });
      if (res.statusCode !== 200) throw new Error(`GET /metrics answered ${res.statusCode}: ${res.body}`);
      return res.body;
    },
    async close() {
      await app.close();
      await scheduler.stop();
      await state.close();
      sqs.destroy();
      await store.close();
      await closeAws();
      await dir.cleanup();
    },
  };
}

/** v0.3's e2e count: ECS tasks with startedBy = deployment ID and lastStatus RUNNING, asked of ECS itself. */
export async function runningStartedBy(ecs: ECSClient, cluster: string, startedBy: string): Promise<number> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ecs.send(
      new ListTasksCommand({ cluster, startedBy, ...(nextToken ? { nextToken } : {}) }),
    );
    arns.push(...(page.taskArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  let running = 0;
  for (let i = 0; i < arns.length; i += 100) {
    const out = await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns.slice(i, i + 100) }));
    running += (out.tasks ?? []).filter((t) => t.lastStatus === 'RUNNING').length;
  }
  return running;
}
