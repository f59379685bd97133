/**
 * ECS and SQS are separate services in AWS, but one thread here. When many ECS calls arrive in
 * one event-loop turn (a scheduler's 16 StartTask calls of 10, ~4 ms of work each), running them
 * back to back would hold every SQS answer behind all of them (~60 ms), which separate services
 * never do. So the first ECS call of a turn runs at once and each further one waits for a later
 * turn: requests of other services that arrived meanwhile are answered in between. ECS throughput
 * is unchanged; an ECS call waits at most for the calls queued before it.
 */
export class Turns {
  private taken = false;
  private readonly waiting: Array<() => void> = [];

  /** Undefined when the caller may run now; otherwise a promise that resolves on its turn. */
  take(): Promise<void> | undefined {
    if (!this.taken) {
      this.taken = true;
      setImmediate(this.pass);
      return undefined;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Check phase: hand the next turn to the oldest waiting call, or free the turn. */
  private readonly pass = (): void => {
    const next = this.waiting.shift();
    if (next === undefined) {
      this.taken = false;
      return;
    }
    setImmediate(this.pass);
    next();
  };
}
