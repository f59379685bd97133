import { applyEvent, type SkipReason } from '../../core/ecs/apply.js';
import type { EntitySource } from '../../core/ecs/entities.js';
import { parseStoredEntity, serializeStoredEntity, toStoredEntity } from '../../core/ecs/stored.js';
import type { EntityUpdate } from '../../core/ecs/validate.js';
import type { Store } from '../../store/types.js';
import { commitGuarded, type GuardedOptions, type KeyPlan } from './guarded-commit.js';

/**
 * The state writer: version-ordered upserts of entity updates (from events or reconciliation).
 * Every write goes through `applyEvent` against the stored copy under a modRevision compare, so
 * concurrent writers (several ingest pollers, replicas, the reconciler) never move an entity back
 * in ECS version and never lose a newer write.
 */

export type WriteResult = 'applied' | SkipReason;

export interface EntityWriteOutcome {
  update: EntityUpdate;
  result: WriteResult;
  /** For `applied`: the key held no (readable) entity before, i.e. the entity was added. */
  created?: boolean;
}

export interface EntityWriteResult {
  /** One per input update, in input order. */
  outcomes: EntityWriteOutcome[];
  revision: number;
  commits: number;
  conflicts: number;
}

export interface EntityWriteOptions extends GuardedOptions {
  source: EntitySource;
  now?: () => Date;
}

/**
 * Writes a batch of updates. Several updates of one key in the batch are merged first: the highest
 * version is the candidate, the others count as duplicates (same version) or stale (lower).
 */
export async function writeEntityUpdates(
  store: Store,
  updates: EntityUpdate[],
  options: EntityWriteOptions,
): Promise<EntityWriteResult> {
  const now = options.now ?? (() => new Date());
  const best = new Map<string, number>();
  updates.forEach((u, i) => {
    const b = best.get(u.key);
    if (b === undefined || u.version > updates[b]!.version) best.set(u.key, i);
  });
  const winners = [...best.values()];
  const plans: Array<KeyPlan<{ result: WriteResult; created: boolean }>> = winners.map((i) => {
    const update = updates[i]!;
    return {
      key: update.key,
      decide(current) {
        const stored = parseStoredEntity(current?.value);
        const decision = applyEvent(stored, update.version);
        if (decision.action === 'skip') return { outcome: { result: decision.reason, created: false } };
        return {
          outcome: { result: 'applied', created: stored === undefined },
          write: { type: 'put', value: serializeStoredEntity(toStoredEntity(update, options.source, now())) },
        };
      },
    };
  });
  const res = await commitGuarded(store, plans, options);
  const byIndex = new Map<number, { result: WriteResult; created: boolean }>();
  winners.forEach((i, j) => byIndex.set(i, res.outcomes[j]!));
  const outcomes = updates.map((update, i): EntityWriteOutcome => {
    const own = byIndex.get(i);
    if (own !== undefined)
      return own.result === 'applied'
        ? { update, result: own.result, created: own.created }
        : { update, result: own.result };
    const winner = updates[best.get(update.key)!]!;
    return { update, result: winner.version === update.version ? 'duplicate' : 'stale' };
  });
  return { outcomes, revision: res.revision, commits: res.commits, conflicts: res.conflicts };
}
