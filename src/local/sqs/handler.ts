import type { ServiceHandler } from '../http/types.js';
import { handleSqsJson, isSqsJsonRequest } from './json-protocol.js';
import { handleSqsQuery, queryParams } from './query-protocol.js';
import type { SqsEmulator } from './sqs-emulator.js';

export interface SqsHandlerOptions {
  /**
   * The signal that fires when the client behind the current request disconnects (ends its long
   * poll); called only when a long poll has to wait.
   */
  disconnectSignal?: () => AbortSignal | undefined;
}

let counter = 0;
function requestId(): string {
  counter = (counter + 1) % 0xffffffff;
  return `00000000-0000-4000-8000-${counter.toString(16).padStart(12, '0')}`;
}

/** Answers SQS requests in either protocol and declines everything else. */
export function createSqsHandler(sqs: SqsEmulator, options: SqsHandlerOptions = {}): ServiceHandler {
  return (request) => {
    if (isSqsJsonRequest(request)) return handleSqsJson(sqs, request, options.disconnectSignal);
    const params = queryParams(request);
    if (params) return handleSqsQuery(sqs, request, params, options.disconnectSignal, requestId);
    return undefined;
  };
}
