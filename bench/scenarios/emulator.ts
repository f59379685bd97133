/**
 * The emulator's own capacity (the ceiling of everything bound by it), measured two ways against
 * the emulator in its own process (as `blox local-aws` runs it):
 *
 * - wire client: lean clients in this (separate) process sending exactly the requests the AWS SDK
 *   sends — JSON 1.0 `AmazonSQS.ReceiveMessage` / `DeleteMessageBatch` (keep-alive node:http, the
 *   receipt handles of each receive answer) and JSON 1.1
 *   `AmazonEC2ContainerServiceV20141113.DescribeTasks` (raw HTTP/1.1 that counts the tasks of
 *   each answer without keeping it: see leanDescribeClient), SigV4-shaped headers — without the
 *   SDK's own CPU cost or garbage. This is the emulator's capacity, and what the targets are
 *   judged on.
 * - AWS SDK client: the same calls through @aws-sdk/client-ecs / client-sqs, which on this 2-core
 *   machine spend ~3× the emulator's CPU per call and share the cores with it; kept as extra rows.
 *
 * Per SQS run the emulator's CPU time per message is measured too (it does not depend on what else
 * the machine runs): "per emulator CPU-second" is the rate one free core would give the emulator.
 *
 * Both are measured warm, as a long-running emulator serves: each SQS client first drains one
 * unmeasured fill of the same size (the first 20,000 messages of a fresh process cost ~1.5–2× the
 * CPU while the JIT compiles the server's paths), and DescribeTasks starts once the emulator has
 * written the JSON of every task the population changed (it does so in the background after each
 * change; the status endpoint counts what is left) and after 50 warm-up calls.
 */
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
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

/** DescribeTasks over one keep-alive connection; resolves with the number of tasks answered. */
export interface DescribeClient {
  describe(cluster: string, tasks: string[]): Promise<number>;
  close(): void;
}

const TASK_START = Buffer.from('{"attachments":');
const NO_FAILURES = Buffer.from('"failures":[]}');

/**
 * The leanest load generator for DescribeTasks latency: raw HTTP/1.1 on one keep-alive socket,
 * the SDK's headers, and answers read into one reused buffer (`onread`) and checked as they
 * stream by — tasks counted by their opening bytes, the end must be `"failures":[]}` — instead of
 * being joined and JSON-parsed. Parsing each 150 KB answer allocated ~150 KB of buffers and
 * ~0.5 MB of objects per call in the load generator, whose own GC pauses (2–20 ms, 20–40 per
 * 1,000 calls) then made most of the measured p99. Answers are checked in full (JSON.parse) by
 * the warm-up calls through wireClient.
 */
export function leanDescribeClient(endpoint: string, region: string): Promise<DescribeClient> {
  const url = new URL(endpoint);
  const date = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  const head =
    'POST / HTTP/1.1\r\n' +
    `host: ${url.host}\r\n` +
    'content-type: application/x-amz-json-1.1\r\n' +
    'x-amz-target: AmazonEC2ContainerServiceV20141113.DescribeTasks\r\n' +
    'x-amz-user-agent: aws-sdk-js/3.1164.0\r\n' +
    'user-agent: aws-sdk-js/3.1164.0 ua/2.1 os/linux lang/js md/nodejs#20 api/bench\r\n' +
    'amz-sdk-request: attempt=1; max=3\r\n' +
    `x-amz-date: ${date}\r\n` +
    `authorization: AWS4-HMAC-SHA256 Credential=bench/${date.slice(0, 8)}/${region}/ecs/aws4_request, ` +
    `SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-date;x-amz-target;x-amz-user-agent, Signature=${'0'.repeat(64)}\r\n` +
    'connection: keep-alive\r\n';
  const headBytes = Buffer.allocUnsafe(16 * 1024);
  const scratch = Buffer.allocUnsafe(2 * TASK_START.length);
  const tail = Buffer.alloc(NO_FAILURES.length);
  let headLength = 0;
  let status = 0;
  let remaining = -1; // body bytes still to come; -1 while reading the head
  let tasks = 0;
  let carry = 0; // bytes of the previous chunk kept at the start of scratch
  let pending: { resolve(n: number): void; reject(e: Error): void } | undefined;
  let errorBody: Buffer[] | undefined;

  const finish = () => {
    const p = pending;
    pending = undefined;
    remaining = -1;
    headLength = 0;
    if (!p) return;
    if (status !== 200)
      p.reject(
        new Error(
          `DescribeTasks answered ${status}: ${Buffer.concat(errorBody ?? [])
            .toString()
            .slice(0, 300)}`,
        ),
      );
    else if (!tail.equals(NO_FAILURES)) p.reject(new Error('DescribeTasks answered failures'));
    else p.resolve(tasks);
  };

  const body = (chunk: Buffer) => {
    if (status !== 200) (errorBody ??= []).push(Buffer.from(chunk));
    // a task start split across chunks: look for it where the previous chunk's end meets this one
    const m = TASK_START.length;
    if (carry > 0) {
      const joined = Math.min(m - 1, chunk.length);
      chunk.copy(scratch, carry, 0, joined);
      if (scratch.subarray(0, carry + joined).indexOf(TASK_START) >= 0) tasks++;
    }
    for (let at = chunk.indexOf(TASK_START); at >= 0; at = chunk.indexOf(TASK_START, at + m)) tasks++;
    carry = Math.min(m - 1, chunk.length);
    chunk.copy(scratch, 0, chunk.length - carry);
    // the answer's last bytes, for the failures check
    if (chunk.length >= tail.length) chunk.copy(tail, 0, chunk.length - tail.length);
    else {
      tail.copy(tail, 0, chunk.length);
      chunk.copy(tail, tail.length - chunk.length);
    }
    remaining -= chunk.length;
    if (remaining === 0) finish();
  };

  const onChunk = (data: Buffer) => {
    let chunk = data;
    if (remaining < 0) {
      chunk.copy(headBytes, headLength);
      const end = headBytes.subarray(0, headLength + chunk.length).indexOf('\r\n\r\n');
      if (end < 0) {
        headLength += chunk.length;
        return;
      }
      const text = headBytes.toString('latin1', 0, end);
      status = Number(text.slice(9, 12));
      const length = /\r\ncontent-length: *(\d+)/i.exec(text);
      remaining = length ? Number(length[1]) : 0;
      chunk = chunk.subarray(end + 4 - headLength);
      tasks = 0;
      carry = 0;
      errorBody = undefined;
      if (remaining === 0) return finish();
    }
    if (chunk.length > 0) body(chunk);
  };

  return new Promise((resolve, reject) => {
    const readBuffer = Buffer.allocUnsafe(1 << 20);
    const socket = connect({
      host: url.hostname,
      port: Number(url.port),
      onread: { buffer: readBuffer, callback: (n) => (onChunk(readBuffer.subarray(0, n)), true) },
    });
    socket.setNoDelay(true);
    socket.once('error', reject);
    socket.on('close', () => pending?.reject(new Error('the emulator closed the connection')));
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', (err) => pending?.reject(err));
      resolve({
        describe(cluster, names) {
          return new Promise((res, rej) => {
            pending = { resolve: res, reject: rej };
            const json = JSON.stringify({ cluster, tasks: names });
            socket.write(
              `${head}amz-sdk-invocation-id: ${randomUUID()}\r\ncontent-length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
            );
          });
        },
        close: () => socket.destroy(),
      });
    });
  });
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
  const lean = await leanDescribeClient(endpoint, region);
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
      // the answers are checked in full (JSON-parsed) before the lean client only counts them
      for (let i = 0; i < 20; i++) {
        const tasks = Array.from({ length: 100 }, () => arns[Math.floor(Math.random() * arns.length)]!);
        const text = await ecsWire.call(
          'AmazonEC2ContainerServiceV20141113.DescribeTasks',
          JSON.stringify({ cluster: 'bench', tasks }),
        );
        const out = JSON.parse(text) as { tasks: Array<{ taskArn: string }>; failures: unknown[] };
        if (out.tasks.length !== 100 || out.failures.length !== 0 || out.tasks[0]!.taskArn !== tasks[0])
          throw new Error(
            `DescribeTasks answered ${out.tasks.length} tasks and ${out.failures.length} failures`,
          );
      }
      const clients = {
        'wire client': (tasks: string[]) => lean.describe('bench', tasks),
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
            ? 'lean raw HTTP/1.1 keep-alive client in a separate process, counting the tasks of each answer as it streams into one reused buffer (20 answers fully parsed and checked first)'
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
    lean.close();
  }
}
