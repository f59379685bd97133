/**
 * The emulator's HTTP seam: every AWS service it speaks (ECS JSON 1.1, SQS JSON 1.0 and query)
 * and its admin API is a handler that either answers a request or declines it (undefined),
 * so one port serves them all, as AWS_ENDPOINT_URL expects.
 */
export interface EmulatorRequest {
  method: string;
  /** Path without the query string, e.g. `/` or `/123456789012/blox_queue`. */
  path: string;
  query: URLSearchParams;
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
  body: Buffer;
  /** Host header value as the client sent it, for building queue URLs. */
  host: string;
  /**
   * Aborts when the client goes away before its answer is sent (a long poll then ends at once).
   * Made on first read, so requests that never wait pay nothing for it; absent for requests
   * that do not come through the HTTP server.
   */
  readonly signal?: AbortSignal;
}

export interface EmulatorResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

export type ServiceHandler = (
  request: EmulatorRequest,
) => Promise<EmulatorResponse | undefined> | EmulatorResponse | undefined;
