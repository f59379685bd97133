/**
 * The local AWS emulator in its own process (as AWS is remote in production), with commands to
 * populate it and fill its queue without costing the measured process anything.
 */
import { StartTaskCommand, ECSClient } from '@aws-sdk/client-ecs';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startLocalAws } from '../../src/local/index.js';
import { silentLogger } from '../../src/core/logger.js';
import { cpuMs } from './machine.js';
import { pool } from './stats.js';
import { epochMs, taskEvent, taskEvents } from './fixtures.js';
import { TaskTimeline } from '../../test/scheduler/support/timeline.js';

export interface EmulatorChildInit {
  taskStartDelayMs?: number;
  taskStopDelayMs?: number;
  /** ECS request throttling at AWS's published rates (default off). */
  throttling?: boolean;
  reorderHoldMs?: number;
  seed?: number;
}

/** A scavenge, when the child runs with --expose-gc (the scheduling scenario starts it so); else nothing. */
function collectYoungGeneration(): void {
  (globalThis as { gc?: (options: { type: 'minor' }) => void }).gc?.({ type: 'minor' });
}

export async function childMain(init: EmulatorChildInit | null) {
  const aws = await startLocalAws({
    port: 0,
    logger: silentLogger,
    queues: ['blox_queue'],
    taskStartDelayMs: init?.taskStartDelayMs ?? 0,
    account: '111122223333',
    ...(init?.taskStopDelayMs !== undefined ? { taskStopDelayMs: init.taskStopDelayMs } : {}),
    ...(init?.throttling !== undefined ? { throttling: init.throttling } : {}),
    ...(init?.reorderHoldMs !== undefined ? { reorderHoldMs: init.reorderHoldMs } : {}),
    ...(init?.seed !== undefined ? { seed: init.seed } : {}),
  });
  const queue = aws.sqs.queueByArn(`arn:aws:sqs:${aws.region}:${aws.account}:blox_queue`)!;
  // Ground truth of the scheduling benchmark, kept here so the measured process pays nothing for it.
  const timeline = new TaskTimeline(aws);
  /** Epoch time (ms) each task was first seen, by group: when ECS accepted its StartTask. */
  const created = new Map<string, Map<string, number>>();
  aws.ecs.onChange((c) => {
    const d = c.task; // not c.detail: that parses the whole task's JSON per change
    if (!d) return;
    let byArn = created.get(d.group);
    if (!byArn) created.set(d.group, (byArn = new Map()));
    if (!byArn.has(d.taskArn)) byArn.set(d.taskArn, epochMs());
  });
  const registerTaskDefinition = (a: { family: string; memory?: number }): string => {
    const out = aws.ecs.callSync('RegisterTaskDefinition', {
      family: a.family,
      containerDefinitions: [
        { name: 'main', image: 'ubuntu', memory: a.memory ?? 10, cpu: 0, essential: true },
      ],
    }) as { taskDefinition: { taskDefinitionArn: string } };
    return out.taskDefinition.taskDefinitionArn;
  };
  return {
    endpoint: () => ({ endpoint: aws.endpoint, queueUrl: aws.queueUrl('blox_queue'), region: aws.region }),
    cpuMs: () => cpuMs(),
    /** Scales cluster `cluster` to `instances` container instances and adds `tasks` RUNNING tasks. */
    async populate(a: { cluster: string; instances: number; tasks: number }) {
      aws.ecs.fleet.scale(a.cluster, a.instances);
      aws.ecs.callSync('RegisterTaskDefinition', {
        family: 'bench',
        containerDefinitions: [{ name: 'app', image: 'nginx', cpu: 1, memory: 4, essential: true }],
      });
      // StartTask on named instances, 10 at a time round the fleet (RunTask's placement would
      // consider every instance per call, which makes loading 100,000 tasks take minutes)
      const arns = aws.ecs.fleet.instances(a.cluster).map((i) => i.containerInstanceArn);
      for (let k = 0; k < a.tasks; k += 10) {
        const count = Math.min(10, a.tasks - k);
        const at = k % arns.length;
        const targets = Array.from({ length: count }, (_, j) => arns[(at + j) % arns.length]!);
        aws.ecs.callSync('StartTask', {
          cluster: a.cluster,
          taskDefinition: 'bench',
          containerInstances: targets,
        });
      }
      await new Promise((r) => setTimeout(r, 100));
      aws.ecs.tick();
      // the emulator's own events of this population are not part of any measurement
      queue.purge();
      return null;
    },
    /**
     * One unmeasured join on a scratch cluster, over HTTP as Blox calls: `instances` register, their
     * tasks start (StartTask of 10, 16 in flight, throttling off meanwhile) and run, every event is
     * received and deleted, then the instances terminate and the queue is purged. Why: a run's
     * emulator is a fresh Node process whose code V8 has not compiled yet, and it spent about twice
     * the CPU per started task of the same code warm; the AWS it stands in for is a warm service.
     * Leaves the throttle buckets full (re-configured) and the scratch cluster deleted.
     */
    async warm(a: { instances: number }) {
      const cluster = 'warm-up';
      const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
      const ecs = new ECSClient({ endpoint: aws.endpoint, region: aws.region, credentials });
      const sqs = new SQSClient({ endpoint: aws.endpoint, region: aws.region, credentials });
      const throttled = aws.ecs.throttling().enabled;
      aws.ecs.setThrottling(false);
      try {
        aws.ecs.callSync('CreateCluster', { clusterName: cluster });
        const td = registerTaskDefinition({ family: cluster });
        aws.ecs.fleet.scale(cluster, a.instances);
        const arns = aws.ecs.fleet.instances(cluster).map((i) => i.containerInstanceArn);
        const running = timeline.runningAt(cluster, arns.length, undefined, 60_000);
        await pool(Math.ceil(arns.length / 10), 16, (b) =>
          ecs.send(
            new StartTaskCommand({
              cluster,
              taskDefinition: td,
              group: cluster,
              containerInstances: arns.slice(b * 10, b * 10 + 10),
            }),
          ),
        );
        await running;
        aws.ecs.fleet.scale(cluster, 0);
        // Past the task stop delay and the event hold: every event of the warm-up is queued.
        await new Promise((r) => setTimeout(r, 500));
        const queueUrl = aws.queueUrl('blox_queue');
        await pool(4, 4, async () => {
          for (;;) {
            const out = await sqs.send(
              new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
            );
            if (!out.Messages?.length) return;
            await sqs.send(
              new DeleteMessageBatchCommand({
                QueueUrl: queueUrl,
                Entries: out.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
              }),
            );
          }
        });
        queue.purge();
        // Gone from ListClusters: a reconcile of Blox's, which lists every cluster, must not
        // describe the warm-up's 1,000 instances and tasks during the measured join (it did).
        aws.ecs.callSync('DeleteCluster', { cluster });
      } finally {
        aws.ecs.setThrottling(throttled);
        ecs.destroy();
        sqs.destroy();
      }
      return null;
    },
    /** Purges the event queue (populate's own events). */
    purge() {
      queue.purge();
      return null;
    },
    taskArns(a: { cluster: string }) {
      const arns: string[] = [];
      let nextToken: string | undefined;
      do {
        const out = aws.ecs.callSync('ListTasks', {
          cluster: a.cluster,
          maxResults: 100,
          ...(nextToken ? { nextToken } : {}),
        }) as {
          taskArns: string[];
          nextToken?: string;
        };
        arns.push(...out.taskArns);
        nextToken = out.nextToken;
      } while (nextToken);
      return arns;
    },
    /** Puts `n` task events (4 versions per task) into blox_queue. */
    fill(a: { n: number; cluster: string; prefix: string }) {
      for (const body of taskEvents(a.n, a.cluster, a.prefix)) aws.sqs.send(queue, body);
      return null;
    },
    /** Puts a 2 KB message `n` times into blox_queue. */
    fillRaw(a: { n: number }) {
      const body = 'x'.repeat(2048);
      for (let i = 0; i < a.n; i++) aws.sqs.send(queue, body);
      return null;
    },
    /** Emits `n` task events one by one every `intervalMs`; answers each task id's emit time (epoch ms). */
    async emit(a: { n: number; intervalMs: number; cluster: string; prefix: string }) {
      const times: Record<string, number> = {};
      for (let i = 0; i < a.n; i++) {
        const id = `${a.prefix}${String(i).padStart(8, '0')}`;
        times[id] = epochMs();
        aws.sqs.send(queue, taskEvent(a.cluster, id, 1));
        await new Promise((r) => setTimeout(r, a.intervalMs));
      }
      return times;
    },
    /** Creates cluster `cluster` and registers task definition family `family` (answers its ARN). */
    cluster(a: { cluster: string; family: string; memory?: number }) {
      aws.ecs.callSync('CreateCluster', { clusterName: a.cluster });
      return registerTaskDefinition(a);
    },
    /** Registers another revision of `family` (answers its ARN). */
    taskDefinition: registerTaskDefinition,
    /**
     * Scales `cluster` to `instances` container instances (synchronous registration; the events
     * follow). Answers the epoch times before and after the registration work.
     */
    scale(a: { cluster: string; instances: number }) {
      const before = epochMs();
      aws.ecs.fleet.scale(a.cluster, a.instances);
      // The registration's garbage is collected as part of the registration, before `after`:
      // registering 1,000 instances in one synchronous call fills the emulator's young generation
      // (~30 MB allocated), and the scavenges that debt triggers otherwise fall in the first tens
      // of ms of the measured join, while the queue's first answers wait behind them. ECS does this
      // work on its own machines, over the time an Auto Scaling group takes to launch a fleet.
      collectYoungGeneration();
      return { before, after: epochMs() };
    },
    /** Container instance ARNs of `cluster` (for the emulator-alone ceiling). */
    instanceArns(a: { cluster: string }) {
      return aws.ecs.fleet.instances(a.cluster).map((i) => i.containerInstanceArn);
    },
    /**
     * Answers the epoch time (ms) at which `count` tasks of `group` (of `taskDefinitionArn`, when
     * given) were first RUNNING and desired RUNNING at once, waiting for it up to `timeoutMs`.
     */
    runningAt(a: { group: string; count: number; taskDefinitionArn?: string; timeoutMs: number }) {
      return timeline.runningAt(a.group, a.count, a.taskDefinitionArn, a.timeoutMs);
    },
    /** When ECS accepted the first and the last task of `group` so far (epoch ms), and how many. */
    created(a: { group: string }) {
      const times = [...(created.get(a.group)?.values() ?? [])];
      return { count: times.length, first: Math.min(...times), last: Math.max(...times) };
    },
    /** Moments so far where an instance had two live tasks of one `blox:` group (never reset). */
    duplicates: () => timeline.duplicates.length,
    /** From now on, track the largest number of `eligible` instances without a RUNNING task of `group`. */
    watchAvailability(a: { group: string; eligible: number }) {
      timeline.watchAvailability(a.group, () => a.eligible);
      return null;
    },
    maxUnavailable: () => timeline.maxUnavailable,
    /** Tasks of `group` RUNNING and desired RUNNING now. */
    running: (a: { group: string }) => timeline.running(a.group),
    /** Messages in blox_queue, visible or not (received and not yet deleted) or delayed. */
    queued() {
      const s = queue.stats(Date.now());
      return s.visible + s.notVisible + s.delayed;
    },
    deleteCluster(a: { cluster: string }) {
      aws.ecs.callSync('DeleteCluster', { cluster: a.cluster });
      return null;
    },
    throttling(a: { enabled: boolean }) {
      aws.ecs.setThrottling(a.enabled);
      return null;
    },
    close: () => aws.close(),
  };
}
