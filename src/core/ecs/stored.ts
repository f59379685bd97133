import type { EntitySource, StoredEntity } from './entities.js';
import type { EntityUpdate } from './validate.js';

/** The stored value (StoredEntity JSON) of a validated update. */
export function toStoredEntity(update: EntityUpdate, source: EntitySource, observedAt: Date): StoredEntity {
  return {
    kind: update.kind,
    account: update.account,
    region: update.region,
    cluster: update.cluster,
    detail: update.detail,
    source,
    observedAt: observedAt.toISOString(),
  };
}

export function serializeStoredEntity(entity: StoredEntity): string {
  return JSON.stringify(entity);
}

/**
 * Parses a stored value. Returns undefined for a value that is not a StoredEntity (damaged or
 * written by something else), which the writer then treats as absent and repairs.
 */
export function parseStoredEntity(value: string | undefined): StoredEntity | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed = JSON.parse(value) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const e = parsed as Partial<StoredEntity>;
    if ((e.kind !== 'task' && e.kind !== 'instance') || typeof e.detail !== 'object' || e.detail === null)
      return undefined;
    return e as StoredEntity;
  } catch {
    return undefined;
  }
}

/**
 * Entities this process has just serialized for the store, by key, so that the index fed from the
 * store's watch can take the object back instead of parsing the same JSON again (a JSON.parse of
 * a ~2.5 KB container instance is a fifth of an ingested event's CPU). `take` answers only for the
 * very value that was serialized (same key, equal string), so a value written by anyone else, or a
 * write that never committed, is simply parsed as before. Bounded: the oldest entries go first.
 *
 * Only for entities that are plain JSON data (e.g. details parsed from an event's JSON): the
 * object handed over must equal `JSON.parse(value)`. Neither side may mutate it afterwards.
 */
export class SerializedEntities {
  private readonly byKey = new Map<string, { value: string; entity: StoredEntity }>();

  constructor(readonly maxEntries = 4096) {}

  get size(): number {
    return this.byKey.size;
  }

  /** Serializes `entity` (as serializeStoredEntity does) and remembers it under `key`. */
  serialize(key: string, entity: StoredEntity): string {
    const value = serializeStoredEntity(entity);
    this.byKey.delete(key);
    this.byKey.set(key, { value, entity });
    if (this.byKey.size > this.maxEntries) this.byKey.delete(this.byKey.keys().next().value!);
    return value;
  }

  /**
   * The entity remembered under `key` if it was serialized as exactly `value` (then forgotten);
   * otherwise undefined, and a remembered entity of another value stays (its write may still come).
   */
  take(key: string, value: string): StoredEntity | undefined {
    const known = this.byKey.get(key);
    if (known === undefined || known.value !== value) return undefined;
    this.byKey.delete(key);
    return known.entity;
  }
}
