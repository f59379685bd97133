import { BloxError } from '../core/errors.js';

/** Base of every store error. */
export class StoreError extends BloxError {
  constructor(
    code: string,
    message: string,
    options: { status?: number; cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}

/** A read or watch asked for history that compaction has removed: re-list, then watch from the list's revision + 1. */
export class CompactedError extends StoreError {
  readonly requestedRevision: number;
  readonly compactedRevision: number | undefined;
  constructor(requestedRevision: number, compactedRevision?: number) {
    super(
      'Compacted',
      `revision ${requestedRevision} has been compacted${compactedRevision === undefined ? '' : ` (history starts after ${compactedRevision})`}: re-list to get the current state, then watch from the list's revision + 1`,
      { status: 410, details: { requestedRevision, compactedRevision } },
    );
    this.requestedRevision = requestedRevision;
    this.compactedRevision = compactedRevision;
  }
}

/** A revision greater than the store's current revision was asked for. */
export class FutureRevisionError extends StoreError {
  constructor(requestedRevision: number, currentRevision: number) {
    super(
      'FutureRevision',
      `revision ${requestedRevision} is in the future: the store is at revision ${currentRevision}`,
      {
        status: 400,
        details: { requestedRevision, currentRevision },
      },
    );
  }
}

/** Bad input to a store call: empty key, oversized value, negative revision, bad options. */
export class InvalidArgumentError extends StoreError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('InvalidArgument', message, { status: 400, details });
  }
}

/** The backend could not be reached or failed; the operation may be retried. */
export class StoreUnavailableError extends StoreError {
  constructor(message: string, cause?: unknown) {
    super('StoreUnavailable', message, { status: 503, cause });
  }
}

/** The store was closed. */
export class StoreClosedError extends StoreError {
  constructor() {
    super('StoreClosed', 'the store is closed', { status: 503 });
  }
}

/** A lease id that does not exist (never granted, expired or revoked). */
export class LeaseNotFoundError extends StoreError {
  constructor(leaseId: string) {
    super('LeaseNotFound', `lease ${leaseId} does not exist (never granted, expired or revoked)`, {
      status: 404,
      details: { leaseId },
    });
  }
}
