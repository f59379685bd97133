import type { StoredInstance, StoredTask } from '../../core/ecs/entities.js';
import {
  SourceGoneError,
  type ClusterChange,
  type ClusterEntity,
  type ClusterSnapshot,
  type ClusterStateSource,
  type ClusterWatch,
  type ClusterWatchHandlers,
} from './source.js';

/**
 * A complete cluster-state source held in memory: put and delete entities, list them, watch
 * changes with resume from a bounded change log. For embedding a scheduler where the caller
 * already has the state (its own event feed), and for framework tests without a state service.
 * Changes are delivered asynchronously (microtask), in revision order, as a real source does.
 */
export class MemoryClusterState implements ClusterStateSource {
  readonly kind = 'memory';
  private readonly entities = new Map<string, ClusterEntity>();
  private readonly log: ClusterChange[] = [];
  private readonly watchers = new Set<ClusterWatchHandlers>();
  private rev = 0;

  constructor(private readonly logSize = 10_000) {}

  get revision(): number {
    return this.rev;
  }

  /** Stores a task or an instance (keyed by its ARN); returns the change's revision. */
  put(entity: ClusterEntity): number {
    const arn = arnOf(entity);
    this.entities.set(arn, entity);
    return this.emit({ type: 'put', kind: entity.kind, revision: ++this.rev, entity });
  }

  delete(arn: string): number | undefined {
    const entity = this.entities.get(arn);
    if (!entity) return undefined;
    this.entities.delete(arn);
    return this.emit({ type: 'delete', kind: entity.kind, revision: ++this.rev, entity });
  }

  get(arn: string): ClusterEntity | undefined {
    return this.entities.get(arn);
  }

  async list(options: { clusters?: readonly string[] } = {}): Promise<ClusterSnapshot> {
    const instances: StoredInstance[] = [];
    const tasks: StoredTask[] = [];
    for (const e of this.entities.values()) {
      if (!inClusters(e, options.clusters)) continue;
      if (e.kind === 'task') tasks.push(e as StoredTask);
      else instances.push(e as StoredInstance);
    }
    return { instances, tasks, revision: this.rev };
  }

  async watch(
    fromRevision: number,
    handlers: ClusterWatchHandlers,
    options: { clusters?: readonly string[] } = {},
  ): Promise<ClusterWatch> {
    const oldest = this.log.length > 0 ? this.log[0]!.revision : this.rev + 1;
    if (fromRevision < oldest && fromRevision <= this.rev)
      throw new SourceGoneError(`revision ${fromRevision} is no longer held (oldest ${oldest}): re-list`);
    const filtered: ClusterWatchHandlers = {
      onChanges: (changes) => {
        const mine = changes.filter((c) => inClusters(c.entity, options.clusters));
        if (mine.length > 0) handlers.onChanges(mine);
      },
      onError: handlers.onError,
    };
    if (handlers.onProgress) filtered.onProgress = handlers.onProgress;
    const backlog = this.log.filter((c) => c.revision >= fromRevision);
    this.watchers.add(filtered);
    if (backlog.length > 0) queueMicrotask(() => filtered.onChanges(backlog));
    return {
      close: async () => {
        this.watchers.delete(filtered);
      },
    };
  }

  /** Ends every watch with an error (to exercise re-list paths). */
  failWatches(err: Error): void {
    for (const w of [...this.watchers]) {
      this.watchers.delete(w);
      w.onError(err);
    }
  }

  private emit(change: ClusterChange): number {
    this.log.push(change);
    if (this.log.length > this.logSize) this.log.splice(0, this.log.length - this.logSize);
    for (const w of this.watchers) queueMicrotask(() => this.watchers.has(w) && w.onChanges([change]));
    return change.revision;
  }
}

export function arnOf(entity: ClusterEntity): string {
  return entity.kind === 'task'
    ? (entity as StoredTask).detail.taskArn
    : (entity as StoredInstance).detail.containerInstanceArn;
}

function inClusters(e: ClusterEntity, clusters: readonly string[] | undefined): boolean {
  if (!clusters || clusters.length === 0) return true;
  return clusters.includes(e.cluster) || clusters.includes(e.detail.clusterArn);
}
