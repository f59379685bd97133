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
