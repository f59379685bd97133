import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';
import { request as httpRequest, type Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import type {
  DeleteMessageBatchRequest,
  DeleteMessageBatchResult,
  Message,
  ReceiveMessageRequest,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { SignatureV4 } from '@smithy/signature-v4';
import { BloxError } from '../core/errors.js';
import { backoffDelay, isThrottlingError, sleep } from './backoff.js';
import { sqsTransportSettings, type SqsTransportSettings } from './clients.js';
import { NativeSha256 } from './sha256.js';

/**
 * The ingest's two hot SQS calls, ReceiveMessage and DeleteMessageBatch, spoken directly in AWS
 * JSON 1.0 (`X-Amz-Target: AmazonSQS.<Op>`) over the SQS client's own keep-alive agents and signed
 * with SigV4 (`@smithy/signature-v4`, the SDK's own signer).
 *
 * Why not the SDK: measured on this machine (2 cores, emulator in its own process), the AWS SDK v3
 * spent ~117–135 µs of client CPU per message on Receive(10) + DeleteMessageBatch(10) — per call
 * it resolves endpoint rules, runs the middleware stack, serialises through its schema, builds a
 * user agent and signs — and the whole ingest ~178 µs/event, which caps one core far below the
 * 10,000 events/s target. These two calls have fixed, tiny shapes, so a direct request costs a
 * fraction of that (docs/architecture.md, "AWS clients", has the figures).
 *
 * What the SDK guaranteed is kept: credentials and region come from the client's resolved config
 * (its whole provider chain and refresh); the endpoint is the client's configured one, else the
 * QueueUrl's origin (as the SDK's SQS queue-URL middleware does); connection and request timeouts
 * throw; an abort signal ends a call at once; throttling, 5xx, timeouts and network errors are
 * retried with jittered backoff up to the client's maxAttempts (and a signature refused for a
 * skewed clock once the clock offset is corrected, as the SDK does); AWS errors become errors with the
 * SDK's `name` (`QueueDoesNotExist`, `AccessDenied`, …) and `$metadata.httpStatusCode`; and every
 * received message's MD5OfBody is checked.
 */

export type ReceiveInput = Pick<
  ReceiveMessageRequest,
  'QueueUrl' | 'MaxNumberOfMessages' | 'WaitTimeSeconds' | 'VisibilityTimeout' | 'MessageSystemAttributeNames'
>;
export type DeleteBatchInput = Pick<DeleteMessageBatchRequest, 'QueueUrl' | 'Entries'>;
export interface ReceiveOutput {
  Messages?: Message[];
}

/** An error SQS answered (status ≥ 300), named as the AWS SDK names it. */
export class SqsServiceError extends BloxError {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { httpStatusCode: number; requestId?: string };
  /** SQS's legacy query-protocol code (`AWS.SimpleQueueService.NonExistentQueue`), when sent. */
  readonly Code: string | undefined;
  /** The request was refused for a skewed clock and the offset has been corrected: worth a retry. */
  clockSkewCorrected = false;

  constructor(name: string, message: string, status: number, queryCode?: string, requestId?: string) {
    super(name, message, { status: 502, details: { httpStatusCode: status } });
    this.name = name;
    this.$fault = status >= 500 ? 'server' : 'client';
    this.$metadata = { httpStatusCode: status, ...(requestId ? { requestId } : {}) };
    this.Code = queryCode;
  }
}

/** A received body whose MD5 differs from MD5OfBody: corrupted in transit. Not retried (as the SDK). */
export class SqsChecksumError extends BloxError {
  constructor(messageIds: string[]) {
    super('InvalidChecksum', `Invalid MD5 checksum on messages: ${messageIds.join(', ')}`, { status: 502 });
  }
}

function timeoutError(message: string): Error {
  const err = new Error(message);
  err.name = 'TimeoutError';
  return err;
}

function abortError(): Error {
  const err = new Error('Request aborted');
  err.name = 'AbortError';
  return err;
}

/** Errors AWS answers to a request signed with a clock too far from its own (as the SDK lists them). */
const CLOCK_SKEW_NAMES = new Set([
  'AuthFailure',
  'InvalidSignatureException',
  'RequestExpired',
  'RequestInTheFuture',
  'RequestTimeTooSkewed',
  'SignatureDoesNotMatch',
]);
const FIVE_MINUTES_MS = 300_000;

const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED']);

/** What the SDK's standard retry strategy retries: throttling, 5xx, timeouts, broken connections. */
export function isRetryableSqsError(err: unknown): boolean {
  if (isThrottlingError(err)) return true;
  if (err instanceof SqsServiceError) return err.clockSkewCorrected || err.$metadata.httpStatusCode >= 500;
  const e = err as { name?: string; code?: string };
  return e?.name === 'TimeoutError' || (typeof e?.code === 'string' && TRANSIENT_CODES.has(e.code));
}

/**
 * The error name as the SDK derives it: the shape name from `__type` (`com.amazonaws.sqs#X` → X)
 * or the `x-amzn-errortype` header (`X:http://…` → X).
 */
export function errorNameOf(type: string | undefined): string | undefined {
  if (!type) return undefined;
  let name = type;
  if (name.includes(':')) name = name.slice(0, name.indexOf(':'));
  if (name.includes('#')) name = name.slice(name.indexOf('#') + 1);
  return name || undefined;
}

/** Turns an error response into an SqsServiceError. Pure; exported for tests. */
export function parseSqsError(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  body: string,
): SqsServiceError {
  let parsed: { __type?: unknown; code?: unknown; message?: unknown; Message?: unknown } = {};
  try {
    const v: unknown = JSON.parse(body);
    if (typeof v === 'object' && v !== null) parsed = v as typeof parsed;
  } catch {
    // not JSON (a proxy's HTML page, an empty 503): named from the headers or the status below
  }
  const header = (n: string) => {
    const v = headers[n];
    return Array.isArray(v) ? v[0] : v;
  };
  const name =
    errorNameOf(typeof parsed.__type === 'string' ? parsed.__type : undefined) ??
    errorNameOf(typeof parsed.code === 'string' ? parsed.code : undefined) ??
    errorNameOf(header('x-amzn-errortype')) ??
    (status >= 500 ? 'InternalFailure' : 'UnknownError');
  const message =
    typeof parsed.message === 'string'
      ? parsed.message
      : typeof parsed.Message === 'string'
        ? parsed.Message
        : `SQS answered HTTP ${status} (${name})`;
  const queryError = header('x-amzn-query-error');
  const queryCode = queryError ? queryError.split(';')[0] : undefined;
  return new SqsServiceError(name, message, status, queryCode, header('x-amzn-requestid'));
}

/**
 * Node's one-shot hash (20.12+): no Hash object per call, which made a visible share of the
 * ingest's CPU at 10 bodies per receive. Older Node falls back to createHash.
 */
const hashOnce = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;
const md5Hex = (text: string): string =>
  hashOnce ? hashOnce('md5', text, 'hex') : createHash('md5').update(text, 'utf8').digest('hex');

/** Throws SqsChecksumError naming every message whose Body does not hash to its MD5OfBody. */
export function checkBodies(messages: Message[]): void {
  let bad: string[] | undefined;
  for (const m of messages) {
    if (m.Body === undefined || m.MD5OfBody === undefined) continue;
    if (md5Hex(m.Body) !== m.MD5OfBody) (bad ??= []).push(m.MessageId ?? '(no id)');
  }
  if (bad) throw new SqsChecksumError(bad);
}

interface Target {
  https: boolean;
  hostname: string;
  port: number | undefined;
  /** Path requests are POSTed to ('/' or the configured endpoint's path). */
  path: string;
  /** `host` header value, as signed. */
  host: string;
}

function targetOf(url: URL): Target {
  const https = url.protocol === 'https:';
  const port = url.port ? Number(url.port) : undefined;
  return {
    https,
    hostname: url.hostname.replace(/^\[|\]$/g, ''),
    port,
    path: url.pathname || '/',
    host: url.host,
  };
}

export class SqsTransport {
  private readonly signer: SignatureV4;
  /** The client's credential provider (memoised by the SDK: the same object until it refreshes). */
  private readonly credentials: () => Promise<object>;
  private readonly signatures = new Map<
    string,
    { second: number; credentials: object; headers: Record<string, string> }
  >();
  private configuredEndpoint: Promise<Target | undefined> | undefined;
  /** Targets by QueueUrl (the ingest uses one or two): a URL parse per call is measurable at 1,000s of calls/s. */
  private readonly byQueueUrl = new Map<string, Target>();

  constructor(
    private readonly client: SQSClient,
    private readonly settings: SqsTransportSettings,
  ) {
    const config = client.config as unknown as {
      credentials: () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>;
      region: () => Promise<string>;
    };
    this.credentials = config.credentials;
    this.signer = new SignatureV4({
      service: 'sqs',
      region: config.region,
      credentials: config.credentials,
      sha256: NativeSha256,
      uriEscapePath: true,
    });
  }

  /** ReceiveMessage; every returned body is checked against its MD5OfBody. */
  async receiveMessage(input: ReceiveInput, signal?: AbortSignal): Promise<ReceiveOutput> {
    const waitMs = (input.WaitTimeSeconds ?? 0) * 1000;
    const out = (await this.call('ReceiveMessage', input, signal, waitMs)) as ReceiveOutput;
    if (out.Messages) checkBodies(out.Messages);
    return out;
  }

  async deleteMessageBatch(input: DeleteBatchInput, signal?: AbortSignal): Promise<DeleteMessageBatchResult> {
    const out = (await this.call('DeleteMessageBatch', input, signal, 0)) as DeleteMessageBatchResult;
    return { Successful: out.Successful ?? [], Failed: out.Failed ?? [] };
  }

  private async call(
    op: string,
    input: { QueueUrl: string | undefined },
    signal: AbortSignal | undefined,
    extraMs: number,
  ) {
    if (!input.QueueUrl)
      throw new SqsServiceError('MissingParameter', 'The request must contain the parameter QueueUrl.', 400);
    const target = await this.targetFor(input.QueueUrl);
    const body = JSON.stringify(input);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.send(op, target, body, signal, extraMs);
      } catch (err) {
        if (signal?.aborted) throw abortError();
        if (attempt >= this.settings.maxAttempts || !isRetryableSqsError(err)) throw err;
        await sleep(backoffDelay(attempt, { baseMs: 100, maxMs: 20_000 }), signal);
        if (signal?.aborted) throw abortError();
      }
    }
  }

  private async targetFor(queueUrl: string): Promise<Target> {
    this.configuredEndpoint ??= this.resolveConfiguredEndpoint();
    const configured = await this.configuredEndpoint;
    if (configured) return configured;
    let target = this.byQueueUrl.get(queueUrl);
    if (!target) {
      let url: URL;
      try {
        url = new URL(queueUrl);
      } catch {
        throw new SqsServiceError(
          'InvalidAddress',
          `The QueueUrl ${JSON.stringify(queueUrl)} is not a URL; use the URL GetQueueUrl returns.`,
          400,
        );
      }
      target = { ...targetOf(url), path: '/' };
      this.byQueueUrl.set(queueUrl, target);
    }
    return target;
  }

  private async resolveConfiguredEndpoint(): Promise<Target | undefined> {
    const config = this.client.config as unknown as {
      isCustomEndpoint?: boolean;
      endpoint?: () => Promise<{ protocol: string; hostname: string; port?: number; path?: string }>;
    };
    if (!config.isCustomEndpoint || !config.endpoint) return undefined;
    const ep = await config.endpoint();
    const url = new URL(
      `${ep.protocol}//${ep.hostname.includes(':') ? `[${ep.hostname}]` : ep.hostname}${ep.port ? `:${ep.port}` : ''}${ep.path ?? '/'}`,
    );
    return targetOf(url);
  }

  /** One attempt: sign, send, read the whole answer; throws on timeouts, aborts and AWS errors. */
  private async send(
    op: string,
    target: Target,
    body: string,
    signal: AbortSignal | undefined,
    extraMs: number,
  ): Promise<unknown> {
    if (signal?.aborted) throw abortError();
    const headers = await this.signedHeaders(op, target, body);
    const { status, responseHeaders, text } = await this.exchange(target, headers, body, signal, extraMs);
    if (status >= 300) {
      const err = parseSqsError(status, responseHeaders, text);
      err.clockSkewCorrected = this.correctClockSkew(err, responseHeaders.date);
      throw err;
    }
    return text.length === 0 ? {} : JSON.parse(text);
  }

  /**
   * Like the SDK: when AWS refuses a signature for the time and its Date header shows our clock
   * off by 5 minutes or more, sign from then on with the corrected time. The offset lives in the
   * client's config (`systemClockOffset`), shared with the SDK's own calls.
   */
  private correctClockSkew(err: SqsServiceError, dateHeader: string | undefined): boolean {
    if (!CLOCK_SKEW_NAMES.has(err.name) || !dateHeader) return false;
    const serverMs = Date.parse(dateHeader);
    if (!Number.isFinite(serverMs)) return false;
    const config = this.client.config as unknown as { systemClockOffset?: number };
    const offset = config.systemClockOffset ?? 0;
    if (Math.abs(Date.now() + offset - serverMs) < FIVE_MINUTES_MS) return false;
    config.systemClockOffset = serverMs - Date.now();
    return true;
  }

  /**
   * SigV4 headers for one request. A poller's receives are identical requests (same body, same
   * target), and a signature covers the time only to the second: within one second and with the
   * same credentials they get the same signature, so it is reused (a backlog drains with hundreds
   * of receives a second; signing was ~5% of the ingest's CPU).
   */
  private async signedHeaders(op: string, target: Target, body: string): Promise<Record<string, string>> {
    const offset = (this.client.config as unknown as { systemClockOffset?: number }).systemClockOffset ?? 0;
    const now = new Date(Date.now() + offset);
    const second = Math.floor(now.getTime() / 1000);
    const credentials = await this.credentials();
    const cacheKey = op === 'ReceiveMessage' ? `${target.host}${target.path}\n${body}` : undefined;
    if (cacheKey !== undefined) {
      const hit = this.signatures.get(cacheKey);
      if (hit && hit.second === second && hit.credentials === credentials) return hit.headers;
    }
    const signed = await this.signer.sign(
      {
        method: 'POST',
        protocol: target.https ? 'https:' : 'http:',
        hostname: target.hostname,
        ...(target.port !== undefined ? { port: target.port } : {}),
        path: target.path,
        query: {},
        headers: {
          host: target.host,
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': `AmazonSQS.${op}`,
          // Asks for the legacy query error code header too, as the SDK does.
          'x-amzn-query-mode': 'true',
          'content-length': String(Buffer.byteLength(body)),
        },
        body,
      },
      { signingDate: now },
    );
    const headers = { ...signed.headers, 'user-agent': 'blox-sqs-transport' };
    if (cacheKey !== undefined) {
      // A few distinct receive requests at most (one per wait time in use); bounded anyway.
      if (this.signatures.size >= 16 && !this.signatures.has(cacheKey)) this.signatures.clear();
      this.signatures.set(cacheKey, { second, credentials, headers });
    }
    return headers;
  }

  private exchange(
    target: Target,
    headers: Record<string, string>,
    body: string,
    signal: AbortSignal | undefined,
    extraMs: number,
  ): Promise<{ status: number; responseHeaders: IncomingMessage['headers']; text: string }> {
    const s = this.settings;
    return new Promise((resolve, reject) => {
      const options = {
        method: 'POST',
        hostname: target.hostname,
        ...(target.port !== undefined ? { port: target.port } : {}),
        path: target.path,
        headers,
      };
      const req = target.https
        ? httpsRequest({ ...options, agent: s.httpsAgent as HttpsAgent })
        : httpRequest({ ...options, agent: s.httpAgent as HttpAgent });
      let settled = false;
      const finish = (err: Error | undefined, value?: Parameters<typeof resolve>[0]) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        signal?.removeEventListener('abort', onAbort);
        if (err) {
          req.destroy();
          reject(err);
        } else resolve(value!);
      };
      // The whole exchange, long poll included, must end in time: a hung server fails the call.
      const timeoutMs = s.requestTimeoutMs + extraMs;
      const deadline = setTimeout(
        () => finish(timeoutError(`SQS request did not complete within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const onAbort = () => finish(abortError());
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('socket', (socket) => {
        if (!socket.connecting) return;
        const connectTimer = setTimeout(
          () =>
            finish(
              timeoutError(`could not connect to SQS at ${target.host} within ${s.connectionTimeoutMs} ms`),
            ),
          s.connectionTimeoutMs,
        );
        socket.once('connect', () => clearTimeout(connectTimer));
        socket.once('close', () => clearTimeout(connectTimer));
      });
      req.on('error', (err) => finish(err));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => finish(err));
        res.on('end', () =>
          finish(undefined, {
            status: res.statusCode ?? 0,
            responseHeaders: res.headers,
            text: chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'),
          }),
        );
      });
      req.end(body);
    });
  }
}

const transports = new WeakMap<SQSClient, SqsTransport>();

/** The transport of an SQS client (one per client, sharing its agents, timeouts and credentials). */
export function sqsTransportFor(client: SQSClient): SqsTransport {
  let t = transports.get(client);
  if (!t) {
    t = new SqsTransport(client, sqsTransportSettings(client));
    transports.set(client, t);
  }
  return t;
}
