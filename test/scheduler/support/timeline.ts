import type { LocalAws } from '../../../src/local/emulator.js';

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
  /** Callers of runningAt() still waiting for their count. */
  private readonly waiters = new Set<RunningWaiter>();
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
      // The change's summary, not its detail: building detail parses the whole task's JSON, and
      // benchmarks keep this timeline in the emulator's process, on its critical path.
      const d = c.task;
      if (!d) return;
      const task: TimelineTask = {
        instance: d.containerInstanceArn,
        group: d.group,
        lastStatus: d.lastStatus,
        desiredStatus: d.desiredStatus,
        taskDefinitionArn: d.taskDefinitionArn,
        ...(d.startedBy ? { startedBy: d.startedBy } : {}),
      };
      const arn = d.taskArn;
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
      for (const w of this.waiters) if (this.running(w.group, w.taskDefinitionArn) >= w.count) w.done();
    });
  }

  /**
   * Resolves with the epoch time (ms) of the change at which `count` tasks of `group` (of
   * `taskDefinitionArn` when given) were RUNNING and desired RUNNING, taken as that change happens
   * (so another process can compare it with its own epoch clock); rejects after `timeoutMs`.
   */
  runningAt(
    group: string,
    count: number,
    taskDefinitionArn: string | undefined,
    timeoutMs: number,
  ): Promise<number> {
    if (this.running(group, taskDefinitionArn) >= count) return Promise.resolve(epochMs());
    return new Promise<number>((resolve, reject) => {
      const waiter: RunningWaiter = {
        group,
        count,
        taskDefinitionArn,
        done: () => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(epochMs());
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(
          new Error(
            `${count} RUNNING tasks of ${group}${taskDefinitionArn ? ` (${taskDefinitionArn})` : ''} not reached within ${timeoutMs} ms: ${this.running(group, taskDefinitionArn)} running`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(waiter);
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

interface RunningWaiter {
  group: string;
  count: number;
  taskDefinitionArn: string | undefined;
  done(): void;
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
function epochMs(): number {
  return performance.timeOrigin + performance.now();
}
