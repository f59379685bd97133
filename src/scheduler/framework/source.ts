import { BloxError } from '../../core/errors.js';
import type { EntityKind, StoredInstance, StoredTask } from '../../core/ecs/entities.js';

/**
 * Where a scheduler reads cluster state from. Two implementations ship with Blox: in-process
 * (the state service's index, when both run in one process: src/server/in-process-source.ts)
 * and remote (the state API over HTTP through src/sdk: remote-source.ts). MemoryClusterState is
 * a third, self-contained one for embedding and tests. The informer is the only consumer.
 */
export type ClusterEntity = StoredTask | StoredInstance;

export interface ClusterChange {
  type: 'put' | 'delete';
  kind: EntityKind;
  /** Revision of the change; changes arrive in revision order. */
  revision: number;
  /** The new state for puts; the last known state for deletes. */
  entity: ClusterEntity;
}

export interface ClusterSnapshot {
  instances: StoredInstance[];
  tasks: StoredTask[];
  /** Revision the snapshot is consistent at: watch from revision + 1. */
  revision: number;
}

export interface ClusterWatchHandlers {
  onChanges(changes: ClusterChange[]): void;
  /** Everything up to `revision` has been delivered. */
  onProgress?(revision: number): void;
  /** The watch ended. SourceGoneError means "re-list": the resume revision is no longer available. */
  onError(err: Error): void;
}

export interface ClusterWatch {
  close(): Promise<void>;
}

export interface ClusterStateSource {
  readonly kind: string;
  /** Every task and container instance (optionally of some clusters, by ARN or name). */
  list(options?: { clusters?: readonly string[] }): Promise<ClusterSnapshot>;
  /** Changes with revision >= fromRevision, then live ones, until closed or failed. */
  watch(
    fromRevision: number,
    handlers: ClusterWatchHandlers,
    options?: { clusters?: readonly string[] },
  ): Promise<ClusterWatch>;
}

/** The source cannot resume from the asked revision any more: re-list. */
export class SourceGoneError extends BloxError {
  constructor(message: string) {
    super('SourceGone', message, { status: 410 });
  }
}
