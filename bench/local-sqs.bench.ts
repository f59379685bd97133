/**
 * Local SQS emulator throughput through the real AWS SDK over HTTP, the way the state
 * service's ingest uses it: several concurrent pollers each loop ReceiveMessage(10) +
 * DeleteMessageBatch(10) until a pre-filled queue is empty; and SendMessageBatch(10) with
 * several concurrent senders (which fills the queue first).
 *
 *   npx tsx bench/local-sqs.bench.ts [runs=3]      (BENCH_WORKERS=n client threads, default 2)
 *
 * The emulator runs in its own process (as `blox local-aws` does); the SDK clients run in worker
 * threads of this process (one SDK client each), because one event loop cannot drive the SDK
 * fast enough. Both share the machine's cores, so besides wall-clock rates the CPU time each side
 * spends per message is measured: it does not depend on what else the machine is doing.
 * Writes bench/results/local-sqs.json and the "local-sqs" section of docs/benchmarks.md.
 * The target (receive + delete ≥ 20,000 messages/s) is judged by the suite's emulator scenario
 * (bench/scenarios/emulator.ts) with a lean wire-protocol client; the SDK rate here is informational.
 */
import { execSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { cpus, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { isMainThread, Worker, workerData } from 'node:worker_threads';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';

const MESSAGES = 100_000;
const SENDERS = 8;
const POLLERS = 8;
const WORKERS = Number(process.env.BENCH_WORKERS ?? 2);
const TARGET_RECEIVE_PER_SECOND = 20_000;
const runs = Number(process.argv[2] ?? 3);
const ROOT = new URL('..', import.meta.url).pathname;

// A message the size of a real ECS task event envelope (~2 KB).
const BODY = JSON.stringify({
  version: '0',
  id: '8ffd64d1-d493-677e-1b11-e4e4e98ca5ea',
  'detail-type': 'ECS Task State Change',
  source: 'aws.ecs',
  account: '123456789012',
  time: '2025-03-10T10:15:39Z',
  region: 'us-east-1',
  resources: ['arn:aws:ecs:us-east-1:123456789012:task/default/3f9a1c7e5b2d4e8fa6c0b4d2e8f1a3c5'],
  detail: { padding: 'x'.repeat(1700), version: 2, lastStatus: 'RUNNING' },
});

interface PhaseResult {
  /** Messages per wall-clock second. */
  perSecond: number;
  /** CPU microseconds per message in the emulator process and in the SDK clients. */
  serverCpuUs: number;
  clientCpuUs: number;
  /** Messages per CPU-second of emulator + clients together: the rate one free core would give. */
  perCpuSecond: number;
}

interface RunResult {
  send: PhaseResult;
  receive: PhaseResult;
  loadAverage: number;
}

interface Emulator {
  child: ChildProcess;
  endpoint: string;
  /** CPU microseconds (user + system) the emulator process has used so far. */
  cpu(): Promise<number>;
}

async function startEmulatorProcess(): Promise<Emulator> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      [
        "import { startLocalAws } from './src/local/index.ts';",
        'const l = await startLocalAws({ port: 0 });',
        "process.on('message', () => { const u = process.cpuUsage(); process.send({ cpu: u.user + u.system }); });",
        "process.on('SIGTERM', () => l.close().then(() => process.exit(0)));",
        'process.send({ endpoint: l.endpoint });',
      ].join(' '),
    ],
    { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const next = <T>(key: string) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (m: Record<string, unknown>) => {
        if (key in m) {
          child.off('message', onMessage);
          resolve(m[key] as T);
        }
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
    });
  const endpoint = await next<string>('endpoint');
  return {
    child,
    endpoint,
    cpu: () => {
      const answer = next<number>('cpu');
      child.send({});
      return answer;
    },
  };
}

interface WorkerJob {
  endpoint: string;
  queueUrl: string;
  mode: 'send' | 'receive';
  concurrency: number;
  /** One Int32: messages claimed (send) or received (receive) so far, across all threads. */
  counter: SharedArrayBuffer;
}

/** One worker thread: its own SDK client and event loop, `concurrency` loops sharing the counter. */
async function runWorker(job: WorkerJob): Promise<void> {
  const counter = new Int32Array(job.counter);
  const client = new SQSClient({
    endpoint: job.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 64 }) }),
  });
  const QueueUrl = job.queueUrl;
  await Promise.all(
    Array.from({ length: job.concurrency }, async () => {
      if (job.mode === 'send') {
        for (;;) {
          const start = Atomics.add(counter, 0, 10);
          if (start >= MESSAGES) return;
          const out = await client.send(
            new SendMessageBatchCommand({
              QueueUrl,
              Entries: Array.from({ length: 10 }, (_, i) => ({
                Id: `m${i}`,
                MessageBody: `${start + i}${BODY}`,
              })),
            }),
          );
          if (out.Failed?.length) throw new Error(`send failed: ${JSON.stringify(out.Failed[0])}`);
        }
      }
      while (Atomics.load(counter, 0) < MESSAGES) {
        const got = await client.send(
          new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        const messages = got.Messages ?? [];
        if (messages.length === 0) continue;
        Atomics.add(counter, 0, messages.length);
        const del = await client.send(
          new DeleteMessageBatchCommand({
            QueueUrl,
            Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
        if (del.Failed?.length) throw new Error(`delete failed: ${JSON.stringify(del.Failed[0])}`);
      }
    }),
  );
  client.destroy();
}

/** Runs one phase on WORKERS threads with `loops` concurrent loops in all. */
async function phase(
  emulator: Emulator,
  queueUrl: string,
  mode: 'send' | 'receive',
  loops: number,
): Promise<PhaseResult> {
  const counter = new SharedArrayBuffer(4);
  const serverBefore = await emulator.cpu();
  const clientBefore = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: WORKERS }, () => {
      const job: WorkerJob = {
        endpoint: emulator.endpoint,
        queueUrl,
        mode,
        concurrency: Math.ceil(loops / WORKERS),
        counter,
      };
      const worker = new Worker(
        // Workers do not inherit tsx's loader: register it, then load this file.
        `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(import.meta.url)}); })`,
        { eval: true, workerData: job },
      );
      return new Promise<void>((resolve, reject) => {
        worker.once('error', reject);
        worker.once('exit', (code) =>
          code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`)),
        );
      });
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const client = process.cpuUsage(clientBefore);
  const serverCpuUs = (await emulator.cpu()) - serverBefore;
  const count = new Int32Array(counter)[0]!;
  if (count < MESSAGES) throw new Error(`${mode}: only ${count} of ${MESSAGES} messages`);
  const perMessage = (us: number) => Math.round((us / MESSAGES) * 10) / 10;
  const server = perMessage(serverCpuUs);
  const clientUs = perMessage(client.user + client.system);
  return {
    perSecond: Math.round(MESSAGES / seconds),
    serverCpuUs: server,
    clientCpuUs: clientUs,
    perCpuSecond: Math.round(1e6 / (server + clientUs)),
  };
}

async function oneRun(): Promise<RunResult> {
  const emulator = await startEmulatorProcess();
  const client = new SQSClient({
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  try {
    const loadAverage = loadavg()[0]!;
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'bench' }));
    const send = await phase(emulator, QueueUrl!, 'send', SENDERS);
    const receive = await phase(emulator, QueueUrl!, 'receive', POLLERS);
    return { send, receive, loadAverage: Math.round(loadAverage * 100) / 100 };
  } finally {
    client.destroy();
    emulator.child.kill('SIGTERM');
    await new Promise((resolve) => emulator.child.once('exit', resolve));
  }
}

function summary(values: number[]): { median: number; min: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)]!, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

async function benchmark(): Promise<void> {
  const results: RunResult[] = [];
  for (let i = 0; i < runs; i++) {
    const result = await oneRun();
    console.log(`run ${i + 1}/${runs}:`, JSON.stringify(result));
    results.push(result);
  }
  const figures = (pick: (r: RunResult) => PhaseResult) => ({
    perSecond: summary(results.map((r) => pick(r).perSecond)),
    serverCpuUs: summary(results.map((r) => pick(r).serverCpuUs)),
    clientCpuUs: summary(results.map((r) => pick(r).clientCpuUs)),
    perCpuSecond: summary(results.map((r) => pick(r).perCpuSecond)),
  });
  const send = figures((r) => r.send);
  const receive = figures((r) => r.receive);
  const machine = {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    commit: execSync('git rev-parse --short HEAD', { cwd: ROOT }).toString().trim(),
    date: new Date().toISOString(),
    loadAverage: summary(results.map((r) => r.loadAverage)),
  };
  const met = receive.perSecond.median >= TARGET_RECEIVE_PER_SECOND;
  const output = {
    name: 'local-sqs',
    messages: MESSAGES,
    bodyBytes: BODY.length,
    senders: SENDERS,
    pollers: POLLERS,
    workerThreads: WORKERS,
    runs: results,
    sendMessageBatch: send,
    receiveAndDeleteBatch: receive,
    target: { receiveAndDeletePerSecond: TARGET_RECEIVE_PER_SECOND, measured: receive.perSecond.median, met },
    machine,
  };
  mkdirSync(new URL('../bench/results/', import.meta.url), { recursive: true });
  writeFileSync(
    new URL('../bench/results/local-sqs.json', import.meta.url),
    JSON.stringify(output, null, 2) + '\n',
  );

  const fmt = (n: number) => n.toLocaleString('en-US');
  const cells = (f: { median: number; min: number; max: number }, unit = '') =>
    `${fmt(f.median)}${unit} | ${fmt(f.min)} | ${fmt(f.max)}`;
  const rows = (label: string, f: ReturnType<typeof figures>) => [
    `| ${label}: wall-clock rate | ${cells(f.perSecond, ' msg/s')} |`,
    `| ${label}: emulator CPU per message | ${cells(f.serverCpuUs, ' µs')} |`,
    `| ${label}: SDK client CPU per message | ${cells(f.clientCpuUs, ' µs')} |`,
    `| ${label}: messages per CPU-second (emulator + clients) | ${cells(f.perCpuSecond, ' msg')} |`,
  ];
  const section = [
    '<!-- local-sqs:begin -->',
    '## Local SQS emulator',
    '',
    'Run `npx tsx bench/local-sqs.bench.ts` (bench/local-sqs.bench.ts). The emulator (`startLocalAws`) runs in its own',
    `process; \`@aws-sdk/client-sqs\` (JSON 1.0 over keep-alive HTTP on loopback) runs in ${WORKERS} worker threads of the benchmark`,
    `process. Per run, ${fmt(MESSAGES)} messages of ${fmt(BODY.length)} bytes (an ECS task event's size): first SendMessageBatch(10)`,
    `from ${SENDERS} concurrent senders, then ${POLLERS} concurrent pollers each loop ReceiveMessage(MaxNumberOfMessages 10,`,
    'WaitTimeSeconds 1) + DeleteMessageBatch(10) until the queue is empty. CPU time per message is measured for each',
    'side (process.cpuUsage of the emulator process and of the client process); "messages per CPU-second" is what one',
    `free core running both would give. Median of ${runs} runs (min–max).`,
    '',
    `Machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, Node ${machine.node}; commit ${machine.commit}; ${machine.date}.`,
    `1-minute load average at the start of the runs: ${machine.loadAverage.median} (min ${machine.loadAverage.min}, max ${machine.loadAverage.max}); the 2 cores are shared with other work.`,
    '',
    '| figure | median | min | max |',
    '|---|---:|---:|---:|',
    ...rows('ReceiveMessage(10) + DeleteMessageBatch(10)', receive),
    ...rows('SendMessageBatch(10)', send),
    '',
    '| target | measured (median) | met |',
    '|---|---:|---|',
    `| (info) ReceiveMessage(10) + DeleteMessageBatch(10) ≥ ${fmt(TARGET_RECEIVE_PER_SECOND)} msg/s through the SDK (the target itself is judged by \`bench/run.ts --only emulator\`) | ${fmt(receive.perSecond.median)} msg/s | ${met ? 'yes' : 'no'} |`,
    '<!-- local-sqs:end -->',
  ].join('\n');

  const docPath = new URL('../docs/benchmarks.md', import.meta.url);
  let doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Benchmarks\n';
  const begin = doc.indexOf('<!-- local-sqs:begin -->');
  const end = doc.indexOf('<!-- local-sqs:end -->');
  if (begin >= 0 && end > begin)
    doc = doc.slice(0, begin) + section + doc.slice(end + '<!-- local-sqs:end -->'.length);
  else doc = `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(docPath, doc);
  console.log(section);
}

if (isMainThread) await benchmark();
else await runWorker(workerData as WorkerJob);
