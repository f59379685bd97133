import { randomBytes } from 'node:crypto';
import { resourceId } from '../../core/arn.js';
import { BloxError } from '../../core/errors.js';
import { LeadershipLostError } from '../../store/election.js';
import type { Compare, Store, TxnOp } from '../../store/types.js';
import { MAX_TXN_BYTES, MAX_TXN_OPS } from '../../store/validate.js';

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

export interface IntentLogOptions {
  /**
   * Most intents one row holds (default 10, one StartTask call's worth: the actuator calls ECS for
   * 10 instances at a time in the order it recorded them, so the tasks of one call tend to show
   * up together and their row is deleted whole rather than rewritten).
   */
  rowIntents?: number;
  /**
   * Most bytes of JSON one row's value holds (default 64 KiB, well under the store's 1 MiB value
   * limit). A single intent larger than this still gets a row of its own.
   */
  rowBytes?: number;
}

/** The store row a bad value was read from, and how to get past it. */
export class CorruptLaunchIntentError extends BloxError {
  constructor(key: string, why: string) {
    super(
      'CorruptLaunchIntent',
      `launch intent row "${key}" ${why}; delete that key (the instance is then planned again) or restore it from a backup`,
      { details: { key } },
    );
  }
}

/** One store row: the intents (as the JSON written) of one scope, by instance. */
interface Row {
  scope: string;
  intents: Map<string, string>;
}

/** One store operation and what it does to the in-memory map once its transaction committed. */
interface Step {
  op: TxnOp;
  bytes: number;
  apply: () => void;
}

const DEFAULT_ROW_INTENTS = 10;
const DEFAULT_ROW_BYTES = 64 * 1024;
const GROUP_OPEN = '{"intents":[';
const GROUP_CLOSE = ']}';

/**
 * Stores launch intents in rows of up to `rowIntents` intents of one scope
 * (`<prefix><scope>/g/<writer>-<seq>` holding `{ intents: LaunchIntent[] }`) and remembers which
 * row holds each (scope, instance), so removing intents deletes or rewrites only their rows.
 * Rows of one intent each (`<prefix><scope>/<instance id>`, what earlier releases wrote) are read
 * and removed the same way.
 *
 * The in-memory map is filled by `list()` (and by the first write of a log that has not listed
 * yet) and changed only after a transaction committed; this log's reads and writes run one at a
 * time so each plans against what the previous one committed. Whoever takes over writing intents
 * from another replica must `list()` first, as the daemon controller does at the start of a term.
 */
export class IntentLog {
  private readonly rowIntents: number;
  private readonly rowBytes: number;
  private readonly rows = new Map<string, Row>();
  /** scope → instance → keys of the rows holding its intent (two if an old per-instance row is left too). */
  private readonly where = new Map<string, Map<string, Set<string>>>();
  /** Whether the map reflects the store (false until read, and after a write whose outcome is unknown). */
  private loaded = false;
  private queue: Promise<unknown> = Promise.resolve();
  /** Unique per log, so two replicas' row keys never collide. */
  private readonly writer = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  private seq = 0;

  constructor(
    private readonly store: Store,
    private readonly prefix = 'scheduler/intents/',
    options: IntentLogOptions = {},
  ) {
    this.rowIntents = positiveInteger(options.rowIntents ?? DEFAULT_ROW_INTENTS, 'rowIntents');
    this.rowBytes = positiveInteger(options.rowBytes ?? DEFAULT_ROW_BYTES, 'rowBytes');
  }

  /** The key of the one-intent row earlier releases wrote for (scope, instance); still read and removed. */
  key(scope: string, instance: string): string {
    return `${this.prefix}${scope}/${resourceId(instance)}`;
  }

  /**
   * Every intent stored (of one scope, or all), one per (scope, instance): the newest `at` when
   * two rows hold one. Also refreshes this log's map of which row holds what.
   */
  list(scope?: string): Promise<LaunchIntent[]> {
    return this.serially(async () => {
      const prefix = scope === undefined ? this.prefix : this.scopePrefix(scope);
      const { rows, intents } = await this.read(prefix);
      this.replace(prefix, rows);
      if (scope === undefined) this.loaded = true;
      return intents;
    });
  }

  /** Writes intents (puts) in fenced transactions. Throws LeadershipLostError if the fence fails. */
  put(intents: readonly LaunchIntent[], fence?: Compare): Promise<void> {
    return this.serially(async () => {
      await this.ensureLoaded();
      const byScope = new Map<string, Map<string, string>>();
      for (const intent of intents) {
        let m = byScope.get(intent.scope);
        if (!m) byScope.set(intent.scope, (m = new Map()));
        m.delete(intent.instance); // the last of duplicates wins, in its own place
        m.set(intent.instance, JSON.stringify(intent));
      }
      const steps: Step[] = [];
      for (const [scope, m] of byScope) {
        for (const group of this.chunk(m))
          steps.push(this.write(this.newRowKey(scope), { scope, intents: group }));
        // A (scope, instance) put again replaces its intent: take it out of the rows holding the old
        // one. After the new rows, so a crash in between leaves two copies (the newer wins), not none.
        steps.push(...this.without(scope, m.keys()));
      }
      await this.commit(steps, fence);
    });
  }

  /** Removes the intents of these instances; instances without one are ignored. */
  remove(scope: string, instances: readonly string[], fence?: Compare): Promise<void> {
    return this.serially(async () => {
      await this.ensureLoaded();
      await this.commit(this.without(scope, instances), fence);
    });
  }

  removeScope(scope: string, fence?: Compare): Promise<void> {
    return this.serially(async () => {
      const prefix = this.scopePrefix(scope);
      await this.commit(
        [{ op: { type: 'deletePrefix', prefix }, bytes: 0, apply: () => this.replace(prefix, []) }],
        fence,
      );
    });
  }

  private scopePrefix(scope: string): string {
    return `${this.prefix}${scope}/`;
  }

  private newRowKey(scope: string): string {
    return `${this.scopePrefix(scope)}g/${this.writer}-${(++this.seq).toString(36).padStart(7, '0')}`;
  }

  /** Runs reads and writes of this log one at a time, in call order. */
  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async ensureLoaded(): Promise<void> {
    if (this.loaded) return;
    const { rows } = await this.read(this.prefix);
    this.replace(this.prefix, rows);
    this.loaded = true;
  }

  /** Every row under `prefix`, and the intents they hold (newest per scope and instance). */
  private async read(prefix: string): Promise<{ rows: Array<[string, Row]>; intents: LaunchIntent[] }> {
    const rows: Array<[string, Row]> = [];
    const newest = new Map<string, LaunchIntent>();
    let after: string | undefined;
    for (;;) {
      const page = await this.store.range({
        prefix,
        limit: 1000,
        count: false,
        ...(after !== undefined ? { after } : {}),
      });
      for (const kv of page.items) {
        const intents = parseRow(kv.key, kv.value);
        const row: Row = { scope: intents[0]!.scope, intents: new Map() };
        for (const intent of intents) {
          row.intents.set(intent.instance, JSON.stringify(intent));
          const id = `${intent.scope}\n${intent.instance}`;
          const seen = newest.get(id);
          // Ties go to the row read later: group rows sort after the old per-instance rows.
          if (!seen || time(intent.at) >= time(seen.at)) newest.set(id, intent);
        }
        rows.push([kv.key, row]);
      }
      if (!page.next) return { rows, intents: [...newest.values()] };
      after = page.next;
    }
  }

  /** Forgets every row under `prefix`, then remembers `rows`. */
  private replace(prefix: string, rows: ReadonlyArray<[string, Row]>): void {
    for (const key of [...this.rows.keys()]) if (key.startsWith(prefix)) this.setRow(key, undefined);
    for (const [key, row] of rows) this.setRow(key, row);
  }

  private setRow(key: string, row: Row | undefined): void {
    const old = this.rows.get(key);
    if (old) {
      const m = this.where.get(old.scope);
      for (const instance of old.intents.keys()) {
        const keys = m?.get(instance);
        keys?.delete(key);
        if (keys?.size === 0) m!.delete(instance);
      }
      if (m?.size === 0) this.where.delete(old.scope);
      this.rows.delete(key);
    }
    if (!row) return;
    this.rows.set(key, row);
    let m = this.where.get(row.scope);
    if (!m) this.where.set(row.scope, (m = new Map()));
    for (const instance of row.intents.keys()) {
      let keys = m.get(instance);
      if (!keys) m.set(instance, (keys = new Set()));
      keys.add(key);
    }
  }

  /** Splits one scope's intents into rows of at most `rowIntents` intents and `rowBytes` bytes. */
  private chunk(intents: ReadonlyMap<string, string>): Array<Map<string, string>> {
    const out: Array<Map<string, string>> = [];
    let group = new Map<string, string>();
    let bytes = GROUP_OPEN.length + GROUP_CLOSE.length;
    for (const [instance, json] of intents) {
      const size = Buffer.byteLength(json, 'utf8') + 1;
      if (group.size > 0 && (group.size >= this.rowIntents || bytes + size > this.rowBytes)) {
        out.push(group);
        group = new Map();
        bytes = GROUP_OPEN.length + GROUP_CLOSE.length;
      }
      group.set(instance, json);
      bytes += size;
    }
    if (group.size > 0) out.push(group);
    return out;
  }

  /** Puts a row (a new one, or the rest of one some of whose intents are removed). */
  private write(key: string, row: Row): Step {
    const value = `${GROUP_OPEN}${[...row.intents.values()].join(',')}${GROUP_CLOSE}`;
    return {
      op: { type: 'put', key, value },
      bytes: Buffer.byteLength(key, 'utf8') + Buffer.byteLength(value, 'utf8'),
      apply: () => this.setRow(key, row),
    };
  }

  /** Steps taking these instances' intents out of the rows holding them: a delete or a rewrite per row. */
  private without(scope: string, instances: Iterable<string>): Step[] {
    const known = this.where.get(scope);
    if (!known) return [];
    const gone = new Map<string, Set<string>>();
    for (const instance of instances) {
      for (const key of known.get(instance) ?? []) {
        let s = gone.get(key);
        if (!s) gone.set(key, (s = new Set()));
        s.add(instance);
      }
    }
    const steps: Step[] = [];
    for (const [key, instancesGone] of gone) {
      const row = this.rows.get(key)!;
      const left = new Map([...row.intents].filter(([instance]) => !instancesGone.has(instance)));
      if (left.size > 0) steps.push(this.write(key, { scope: row.scope, intents: left }));
      else steps.push({ op: { type: 'delete', key }, bytes: 0, apply: () => this.setRow(key, undefined) });
    }
    return steps;
  }

  /**
   * Commits steps in fenced transactions of at most MAX_TXN_OPS − 1 operations (the fence is the
   * other) and MAX_TXN_BYTES, and applies each transaction's steps to the map once it committed.
   */
  private async commit(steps: readonly Step[], fence: Compare | undefined): Promise<void> {
    const maxOps = MAX_TXN_OPS - 1;
    for (let i = 0; i < steps.length;) {
      let j = i;
      let bytes = 0;
      while (j < steps.length && j - i < maxOps && (j === i || bytes + steps[j]!.bytes <= MAX_TXN_BYTES))
        bytes += steps[j++]!.bytes;
      const batch = steps.slice(i, j);
      let succeeded: boolean;
      try {
        ({ succeeded } = await this.store.txn({
          compare: fence ? [fence] : [],
          success: batch.map((s) => s.op),
        }));
      } catch (err) {
        // It may have committed or not: read the store again before the next write plans on the map.
        this.loaded = false;
        throw err;
      }
      if (!succeeded)
        throw new LeadershipLostError('the leadership term ended before the intent was written');
      for (const step of batch) step.apply();
      i = j;
    }
  }
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new BloxError(
      'InvalidArgument',
      `IntentLog option ${name} must be a positive integer, got ${String(value)}`,
      {
        status: 400,
      },
    );
  return value;
}

function time(at: string): number {
  const t = Date.parse(at);
  return Number.isNaN(t) ? -Infinity : t;
}

/** The intents one row holds: a group row `{ intents: [...] }` or an earlier release's single intent. */
function parseRow(key: string, value: string): LaunchIntent[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new CorruptLaunchIntentError(key, 'is not JSON');
  }
  const intents =
    typeof parsed === 'object' && parsed !== null && 'intents' in parsed
      ? (parsed as { intents: unknown }).intents
      : [parsed];
  if (!Array.isArray(intents) || intents.length === 0)
    throw new CorruptLaunchIntentError(
      key,
      'holds no intents (expected { "intents": [ ... ] } or one intent)',
    );
  for (const i of intents) {
    if (typeof i !== 'object' || i === null || typeof i.scope !== 'string' || typeof i.instance !== 'string')
      throw new CorruptLaunchIntentError(
        key,
        'holds a value that is not a launch intent (no string scope and instance)',
      );
    if (i.scope !== intents[0].scope)
      throw new CorruptLaunchIntentError(key, 'holds intents of more than one scope');
  }
  return intents as LaunchIntent[];
}
