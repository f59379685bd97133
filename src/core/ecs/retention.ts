import type { ContainerInstanceDetail, StoredEntity, TaskDetail } from './entities.js';
import { parseEventTime } from './time.js';

/**
 * Retention of finished entities: STOPPED tasks and INACTIVE (deregistered) container instances
 * stay in the store for a while after they finished (schedulers and people look at why a task
 * stopped) and are then removed. Pure decisions; the retention loop does the deletes.
 */

/** True for an entity that will not change again: a STOPPED task or an INACTIVE instance. */
export function isTerminal(entity: StoredEntity): boolean {
  if (entity.kind === 'task') return (entity.detail as TaskDetail).lastStatus === 'STOPPED';
  return (entity.detail as ContainerInstanceDetail).status === 'INACTIVE';
}

/**
 * When the entity became terminal (ms since the epoch), best evidence first: a task's stoppedAt,
 * then the event's updatedAt (the time of the change that made it terminal), then when Blox
 * stored it. Undefined for a non-terminal entity.
 */
export function terminalSince(entity: StoredEntity): number | undefined {
  if (!isTerminal(entity)) return undefined;
  const d = entity.detail as { stoppedAt?: unknown; executionStoppedAt?: unknown; updatedAt?: unknown };
  const candidates =
    entity.kind === 'task' ? [d.stoppedAt, d.executionStoppedAt, d.updatedAt] : [d.updatedAt];
  for (const c of candidates) {
    const ms = parseEventTime(c);
    if (ms !== undefined) return ms;
  }
  return parseEventTime(entity.observedAt);
}

/** True when a terminal entity has been terminal for at least `retentionMs` at `nowMs`. */
export function isExpired(entity: StoredEntity, nowMs: number, retentionMs: number): boolean {
  const since = terminalSince(entity);
  return since !== undefined && nowMs - since >= retentionMs;
}
