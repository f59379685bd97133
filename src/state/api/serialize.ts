import type { ContainerInstanceDetail, TaskDetail } from '../../core/ecs/entities.js';
import type { IndexChange } from '../index/change-log.js';
import type { IndexEntry } from '../index/entry.js';
import { toV03Instance, toV03Task } from './v03-shape.js';

/**
 * Entity representations on the wire:
 * - `v03` (default): Blox v0.3's entity JSON, so v0.3 clients keep working;
 * - `native`: the stored entity as Blox keeps it (`{kind, account, region, cluster, detail, source,
 *   observedAt}`, detail = the full ECS document incl. `version`, `group`, `launchType`): what
 *   the SDK and the scheduler use.
 */
export type EntityFormat = 'v03' | 'native';
export const ENTITY_FORMATS: readonly EntityFormat[] = ['v03', 'native'];

/** The entity JSON of one entry, computed once per revision (entries are immutable per revision). */
export function entityJson(entry: IndexEntry, format: EntityFormat): string {
  const cache = entry.cache;
  if (format === 'native') return (cache.native ??= JSON.stringify(entry.entity));
  return (cache.v03 ??= JSON.stringify(
    entry.kind === 'task'
      ? toV03Task(entry.entity.detail as TaskDetail)
      : toV03Instance(entry.entity.detail as ContainerInstanceDetail),
  ));
}

/** One list item / stream line: `{"entity":…,"metadata":{"entityVersion":"N"}}` (v0.3's shape). */
export function itemJson(entry: IndexEntry, format: EntityFormat): string {
  return `{"entity":${entityJson(entry, format)},"metadata":{"entityVersion":"${entry.revision}"}}`;
}

/**
 * A stream line for a change. Puts are exactly v0.3's line; deletes add `"type":"delete"` and
 * carry the last known entity with the delete's revision (a v0.3 client decoding the line into
 * a Task ignores the unknown field).
 */
export function changeJson(change: IndexChange, format: EntityFormat): string {
  if (change.type === 'put') return itemJson(change.entry, format);
  return `{"type":"delete","entity":${entityJson(change.entry, format)},"metadata":{"entityVersion":"${change.revision}"}}`;
}

/** A bookmark: every matching change up to `revision` has been sent. Carries no entity. */
export function bookmarkJson(revision: number): string {
  return `{"type":"bookmark","metadata":{"entityVersion":"${revision}"}}`;
}

/** `{"items":[…]}` (+ `nextToken` when a page follows), built from cached item strings. */
export function listJson(entries: readonly IndexEntry[], format: EntityFormat, nextToken?: string): string {
  const parts = new Array<string>(entries.length);
  for (let i = 0; i < entries.length; i++) parts[i] = itemJson(entries[i]!, format);
  const tail = nextToken === undefined ? '' : `,"nextToken":${JSON.stringify(nextToken)}`;
  return `{"items":[${parts.join(',')}]${tail}}\n`;
}
