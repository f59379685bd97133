/**
 * An error as AWS returns it, so SDKs raise their typed exceptions. `code` is the shape name
 * (e.g. `ClusterNotFoundException`, `QueueDoesNotExist`); `queryCode` is SQS's legacy query
 * error code (e.g. `AWS.SimpleQueueService.NonExistentQueue`), sent in `x-amzn-query-error`
 * and as `<Code>` in query-protocol XML.
 */
export class AwsError extends Error {
  readonly code: string;
  readonly status: number;
  readonly queryCode: string | undefined;
  readonly fault: 'Sender' | 'Receiver';

  constructor(
    code: string,
    message: string,
    options: { status?: number; queryCode?: string; fault?: 'Sender' | 'Receiver' } = {},
  ) {
    super(message);
    this.name = code;
    this.code = code;
    this.status = options.status ?? 400;
    this.queryCode = options.queryCode;
    this.fault = options.fault ?? (this.status >= 500 ? 'Receiver' : 'Sender');
  }
}

/** The JSON error body and headers of the awsJson1_0 / awsJson1_1 protocols. */
export function jsonErrorResponse(
  err: AwsError,
  namespace: string,
  contentType: string,
): { status: number; headers: Record<string, string>; body: string } {
  const type = `${namespace}#${err.code}`;
  const headers: Record<string, string> = { 'content-type': contentType, 'x-amzn-errortype': err.code };
  if (err.queryCode) headers['x-amzn-query-error'] = `${err.queryCode};${err.fault}`;
  return { status: err.status, headers, body: JSON.stringify({ __type: type, message: err.message }) };
}
