/**
 * The emulator's own capacity (the ceiling of everything bound by it), measured two ways against
 * the emulator in its own process (as `blox local-aws` runs it):
 *
 * - wire client: lean clients in this (separate) process sending exactly the requests the AWS SDK
 *   sends — JSON 1.0 `AmazonSQS.ReceiveMessage` / `DeleteMessageBatch` (raw HTTP/1.1 that scans
 *   each receive answer for its receipt handles: see leanSqsClient) and JSON 1.1
 *   `AmazonEC2ContainerServiceV20141113.DescribeTasks` (raw HTTP/1.1 that counts the tasks of
 *   each answer without keeping it: see leanDescribeClient), SigV4-shaped headers — without the
 *   SDK's own CPU cost or garbage. This is the emulator's capacity, and what the targets are
 *   judged on. On 2 shared cores the load generator's own CPU decides the wall rate, so it is
 *   reported per SQS run too (process.cpuUsage of this process).
 * - node:http wire client (SQS only): the earlier load generator — keep-alive node:http, every
 *   answer JSON-parsed — kept as a row to show what the generator's CPU does to the figure.
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
import { createHash, randomUUID } from 'node:crypto';
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
/** Pollers (and sockets) of the node:http wire client and the SDK client. */
const POLLERS = 8;
/**
 * Sockets of the lean SQS client, one poller each (one request in flight per socket). Chosen by
 * measurement (back to back, 20,000 messages, load 2.6–3.3): 2 sockets gave ~66,000 msg/s, 4, 8
 * and 16 the same ~70,000 within noise, at the same load-generator CPU (~5.5–6 µs a message), so
 * the emulator always has a request waiting from 4 on; 8 keeps a margin on a loaded machine and
 * the same concurrency as the other SQS rows.
 */
const LEAN_SOCKETS = 8;
/** What the emulator child's fillRaw puts into the queue (bench/lib/emulator-child.ts). */
const FILL_BODY = 'x'.repeat(2048);

type SqsDriver = 'wire client' | 'node:http wire client' | 'AWS SDK client';
const SQS_DRIVER_NOTES: Record<SqsDriver, string> = {
  'wire client': `${LEAN_SOCKETS} keep-alive sockets, one poller each; lean raw HTTP/1.1 client in a separate process (SDK wire format and headers, receipt handles scanned from each answer, every answer checked; see leanSqsClient), after a warm-up drain whose answers are JSON-parsed and checked (bodies, MD5OfBody).`,
  'node:http wire client': `${POLLERS} concurrent pollers; keep-alive node:http client (SDK wire format, no SDK CPU, each answer JSON-parsed) in a separate process.`,
  'AWS SDK client': `${POLLERS} concurrent pollers; the AWS SDK client in a separate process (its CPU shares the 2 cores with the emulator).`,
};

/** A keep-alive HTTP client that speaks the AWS JSON protocols with SDK-shaped headers. */
export interface WireClient {
  /** POSTs `body` with `X-Amz-Target: <target>`; rejects on a non-200 answer. */
  call(target: string, body: string): Promise<string>;
  close(): void;
}

/**
 * What the SDK sends with every AWS JSON call of `service` (X-Amz-Target and the per-call id and
 * length aside), with a signature-shaped (unchecked) Authorization header.
 */
function sdkShapedHeaders(service: 'ecs' | 'sqs', region: string): Record<string, string> {
  const date = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  return {
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
}

/** The same headers as raw HTTP/1.1 request-head lines for a keep-alive POST of `target` (no blank line). */
function rawSdkHead(url: URL, service: 'ecs' | 'sqs', region: string, target: string): string {
  const lines = Object.entries({ ...sdkShapedHeaders(service, region), 'x-amz-target': target })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return `POST / HTTP/1.1\r\nhost: ${url.host}\r\n${lines}connection: keep-alive\r\n`;
}

export function wireClient(
  endpoint: string,
  service: 'ecs' | 'sqs',
  region: string,
  sockets: number,
): WireClient {
  const url = new URL(endpoint);
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  const base = sdkShapedHeaders(service, region);
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
  const head = rawSdkHead(url, 'ecs', region, 'AmazonEC2ContainerServiceV20141113.DescribeTasks');
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

/** One HTTP/1.1 answer read by {@link rawConnection}; `body` is valid until the next request. */
interface RawAnswer {
  status: number;
  body: Buffer;
}

/** Raw HTTP/1.1 on one keep-alive socket, one request in flight at a time. */
interface RawConnection {
  /** Writes a whole request; resolves with the answer (its body a view of a reused buffer). */
  send(request: Buffer | string): Promise<RawAnswer>;
  close(): void;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * Opens a keep-alive socket whose answers are read (`onread`) into one reused buffer that grows to
 * the largest answer: no Buffer per chunk, no joined copy, no parser objects. Only what the
 * emulator sends is understood — a head with `content-length` (it never sends chunked answers).
 */
function rawConnection(host: string, port: number, what: string): Promise<RawConnection> {
  let answer = Buffer.allocUnsafe(64 * 1024);
  let filled = 0;
  let bodyAt = -1; // where the body starts; -1 while reading the head
  let bodyLength = 0;
  let status = 0;
  let pending: { resolve(a: RawAnswer): void; reject(e: Error): void } | undefined;
  const fail = (err: Error) => {
    const p = pending;
    pending = undefined;
    p?.reject(err);
  };

  const onChunk = (chunk: Buffer) => {
    if (!pending) return fail(new Error(`${what}: the emulator sent bytes nobody asked for`));
    if (filled + chunk.length > answer.length) {
      const grown = Buffer.allocUnsafe(Math.max(2 * answer.length, filled + chunk.length));
      answer.copy(grown, 0, 0, filled);
      answer = grown;
    }
    const before = filled;
    filled += chunk.copy(answer, filled);
    if (bodyAt < 0) {
      const end = answer.subarray(0, filled).indexOf(HEAD_END, Math.max(0, before - 3));
      if (end < 0) return;
      const head = answer.toString('latin1', 0, end);
      status = Number(head.slice(9, 12));
      const length = /\r\ncontent-length: *(\d+)/i.exec(head);
      if (!length)
        return fail(new Error(`${what}: an answer without content-length (${head.split('\r\n')[0]})`));
      bodyAt = end + HEAD_END.length;
      bodyLength = Number(length[1]);
    }
    if (filled < bodyAt + bodyLength) return;
    if (filled > bodyAt + bodyLength) return fail(new Error(`${what}: more bytes than content-length`));
    const p = pending;
    pending = undefined;
    const body = answer.subarray(bodyAt, filled);
    filled = 0;
    bodyAt = -1;
    p.resolve({ status, body });
  };

  return new Promise((resolve, reject) => {
    const readBuffer = Buffer.allocUnsafe(256 * 1024);
    const socket = connect({
      host,
      port,
      onread: { buffer: readBuffer, callback: (n) => (onChunk(readBuffer.subarray(0, n)), true) },
    });
    socket.setNoDelay(true);
    socket.once('error', reject);
    socket.on('close', () => fail(new Error(`${what}: the emulator closed the connection`)));
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', fail);
      resolve({
        send(request) {
          if (pending) return Promise.reject(new Error(`${what}: a request is already in flight`));
          return new Promise((res, rej) => {
            pending = { resolve: res, reject: rej };
            socket.write(request);
          });
        },
        close: () => socket.destroy(),
      });
    });
  });
}

/** Receives and deletes over one socket; see {@link leanSqsClient}. */
export interface LeanSqsClient {
  /** ReceiveMessage(10, WaitTimeSeconds 1): resolves with the number of messages answered. */
  receive(): Promise<number>;
  /** DeleteMessageBatch of every message of the last receive; rejects unless all were deleted. */
  deleteReceived(): Promise<void>;
  close(): void;
}

const RECEIPT_HANDLE = Buffer.from('"ReceiptHandle":"');
const MESSAGE_ID = Buffer.from('"MessageId"');
const ENTRY_ID = Buffer.from('"Id":');
const FAILED_NONE = Buffer.from('"Failed":[]}');

/** Occurrences of `needle` in `haystack` (non-overlapping). */
function occurrences(haystack: Buffer, needle: Buffer): number {
  let n = 0;
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + needle.length)) n++;
  return n;
}

/** The request invocation ids are unique across sockets: a UUID-shaped counter, not randomUUID. */
let invocations = 0;
const invocationId = () => `00000000-0000-4000-8000-${(++invocations).toString(16).padStart(12, '0')}`;

/**
 * The leanest load generator for SQS Receive(10) + DeleteMessageBatch(10), so that the figure
 * measures the emulator rather than its client on 2 shared cores: raw HTTP/1.1 on one keep-alive
 * socket (rawConnection), the SDK's request headers prebuilt as bytes (the receive request is one
 * Buffer whose invocation id is rewritten in place — the previous request was answered, so no
 * write still holds it), the receive answer scanned for its `"ReceiptHandle":"…"` values instead
 * of JSON-parsed (a JSON string value cannot hold an unescaped `"`, so the pattern only matches
 * the field), and the delete body built by concatenation. Checked on every call: as many receipt
 * handles as `"MessageId"`s, and each delete answer ending `"Failed":[]}` with one `"Id":` per
 * entry. Bodies and MD5s are checked in full by the warm-up drain through wireClient.
 */
export async function leanSqsClient(
  endpoint: string,
  region: string,
  queueUrl: string,
): Promise<LeanSqsClient> {
  const url = new URL(endpoint);
  const head = (op: string) => rawSdkHead(url, 'sqs', region, `AmazonSQS.${op}`);
  const receiveBody = JSON.stringify({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 });
  const receiveText = `${head('ReceiveMessage')}amz-sdk-invocation-id: ${invocationId()}\r\ncontent-length: ${Buffer.byteLength(receiveBody)}\r\n\r\n${receiveBody}`;
  const receiveRequest = Buffer.from(receiveText);
  const idAt = Buffer.byteLength(receiveText.slice(0, receiveText.indexOf('\r\ncontent-length:'))) - 36;
  const deleteHead = head('DeleteMessageBatch');
  const deleteOpen = `{"QueueUrl":${JSON.stringify(queueUrl)},"Entries":[`;
  const conn = await rawConnection(url.hostname, Number(url.port), 'SQS lean client');
  let entries = ''; // the delete entries of the last receive
  let received = 0;

  const answerError = (op: string, a: RawAnswer) =>
    new Error(`${op} answered ${a.status}: ${a.body.toString('utf8', 0, 300)}`);

  return {
    async receive() {
      receiveRequest.write(invocationId(), idAt, 'latin1');
      const a = await conn.send(receiveRequest);
      if (a.status !== 200) throw answerError('ReceiveMessage', a);
      const { body } = a;
      entries = '';
      let n = 0;
      for (let at = body.indexOf(RECEIPT_HANDLE); at >= 0; n++) {
        const start = at + RECEIPT_HANDLE.length;
        const end = body.indexOf(0x22, start);
        // an escaped quote would end the value later: never in our handles, but do not guess
        if (end < 0 || body[end - 1] === 0x5c)
          throw new Error(
            `ReceiveMessage answered a receipt handle this client cannot read: ${body.toString('utf8', at, at + 200)}`,
          );
        entries += `${n > 0 ? ',' : ''}{"Id":"${n}","ReceiptHandle":"${body.toString('latin1', start, end)}"}`;
        at = body.indexOf(RECEIPT_HANDLE, end);
      }
      const messages = occurrences(body, MESSAGE_ID);
      if (n !== messages)
        throw new Error(`ReceiveMessage answered ${messages} messages but ${n} receipt handles`);
      received = n;
      return n;
    },
    async deleteReceived() {
      if (received === 0) return;
      const body = `${deleteOpen}${entries}]}`;
      const a = await conn.send(
        `${deleteHead}amz-sdk-invocation-id: ${invocationId()}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      if (a.status !== 200) throw answerError('DeleteMessageBatch', a);
      const answered = occurrences(a.body, ENTRY_ID);
      if (!a.body.subarray(a.body.length - FAILED_NONE.length).equals(FAILED_NONE) || answered !== received)
        throw new Error(
          `DeleteMessageBatch of ${received} answered (expected every entry Successful, "Failed":[]): ${a.body.toString('utf8', 0, 300)}`,
        );
      received = 0;
    },
    close: () => conn.close(),
  };
}

/** drainWire's loop on lean clients, one poller per socket; ms taken. */
export async function drainLean(clients: LeanSqsClient[], n: number): Promise<number> {
  let received = 0;
  let deleted = 0;
  let done = 0;
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (client) => {
      while (received < n) {
        const messages = await client.receive();
        received += messages;
        if (messages === 0) continue;
        await client.deleteReceived();
        deleted += messages;
        if (deleted >= n && done === 0) done = performance.now();
      }
    }),
  );
  return done - t0;
}

/**
 * Receives and deletes (batches of 10) with `pollers` loops until `n` messages are deleted; ms taken.
 * With `body`, every message must carry it with its MD5OfBody (what the SDK verifies).
 */
async function drainWire(
  client: WireClient,
  queueUrl: string,
  n: number,
  pollers: number,
  body?: string,
): Promise<number> {
  const md5 = body === undefined ? '' : createHash('md5').update(body).digest('hex');
  let received = 0;
  let deleted = 0;
  let done = 0;
  const receiveBody = JSON.stringify({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 });
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: pollers }, async () => {
      while (received < n) {
        const out = JSON.parse(await client.call('AmazonSQS.ReceiveMessage', receiveBody)) as {
          Messages?: Array<{ ReceiptHandle: string; Body: string; MD5OfBody: string }>;
        };
        const messages = out.Messages ?? [];
        if (body !== undefined)
          for (const m of messages)
            if (m.Body !== body || m.MD5OfBody !== md5)
              throw new Error(
                `ReceiveMessage answered a message of ${m.Body.length} characters with MD5OfBody ${m.MD5OfBody}; ` +
                  `expected the ${body.length}-character fill (MD5 ${md5})`,
              );
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
    // ---- SQS: ReceiveMessage(10) + DeleteMessageBatch(10) until n messages are gone, three ways.
    const n = ctx.quick ? 1500 : 20_000;
    const warm = ctx.quick ? 500 : n;
    const sizeLabel = `${count(n)} messages of 2 KB`;
    const sqsLean = await Promise.all(
      Array.from({ length: LEAN_SOCKETS }, () => leanSqsClient(endpoint, region, queueUrl)),
    );
    try {
      const drains: Record<SqsDriver, (k: number) => Promise<number>> = {
        'wire client': (k) => drainLean(sqsLean, k),
        'node:http wire client': (k) => drainWire(sqsWire, queueUrl, k, POLLERS),
        'AWS SDK client': (k) => drainSdk(sqs, queueUrl, k, POLLERS),
      };
      for (const [client, drain] of Object.entries(drains) as Array<
        [SqsDriver, (k: number) => Promise<number>]
      >) {
        // warm-up: one unmeasured fill drained by this driver; the lean one's is preceded by a
        // drain through wireClient that JSON-parses every answer and checks each body and MD5
        if (client === 'wire client') {
          await emu.call('fillRaw', { n: warm });
          await drainWire(sqsWire, queueUrl, warm, POLLERS, FILL_BODY);
          await emu.call('purge');
        }
        await emu.call('fillRaw', { n: warm });
        await drain(warm);
        await emu.call('purge');
        const rates: number[] = [];
        const perCpu: number[] = [];
        const generatorUs: number[] = [];
        const l0 = load()[0];
        for (let r = 0; r < ctx.runs; r++) {
          await emu.call('fillRaw', { n });
          const cpu0 = await emu.call<number>('cpuMs');
          const own0 = process.cpuUsage();
          const ms = await drain(n);
          const own = process.cpuUsage(own0);
          const cpu = (await emu.call<number>('cpuMs')) - cpu0;
          rates.push((n * 1000) / ms);
          perCpu.push((n * 1000) / Math.max(cpu, 10));
          generatorUs.push((own.user + own.system) / n);
          // the pollers' last long polls end on their own; the queue must be empty before the next fill
          await emu.call('purge');
        }
        figures.add({
          name: `SQS Receive(10) + DeleteMessageBatch(10), ${client}`,
          backend: 'none',
          size: n,
          sizeLabel,
          unit: 'msg/s',
          better: 'higher',
          runs: rates,
          loadStart: l0,
          note: SQS_DRIVER_NOTES[client],
        });
        figures.add({
          name: `SQS Receive(10) + DeleteMessageBatch(10) per emulator CPU-second, ${client}`,
          backend: 'none',
          size: n,
          sizeLabel,
          unit: 'msg/CPU-s',
          better: 'higher',
          runs: perCpu,
          loadStart: l0,
          note: 'messages over the emulator process’s own CPU time (user + system) during the run: what one free core gives it.',
        });
        figures.add({
          name: `SQS Receive(10) + DeleteMessageBatch(10) load generator CPU per message, ${client}`,
          backend: 'none',
          size: n,
          sizeLabel,
          unit: 'µs',
          better: 'lower',
          runs: generatorUs,
          loadStart: l0,
          note: 'CPU time (user + system, process.cpuUsage) of the measuring process over the run divided by the messages: what the load generator takes from the 2 cores the emulator shares.',
        });
      }
    } finally {
      for (const c of sqsLean) c.close();
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
