/**
 * The emulator's own capacity (the ceiling of everything bound by it): SQS ReceiveMessage(10) +
 * DeleteMessageBatch(10) through the AWS SDK, and DescribeTasks(100) latency through the SDK at
 * scale. The emulator runs in its own process; the clients here.
 */
import { DescribeTasksCommand } from '@aws-sdk/client-ecs';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { createEcsClient, createSqsClient } from '../../src/aws/clients.js';
import { startChild } from '../lib/child.js';
import type { Figures } from '../lib/figure.js';
import { load } from '../lib/machine.js';
import { percentile } from '../lib/stats.js';
import type { ScenarioContext } from '../lib/types.js';

const EMULATOR = new URL('../lib/emulator-child.ts', import.meta.url).pathname;
const creds = { accessKeyId: 'bench', secretAccessKey: 'bench' };

export async function run(ctx: ScenarioContext, figures: Figures): Promise<void> {
  const emu = await startChild(EMULATOR, null);
  try {
    const { endpoint, queueUrl, region } = await emu.call<{
      endpoint: string;
      queueUrl: string;
      region: string;
    }>('endpoint');
    const sqs = createSqsClient({ endpoint, region, credentials: creds }, 1);
    const ecs = createEcsClient({ endpoint, region, credentials: creds });
    try {
      // SQS: receive + delete batches with 8 pollers until n messages are gone.
      const n = ctx.quick ? 1500 : 20_000;
      const rates: number[] = [];
      const load0 = load()[0];
      for (let r = 0; r < ctx.runs; r++) {
        await emu.call('fillRaw', { n });
        let received = 0;
        let deleted = 0;
        let done = 0;
        const t0 = performance.now();
        await Promise.all(
          Array.from({ length: 8 }, async () => {
            while (received < n) {
              const out = await sqs.send(
                new ReceiveMessageCommand({
                  QueueUrl: queueUrl,
                  MaxNumberOfMessages: 10,
                  WaitTimeSeconds: 1,
                }),
              );
              const messages = out.Messages ?? [];
              received += messages.length;
              if (messages.length)
                await sqs.send(
                  new DeleteMessageBatchCommand({
                    QueueUrl: queueUrl,
                    Entries: messages.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle! })),
                  }),
                );
              deleted += messages.length;
              // every message gone: later polls of the empty queue only wait out their long poll
              if (deleted >= n && done === 0) done = performance.now();
            }
          }),
        );
        rates.push((n * 1000) / (done - t0));
      }
      figures.add({
        name: 'SQS Receive(10) + DeleteMessageBatch(10)',
        backend: 'none',
        size: n,
        sizeLabel: `${n.toLocaleString('en-US')} messages`,
        unit: 'msg/s',
        better: 'higher',
        runs: rates,
        loadStart: load0,
        note: '8 concurrent SDK pollers in one process against the emulator process; both share the 2 cores.',
      });

      // ECS: DescribeTasks of 100 random tasks, sequential, at each scale.
      const scales = ctx.quick
        ? [{ instances: 500, tasks: 5000 }]
        : [
            { instances: 1000, tasks: 10_000 },
            { instances: 10_000, tasks: 100_000 },
          ];
      let populated = 0;
      for (const scale of scales) {
        // populate scales the fleet to `instances` and adds `tasks` tasks to what is there
        await emu.call(
          'populate',
          { cluster: 'bench', instances: scale.instances, tasks: scale.tasks - populated },
          600_000,
        );
        populated = scale.tasks;
        const arns = await emu.call<string[]>('taskArns', { cluster: 'bench' });
        const samples = ctx.quick ? 100 : 1000;
        const p50s: number[] = [];
        const p99s: number[] = [];
        const l0 = load()[0];
        for (let r = 0; r < ctx.runs; r++) {
          const lat: number[] = [];
          for (let i = 0; i < samples + 20; i++) {
            const tasks = Array.from({ length: 100 }, () => arns[Math.floor(Math.random() * arns.length)]!);
            const t0 = performance.now();
            const out = await ecs.send(new DescribeTasksCommand({ cluster: 'bench', tasks }));
            if (i >= 20) lat.push(performance.now() - t0);
            if ((out.tasks?.length ?? 0) + (out.failures?.length ?? 0) === 0)
              throw new Error('DescribeTasks answered nothing');
          }
          p50s.push(percentile(lat, 50));
          p99s.push(percentile(lat, 99));
        }
        const label = `${scale.instances.toLocaleString('en-US')} instances / ${arns.length.toLocaleString('en-US')} tasks`;
        figures.add({
          name: 'DescribeTasks(100) p99',
          backend: 'none',
          size: scale.tasks,
          sizeLabel: label,
          unit: 'ms',
          better: 'lower',
          runs: p99s,
          loadStart: l0,
        });
        figures.add({
          name: 'DescribeTasks(100) p50',
          backend: 'none',
          size: scale.tasks,
          sizeLabel: label,
          unit: 'ms',
          better: 'lower',
          runs: p50s,
          loadStart: l0,
        });
      }
    } finally {
      sqs.destroy();
      ecs.destroy();
    }
  } finally {
    await emu.stop();
  }
}
