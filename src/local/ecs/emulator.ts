import { randomInt } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { AwsError, jsonErrorResponse } from '../http/aws-error.js';
import type { EmulatorRequest, EmulatorResponse, ServiceHandler } from '../http/types.js';
import { deleteAttributes, listAttributes, putAttributes } from './attributes.js';
import { createCluster, deleteCluster, describeClusters, listClusters } from './clusters.js';
import {
  deregisterContainerInstance,
  describeContainerInstances,
  listContainerInstances,
  registerContainerInstance,
  updateContainerInstancesState,
} from './container-instances.js';
import { EcsContext, JsonText, type EcsTimings } from './context.js';
import { createFleet, type Fleet } from './fleet.js';
import { Random } from './ids.js';
import { restoreSnapshot, SnapshotError, takeSnapshot, type EcsSnapshot } from './snapshot.js';
import { EcsState } from './state.js';
import {
  deregisterTaskDefinition,
  describeTaskDefinition,
  listTaskDefinitionFamilies,
  listTaskDefinitions,
  registerTaskDefinition,
} from './task-definitions.js';
import { describeTasks, listTasks, runTask, startTask, stopTask } from './tasks.js';
import { Throttle, type BucketRate, type ThrottleCategory } from './throttle.js';
import { TimerQueue } from './timers.js';
import { Turns } from './turns.js';
import type { EcsChangeListener } from './types.js';

export const ECS_TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';
const ERROR_NAMESPACE = 'com.amazonaws.ecs';

export interface EcsEmulatorOptions {
  region?: string;
  account?: string;
  /** PENDING → RUNNING after this long (default 1000 ms). */
  taskStartDelayMs?: number;
  /** desiredStatus STOPPED → lastStatus STOPPED after this long (default 1000 ms). */
  taskStopDelayMs?: number;
  /** Stopped tasks and deregistered instances stay describable this long (default 1 h). */
  stoppedTaskRetentionMs?: number;
  /** Token-bucket throttling with ECS's published rates (default off). */
  throttling?: boolean;
  /** Seed for IDs and placement ties (default random). */
  seed?: number;
  /** Clock in epoch ms (default Date.now). */
  now?: () => number;
}

type Operation = (ctx: EcsContext, input: unknown) => unknown;

const OPERATIONS: Record<string, Operation> = {
  CreateCluster: createCluster,
  DeleteCluster: deleteCluster,
  DescribeClusters: describeClusters,
  ListClusters: listClusters,
  RegisterTaskDefinition: registerTaskDefinition,
  DeregisterTaskDefinition: deregisterTaskDefinition,
  DescribeTaskDefinition: describeTaskDefinition,
  ListTaskDefinitions: listTaskDefinitions,
  ListTaskDefinitionFamilies: listTaskDefinitionFamilies,
  RegisterContainerInstance: registerContainerInstance,
  DeregisterContainerInstance: deregisterContainerInstance,
  DescribeContainerInstances: describeContainerInstances,
  ListContainerInstances: listContainerInstances,
  UpdateContainerInstancesState: updateContainerInstancesState,
  PutAttributes: putAttributes,
  DeleteAttributes: deleteAttributes,
  ListAttributes: listAttributes,
  RunTask: runTask,
  StartTask: startTask,
  StopTask: stopTask,
  ListTasks: listTasks,
  DescribeTasks: describeTasks,
};

/** The operations this emulator implements (others answer UnknownOperationException). */
export const ECS_OPERATIONS = Object.keys(OPERATIONS);

/**
 * A local Amazon ECS: the EC2 launch type's control plane (clusters, task definitions, container
 * instances, tasks, attributes, placement) in memory, spoken over AWS JSON 1.1 so the AWS SDKs
 * cannot tell it from the real service for the operations it implements. See docs/local-aws-ecs.md.
 */
export class EcsEmulator {
  readonly region: string;
  readonly account: string;
  readonly handler: ServiceHandler;
  readonly fleet: Fleet;
  private readonly ctx: EcsContext;
  private readonly throttle: Throttle;
  /** One ECS call per event-loop turn when several arrive together (see Turns). */
  private readonly turns = new Turns();

  constructor(options: EcsEmulatorOptions = {}) {
    this.region = options.region ?? 'us-east-1';
    this.account = options.account ?? '123456789012';
    if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(this.region)) throw new Error(`invalid AWS region '${this.region}'`);
    if (!/^\d{12}$/.test(this.account)) throw new Error(`invalid AWS account '${this.account}': 12 digits`);
    const timings: EcsTimings = {
      taskStartDelayMs: nonNegative('taskStartDelayMs', options.taskStartDelayMs, 1000),
      taskStopDelayMs: nonNegative('taskStopDelayMs', options.taskStopDelayMs, 1000),
      stoppedTaskRetentionMs: nonNegative(
        'stoppedTaskRetentionMs',
        options.stoppedTaskRetentionMs,
        3_600_000,
      ),
    };
    const now = options.now ?? Date.now;
    this.ctx = new EcsContext(
      new EcsState(),
      { region: this.region, account: this.account },
      now,
      new Random(options.seed ?? randomInt(0, 2 ** 31)),
      new TimerQueue(now),
      timings,
    );
    this.throttle = new Throttle(now);
    this.throttle.configure(options.throttling ?? false);
    this.fleet = createFleet(this.ctx);
    // declines other services' requests synchronously (no promise for each of them)
    this.handler = (request) => (isEcsRequest(request) ? this.handle(request) : undefined);
  }

  /** Runs an ECS operation in process (same validation and errors as over HTTP). */
  async call(operation: string, input: unknown): Promise<unknown> {
    return this.callSync(operation, input);
  }

  /** Synchronous form of call(), for callers that batch many operations (benchmarks, loaders). */
  callSync(operation: string, input: unknown): unknown {
    const output = this.dispatch(operation, input);
    return output instanceof JsonText ? JSON.parse(output.text) : output;
  }

  private dispatch(operation: string, input: unknown): unknown {
    const op = OPERATIONS[operation];
    if (!op)
      throw new AwsError('UnknownOperationException', `Unknown operation ${ECS_TARGET_PREFIX}${operation}`);
    this.throttle.take(operation);
    return op(this.ctx, input);
  }

  /** Every task and container-instance change; returns the unsubscribe function. */
  onChange(listener: EcsChangeListener): () => void {
    this.ctx.listeners.add(listener);
    return () => this.ctx.listeners.delete(listener);
  }

  setThrottling(enabled: boolean, rates?: Partial<Record<ThrottleCategory, Partial<BucketRate>>>): void {
    this.throttle.configure(enabled, rates);
  }

  throttling(): { enabled: boolean; rates: Record<ThrottleCategory, BucketRate> } {
    return this.throttle.settings();
  }

  snapshot(): EcsSnapshot {
    return takeSnapshot(this.ctx);
  }

  /** Writes snapshot() to a JSON file (atomically: temp file, then rename). */
  saveSnapshot(path: string): void {
    const temp = `${path}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(this.snapshot()));
    renameSync(temp, path);
  }

  /** Restores from a file written by saveSnapshot(); a missing or bad file throws SnapshotError. */
  loadSnapshot(path: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new SnapshotError(
        `cannot read ECS snapshot ${path}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    this.restore(parsed);
  }

  /** Replaces all state with a snapshot's (listeners and throttling settings are kept). */
  restore(snapshot: unknown): void {
    this.reset();
    restoreSnapshot(this.ctx, snapshot);
  }

  /** Forgets everything: clusters, task definitions, instances, tasks, pending timers. */
  reset(): void {
    this.ctx.timers.clear();
    this.ctx.state.clear();
    this.ctx.clearCaches();
    this.throttle.configure(this.throttle.settings().enabled, this.throttle.settings().rates);
  }

  /** Runs lifecycle transitions that are due (for callers with a manual clock). */
  tick(): void {
    this.ctx.timers.runDue();
  }

  /** Counts for health endpoints and benchmarks. */
  stats(): { clusters: number; containerInstances: number; tasks: number; pendingTimers: number } {
    return {
      clusters: this.ctx.state.clusters.size,
      containerInstances: this.ctx.state.instances.size,
      tasks: this.ctx.state.tasks.size,
      pendingTimers: this.ctx.timers.size,
    };
  }

  /**
   * Changed tasks whose DescribeTasks JSON is still to be written in the background (0 once the
   * emulator has caught up; a describe before then serialises the task itself).
   */
  pendingTaskJson(): number {
    return this.ctx.pendingTaskJson;
  }

  close(): void {
    this.ctx.timers.close();
    this.ctx.close();
  }

  /** An ECS call: answered at once when it has the turn, else when its turn comes (turns.ts). */
  private handle(request: EmulatorRequest): EmulatorResponse | Promise<EmulatorResponse> {
    const turn = this.turns.take();
    return turn ? turn.then(() => this.answer(request)) : this.answer(request);
  }

  private answer(request: EmulatorRequest): EmulatorResponse {
    const operation = request.headers['x-amz-target']!.slice(ECS_TARGET_PREFIX.length);
    try {
      let input: unknown = {};
      const text = request.body.toString('utf8');
      if (text.trim() !== '') {
        try {
          input = JSON.parse(text);
        } catch {
          throw new AwsError('SerializationException', 'Request body is not valid JSON.');
        }
      }
      const output = this.dispatch(operation, input);
      const body = output instanceof JsonText ? output.bytes : JSON.stringify(output);
      return { status: 200, headers: { 'content-type': CONTENT_TYPE }, body };
    } catch (err) {
      const aws =
        err instanceof AwsError
          ? err
          : new AwsError(
              'ServerException',
              `internal error: ${err instanceof Error ? err.message : String(err)}`,
              {
                status: 500,
              },
            );
      return jsonErrorResponse(aws, ERROR_NAMESPACE, CONTENT_TYPE);
    }
  }
}

function isEcsRequest(request: EmulatorRequest): boolean {
  const target = request.headers['x-amz-target'];
  return request.method === 'POST' && target !== undefined && target.startsWith(ECS_TARGET_PREFIX);
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number >= 0, got ${value}`);
  return value;
}
