import { applyEvent, storedVersion, type SkipReason } from '../../core/ecs/apply.js';
import type { EntitySource, StoredEntity } from '../../core/ecs/entities.js';
import {
  parseStoredEntity,
  serializeStoredEntity,
  toStoredEntity,
  type SerializedEntities,
} from '../../core/ecs/stored.js';
import type { EntityUpdate } from '../../core/ecs/validate.js';
import type { KeyValue, Store } from '../../store/types.js';
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
  /**
   * What this process last saw of each key (modRevision and ECS version). With a cache, the writer
   * skips the read transaction: it decides from the cache (unknown keys are assumed absent) and
   * lets the modRevision compares catch anything stale, so the common case is one transaction per
   * batch. Without one, keys are read first (two transactions).
   */
  cache?: VersionCache;
  /**
   * Remembers each written entity with its JSON, for an index fed from this store in this process
   * to take back instead of parsing (see SerializedEntities). Only when every update's detail is
   * plain JSON data, as the ingest's (parsed from the event's JSON) is.
   */
  handoff?: SerializedEntities;
}

/**
 * A bounded map key → {modRevision, ECS version} of what this process last read or wrote. Stale
 * entries are harmless: a stale modRevision fails its compare and the key is decided again from
 * the store's answer; a stale (too high) version can only make an older event a no-op, and
 * versions never go down in the store.
 */
export class VersionCache {
  private readonly map = new Map<string, { modRevision: number; version: number | undefined }>();
  constructor(readonly maxEntries = 100_000) {}
  get size(): number {
    return this.map.size;
  }
  get(key: string): { modRevision: number; version: number | undefined } | undefined {
    return this.map.get(key);
  }
  set(key: string, modRevision: number, version: number | undefined): void {
    this.map.delete(key);
    if (modRevision === 0) return; // absent: the default assumption anyway
    this.map.set(key, { modRevision, version });
    if (this.map.size > this.maxEntries) this.map.delete(this.map.keys().next().value!);
  }
  clear(): void {
    this.map.clear();
  }
}

/**
 * Stand-in KeyValues for cached keys, with the ECS version the decision reads. (They used to carry
 * a JSON value that every decision parsed back: a stringify and a parse per event for one number.)
 */
const cachedVersions = new WeakMap<KeyValue, number | undefined>();

function cachedKeyValue(key: string, c: { modRevision: number; version: number | undefined }): KeyValue {
  const kv: KeyValue = { key, value: '', modRevision: c.modRevision, createRevision: 0, version: 0 };
  cachedVersions.set(kv, c.version);
  return kv;
}

/** The stored entity the version decision sees: a cached key's version, else the parsed value. */
function storedOf(current: KeyValue | undefined): StoredEntity | undefined {
  if (current !== undefined && cachedVersions.has(current))
    return { kind: 'task', detail: { version: cachedVersions.get(current) } } as unknown as StoredEntity;
  return parseStoredEntity(current?.value);
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
  const seenVersion = new Map<string, number | undefined>();
  const plans: Array<KeyPlan<{ result: WriteResult; created: boolean }>> = winners.map((i) => {
    const update = updates[i]!;
    return {
      key: update.key,
      decide(current) {
        const stored = storedOf(current);
        const decision = applyEvent(stored, update.version);
        if (decision.action === 'skip') {
          seenVersion.set(update.key, storedVersion(stored));
          return { outcome: { result: decision.reason, created: false } };
        }
        seenVersion.set(update.key, update.version);
        const entity = toStoredEntity(update, options.source, now());
        const value = options.handoff
          ? options.handoff.serialize(update.key, entity)
          : serializeStoredEntity(entity);
        return {
          outcome: { result: 'applied', created: stored === undefined },
          write: { type: 'put', value },
        };
      },
    };
  });
  let known: Map<string, KeyValue | undefined> | undefined;
  if (options.cache) {
    known = new Map();
    for (const p of plans) {
      const c = options.cache.get(p.key);
      known.set(p.key, c ? cachedKeyValue(p.key, c) : undefined);
    }
  }
  let res;
  try {
    res = await commitGuarded(store, plans, { ...options, ...(known ? { known } : {}) });
  } catch (err) {
    // Whatever we believed about these keys may be wrong now: forget it.
    for (const p of plans) options.cache?.set(p.key, 0, undefined);
    throw err;
  }
  if (options.cache) {
    plans.forEach((p, j) => options.cache!.set(p.key, res.keyRevisions[j]!, seenVersion.get(p.key)));
  }
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
