import { sleep } from './backoff.js';

/**
 * A token bucket that paces calls to an AWS API under its documented throttling bucket (ECS: a
 * burst and a sustained refill rate per account and Region, shared by every caller), so a large
 * reconcile does not starve the scheduler's own calls. `take()` waits for a token.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly ratePerMs: number;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(ratePerSecond > 0) || !(burst >= 1))
      throw new RangeError(`token bucket needs rate > 0 and burst >= 1, got ${ratePerSecond}/${burst}`);
    this.tokens = burst;
    this.last = now();
    this.ratePerMs = ratePerSecond / 1000;
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + (t - this.last) * this.ratePerMs);
    this.last = t;
  }

  /** Takes a token if one is available now. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Tokens in the bucket now (whole ones: what could be taken without waiting). */
  available(): number {
    this.refill();
    return Math.floor(this.tokens);
  }

  /** Milliseconds until a token is available (0 if one is). */
  waitMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) / this.ratePerMs);
  }

  /** Waits for a token (or until the signal aborts). */
  async take(signal?: AbortSignal): Promise<void> {
    while (!this.tryTake()) {
      if (signal?.aborted) return;
      await sleep(Math.max(1, this.waitMs()), signal);
    }
  }
}
