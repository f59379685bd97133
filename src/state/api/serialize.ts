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

const ITEM_PREFIX = '{"entity":';
const metadataSuffix = (revision: number) => `,"metadata":{"entityVersion":"${revision}"}}`;

/**
 * One list item / stream line: `{"entity":…,"metadata":{"entityVersion":"N"}}` (v0.3's shape).
 * Built once per entry and format (entries are immutable per revision), so a list of 10,000 is
 * one join of cached strings.
 */
export function itemJson(entry: IndexEntry, format: EntityFormat): string {
  const cache = entry.cache;
  if (format === 'native') return (cache.native ??= ITEM_PREFIX + entry.raw + metadataSuffix(entry.revision));
  if (cache.v03 !== undefined) return cache.v03;
  const detail = entry.entity.detail;
  const entity =
    entry.kind === 'task'
      ? toV03Task(detail as TaskDetail)
      : toV03Instance(detail as ContainerInstanceDetail);
  return (cache.v03 = ITEM_PREFIX + JSON.stringify(entity) + metadataSuffix(entry.revision));
}

/** The entity JSON of one entry (the cached item without its envelope). */
export function entityJson(entry: IndexEntry, format: EntityFormat): string {
  const item = itemJson(entry, format);
  return item.slice(ITEM_PREFIX.length, item.length - metadataSuffix(entry.revision).length);
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

/**
 * The same document as listJson, in chunks of about `batch` items: a large list (10,000 tasks are
 * ~12 MB) is written piece by piece instead of as one giant string. Chunks of 64 items (~80 KB)
 * stay below V8's large-object size, so they die young in the cheap scavenger instead of waiting
 * for a full mark-sweep (a third less CPU per 10,000-item list than 256-item chunks).
 */
export function* listJsonChunks(
  entries: readonly IndexEntry[],
  format: EntityFormat,
  nextToken?: string,
  batch = 64,
): Generator<string> {
  let head = '{"items":[';
  for (let i = 0; i < entries.length; i += batch) {
    const end = Math.min(entries.length, i + batch);
    const parts = new Array<string>(end - i);
    for (let j = i; j < end; j++) parts[j - i] = itemJson(entries[j]!, format);
    yield head + parts.join(',');
    head = ',';
  }
  const tail = nextToken === undefined ? '' : `,"nextToken":${JSON.stringify(nextToken)}`;
  yield (entries.length === 0 ? head : '') + `]${tail}}\n`;
}
