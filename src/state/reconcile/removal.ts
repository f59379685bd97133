import { isTerminal } from '../../core/ecs/retention.js';
import { parseEventTime } from '../../core/ecs/time.js';
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
 *   removed by the retention loop, whether or not ECS still lists them;
 * - Blox did not store it within `graceMs` before the pass started: ECS's List* calls are
 *   eventually consistent, so something that appeared moments ago may not be listed yet.
 */
export interface StoredCandidate {
  key: string;
  id: string;
  entity: StoredEntity | undefined;
  modRevision: number;
}

export type KeepReason = 'listed' | 'changed-during-pass' | 'terminal' | 'recent';

export interface PassStart {
  /** Store revision read before anything was listed. */
  revision: number;
  /** Wall-clock start of the pass (ms). */
  timeMs: number;
  /** Entities stored less than this long before the pass started are kept (default 60 s). */
  graceMs: number;
}

export function removalDecision(
  candidate: StoredCandidate,
  listedIds: ReadonlySet<string>,
  start: PassStart,
): { remove: true } | { remove: false; reason: KeepReason } {
  if (listedIds.has(candidate.id)) return { remove: false, reason: 'listed' };
  if (candidate.modRevision > start.revision) return { remove: false, reason: 'changed-during-pass' };
  if (candidate.entity && isTerminal(candidate.entity)) return { remove: false, reason: 'terminal' };
  const observed = parseEventTime(candidate.entity?.observedAt);
  if (observed !== undefined && observed > start.timeMs - start.graceMs)
    return { remove: false, reason: 'recent' };
  return { remove: true };
}
