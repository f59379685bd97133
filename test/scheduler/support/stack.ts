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
import { TaskTimeline } from './timeline.js';

export { TaskTimeline } from './timeline.js';

export type Backend = { backend: 'sqlite' } | { backend: 'etcd'; endpoints: string[]; namespace: string };

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
