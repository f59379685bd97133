import type {
  DeleteMessageBatchRequest,
  DeleteMessageBatchResult,
  Message,
  ReceiveMessageRequest,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { BloxError } from '../core/errors.js';
import { awsTransportSettings, type AwsTransportSettings } from './clients.js';
import { hashHex } from '../core/hash-once.js';
import {
  AwsServiceError,
  configuredEndpointOf,
  isRetryableAwsError,
  JsonTransport,
  onePerClient,
  parseAwsErrorFields,
  targetOf,
  type AwsErrorFields,
  type JsonTarget,
} from './json-transport.js';

export { errorNameOf } from './json-transport.js';

/**
 * The ingest's two hot SQS calls, ReceiveMessage and DeleteMessageBatch, spoken directly in AWS
 * JSON 1.0 (`X-Amz-Target: AmazonSQS.<Op>`) over the SQS client's own keep-alive agents and signed
 * with SigV4 (`@smithy/signature-v4`, the SDK's own signer). The signing, exchange, retries and
 * error naming are json-transport.ts's, shared with the ECS transport.
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
export class SqsServiceError extends AwsServiceError {
  /** SQS's legacy query-protocol code (`AWS.SimpleQueueService.NonExistentQueue`), when sent. */
  readonly Code: string | undefined;

  constructor(name: string, message: string, status: number, queryCode?: string, requestId?: string) {
    super(name, message, status, requestId);
    this.Code = queryCode;
  }
}

/** A received body whose MD5 differs from MD5OfBody: corrupted in transit. Not retried (as the SDK). */
export class SqsChecksumError extends BloxError {
  constructor(messageIds: string[]) {
    super('InvalidChecksum', `Invalid MD5 checksum on messages: ${messageIds.join(', ')}`, { status: 502 });
  }
}

/** What the SDK's standard retry strategy retries: throttling, 5xx, timeouts, broken connections. */
export const isRetryableSqsError: (err: unknown) => boolean = isRetryableAwsError;

const sqsErrorOf = (f: AwsErrorFields): SqsServiceError =>
  new SqsServiceError(f.name, f.message, f.status, f.queryCode, f.requestId);

/** Turns an error response into an SqsServiceError. Pure; exported for tests. */
export function parseSqsError(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  body: string,
): SqsServiceError {
  return sqsErrorOf(parseAwsErrorFields(status, headers, body, 'SQS'));
}

/** Throws SqsChecksumError naming every message whose Body does not hash to its MD5OfBody. */
export function checkBodies(messages: Message[]): void {
  let bad: string[] | undefined;
  for (const m of messages) {
    if (m.Body === undefined || m.MD5OfBody === undefined) continue;
    if (hashHex('md5', m.Body) !== m.MD5OfBody) (bad ??= []).push(m.MessageId ?? '(no id)');
  }
  if (bad) throw new SqsChecksumError(bad);
}

export class SqsTransport {
  private readonly transport: JsonTransport;
  private configuredEndpoint: Promise<JsonTarget | undefined> | undefined;
  /** Targets by QueueUrl (the ingest uses one or two): a URL parse per call is measurable at 1,000s of calls/s. */
  private readonly byQueueUrl = new Map<string, JsonTarget>();

  constructor(
    private readonly client: SQSClient,
    settings: AwsTransportSettings,
  ) {
    this.transport = new JsonTransport(client, settings, {
      signingName: 'sqs',
      label: 'SQS',
      contentType: 'application/x-amz-json-1.0',
      targetPrefix: 'AmazonSQS',
      // Asks for the legacy query error code header too, as the SDK does.
      extraHeaders: { 'x-amzn-query-mode': 'true' },
      userAgent: 'blox-sqs-transport',
      makeError: sqsErrorOf,
    });
  }

  /** ReceiveMessage; every returned body is checked against its MD5OfBody. */
  async receiveMessage(input: ReceiveInput, signal?: AbortSignal): Promise<ReceiveOutput> {
    const waitMs = (input.WaitTimeSeconds ?? 0) * 1000;
    // A poller's receives are identical requests: within one second they share a signature
    // (a backlog drains with hundreds of receives a second; signing was ~5% of the ingest's CPU).
    const out = (await this.call('ReceiveMessage', input, signal, waitMs, true)) as ReceiveOutput;
    if (out.Messages) checkBodies(out.Messages);
    return out;
  }

  async deleteMessageBatch(input: DeleteBatchInput, signal?: AbortSignal): Promise<DeleteMessageBatchResult> {
    const out = (await this.call('DeleteMessageBatch', input, signal, 0, false)) as DeleteMessageBatchResult;
    return { Successful: out.Successful ?? [], Failed: out.Failed ?? [] };
  }

  private async call(
    op: string,
    input: { QueueUrl: string | undefined },
    signal: AbortSignal | undefined,
    extraMs: number,
    reuseSignature: boolean,
  ) {
    if (!input.QueueUrl)
      throw new SqsServiceError('MissingParameter', 'The request must contain the parameter QueueUrl.', 400);
    const target = await this.targetFor(input.QueueUrl);
    return this.transport.call(op, target, JSON.stringify(input), { signal, extraMs, reuseSignature });
  }

  private async targetFor(queueUrl: string): Promise<JsonTarget> {
    this.configuredEndpoint ??= configuredEndpointOf(this.client);
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
}

/** The transport of an SQS client (one per client, sharing its agents, timeouts and credentials). */
export const sqsTransportFor = onePerClient(
  (client: SQSClient) => new SqsTransport(client, awsTransportSettings(client)),
);
