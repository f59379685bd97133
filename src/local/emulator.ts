import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { BloxError, errorMessage } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { createAdminHandler, type AdminTarget } from './admin/index.js';
import { EcsEmulator, type BucketRate, type CrashSelector, type ThrottleCategory } from './ecs/index.js';
import { EcsEventEmitter, type EventFaults } from './events/index.js';
import { createEmulatorHttpServer } from './http/server.js';
import { createSqsHandler, SqsEmulator, type SqsSnapshot } from './sqs/index.js';

export interface LocalAwsOptions {
  /** TCP port; 0 picks a free one (tests). Default 4566. */
  port?: number;
  /** Bind address. Default 127.0.0.1. */
  host?: string;
  region?: string;
  account?: string;
  /** Queues that receive the ECS events (created at start). Default ['blox_queue']. */
  queues?: string[];
  /** Event fault knobs at start. */
  faults?: Partial<EventFaults>;
  /** Seeds event faults and ids, and ECS ids and placement ties. Default random. */
  seed?: number;
  taskStartDelayMs?: number;
  taskStopDelayMs?: number;
  stoppedTaskRetentionMs?: number;
  /** ECS request throttling with AWS's published rates. Default off. */
  throttling?: boolean;
  /** Creates a cluster with instances at start (`true`: cluster "default" with 3 instances). */
  demoCluster?: boolean | { name?: string; instances?: number };
  /** Loaded at start when it exists; saved on close() and on demand (admin `POST /_blox/snapshot`). */
  snapshotFile?: string;
  /** A partly filled reorder window is released after this long (ms). Default 250. */
  reorderHoldMs?: number;
  logger?: Logger;
}

export interface LocalAws {
  /** e.g. http://127.0.0.1:4566 — what AWS_ENDPOINT_URL should be. */
  readonly endpoint: string;
  readonly port: number;
  readonly host: string;
  readonly region: string;
  readonly account: string;
  readonly ecs: EcsEmulator;
  readonly sqs: SqsEmulator;
  readonly events: EcsEventEmitter;
  /** Queue URL of a queue by name (as clients of this endpoint see it). */
  queueUrl(name: string): string;
  status(): LocalAwsStatus;
  /** Forgets all ECS and SQS state; re-creates the event target queues. */
  reset(): void;
  /** Writes a snapshot (to `file` or the configured snapshot file) and returns its path. */
  saveSnapshot(file?: string): Promise<string>;
  /** Ends long polls, saves the snapshot if configured, and closes the port. */
  close(): Promise<void>;
}

export interface LocalAwsStatus {
  endpoint: string;
  region: string;
  account: string;
  ecs: {
    clusters: number;
    containerInstances: number;
    tasks: number;
    throttling: boolean;
    /** Changed tasks whose DescribeTasks JSON is still being written in the background. */
    pendingTaskJson: number;
  };
  sqs: { queues: Array<{ name: string; url: string; visible: number; notVisible: number; delayed: number }> };
  events: ReturnType<EcsEventEmitter['status']>;
  snapshotFile: string | undefined;
}

const SNAPSHOT_FORMAT = 'blox-local-aws/1';

interface SnapshotFile {
  format: typeof SNAPSHOT_FORMAT;
  savedAt: string;
  ecs: unknown;
  sqs: SqsSnapshot;
  events: { queues: string[]; faults: EventFaults; seed: number };
}

/**
 * The local AWS emulator: ECS (JSON 1.1), SQS (JSON 1.0 and query), ECS event emission into
 * SQS and the admin API, all on one HTTP port so `AWS_ENDPOINT_URL` covers every client.
 * Starts in milliseconds; `port: 0` gives a free port for tests.
 */
export async function startLocalAws(options: LocalAwsOptions = {}): Promise<LocalAws> {
  const logger = options.logger ?? silentLogger;
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '123456789012';
  const host = options.host ?? '127.0.0.1';
  const queues = options.queues && options.queues.length > 0 ? options.queues : ['blox_queue'];
  const snapshotFile = options.snapshotFile ? resolve(options.snapshotFile) : undefined;

  const ecs = new EcsEmulator({
    region,
    account,
    ...(options.taskStartDelayMs !== undefined ? { taskStartDelayMs: options.taskStartDelayMs } : {}),
    ...(options.taskStopDelayMs !== undefined ? { taskStopDelayMs: options.taskStopDelayMs } : {}),
    ...(options.stoppedTaskRetentionMs !== undefined
      ? { stoppedTaskRetentionMs: options.stoppedTaskRetentionMs }
      : {}),
    ...(options.throttling !== undefined ? { throttling: options.throttling } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  });
  const sqs = new SqsEmulator({ region, account });
  let saved: SnapshotFile | undefined;
  if (snapshotFile && existsSync(snapshotFile)) {
    saved = await readSnapshot(snapshotFile);
    ecs.restore(saved.ecs);
    sqs.restore(saved.sqs);
  }
  const events = new EcsEventEmitter({
    sqs,
    account,
    region,
    queues: saved && !options.queues ? saved.events.queues : queues,
    logger,
    ...(options.faults || saved ? { faults: { ...saved?.events.faults, ...options.faults } } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : saved ? { seed: saved.events.seed } : {}),
    ...(options.reorderHoldMs !== undefined ? { reorderHoldMs: options.reorderHoldMs } : {}),
  });
  events.attach(ecs);

  if (options.demoCluster && !saved) {
    const demo = options.demoCluster === true ? {} : options.demoCluster;
    ecs.fleet.scale(demo.name ?? 'default', demo.instances ?? 3);
  }

  // eslint-disable-next-line prefer-const -- assigned once listening; the admin handler reads it lazily
  let local: LocalAws;
  const admin = createAdminHandler(adminTarget(() => local));
  // long polls end when their client goes away: each request carries that as its signal
  const http = createEmulatorHttpServer([admin, ecs.handler, createSqsHandler(sqs)]);

  let address: { host: string; port: number };
  try {
    address = await http.listen(options.port ?? 4566, host);
  } catch (err) {
    events.close();
    ecs.close();
    sqs.close();
    const code = (err as NodeJS.ErrnoException).code;
    throw new BloxError(
      'ListenFailed',
      code === 'EADDRINUSE'
        ? `port ${options.port ?? 4566} on ${host} is already in use; stop whatever holds it or pass another --port (0 picks a free one)`
        : `cannot listen on ${host}:${options.port ?? 4566}: ${errorMessage(err)}`,
      { status: 500, cause: err },
    );
  }
  const urlHost = address.host.includes(':') ? `[${address.host}]` : address.host;
  const endpoint = `http://${urlHost}:${address.port}`;
  sqs.defaultHost = `${urlHost}:${address.port}`;

  let closing: Promise<void> | undefined;
  local = {
    endpoint,
    port: address.port,
    host: address.host,
    region,
    account,
    ecs,
    sqs,
    events,
    queueUrl: (name) => sqs.queueUrl(name),
    status() {
      const stats = ecs.stats();
      const now = sqs.now();
      return {
        endpoint,
        region,
        account,
        ecs: {
          clusters: stats.clusters,
          containerInstances: stats.containerInstances,
          tasks: stats.tasks,
          throttling: ecs.throttling().enabled,
          pendingTaskJson: ecs.pendingTaskJson(),
        },
        sqs: {
          queues: sqs.listQueues().map((q) => {
            const s = q.stats(now);
            return {
              name: q.name,
              url: sqs.queueUrl(q.name),
              visible: s.visible,
              notVisible: s.notVisible,
              delayed: s.delayed,
            };
          }),
        },
        events: events.status(),
        snapshotFile,
      };
    },
    reset() {
      events.discardPending();
      ecs.reset();
      sqs.reset();
      events.ensureQueues();
    },
    async saveSnapshot(file) {
      const target = file ? resolve(file) : snapshotFile;
      if (!target)
        throw new BloxError(
          'NoSnapshotFile',
          'no snapshot file: start the emulator with --snapshot-file or pass "file"',
          {
            status: 400,
          },
        );
      const { faults, seed, queues: eventQueues } = events.status();
      const content: SnapshotFile = {
        format: SNAPSHOT_FORMAT,
        savedAt: new Date().toISOString(),
        ecs: ecs.snapshot(),
        sqs: sqs.snapshot(),
        events: { queues: eventQueues, faults, seed },
      };
      await mkdir(dirname(target), { recursive: true });
      const temp = `${target}.${process.pid}.tmp`;
      await writeFile(temp, JSON.stringify(content));
      await rename(temp, target);
      return target;
    },
    close() {
      closing ??= (async () => {
        events.close();
        sqs.close();
        try {
          if (snapshotFile) await local.saveSnapshot();
        } catch (err) {
          logger.error(
            { err: errorMessage(err), file: snapshotFile },
            'could not save the emulator snapshot',
          );
        } finally {
          ecs.close();
          await http.close();
        }
      })();
      return closing;
    },
  };
  return local;
}

async function readSnapshot(file: string): Promise<SnapshotFile> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new BloxError(
      'InvalidSnapshot',
      `cannot read snapshot ${file}: ${errorMessage(err)}; fix or delete the file`,
      {
        status: 400,
      },
    );
  }
  const s = parsed as Partial<SnapshotFile>;
  if (s.format !== SNAPSHOT_FORMAT || !s.sqs || !Array.isArray(s.sqs.queues) || !s.events)
    throw new BloxError(
      'InvalidSnapshot',
      `${file} is not a blox local-aws snapshot (format ${SNAPSHOT_FORMAT}); fix or delete the file`,
      { status: 400 },
    );
  return s as SnapshotFile;
}

function adminTarget(get: () => LocalAws): AdminTarget {
  return {
    status: () => get().status() as unknown as Record<string, unknown>,
    instances: (cluster) => get().ecs.fleet.instances(cluster),
    scale: (cluster, count, spec) => get().ecs.fleet.scale(cluster, count, spec),
    removeInstances: (cluster, what) => get().ecs.fleet.removeInstances(cluster, what),
    killInstance: (arn) => get().ecs.fleet.killInstance(arn),
    setAgentConnected: (arn, connected) => get().ecs.fleet.setAgentConnected(arn, connected),
    crashTasks: (selector) => get().ecs.fleet.crashTasks(selector as CrashSelector),
    faults: () => ({ faults: get().events.status().faults, seed: get().events.seed }),
    setFaults: (faults, seed) => get().events.setFaults(faults, seed),
    flushEvents: () => get().events.flush(),
    throttling: () => get().ecs.throttling(),
    setThrottling: (enabled, rates) =>
      get().ecs.setThrottling(
        enabled,
        rates as Partial<Record<ThrottleCategory, Partial<BucketRate>>> | undefined,
      ),
    reset: () => get().reset(),
    saveSnapshot: (file) => get().saveSnapshot(file),
  };
}
