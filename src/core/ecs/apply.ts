import type { StoredEntity } from './entities.js';

/**
 * ECS version ordering (the one rule every write of cluster state goes through, from events and
 * from reconciliation alike): a higher `detail.version` wins; an equal one is a duplicate and a
 * lower one is stale, both no-ops. ECS documents that duplicates carry the same version and that
 * a higher version happened later; versions may skip (never expect +1 steps).
 */

export type SkipReason = 'duplicate' | 'stale';
export type ApplyDecision = { action: 'write' } | { action: 'skip'; reason: SkipReason };

/** The ECS version of a stored entity, or undefined when the stored copy has none (corrupt). */
export function storedVersion(stored: StoredEntity | undefined): number | undefined {
  const v = (stored?.detail as { version?: unknown } | undefined)?.version;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * Decide whether `incoming` (version `incomingVersion`) replaces `stored`.
 * - nothing stored → write
 * - stored copy without a usable version (unreadable or damaged value) → write: the validated
 *   incoming copy repairs it (v0.3 instead failed every later write to such a key forever)
 * - incoming > stored → write; = → skip duplicate; < → skip stale
 */
export function applyEvent(stored: StoredEntity | undefined, incomingVersion: number): ApplyDecision {
  const current = storedVersion(stored);
  if (current === undefined) return { action: 'write' };
  if (incomingVersion > current) return { action: 'write' };
  if (incomingVersion === current) return { action: 'skip', reason: 'duplicate' };
  return { action: 'skip', reason: 'stale' };
}
