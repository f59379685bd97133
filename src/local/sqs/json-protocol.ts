import { AwsError, jsonErrorResponse } from '../http/aws-error.js';
import type { EmulatorRequest, EmulatorResponse } from '../http/types.js';
import { sqsErrors } from './errors.js';
import { operations, receiveMessages } from './operations.js';
import { receiveJson } from './receive-json.js';
import type { SqsEmulator } from './sqs-emulator.js';

const CONTENT_TYPE = 'application/x-amz-json-1.0';
const NAMESPACE = 'com.amazonaws.sqs';
const TARGET_PREFIX = 'AmazonSQS.';

export function isSqsJsonRequest(request: EmulatorRequest): boolean {
  return request.method === 'POST' && (request.headers['x-amz-target'] ?? '').startsWith(TARGET_PREFIX);
}

/** AWS JSON 1.0 (`X-Amz-Target: AmazonSQS.<Op>`), as the JS SDK v3 and boto3 speak it. */
export async function handleSqsJson(
  sqs: SqsEmulator,
  request: EmulatorRequest,
  signal: (() => AbortSignal | undefined) | undefined,
): Promise<EmulatorResponse> {
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
    const ctx = { host: request.host, ...(signal ? { signal } : {}) };
    // ReceiveMessage writes its answer directly (each body's JSON is kept with the message)
    let body: string | Buffer;
    if (op === 'ReceiveMessage') {
      const received = receiveMessages(sqs, input, ctx);
      body = receiveJson(received instanceof Promise ? await received : received);
    } else {
      // (op is one of `operations`: checked above); only a long-running one is awaited
      const output = operations[op]!(sqs, input, ctx);
      body = JSON.stringify(output instanceof Promise ? await output : output);
    }
    return { status: 200, headers: { 'content-type': CONTENT_TYPE }, body };
  } catch (err) {
    if (err instanceof AwsError) return jsonErrorResponse(err, NAMESPACE, CONTENT_TYPE);
    throw err;
  }
}
