/**
 * The emulator's own capacity (the ceiling of everything bound by it), measured two ways against
 * the emulator in its own process (as `blox local-aws` runs it):
 *
 * - wire client: a lean keep-alive node:http client in this (separate) process sending exactly
 *   the requests the AWS SDK sends — JSON 1.1 `AmazonEC2ContainerServiceV20141113.DescribeTasks`,
 *   JSON 1.0 `AmazonSQS.ReceiveMessage` / `DeleteMessageBatch` with the receipt handles of the
 *   receive answers, SigV4-shaped headers — without the SDK's own CPU cost. This is the
 *   emulator's capacity, and what the targets are judged on.
 * - AWS SDK client: the same calls through @aws-sdk/client-ecs / client-sqs, which on this 2-core
 *   machine spend ~3× the emulator's CPU per call and share the cores with it; kept as extra rows.
 *
 * Per SQS run the emulator's CPU time per message is measured too (it does not depend on what else
 * the machine runs): "per emulator CPU-second" is the rate one free core would give the emulator.
 *
 * Both are measured warm, as a long-running emulator serves: each SQS client first drains one
 * unmeasured fill of the same size (the first 20,000 messages of a fresh process cost ~1.5–2× the CPU while
 * the JIT compiles the server's paths), and DescribeTasks starts once the emulator has written the
 * JSON of every task the population changed (it does so in the background after each change;
 * the status endpoint counts what is left) and after 50 warm-up calls.
 */
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { DescribeTasksCommand } from '@aws-sdk/client-ecs';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { createEcsClient, createSqsClient } from '../../src/aws/clients.js';
import { LocalAwsAdminClient } from '../../src/local/admin/client.js';
import { startChild, type ChildHandle } from '../lib/child.js';
import { count, type Figures } from '../lib/figure.js';
import { load } from '../lib/machine.js';
import { percentile } from '../lib/stats.js';
import type { ScenarioContext } from '../lib/types.js';

const EMULATOR = new URL('../lib/emulator-child.ts', import.meta.url).pathname;
const creds = { accessKeyId: 'bench', secretAccessKey: 'bench' };
const POLLERS = 8;

/** A keep-alive HTTP client that speaks the AWS JSON protocols with SDK-shaped headers. */
export interface WireClient {
  /** POSTs `body` with `X-Amz-Target: <target>`; rejects on a non-200 answer. */
  call(target: string, body: string): Promise<string>;
  close(): void;
}

export function wireClient(
  endpoint: string,
  service: 'ecs' | 'sqs',
  region: string,
  sockets: number,
): WireClient {
  const url = new URL(endpoint);
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  const date = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  // What the SDK sends, with a signature-shaped (unchecked) Authorization header.
  const base: Record<string, string> = {
    'content-type': service === 'ecs' ? 'application/x-amz-json-1.1' : 'application/x-amz-json-1.0',
    'x-amz-user-agent': 'aws-sdk-js/3.1164.0',
    'user-agent': 'aws-sdk-js/3.1164.0 ua/2.1 os/linux lang/js md/nodejs#20 api/bench',
    'amz-sdk-request': 'attempt=1; max=3',
    'x-amz-date': date,
    authorization:
      `AWS4-HMAC-SHA256 Credential=bench/${date.slice(0, 8)}/${region}/${service}/aws4_request, ` +
      'SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-date;x-amz-target;x-amz-user-agent, ' +
      `Signature=${'0'.repeat(64)}`,
    ...(service === 'sqs' ? { 'x-amzn-query-mode': 'true' } : {}),
  };
  return {
    call(target, body) {
      return new Promise((resolve, reject) => {
        const req = request(
          {
            agent,
            host: url.hostname,
            port: url.port,
            method: 'POST',
            path: '/',
            headers: {
              ...base,
              'x-amz-target': target,
              'amz-sdk-invocation-id': randomUUID(),
              'content-length': Buffer.byteLength(body),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              if (res.statusCode === 200) resolve(text);
              else reject(new Error(`${target} answered ${res.statusCode}: ${text.slice(0, 300)}`));
            });
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    },
    close: () => agent.destroy(),
  };
}

/** Receives and deletes (batches of 10) with `pollers` loops until `n` messages are deleted; ms taken. */
async function drainWire(client: WireClient, queueUrl: string, n: number, pollers: number): Promise<number> {
  let received = 0;
  let deleted = 0;
  let done = 0;
  const receiveBody = JSON.stringify({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 });
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: pollers }, async () => {
      while (received < n) {
        const out = JSON.parse(await client.call('AmazonSQS.ReceiveMessage', receiveBody)) as {
          Messages?: Array<{ ReceiptHandle: string }>;
        };
        const messages = out.Messages ?? [];
        received += messages.length;
        if (messages.length === 0) continue;
        const answer = JSON.parse(
          await client.call(
            'AmazonSQS.DeleteMessageBatch',
            JSON.stringify({
              QueueUrl: queueUrl,
              Entries: messages.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle })),
            }),
          ),
        ) as { Successful: unknown[]; Failed: unknown[] };
        if (answer.Failed.length > 0 || answer.Successful.length !== messages.length)
          throw new Error(`DeleteMessageBatch failed: ${JSON.stringify(answer.Failed[0])}`);
        deleted += messages.length;
        if (deleted >= n && done === 0) done = performance.now();
      }
    }),
  );
  return done - t0;
}

/** The same loop through the AWS SDK. */
async function drainSdk(
  sqs: ReturnType<typeof createSqsClient>,
  queueUrl: string,
  n: number,
  pollers: number,
): Promise<number> {
  let received = 0;
  let deleted = 0;
  let done = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: pollers }, async () => {
      while (received < n) {
        const out = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        const messages = out.Messages ?? [];
        received += messages.length;
        if (messages.length === 0) continue;
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
  return done - t0;
}

/** Sequential DescribeTasks of 100 random tasks; p50 and p99 in ms. */
async function describeLatency(
  describe: (tasks: string[]) => Promise<number>,
  arns: string[],
  samples: number,
): Promise<{ p50: number; p99: number }> {
  const lat: number[] = [];
  for (let i = 0; i < samples + 50; i++) {
    const tasks = Array.from({ length: 100 }, () => arns[Math.floor(Math.random() * arns.length)]!);
    const t0 = performance.now();
    const answered = await describe(tasks);
    if (i >= 50) lat.push(performance.now() - t0);
    if (answered !== 100) throw new Error(`DescribeTasks answered ${answered} of 100`);
  }
  return { p50: percentile(lat, 50), p99: percentile(lat, 99) };
}

/** Waits (bounded) until the emulator has written the DescribeTasks JSON of every changed task. */
async function settled(admin: LocalAwsAdminClient): Promise<void> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const status = (await admin.status()) as { ecs: { pendingTaskJson?: number } };
    if ((status.ecs.pendingTaskJson ?? 0) === 0) return;
    if (Date.now() > deadline)
      throw new Error(
        `the emulator still has ${status.ecs.pendingTaskJson} tasks' JSON to write after 300 s`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function run(ctx: ScenarioContext, figures: Figures): Promise<void> {
  const emu = await startChild(EMULATOR, null);
  try {
    await measure(ctx, figures, emu);
  } finally {
    await emu.stop();
  }
}

async function measure(ctx: ScenarioContext, figures: Figures, emu: ChildHandle): Promise<void> {
  const { endpoint, queueUrl, region } = await emu.call<{
    endpoint: string;
    queueUrl: string;
    region: string;
  }>('endpoint');
  const sqs = createSqsClient({ endpoint, region, credentials: creds }, 1);
  const ecs = createEcsClient({ endpoint, region, credentials: creds });
  const sqsWire = wireClient(endpoint, 'sqs', region, POLLERS);
  const ecsWire = wireClient(endpoint, 'ecs', region, 1);
  const admin = new LocalAwsAdminClient(endpoint);
  try {
    // ---- SQS: ReceiveMessage(10) + DeleteMessageBatch(10), 8 pollers, until n messages are gone.
    const n = ctx.quick ? 1500 : 20_000;
    const sizeLabel = `${count(n)} messages of 2 KB`;
    for (const client of ['wire', 'sdk'] as const) {
      const rates: number[] = [];
      const perCpu: number[] = [];
      // warm-up: one unmeasured fill and drain
      const warm = ctx.quick ? 500 : n;
      await emu.call('fillRaw', { n: warm });
      if (client === 'wire') await drainWire(sqsWire, queueUrl, warm, POLLERS);
      else await drainSdk(sqs, queueUrl, warm, POLLERS);
      await emu.call('purge');
      const l0 = load()[0];
      for (let r = 0; r < ctx.runs; r++) {
        await emu.call('fillRaw', { n });
        const cpu0 = await emu.call<number>('cpuMs');
        const ms =
          client === 'wire'
            ? await drainWire(sqsWire, queueUrl, n, POLLERS)
            : await drainSdk(sqs, queueUrl, n, POLLERS);
        const cpu = (await emu.call<number>('cpuMs')) - cpu0;
        rates.push((n * 1000) / ms);
        perCpu.push((n * 1000) / Math.max(cpu, 10));
        // the pollers' last long polls end on their own; the queue must be empty before the next fill
        await emu.call('purge');
      }
      const via =
        client === 'wire'
          ? 'lean keep-alive node:http client (SDK wire format, no SDK CPU) in a separate process'
          : 'the AWS SDK client in a separate process (its CPU shares the 2 cores with the emulator)';
      figures.add({
        name: `SQS Receive(10) + DeleteMessageBatch(10), ${client === 'wire' ? 'wire client' : 'AWS SDK client'}`,
        backend: 'none',
        size: n,
        sizeLabel,
        unit: 'msg/s',
        better: 'higher',
        runs: rates,
        loadStart: l0,
        note: `${POLLERS} concurrent pollers; ${via}.`,
      });
      figures.add({
        name: `SQS Receive(10) + DeleteMessageBatch(10) per emulator CPU-second, ${client === 'wire' ? 'wire client' : 'AWS SDK client'}`,
        backend: 'none',
        size: n,
        sizeLabel,
        unit: 'msg/CPU-s',
        better: 'higher',
        runs: perCpu,
        loadStart: l0,
        note: 'messages over the emulator process’s own CPU time (user + system) during the run: what one free core gives it.',
      });
    }

    // ---- ECS: DescribeTasks of 100 random tasks, sequential, at each scale.
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
      await settled(admin);
      const samples = ctx.quick ? 100 : 1000;
      const label = `${count(scale.instances)} instances / ${count(arns.length)} tasks`;
      const clients = {
        'wire client': async (tasks: string[]) => {
          const text = await ecsWire.call(
            'AmazonEC2ContainerServiceV20141113.DescribeTasks',
            JSON.stringify({ cluster: 'bench', tasks }),
          );
          const out = JSON.parse(text) as { tasks: unknown[]; failures: unknown[] };
          return out.tasks.length + out.failures.length;
        },
        'AWS SDK client': async (tasks: string[]) => {
          const out = await ecs.send(new DescribeTasksCommand({ cluster: 'bench', tasks }));
          return (out.tasks?.length ?? 0) + (out.failures?.length ?? 0);
        },
      };
      for (const [client, describe] of Object.entries(clients)) {
        const p50s: number[] = [];
        const p99s: number[] = [];
        const cpuPerCall: number[] = [];
        const l0 = load()[0];
        for (let r = 0; r < ctx.runs; r++) {
          const cpu0 = await emu.call<number>('cpuMs');
          const { p50, p99 } = await describeLatency(describe, arns, samples);
          cpuPerCall.push(((await emu.call<number>('cpuMs')) - cpu0) / (samples + 50));
          p50s.push(p50);
          p99s.push(p99);
        }
        const note = `${samples} sequential calls per run after 50 warm-up calls; ${
          client === 'wire client'
            ? 'lean keep-alive node:http client in a separate process, parsing the JSON answer'
            : 'AWS SDK client in a separate process (signing, middleware, parsing 100 Task shapes)'
        }.`;
        for (const [q, runs] of [
          ['p99', p99s],
          ['p50', p50s],
        ] as const)
          figures.add({
            name: `DescribeTasks(100) ${q}, ${client}`,
            backend: 'none',
            size: scale.tasks,
            sizeLabel: label,
            unit: 'ms',
            better: 'lower',
            runs,
            loadStart: l0,
            note,
          });
        figures.add({
          name: `DescribeTasks(100) emulator CPU per call, ${client}`,
          backend: 'none',
          size: scale.tasks,
          sizeLabel: label,
          unit: 'ms',
          better: 'lower',
          runs: cpuPerCall,
          loadStart: l0,
          note: 'CPU time (user + system) of the emulator process over the run divided by the calls: its own cost per call, whatever else the machine runs.',
        });
      }
    }
  } finally {
    sqs.destroy();
    ecs.destroy();
    sqsWire.close();
    ecsWire.close();
  }
}
