import { request as httpRequest, type Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import { SignatureV4 } from '@smithy/signature-v4';
import { BloxError } from '../core/errors.js';
import { backoffDelay, isThrottlingError, sleep } from './backoff.js';
import type { AwsTransportSettings } from './clients.js';
import { NativeSha256 } from './sha256.js';

/**
 * The protocol-independent half of Blox's lean AWS transports (sqs-transport.ts, ecs-transport.ts):
 * one signed AWS JSON request (`POST`, `X-Amz-Target: <prefix>.<Op>`) over an SDK client's own
 * keep-alive agents, with what the SDK guaranteed kept — credentials and region from the client's
 * resolved config (its whole provider chain and refresh), SigV4 by `@smithy/signature-v4` (the
 * SDK's own signer) with the client's clock offset, connection and request timeouts that throw,
 * an abort signal that ends a call at once, retries of throttling/5xx/timeouts/broken connections
 * with jittered backoff up to the client's maxAttempts (and of a signature refused for a skewed
 * clock once the offset is corrected), and AWS errors named as the SDK names them.
 *
 * Why at all: the SDK's generic machinery (endpoint rules, middleware, schema serde, user agent,
 * its log filter) costs far more CPU per call than these fixed, tiny requests need; see
 * docs/architecture.md, "AWS clients".
 */

/** How one AWS JSON service is spoken. */
export interface JsonProtocol {
  /** SigV4 signing name (`sqs`, `ecs`). */
  signingName: string;
  /** For messages: `SQS`, `ECS`. */
  label: string;
  /** `application/x-amz-json-1.0` or `-1.1`. */
  contentType: string;
  /** `X-Amz-Target` prefix (`AmazonSQS`, `AmazonEC2ContainerServiceV20141113`). */
  targetPrefix: string;
  /** Further signed headers (SQS: `x-amzn-query-mode`). */
  extraHeaders?: Record<string, string>;
  userAgent: string;
  /** Builds the service's error from a parsed error answer. */
  makeError: (fields: AwsErrorFields) => AwsServiceError;
}

/** An error AWS answered (status ≥ 300), named as the AWS SDK names it. */
export class AwsServiceError extends BloxError {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { httpStatusCode: number; requestId?: string };
  /** The request was refused for a skewed clock and the offset has been corrected: worth a retry. */
  clockSkewCorrected = false;

  constructor(name: string, message: string, status: number, requestId?: string) {
    super(name, message, { status: 502, details: { httpStatusCode: status } });
    this.name = name;
    this.$fault = status >= 500 ? 'server' : 'client';
    this.$metadata = { httpStatusCode: status, ...(requestId ? { requestId } : {}) };
  }
}

export function timeoutError(message: string): Error {
  const err = new Error(message);
  err.name = 'TimeoutError';
  return err;
}

export function abortError(): Error {
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
export function isRetryableAwsError(err: unknown): boolean {
  if (isThrottlingError(err)) return true;
  if (err instanceof AwsServiceError) return err.clockSkewCorrected || err.$metadata.httpStatusCode >= 500;
  const e = err as { name?: string; code?: string };
  return e?.name === 'TimeoutError' || (typeof e?.code === 'string' && TRANSIENT_CODES.has(e.code));
}

/**
 * The SDK's standard retry delay before retry number `attempt` (1-based), as @smithy/core 3.x
 * computes it ("v2026" retries): full jitter under a cap of base·2^(attempt-1), at most 20 s, with
 * base 1 s for throttling and 50 ms for anything else — a throttled call backs off as it did
 * through the SDK. Pure (given `random`).
 */
export function sdkRetryDelay(attempt: number, err: unknown, random: () => number = Math.random): number {
  return backoffDelay(attempt, { baseMs: isThrottlingError(err) ? 1_000 : 50, maxMs: 20_000 }, random);
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

export interface AwsErrorFields {
  name: string;
  message: string;
  status: number;
  requestId: string | undefined;
  /** The `x-amzn-query-error` header's code (SQS's legacy query-protocol code), when sent. */
  queryCode: string | undefined;
}

/** What an error answer says, as the SDK reads it. Pure. */
export function parseAwsErrorFields(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  body: string,
  label: string,
): AwsErrorFields {
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
        : `${label} answered HTTP ${status} (${name})`;
  const queryError = header('x-amzn-query-error');
  return {
    name,
    message,
    status,
    requestId: header('x-amzn-requestid'),
    queryCode: queryError ? queryError.split(';')[0] : undefined,
  };
}

/** Where requests go. */
export interface JsonTarget {
  https: boolean;
  hostname: string;
  port: number | undefined;
  /** Path requests are POSTed to ('/' or the configured endpoint's path). */
  path: string;
  /** `host` header value, as signed. */
  host: string;
}

export function targetOf(url: URL): JsonTarget {
  return {
    https: url.protocol === 'https:',
    hostname: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : undefined,
    path: url.pathname || '/',
    host: url.host,
  };
}

/** What the transport reads of an SDK client's resolved config. */
interface ResolvedConfig {
  credentials: () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>;
  region: () => Promise<string>;
  systemClockOffset?: number;
  isCustomEndpoint?: boolean;
  endpoint?: () => Promise<{ protocol: string; hostname: string; port?: number; path?: string }>;
}

/** The endpoint an SDK client was explicitly given (`endpoint` option), if any. */
export async function configuredEndpointOf(client: { config: unknown }): Promise<JsonTarget | undefined> {
  const config = client.config as ResolvedConfig;
  if (!config.isCustomEndpoint || !config.endpoint) return undefined;
  const ep = await config.endpoint();
  const url = new URL(
    `${ep.protocol}//${ep.hostname.includes(':') ? `[${ep.hostname}]` : ep.hostname}${ep.port ? `:${ep.port}` : ''}${ep.path ?? '/'}`,
  );
  return targetOf(url);
}

export interface CallOptions {
  signal?: AbortSignal | undefined;
  /** Added to the request timeout (a long poll's wait). */
  extraMs?: number;
  /**
   * Reuse a signature for identical requests within the same second (a poller's receives are
   * identical; a signature covers the time only to the second).
   */
  reuseSignature?: boolean;
}

export class JsonTransport {
  private readonly signer: SignatureV4;
  private readonly config: ResolvedConfig;
  private readonly signatures = new Map<
    string,
    { second: number; credentials: object; headers: Record<string, string> }
  >();

  constructor(
    client: { config: unknown },
    private readonly settings: AwsTransportSettings,
    private readonly protocol: JsonProtocol,
  ) {
    this.config = client.config as ResolvedConfig;
    this.signer = new SignatureV4({
      service: protocol.signingName,
      region: this.config.region,
      credentials: this.config.credentials,
      sha256: NativeSha256,
      uriEscapePath: true,
    });
  }

  /** One operation with the SDK's retries; resolves to the parsed JSON answer (`{}` when empty). */
  async call(op: string, target: JsonTarget, body: string, options: CallOptions = {}): Promise<unknown> {
    const { signal } = options;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.send(op, target, body, options);
      } catch (err) {
        if (signal?.aborted) throw abortError();
        if (attempt >= this.settings.maxAttempts || !isRetryableAwsError(err)) throw err;
        await sleep(sdkRetryDelay(attempt, err), signal);
        if (signal?.aborted) throw abortError();
      }
    }
  }

  /** One attempt: sign, send, read the whole answer; throws on timeouts, aborts and AWS errors. */
  private async send(op: string, target: JsonTarget, body: string, options: CallOptions): Promise<unknown> {
    if (options.signal?.aborted) throw abortError();
    const headers = await this.signedHeaders(op, target, body, options.reuseSignature === true);
    const { status, responseHeaders, text } = await this.exchange(
      target,
      headers,
      body,
      options.signal,
      options.extraMs ?? 0,
    );
    if (status >= 300) {
      const err = this.protocol.makeError(
        parseAwsErrorFields(status, responseHeaders, text, this.protocol.label),
      );
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
  private correctClockSkew(err: AwsServiceError, dateHeader: string | undefined): boolean {
    if (!CLOCK_SKEW_NAMES.has(err.name) || !dateHeader) return false;
    const serverMs = Date.parse(dateHeader);
    if (!Number.isFinite(serverMs)) return false;
    const offset = this.config.systemClockOffset ?? 0;
    if (Math.abs(Date.now() + offset - serverMs) < FIVE_MINUTES_MS) return false;
    this.config.systemClockOffset = serverMs - Date.now();
    return true;
  }

  private async signedHeaders(
    op: string,
    target: JsonTarget,
    body: string,
    reuse: boolean,
  ): Promise<Record<string, string>> {
    const now = new Date(Date.now() + (this.config.systemClockOffset ?? 0));
    const second = Math.floor(now.getTime() / 1000);
    const credentials = await this.config.credentials();
    const cacheKey = reuse ? `${op}\n${target.host}${target.path}\n${body}` : undefined;
    if (cacheKey !== undefined) {
      const hit = this.signatures.get(cacheKey);
      if (hit && hit.second === second && hit.credentials === credentials) return hit.headers;
    }
    const p = this.protocol;
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
          'content-type': p.contentType,
          'x-amz-target': `${p.targetPrefix}.${op}`,
          ...p.extraHeaders,
          'content-length': String(Buffer.byteLength(body)),
        },
        body,
      },
      { signingDate: now },
    );
    const headers = { ...signed.headers, 'user-agent': p.userAgent };
    if (cacheKey !== undefined) {
      // A few distinct repeated requests at most (one per wait time in use); bounded anyway.
      if (this.signatures.size >= 16 && !this.signatures.has(cacheKey)) this.signatures.clear();
      this.signatures.set(cacheKey, { second, credentials, headers });
    }
    return headers;
  }

  private exchange(
    target: JsonTarget,
    headers: Record<string, string>,
    body: string,
    signal: AbortSignal | undefined,
    extraMs: number,
  ): Promise<{ status: number; responseHeaders: IncomingMessage['headers']; text: string }> {
    const s = this.settings;
    const label = this.protocol.label;
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
        () => finish(timeoutError(`${label} request did not complete within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const onAbort = () => finish(abortError());
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('socket', (socket) => {
        if (!socket.connecting) return;
        const connectTimer = setTimeout(
          () =>
            finish(
              timeoutError(
                `could not connect to ${label} at ${target.host} within ${s.connectionTimeoutMs} ms`,
              ),
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

/**
 * `make` memoised per client object: one transport per SDK client, so its signature cache and
 * endpoint resolution are shared by every caller, and it goes away with the client.
 */
export function onePerClient<C extends object, T>(make: (client: C) => T): (client: C) => T {
  const made = new WeakMap<C, T>();
  return (client) => {
    let t = made.get(client);
    if (t === undefined) {
      t = make(client);
      made.set(client, t);
    }
    return t;
  };
}
