import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ConfigError } from '../core/errors.js';
import { NativeMd5 } from './md5.js';

/**
 * The one place that builds AWS clients (SDK v3) for Blox. Endpoint, region and credentials come
 * from the SDK's standard chain (AWS_ENDPOINT_URL[_ECS|_SQS], AWS_REGION / profile, env keys,
 * shared files, SSO, IMDS…) unless given explicitly. Every client has connection and request
 * timeouts that actually throw (the SDK only warns on a request timeout unless told otherwise):
 * Blox v0.3 went stale forever on one hung connection.
 *
 * Clients resolve their middleware stack once per command class (`cacheMiddleware`) for calls
 * made without per-call options: add custom middleware before the first call. Calls that need an
 * abort signal go through a `CommandSender` (command-sender.ts) to keep that saving.
 */

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AwsClientOptions {
  /** Region; default: the SDK chain (AWS_REGION, profile). */
  region?: string;
  /** Endpoint URL (e.g. the local emulator); default: AWS_ENDPOINT_URL or the real AWS endpoint. */
  endpoint?: string;
  /** Static credentials; default: the SDK's credential chain. */
  credentials?: AwsCredentials;
  /** TCP/TLS connect timeout (default 3 s). */
  connectionTimeoutMs?: number;
  /** Whole-request timeout (default 15 s; SQS long polls get waitTimeSeconds on top). */
  requestTimeoutMs?: number;
  /** SDK attempts per call including the first, with the SDK's backoff (default 4). */
  maxAttempts?: number;
  /** Sockets per host in the keep-alive pool (default 64). */
  maxSockets?: number;
}

export const DEFAULT_CONNECTION_TIMEOUT_MS = 3_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
export const DEFAULT_MAX_ATTEMPTS = 4;

function validate(options: AwsClientOptions): void {
  if (options.endpoint !== undefined) {
    try {
      const url = new URL(options.endpoint);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
    } catch {
      throw new ConfigError(
        `AWS endpoint ${JSON.stringify(options.endpoint)} is not an http(s) URL; use e.g. http://127.0.0.1:4566`,
      );
    }
  }
  for (const [name, v] of Object.entries({
    connectionTimeoutMs: options.connectionTimeoutMs,
    requestTimeoutMs: options.requestTimeoutMs,
    maxAttempts: options.maxAttempts,
    maxSockets: options.maxSockets,
  })) {
    if (v !== undefined && (!Number.isFinite(v) || v <= 0))
      throw new ConfigError(`AWS client option ${name} must be a positive number, got ${v}`);
  }
}

function commonConfig(options: AwsClientOptions, requestTimeoutMs: number) {
  validate(options);
  const maxSockets = options.maxSockets ?? 64;
  const transport: AwsTransportSettings = {
    connectionTimeoutMs: options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
  };
  return {
    transport,
    sdk: {
      ...(options.region !== undefined ? { region: options.region } : {}),
      ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
      ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
      maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      retryMode: 'standard',
      cacheMiddleware: true,
      requestHandler: {
        connectionTimeout: options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
        requestTimeout: requestTimeoutMs,
        throwOnRequestTimeout: true,
        // One keep-alive pool for the SDK's calls and the lean transports' (json-transport.ts).
        httpAgent: transport.httpAgent,
        httpsAgent: transport.httpsAgent,
      },
    },
  };
}

export function createEcsClient(options: AwsClientOptions = {}): ECSClient {
  const { transport, sdk } = commonConfig(options, options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
  const client = new ECSClient(sdk);
  transportSettings.set(client, transport);
  return client;
}

/**
 * What the lean transports (json-transport.ts: SQS and ECS) need of a client beyond its resolved
 * config: the same timeouts, attempts and keep-alive agents the SDK client was given.
 */
export interface AwsTransportSettings {
  connectionTimeoutMs: number;
  /** Request timeout before a call's own long-poll wait is added. */
  requestTimeoutMs: number;
  maxAttempts: number;
  httpAgent: HttpAgent;
  httpsAgent: HttpsAgent;
}

const transportSettings = new WeakMap<SQSClient | ECSClient, AwsTransportSettings>();

/**
 * The transport settings of an SQS or ECS client made by `createSqsClient` / `createEcsClient`;
 * for any other client, the defaults with agents of their own (the SDK hides its handler's agents).
 */
export function awsTransportSettings(client: SQSClient | ECSClient): AwsTransportSettings {
  let s = transportSettings.get(client);
  if (!s) {
    s = commonConfig({}, DEFAULT_REQUEST_TIMEOUT_MS).transport;
    transportSettings.set(client, s);
  }
  return s;
}

/**
 * An SQS client. `longPollSeconds` is the longest WaitTimeSeconds this client will use: it is added
 * to the request timeout so a long poll is not cut short, while a hung connection still fails.
 */
export function createSqsClient(options: AwsClientOptions = {}, longPollSeconds = 20): SQSClient {
  const { transport, sdk } = commonConfig(
    options,
    (options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS) + longPollSeconds * 1000,
  );
  const client = new SQSClient({
    ...sdk,
    // The SDK's MD5 checks of message bodies, computed natively instead of in JavaScript.
    md5: NativeMd5,
  });
  transportSettings.set(client, transport);
  return client;
}
