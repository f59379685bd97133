import { resourceId } from '../../core/arn.js';
import { LeadershipLostError } from '../../store/election.js';
import type { Compare, Store, TxnOp } from '../../store/types.js';
import { MAX_TXN_OPS } from '../../store/validate.js';

/**
 * Launch intents: before asking ECS to start a task on an instance, the leader records
 * "about to launch X on instance I" in the store (fenced by its leadership term), and removes it
 * once the task shows in cluster state. Whoever leads next reads them and checks each with ECS, so a crash or a failover between
 * the call and the task showing up in cluster state never launches a second copy.
 */
export interface LaunchIntent {
  /** Owner scope (the environment name for the daemon scheduler). */
  scope: string;
  instance: string;
  cluster: string;
  taskDefinition: string;
  startedBy: string;
  /** When the intent was recorded (ISO-8601). */
  at: string;
  /**
   * `calling` as recorded in the store (before the call); `started` in the leader's memory once ECS
   * answered with the task (or a new leader found it in ECS), with the task ARN when known.
   */
  state: 'calling' | 'started';
  taskArn?: string;
  /** Replica that recorded it. */
  by: string;
}

export class IntentLog {
  constructor(
    private readonly store: Store,
    private readonly prefix = 'scheduler/intents/',
  ) {}

  key(scope: string, instance: string): string {
    return `${this.prefix}${scope}/${resourceId(instance)}`;
  }

  async list(scope?: string): Promise<LaunchIntent[]> {
    const out: LaunchIntent[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.store.range({
        prefix: scope === undefined ? this.prefix : `${this.prefix}${scope}/`,
        limit: 1000,
        count: false,
        ...(after !== undefined ? { after } : {}),
      });
      for (const kv of page.items) out.push(JSON.parse(kv.value) as LaunchIntent);
      if (!page.next) return out;
      after = page.next;
    }
  }

  /** Writes intents (puts) in fenced transactions. Throws LeadershipLostError if the fence fails. */
  async put(intents: readonly LaunchIntent[], fence?: Compare): Promise<void> {
    await this.commit(
      intents.map((i) => ({ type: 'put', key: this.key(i.scope, i.instance), value: JSON.stringify(i) })),
      fence,
    );
  }

  async remove(scope: string, instances: readonly string[], fence?: Compare): Promise<void> {
    await this.commit(
      instances.map((instance) => ({ type: 'delete', key: this.key(scope, instance) })),
      fence,
    );
  }

  async removeScope(scope: string, fence?: Compare): Promise<void> {
    await this.commit([{ type: 'deletePrefix', prefix: `${this.prefix}${scope}/` }], fence);
  }

  private async commit(ops: TxnOp[], fence: Compare | undefined): Promise<void> {
    const size = MAX_TXN_OPS - 1;
    for (let i = 0; i < ops.length; i += size) {
      const res = await this.store.txn({
        compare: fence ? [fence] : [],
        success: ops.slice(i, i + size),
      });
      if (!res.succeeded)
        throw new LeadershipLostError('the leadership term ended before the intent was written');
    }
  }
}
