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

class Entry implements IndexEntry {
  readonly cache: EntryCache = {};
  private parsed: StoredEntity | undefined;

  constructor(
    readonly key: string,
    readonly kind: EntityKind,
    readonly revision: number,
    readonly raw: string,
    readonly fields: IndexFields,
    parsed: StoredEntity,
  ) {
    if (kind === 'instance') this.parsed = parsed;
  }

  get entity(): StoredEntity {
    return this.parsed ?? (JSON.parse(this.raw) as StoredEntity);
  }
}

/**
 * Parses a stored value into an index entry. Pure. Throws InvalidStoredValue naming the problem
 * when the key is not an entity key or the value is not a StoredEntity of that kind.
 */
export function toIndexEntry(key: string, value: string, revision: number): IndexEntry {
  const parsedKey = parseEntityKey(key);
  if (!parsedKey) throw new InvalidStoredValue(`key ${key} is not an entity key`);
  let entity: StoredEntity;
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
    { account: parsedKey.account, region: parsedKey.region, cluster: parsedKey.cluster, ...fields },
    entity,
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
    status: (str(d.lastStatus) ?? '').toUpperCase(),
    desiredStatus: (str(d.desiredStatus) ?? '').toUpperCase(),
  };
  const startedBy = str(d.startedBy);
  if (startedBy !== undefined) f.startedBy = startedBy;
  if (ci) f.containerInstance = resourceId(ci);
  const family = td ? parseTaskDefinitionRef(td)?.family : undefined;
  if (family) f.family = family;
  const group = str(d.group);
  if (group !== undefined) f.group = group;
  return f;
}

function instanceFields(d: ContainerInstanceDetail): KindFields {
  const arn = str(d.containerInstanceArn) ?? '';
  return { id: resourceId(arn), status: (str(d.status) ?? '').toUpperCase() };
}
