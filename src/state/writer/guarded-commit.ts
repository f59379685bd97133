import { BloxError } from '../../core/errors.js';
import type { KeyValue, Store, TxnOp } from '../../store/types.js';

/**
 * Optimistic, per-key guarded writes in as few store transactions as correctness allows.
 *
 * Each key has a pure `decide(current)`: put a value, delete, or nothing. All keys are read in one
 * transaction, decided, then committed in one transaction that compares every written key's
 * modRevision with what was read (0 = absent). If another writer (a second replica, the
 * reconciler, retention) changed one of them meanwhile, the transaction's failure branch returns
 * those keys' fresh values, and only the keys that actually changed are decided again; the rest
 * keep their decision and their compare. No lock is held; nothing is written twice.
 */

/** etcd refuses transactions with more than 128 operations per branch; stay well under. */
export const MAX_KEYS_PER_TXN = 60;

export interface KeyDecision<O> {
  /** What to write; undefined = leave the key as it is. */
  write?: { type: 'put'; value: string } | { type: 'delete' };
  /** The caller's outcome label for this key (e.g. 'applied', 'duplicate'). */
  outcome: O;
}

export interface KeyPlan<O> {
  key: string;
  decide(current: KeyValue | undefined): KeyDecision<O>;
}

/**
 * Plan to delete a key only if it still is the copy that was judged (same modRevision): a copy
 * written by anyone since then stays. Outcome true when deleted. Used by reconcile and retention.
 */
export function deleteIfUnchanged(judged: Pick<KeyValue, 'key' | 'modRevision'>): KeyPlan<boolean> {
  return {
    key: judged.key,
    decide: (current) =>
      current?.modRevision === judged.modRevision
        ? { outcome: true, write: { type: 'delete' } }
        : { outcome: false },
  };
}

export interface GuardedResult<O> {
  /** One outcome per plan, in order. */
  outcomes: O[];
  /** Store revision of the last commit (or of the read when nothing was written). */
  revision: number;
  /** Write transactions committed (one per chunk unless conflicts forced retries). */
  commits: number;
  /** Conflicts seen (keys changed by another writer between read and commit). */
  conflicts: number;
  /** Per plan: the key's modRevision after the call (0 = absent), as far as this call knows. */
  keyRevisions: number[];
}

export class WriteConflictError extends BloxError {
  constructor(keys: string[], attempts: number) {
    super(
      'WriteConflict',
      `${keys.length} key(s) kept changing under concurrent writers after ${attempts} attempts (first: ${keys[0]}); the write will be retried with the message redelivery`,
      { status: 409, details: { keys: keys.slice(0, 10), attempts } },
    );
  }
}

export interface GuardedOptions {
  /** Commit attempts per chunk before giving up with WriteConflictError (default 8). */
  maxAttempts?: number;
}

/** Reads the given keys at one revision (one transaction of gets). */
export async function readKeys(
  store: Store,
  keys: string[],
): Promise<{ values: Map<string, KeyValue | undefined>; revision: number }> {
  const values = new Map<string, KeyValue | undefined>();
  let revision = 0;
  for (let i = 0; i < keys.length; i += MAX_KEYS_PER_TXN) {
    const chunk = keys.slice(i, i + MAX_KEYS_PER_TXN);
    const res = await store.txn({ success: chunk.map((key) => ({ type: 'get', key })) });
    chunk.forEach((key, j) => values.set(key, res.gets[j]));
    revision = Math.max(revision, res.revision);
  }
  return { values, revision };
}

function toOp(key: string, write: NonNullable<KeyDecision<unknown>['write']>): TxnOp {
  return write.type === 'put' ? { type: 'put', key, value: write.value } : { type: 'delete', key };
}

/**
 * Decide and commit every plan (keys must be unique). `known` may carry values the caller has
 * already read (e.g. from a range), saving the read transaction for those keys.
 */
export async function commitGuarded<O>(
  store: Store,
  plans: Array<KeyPlan<O>>,
  options: GuardedOptions & { known?: Map<string, KeyValue | undefined> } = {},
): Promise<GuardedResult<O>> {
  const seen = new Set<string>();
  for (const p of plans) {
    if (seen.has(p.key))
      throw new Error(`commitGuarded: key ${p.key} appears twice; merge plans per key first`);
    seen.add(p.key);
  }
  const result: GuardedResult<O> = {
    outcomes: new Array<O>(plans.length),
    revision: 0,
    commits: 0,
    conflicts: 0,
    keyRevisions: new Array<number>(plans.length).fill(0),
  };
  for (let i = 0; i < plans.length; i += MAX_KEYS_PER_TXN) {
    await commitChunk(store, plans, i, Math.min(plans.length, i + MAX_KEYS_PER_TXN), options, result);
  }
  if (plans.length === 0) result.revision = await store.revision();
  return result;
}

async function commitChunk<O>(
  store: Store,
  plans: Array<KeyPlan<O>>,
  from: number,
  to: number,
  options: GuardedOptions & { known?: Map<string, KeyValue | undefined> },
  result: GuardedResult<O>,
): Promise<void> {
  const maxAttempts = options.maxAttempts ?? 8;
  const idx: number[] = [];
  for (let i = from; i < to; i++) idx.push(i);
  const current = new Map<string, KeyValue | undefined>();
  const unknown = idx.filter((i) => !options.known?.has(plans[i]!.key)).map((i) => plans[i]!.key);
  for (const i of idx)
    if (options.known?.has(plans[i]!.key)) current.set(plans[i]!.key, options.known.get(plans[i]!.key));
  if (unknown.length > 0) {
    const read = await readKeys(store, unknown);
    for (const [k, v] of read.values) current.set(k, v);
    result.revision = Math.max(result.revision, read.revision);
  }
  const decisions = new Map<number, KeyDecision<O>>();
  for (const i of idx) decisions.set(i, plans[i]!.decide(current.get(plans[i]!.key)));

  for (let attempt = 1; ; attempt++) {
    const writes = idx.filter((i) => decisions.get(i)!.write !== undefined);
    if (writes.length === 0) break;
    const res = await store.txn({
      compare: writes.map((i) => ({
        key: plans[i]!.key,
        target: 'modRevision' as const,
        op: '=' as const,
        value: current.get(plans[i]!.key)?.modRevision ?? 0,
      })),
      success: writes.map((i) => toOp(plans[i]!.key, decisions.get(i)!.write!)),
      failure: writes.map((i) => ({ type: 'get' as const, key: plans[i]!.key })),
    });
    if (res.succeeded) {
      result.commits++;
      result.revision = Math.max(result.revision, res.revision);
      for (const i of writes) {
        const key = plans[i]!.key;
        const w = decisions.get(i)!.write!;
        const prev = current.get(key);
        current.set(
          key,
          w.type === 'delete'
            ? undefined
            : {
                key,
                value: w.value,
                modRevision: res.revision,
                createRevision: prev?.createRevision ?? res.revision,
                version: (prev?.version ?? 0) + 1,
              },
        );
      }
      break;
    }
    // Someone else wrote some of these keys: decide again only for the keys that changed.
    const changed: string[] = [];
    writes.forEach((i, j) => {
      const key = plans[i]!.key;
      const fresh = res.gets[j];
      if ((fresh?.modRevision ?? 0) !== (current.get(key)?.modRevision ?? 0)) {
        changed.push(key);
        current.set(key, fresh);
        decisions.set(i, plans[i]!.decide(fresh));
      }
    });
    result.conflicts += changed.length;
    if (attempt >= maxAttempts)
      throw new WriteConflictError(changed.length ? changed : writes.map((i) => plans[i]!.key), attempt);
  }
  for (const i of idx) {
    result.outcomes[i] = decisions.get(i)!.outcome;
    result.keyRevisions[i] = current.get(plans[i]!.key)?.modRevision ?? 0;
  }
}
