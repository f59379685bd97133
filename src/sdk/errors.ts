import { BloxError } from '../core/errors.js';

/** The state API answered with an error (`{code, message}`), or could not be reached. */
export class StateApiError extends BloxError {
  constructor(status: number, code: string, message: string) {
    super(code, message, { status });
  }
}

/** The resume revision is older than the server's history: list again, then stream from the list's revision + 1. */
export class StreamGoneError extends BloxError {
  constructor(message: string) {
    super('EntityVersionGone', message, { status: 410 });
  }
}
