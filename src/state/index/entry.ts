import { parseTaskDefinitionRef, resourceId } from '../../core/arn.js';
import type {
  ContainerInstanceDetail,
  EntityKind,
  StoredEntity,
  StoredInstance,
  StoredTask,
  TaskDetail,
} from '../../core/ecs/entities.js';
import { parseEntityKey } from '../../core/ecs/keys.js';

/**
 * The fields the index filters on, extracted once per stored revision so that queries compare
 * plain strings instead of digging through ECS documents. Statuses are upper-cased.
 */
export interface IndexFields {
  account: string;
  region: string;
  cluster: string;
  /** Last ARN segment (the same in the old and new ARN formats). */
  id: string;
  /** Task lastStatus or instance status. */
  status: string;
  /** Tasks only. */
  desiredStatus?: string;
  startedBy?: string;
  /** Tasks only: ID of the container instance the task runs on. */
  containerInstance?: string;
  /** Tasks only: task definition family. */
  family?: string;
  /** Tasks only: ECS task group (`family:x`, `service:y`). */
  group?: string;
}

/**
 * One entity as the index holds it: immutable per store revision. Tasks keep only the stored JSON
 * (`raw`) and their filter fields, and parse `entity` on each access (100k parsed task documents
 * would cost ~60 MB more than their JSON); instances (few, and read by every CQL filter) keep
 * the parsed document. Serialized list items are cached lazily per format.
 */
export interface IndexEntry<E extends StoredEntity = StoredEntity> {
  readonly key: string;
  readonly kind: EntityKind;
  /** modRevision of the key: v0.3's entityVersion. */
  readonly revision: number;
  /** The stored value (JSON of a StoredEntity). */
  readonly raw: string;
  /** The stored entity (tasks: parsed from `raw` on each access — keep the result if you need it twice). */
  readonly entity: E;
  readonly fields: IndexFields;
  /** Serialized list items / stream lines of this revision by format, filled on first use by the API (never stale: a new revision is a new entry). */
  readonly cache: EntryCache;
}

/** Per-format serialized item and its UTF-8 size, filled lazily by the API. */
export interface EntryCache {
  v03?: string;
  v03Bytes?: number;
  native?: string;
  nativeBytes?: number;
}

export type TaskEntry = IndexEntry<StoredTask>;
export type InstanceEntry = IndexEntry<StoredInstance>;

/** Why a stored value could not be indexed (it is skipped and counted, never fatal). */
export class InvalidStoredValue extends Error {}

class Entry implements IndexEntry, EntryCache {
  // The cache lives in the entry itself (one object less per entity: ~5 MB at 100k tasks).
  v03: string | undefined = undefined;
  v03Bytes: number | undefined = undefined;
  native: string | undefined = undefined;
  nativeBytes: number | undefined = undefined;
  private parsed: StoredEntity | undefined;
  /** A task's parsed document, kept only until the index has published the change (see `hold`). */
  private held: StoredEntity | undefined;

  constructor(
    readonly key: string,
    readonly kind: EntityKind,
    readonly revision: number,
    readonly raw: string,
    readonly fields: IndexFields,
    parsed: StoredEntity,
    hold: boolean,
  ) {
    if (kind === 'instance') this.parsed = parsed;
    else if (hold) this.held = parsed;
  }

  get cache(): EntryCache {
    return this;
  }

  get entity(): StoredEntity {
    return this.parsed ?? this.held ?? (JSON.parse(this.raw) as StoredEntity);
  }

  release(): void {
    this.held = undefined;
  }
}

/**
 * Drops the parsed task document an entry made with `hold` keeps: from then on its `entity` is
 * parsed from `raw` on each access again. The index calls this once a change is published.
 */
export function releaseEntry(entry: IndexEntry): void {
  if (entry instanceof Entry) entry.release();
}

/**
 * Filter values repeat across entities (accounts, regions, clusters, statuses, families, groups,
 * instances): the index keeps one copy of each, ~25 MB less at 100k tasks than a copy per entity.
 * Bounded, so values unique to each entity (a startedBy per task, say) cannot grow it without
 * limit: when full it starts again (values already shared stay shared).
 */
const INTERN_MAX = 50_000;
let interned = new Map<string, string>();
function intern<S extends string | undefined>(value: S): S {
  if (value === undefined) return value;
  const known = interned.get(value);
  if (known !== undefined) return known as S;
  if (interned.size >= INTERN_MAX) interned = new Map();
  interned.set(value, value);
  return value;
}

/**
 * Parses a stored value into an index entry. Pure. Throws InvalidStoredValue naming the problem
 * when the key is not an entity key or the value is not a StoredEntity of that kind. `parsed`, when
 * given, must be `JSON.parse(value)` already at hand (the entity this process just serialized):
 * it is checked like a parsed value, and the JSON is not parsed again. With `hold`, a task entry keeps
 * the parsed document (which must not be changed afterwards) until `releaseEntry`: the index's live
 * subscribers (the in-process scheduler informer) read each new task revision as it is published,
 * and would otherwise parse the JSON just parsed here once more.
 */
export function toIndexEntry(
  key: string,
  value: string,
  revision: number,
  parsed?: StoredEntity,
  hold = false,
): IndexEntry {
  const parsedKey = parseEntityKey(key);
  if (!parsedKey) throw new InvalidStoredValue(`key ${key} is not an entity key`);
  let entity: StoredEntity;
  if (parsed !== undefined) entity = parsed;
  else
    try {
      entity = JSON.parse(value) as StoredEntity;
    } catch {
      throw new InvalidStoredValue(`value of ${key} is not JSON`);
    }
  if (!entity || typeof entity !== 'object' || typeof entity.detail !== 'object' || !entity.detail)
    throw new InvalidStoredValue(`value of ${key} has no detail`);
  if (entity.kind !== parsedKey.kind)
    throw new InvalidStoredValue(`value of ${key} is a ${String(entity.kind)}, expected a ${parsedKey.kind}`);
  const fields =
    parsedKey.kind === 'task'
      ? taskFields(entity.detail as TaskDetail)
      : instanceFields(entity.detail as ContainerInstanceDetail);
  return new Entry(
    key,
    parsedKey.kind,
    revision,
    value,
    {
      account: intern(parsedKey.account),
      region: intern(parsedKey.region),
      cluster: intern(parsedKey.cluster),
      ...fields,
    },
    entity,
    hold,
  );
}

type KindFields = Omit<IndexFields, 'account' | 'region' | 'cluster'>;

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function taskFields(d: TaskDetail): KindFields {
  const arn = str(d.taskArn) ?? '';
  const ci = str(d.containerInstanceArn);
  const td = str(d.taskDefinitionArn);
  const f: KindFields = {
    id: resourceId(arn),
    status: intern((str(d.lastStatus) ?? '').toUpperCase()),
    desiredStatus: intern((str(d.desiredStatus) ?? '').toUpperCase()),
  };
  const startedBy = str(d.startedBy);
  if (startedBy !== undefined) f.startedBy = intern(startedBy);
  if (ci) f.containerInstance = intern(resourceId(ci));
  const family = td ? parseTaskDefinitionRef(td)?.family : undefined;
  if (family) f.family = intern(family);
  const group = str(d.group);
  if (group !== undefined) f.group = intern(group);
  return f;
}

function instanceFields(d: ContainerInstanceDetail): KindFields {
  const arn = str(d.containerInstanceArn) ?? '';
  return { id: resourceId(arn), status: intern((str(d.status) ?? '').toUpperCase()) };
}
