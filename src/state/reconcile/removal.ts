import { isTerminal } from '../../core/ecs/retention.js';
import type { StoredEntity } from '../../core/ecs/entities.js';

/**
 * Which stored entities of a successfully listed cluster ECS no longer knows, and may therefore be
 * removed. Pure. An entity is removed only when all of these hold:
 * - ECS did not list it in this pass (neither in any instance status nor in RUNNING/STOPPED tasks);
 * - the store has not changed it since the pass started (modRevision ≤ the revision read before
 *   listing): an event that arrived meanwhile may describe something ECS's eventually consistent
 *   List* did not show yet (v0.3 compared against a snapshot taken before listing and deleted
 *   fresh records);
 * - it is not terminal (STOPPED / INACTIVE): finished entities are kept for their retention and
 *   removed by the retention loop, whether or not ECS still lists them.
 */
export interface StoredCandidate {
  key: string;
  id: string;
  entity: StoredEntity | undefined;
  modRevision: number;
}

export type KeepReason = 'listed' | 'changed-during-pass' | 'terminal';

export function removalDecision(
  candidate: StoredCandidate,
  listedIds: ReadonlySet<string>,
  passStartRevision: number,
): { remove: true } | { remove: false; reason: KeepReason } {
  if (listedIds.has(candidate.id)) return { remove: false, reason: 'listed' };
  if (candidate.modRevision > passStartRevision) return { remove: false, reason: 'changed-during-pass' };
  if (candidate.entity && isTerminal(candidate.entity)) return { remove: false, reason: 'terminal' };
  return { remove: true };
}
