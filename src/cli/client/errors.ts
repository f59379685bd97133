import { BloxError, ConfigError, errorMessage } from '../../core/errors.js';
import { StateApiError, StreamGoneError } from '../../sdk/index.js';
import { EXIT, type ExitCode } from './exit-codes.js';

/** Which API a request went to, so a failure can say which setting to change. */
export type ApiRole = 'state' | 'scheduler';

/** The API could not be reached at all (connection refused, DNS, timeout). */
export class UnreachableError extends BloxError {
  constructor(
    readonly endpoint: string,
    readonly role: ApiRole,
    cause: unknown,
  ) {
    super('Unreachable', `cannot reach the Blox API at ${endpoint}`, { status: 0, cause });
  }
}

/** The API answered with an error (a Blox API: the code from its header, the message text). */
export class ApiError extends BloxError {
  constructor(
    status: number,
    code: string,
    message: string,
    readonly endpoint: string,
    readonly role: ApiRole,
  ) {
    super(code, message, { status });
  }
}

/** A command-level failure with its own exit code (e.g. a failed deployment: exit 1). */
export class CommandFailure extends BloxError {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly hint?: string,
  ) {
    super('CommandFailed', message);
  }
}

export interface Reported {
  /** One line: what went wrong. */
  message: string;
  /** One line: what to do about it, when there is something to say. */
  hint?: string;
  exitCode: ExitCode;
}

const ENDPOINT_SETTING: Record<ApiRole, string> = {
  state: '--state-endpoint or BLOX_STATE_ENDPOINT',
  scheduler: '--scheduler-endpoint or BLOX_SCHEDULER_ENDPOINT',
};

/**
 * Maps any error a client command meets to one message line, an optional hint and the exit
 * code (see exit-codes.ts). Pure: the caller prints.
 */
export function reportError(err: unknown, splitEndpoint: Partial<Record<ApiRole, boolean>> = {}): Reported {
  if (err instanceof UnreachableError) {
    const setting = splitEndpoint[err.role] ? ENDPOINT_SETTING[err.role] : '--endpoint or BLOX_ENDPOINT';
    const cause = causeText(err.cause);
    return {
      message: `cannot reach the Blox API at ${err.endpoint} — is \`blox up\` running? (set ${setting})`,
      // fetch's own "fetch failed" says nothing the message does not.
      ...(cause && cause !== 'fetch failed' ? { hint: `cause: ${cause}` } : {}),
      exitCode: EXIT.unreachable,
    };
  }
  if (err instanceof ApiError) {
    // No error code header, which every Blox API sends: something else listens there.
    if (err.code === 'HttpError')
      return {
        message: `${err.endpoint || 'the server'} answered ${err.message}, not as a Blox API does`,
        hint: 'is --endpoint (or BLOX_ENDPOINT) the address of `blox up`, `blox state-service` or `blox scheduler`?',
        exitCode: EXIT.failure,
      };
    if (err.status === 404 && /^no route /.test(err.message))
      return {
        message: `the API at ${err.endpoint} does not serve ${err.message.replace(/^no route /, '')}`,
        hint:
          err.role === 'scheduler'
            ? `is the daemon scheduler running there? point ${ENDPOINT_SETTING.scheduler} at it`
            : `is the cluster state service running there? point ${ENDPOINT_SETTING.state} at it`,
        exitCode: EXIT.notFound,
      };
    if (err.status === 404) return { message: err.message, exitCode: EXIT.notFound };
    return {
      message: `${err.message.split('\n').join('; ')} (${err.status} ${err.code})`,
      ...(err.status >= 500 ? { hint: `the server at ${err.endpoint} failed; its log says why` } : {}),
      exitCode: EXIT.failure,
    };
  }
  if (err instanceof StreamGoneError)
    return { message: err.message, hint: 'run the command again to list afresh', exitCode: EXIT.failure };
  if (err instanceof StateApiError) {
    if (err.status === 0) {
      // The SDK says "cannot reach the state service at <url>: <why>".
      const m = /at (\S+?): (.*)$/.exec(err.message);
      return reportError(
        new UnreachableError(m?.[1] ?? 'the state endpoint', 'state', m?.[2] ?? err.message),
        splitEndpoint,
      );
    }
    return reportError(new ApiError(err.status, err.code, err.message, '', 'state'), splitEndpoint);
  }
  if (err instanceof CommandFailure)
    return { message: err.message, ...(err.hint ? { hint: err.hint } : {}), exitCode: err.exitCode };
  if (err instanceof ConfigError) return { message: err.message, exitCode: EXIT.usage };
  // A 200 that is not JSON: something other than a Blox API answers at that address.
  if (err instanceof SyntaxError)
    return {
      message: `the answer was not the JSON a Blox API sends (${err.message})`,
      hint: 'is --endpoint (or BLOX_ENDPOINT) the address of `blox up`, `blox state-service` or `blox scheduler`?',
      exitCode: EXIT.failure,
    };
  return { message: errorMessage(err), exitCode: EXIT.failure };
}

function causeText(cause: unknown): string {
  const inner = (cause as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  if (inner?.code) return inner.code;
  if (inner?.message) return inner.message;
  return errorMessage(cause);
}
