import type { ServiceHandler } from '../http/types.js';
import { handleSqsJson, isSqsJsonRequest } from './json-protocol.js';
import { handleSqsQuery, queryParams } from './query-protocol.js';
import type { SqsEmulator } from './sqs-emulator.js';

let counter = 0;
function requestId(): string {
  counter = (counter + 1) % 0xffffffff;
  return `00000000-0000-4000-8000-${counter.toString(16).padStart(12, '0')}`;
}

/**
 * Answers SQS requests in either protocol and declines everything else. A long poll that has to
 * wait ends when its request's signal aborts (the client disconnected).
 */
export function createSqsHandler(sqs: SqsEmulator): ServiceHandler {
  return (request) => {
    // the signal is read lazily: only a long poll that waits needs it
    if (isSqsJsonRequest(request)) return handleSqsJson(sqs, request, () => request.signal);
    const params = queryParams(request);
    if (params) return handleSqsQuery(sqs, request, params, () => request.signal, requestId);
    return undefined;
  };
}
