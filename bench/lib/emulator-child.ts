/**
 * The local AWS emulator in its own process (as AWS is remote in production), with commands to
 * populate it and fill its queue without costing the measured process anything.
 */
import { startLocalAws } from '../../src/local/index.js';
import { silentLogger } from '../../src/core/logger.js';
import { cpuMs } from './machine.js';
import { epochMs, taskEvent, taskEvents } from './fixtures.js';

export async function childMain(init: { taskStartDelayMs?: number } | null) {
  const aws = await startLocalAws({
    port: 0,
    logger: silentLogger,
    queues: ['blox_queue'],
    taskStartDelayMs: init?.taskStartDelayMs ?? 0,
    account: '111122223333',
  });
  const queue = aws.sqs.queueByArn(`arn:aws:sqs:${aws.region}:${aws.account}:blox_queue`)!;
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
    throttling(a: { enabled: boolean }) {
      aws.ecs.setThrottling(a.enabled);
      return null;
    },
    close: () => aws.close(),
  };
}
