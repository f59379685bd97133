import { silentLogger, type Logger } from '../../core/logger.js';
import { Election, type LeaderInfo } from '../../store/election.js';
import type { Compare, Store } from '../../store/types.js';

export interface LeadershipOptions {
  /** Election prefix in the store, e.g. `scheduler/leader/`. */
  prefix: string;
  /** This replica's identity (shown to observers). */
  identity: string;
  /** Lease TTL: how long a dead leader keeps the role (default 5 s). */
  ttlSeconds?: number;
  logger?: Logger;
}

/** One term of leadership: `signal` aborts when it ends. `fence` guards writes made as leader. */
export interface LeaderTerm {
  signal: AbortSignal;
  /** A compare that holds only while this term lasts: add it to every transaction the leader makes. */
  fence: Compare;
}

/**
 * Leader election on the store's election primitive (etcd's algorithm, on either backend):
 * campaign; while leading, run `lead(term)`; when the term ends (lease lost, key deleted, or
 * stop()), abort it and campaign again. Followers keep serving reads and wait.
 */
export class Leadership {
  private election: Election | undefined;
  private readonly logger: Logger;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private controller: AbortController | undefined;
  private leading = false;

  constructor(
    private readonly store: Store,
    private readonly options: LeadershipOptions,
  ) {
    this.logger = (options.logger ?? silentLogger).child({ component: 'leader' });
  }

  get isLeader(): boolean {
    return this.leading && !!this.election?.isLeader;
  }

  /** The current leader's identity, as stored (any replica can ask). */
  async leader(): Promise<LeaderInfo | undefined> {
    return new Election(this.store, this.options.prefix).leader();
  }

  start(lead: (term: LeaderTerm) => Promise<void> | void): void {
    this.stopped = false;
    this.loop = this.run(lead);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.controller?.abort();
    await this.election?.resign().catch(() => undefined);
    await this.loop;
  }

  private async run(lead: (term: LeaderTerm) => Promise<void> | void): Promise<void> {
    while (!this.stopped) {
      const election = new Election(this.store, this.options.prefix, {
        ttlSeconds: this.options.ttlSeconds ?? 5,
        logger: this.logger,
      });
      this.election = election;
      const controller = new AbortController();
      this.controller = controller;
      try {
        await election.campaign(this.options.identity, { signal: controller.signal });
      } catch (err) {
        if (this.stopped) break;
        this.logger.warn({ err }, 'campaign failed; retrying');
        await delay(500);
        continue;
      }
      if (this.stopped) break;
      election.onLost(() => controller.abort());
      this.leading = true;
      this.logger.info({ identity: this.options.identity }, 'leading');
      const ended = new Promise<void>((resolve) =>
        controller.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
      try {
        await lead({
          signal: controller.signal,
          fence: { key: election.key!, target: 'createRevision', op: '!=', value: 0 },
        });
        await ended;
      } catch (err) {
        this.logger.error({ err }, 'leader loop failed; resigning');
      } finally {
        this.leading = false;
        controller.abort();
        await election.resign().catch(() => undefined);
      }
      if (!this.stopped) this.logger.warn('leadership ended; campaigning again');
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref?.());
}
