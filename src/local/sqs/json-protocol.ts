import { AwsError, jsonErrorResponse } from '../http/aws-error.js';
import type { EmulatorRequest, EmulatorResponse } from '../http/types.js';
import { sqsErrors } from './errors.js';
import { operations, receiveMessages } from './operations.js';
import { receiveJson } from './receive-json.js';
import type { SqsCallContext, SqsEmulator } from './sqs-emulator.js';

const CONTENT_TYPE = 'application/x-amz-json-1.0';
const NAMESPACE = 'com.amazonaws.sqs';
const TARGET_PREFIX = 'AmazonSQS.';

export function isSqsJsonRequest(request: EmulatorRequest): boolean {
  return request.method === 'POST' && (request.headers['x-amz-target'] ?? '').startsWith(TARGET_PREFIX);
}

/** AWS JSON 1.0 (`X-Amz-Target: AmazonSQS.<Op>`), as the JS SDK v3 and boto3 speak it. */
export function handleSqsJson(
  sqs: SqsEmulator,
  request: EmulatorRequest,
  signal: (() => AbortSignal | undefined) | undefined,
): EmulatorResponse | Promise<EmulatorResponse> {
  const op = (request.headers['x-amz-target'] ?? '').slice(TARGET_PREFIX.length);
  try {
    if (!Object.hasOwn(operations, op))
      throw new AwsError('UnknownOperationException', `Unknown SQS operation ${op}.`, {
        queryCode: 'InvalidAction',
      });
    let input: Record<string, unknown> = {};
    if (request.body.length > 0) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(request.body.toString('utf8'));
      } catch {
        throw new AwsError('SerializationException', 'The request body is not valid JSON.', {
          queryCode: 'MalformedQueryString',
        });
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw sqsErrors.invalidParameterValue('The request body must be a JSON object.');
      input = parsed as Record<string, unknown>;
    }
    // Like the query protocol, accept a request POSTed to the queue's own path without QueueUrl.
    if (input.QueueUrl === undefined && /^\/[^/]+\/[^/]+\/?$/.test(request.path))
      input.QueueUrl = `http://${request.host}${request.path}`;
    const ctx: SqsCallContext = signal ? { host: request.host, signal } : { host: request.host };
    // ReceiveMessage writes its answer directly (each body's JSON is kept with the message); a
    // promise only for a call that waits (a long poll), so most answers go out synchronously
    if (op === 'ReceiveMessage') {
      const received = receiveMessages(sqs, input, ctx);
      return received instanceof Promise
        ? received.then((r) => ok(receiveJson(r)), failed)
        : ok(receiveJson(received));
    }
    // (op is one of `operations`: checked above)
    const output = operations[op]!(sqs, input, ctx);
    return output instanceof Promise
      ? output.then((o) => ok(JSON.stringify(o)), failed)
      : ok(JSON.stringify(output));
  } catch (err) {
    return failed(err);
  }
}

function ok(body: string | Buffer): EmulatorResponse {
  return { status: 200, headers: { 'content-type': CONTENT_TYPE }, body };
}

/** An AWS error as its JSON answer; anything else goes on up (the server answers 500). */
function failed(err: unknown): EmulatorResponse {
  if (err instanceof AwsError) return jsonErrorResponse(err, NAMESPACE, CONTENT_TYPE);
  throw err;
}
