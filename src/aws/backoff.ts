/**
 * Retry pacing for AWS calls: exponential backoff with full jitter (AWS architecture blog,
 * "Exponential Backoff And Jitter"), and recognition of throttling errors.
 */

export interface BackoffOptions {
  /** First delay cap (default 100 ms). */
  baseMs?: number;
  /** Largest delay (default 20 s). */
  maxMs?: number;
}

/** Delay before retry number `attempt` (1-based): uniform in [0, min(max, base·2^(attempt-1))]. */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const base = options.baseMs ?? 100;
  const max = options.maxMs ?? 20_000;
  const cap = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * cap);
}

const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'SlowDown',
  'ProvisionedThroughputExceededException',
]);

/** True for an error AWS uses to say "slow down". */
export function isThrottlingError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: unknown; code?: unknown; $metadata?: { httpStatusCode?: number } };
  if (typeof e.name === 'string' && THROTTLING_NAMES.has(e.name)) return true;
  if (typeof e.code === 'string' && THROTTLING_NAMES.has(e.code)) return true;
  return e.$metadata?.httpStatusCode === 429;
}

export interface RetryOptions extends BackoffOptions {
  /** Attempts including the first (default 8). */
  maxAttempts?: number;
  /** Which errors to retry (default: throttling only). */
  retryable?: (err: unknown) => boolean;
  /** Called before each wait (for metrics and logs). */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  signal?: AbortSignal;
  random?: () => number;
}

/** Runs `fn`, retrying throttled (or `retryable`) failures with jittered exponential backoff. */
export async function withBackoff<T>(fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 8;
  const retryable = options.retryable ?? isThrottlingError;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= maxAttempts || !retryable(err) || options.signal?.aborted) throw err;
      const delay = backoffDelay(attempt, options, options.random);
      options.onRetry?.(err, attempt, delay);
      await sleep(delay, options.signal);
    }
  }
}

/** A sleep that ends early (resolving) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
