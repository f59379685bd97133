import { buildClusterArn, clusterName, type ArnScope } from '../../core/arn.js';
import { AwsError } from '../http/aws-error.js';
import type { Random } from './ids.js';
import { isoTime } from './iso-time.js';
import { instanceEventJson } from './instance-event-json.js';
import { taskApiJson, taskEventJson } from './task-json.js';
import type { EcsState } from './state.js';
import type { TimerQueue } from './timers.js';
import type {
  ClusterRecord,
  EcsChange,
  EcsChangeListener,
  InstanceRecord,
  TaskChangeSummary,
  TaskRecord,
} from './types.js';
import type { Input } from './validate.js';
import { invalidParameter, optString } from './validate.js';

/**
 * A change whose detail is written as JSON text when it happens (what the event emitter sends,
 * `json`), and made into an object only for a listener that reads `detail`: the emitter, the
 * only listener in production, never does, so no detail object is built per change.
 */
class WrittenChange implements EcsChange {
  private parsed: Record<string, unknown> | undefined;

  constructor(
    readonly kind: EcsChange['kind'],
    /** `JSON.stringify(detail)`: taskShape / instanceShape in event form, as text. */
    readonly json: string,
    /** The task's or container instance's ARN (the event's resource). */
    readonly arn: string,
    readonly time: string,
    readonly task?: TaskChangeSummary,
  ) {}

  get detail(): Record<string, unknown> {
    return (this.parsed ??= JSON.parse(this.json) as Record<string, unknown>);
  }
}

/** Tasks serialised per background slice: ~1 ms, so a request waits at most that long behind one. */
const PREPARE_SLICE = 100;

/**
 * A response body already serialised (UTF-8). DescribeTasks assembles its answer from per-task
 * JSON cached by version, because building and stringifying 100 task shapes per call was most
 * of its cost; the HTTP layer sends the bytes as they are and call() parses them into a fresh
 * object.
 */
export class JsonText {
  constructor(readonly bytes: Buffer) {}

  get text(): string {
    return this.bytes.toString('utf8');
  }
}

export interface EcsTimings {
  taskStartDelayMs: number;
  taskStopDelayMs: number;
  stoppedTaskRetentionMs: number;
}

/**
 * What every operation module shares: state, clock, randomness, timers and the change feed.
 * Operations mutate records through the helpers here so that every change bumps `version`,
 * stamps `updatedAt` and reaches the listeners exactly once.
 */
export class EcsContext {
  readonly listeners = new Set<EcsChangeListener>();
  /**
   * The API JSON of each described task at its current version, as UTF-8 bytes outside the JS
   * heap (~1.5 KB a task). Entries go with their tasks (weak keys) and are replaced when a
   * task's version moves on, so the cache never churns: an earlier bounded FIFO evicted and
   * re-serialised at 100,000 tasks on almost every lookup, which cost more than it saved.
   */
  private taskJson = new WeakMap<TaskRecord, { version: number; bytes: Buffer }>();
  /**
   * Tasks whose JSON is out of date, written in the background (see prepareTaskJson), so that
   * DescribeTasks finds every task's answer ready instead of serialising on its hot path.
   */
  private stale = new Set<TaskRecord>();
  private preparing: NodeJS.Immediate | undefined;

  constructor(
    readonly state: EcsState,
    readonly scope: ArnScope,
    readonly now: () => number,
    readonly random: Random,
    readonly timers: TimerQueue,
    readonly timings: EcsTimings,
  ) {}

  /** The cluster named by `input.cluster` (name or ARN; default "default"), or ClusterNotFound. */
  cluster(input: Input): ClusterRecord {
    const ref = optString(input, 'cluster') ?? 'default';
    const name = clusterName(ref);
    if (name === undefined) throw invalidParameter(`Invalid cluster name or ARN: ${ref}`);
    if (ref.startsWith('arn:') && ref !== buildClusterArn(this.scope, name))
      throw new AwsError('ClusterNotFoundException', 'Cluster not found.');
    const cluster = this.state.clusters.get(name);
    if (!cluster || cluster.status !== 'ACTIVE')
      throw new AwsError('ClusterNotFoundException', 'Cluster not found.');
    return cluster;
  }

  /** The API JSON of a task (UTF-8), from the cache while its version is unchanged. */
  taskApiJson(task: TaskRecord): Buffer {
    const hit = this.taskJson.get(task);
    if (hit && hit.version === task.version) return hit.bytes;
    const text = taskApiJson(task);
    // its own allocation, not a slice of Buffer's shared pool: a slice would keep the whole
    // 8 KB pool alive for as long as the task is cached
    const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
    bytes.write(text);
    this.taskJson.set(task, { version: task.version, bytes });
    return bytes;
  }

  clearCaches(): void {
    this.taskJson = new WeakMap();
    this.stale.clear();
  }

  /** Changed tasks whose API JSON is not written yet. */
  get pendingTaskJson(): number {
    return this.stale.size;
  }

  /** Stops background work (the emulator is closing). */
  close(): void {
    if (this.preparing) clearImmediate(this.preparing);
    this.preparing = undefined;
    this.stale.clear();
  }

  /**
   * Writes the API JSON of changed tasks a slice at a time between requests. A first
   * DescribeTasks of 100 tasks otherwise serialises all 100 (~10 µs each, and ~5 KB of garbage
   * each, which brings more scavenges): at 100,000 tasks most calls would. Several changes of a
   * task before its turn cost one serialisation; a task gone in between costs none.
   */
  private prepareTaskJson = (): void => {
    this.preparing = undefined;
    let budget = PREPARE_SLICE;
    for (const task of this.stale) {
      this.stale.delete(task);
      if (this.state.tasksById.get(task.id) === task) this.taskApiJson(task);
      if (--budget === 0) break;
    }
    if (this.stale.size > 0) this.schedulePrepare();
  };

  private schedulePrepare(): void {
    if (this.preparing) return;
    // not unref'd: an unref'd immediate only runs when other I/O wakes the loop (one slice per
    // wake-up); the work is bounded, and close() cancels it
    this.preparing = setImmediate(this.prepareTaskJson);
  }

  taskChanged(task: TaskRecord): void {
    task.version++;
    task.updatedAt = this.now();
    this.stale.add(task);
    this.schedulePrepare();
    if (this.listeners.size === 0) return;
    const summary: TaskChangeSummary = {
      taskArn: task.arn,
      containerInstanceArn: task.instanceArn,
      group: task.group,
      lastStatus: task.lastStatus,
      desiredStatus: task.desiredStatus,
      taskDefinitionArn: task.taskDefinitionArn,
      ...(task.startedBy !== undefined ? { startedBy: task.startedBy } : {}),
    };
    this.emit(new WrittenChange('task', taskEventJson(task), task.arn, isoTime(task.updatedAt), summary));
  }

  instanceChanged(inst: InstanceRecord): void {
    inst.version++;
    inst.updatedAt = this.now();
    inst.attributeView = undefined;
    if (this.listeners.size === 0) return;
    this.emit(
      new WrittenChange('container-instance', instanceEventJson(inst), inst.arn, isoTime(inst.updatedAt)),
    );
  }

  private emit(change: Parameters<EcsChangeListener>[0]): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // A listener's failure must not break the emulated ECS call or other listeners.
      }
    }
  }
}
