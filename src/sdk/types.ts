import type { EntityKind, StoredInstance, StoredTask } from '../core/ecs/entities.js';

export type { EntityKind, StoredInstance, StoredTask } from '../core/ecs/entities.js';

/** One entity as the SDK returns it: Blox's stored form (`format=native`) and its store revision. */
export interface VersionedEntity<E = StoredTask | StoredInstance> {
  entity: E;
  /** v0.3's entityVersion (the store modRevision of this version of the entity). */
  revision: number;
}

export type EntityOf<K extends EntityKind> = K extends 'task' ? StoredTask : StoredInstance;

/** Filters of GET /v1/tasks and /v1/instances (those a kind does not support are rejected by the server). */
export interface ListFilter {
  /** Cluster name or ARN. */
  cluster?: string;
  status?: string;
  account?: string;
  region?: string;
  /** Tasks only. */
  desiredStatus?: string;
  startedBy?: string;
  containerInstance?: string;
  family?: string;
  /** Instances only: ECS cluster query language. */
  filter?: string;
  /** Instances only: `name` or `name=value`, all must match. */
  attribute?: string[];
}

export interface Page<E> {
  items: Array<VersionedEntity<E>>;
  /** Present when another page follows. */
  nextToken?: string;
  /** Revision of the server's index when it answered. */
  revision: number;
}

/** A change on a stream, in revision order. Same shape as the scheduler framework's ClusterChange. */
export interface EntityChange {
  type: 'put' | 'delete';
  kind: EntityKind;
  revision: number;
  /** New state for puts; last known state for deletes. */
  entity: StoredTask | StoredInstance;
}

export type StreamEvent = ({ kind: EntityKind } & EntityChange) | { type: 'bookmark'; revision: number };
