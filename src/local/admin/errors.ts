import { BloxError } from '../../core/errors.js';

/** A bad admin request: the admin API answers it with its status and `{code, message}`. */
export class AdminError extends BloxError {
  constructor(code: string, message: string, status = 400) {
    super(code, message, { status });
  }
}
