import { clusterName } from '../core/arn.js';
import type { StoredInstance, StoredTask } from '../core/ecs/entities.js';
import type { StateClient } from './client.js';
import type { EntityChange } from './types.js';
import { watchState, type Watch, type WatchHandlers } from './watch.js';

/**
 * Cluster state read from a remote state service, in the shape of the scheduler framework's
 * `ClusterStateSource` (list → snapshot at a revision; watch from a revision): an informer built on
 * it behaves as on the in-process index. A StreamGoneError from watch means "re-list".
 */
export interface RemoteClusterSource {
  readonly kind: 'remote';
  list(options?: { clusters?: readonly string[] }): Promise<{
    instances: StoredInstance[];
    tasks: StoredTask[];
    revision: number;
  }>;
  watch(
    fromRevision: number,
    handlers: {
      onChanges(changes: EntityChange[]): void;
      onProgress?(revision: number): void;
      onError(err: Error): void;
    },
    options?: { clusters?: readonly string[] },
  ): Promise<Watch>;
}

export function remoteClusterSource(client: StateClient): RemoteClusterSource {
  return {
    kind: 'remote',
    async list(options = {}) {
      const clusters = options.clusters && options.clusters.length > 0 ? options.clusters : [undefined];
      const instances: StoredInstance[] = [];
      const tasks: StoredTask[] = [];
      let revision = Infinity;
      for (const cluster of clusters) {
        const filter = cluster === undefined ? {} : { cluster };
        // Instances first, then tasks: the smaller of the two revisions is where a watch must resume.
        const i = await client.list('instance', filter);
        const t = await client.list('task', filter);
        instances.push(...i.items.map((x) => x.entity));
        tasks.push(...t.items.map((x) => x.entity));
        revision = Math.min(revision, i.revision, t.revision);
      }
      return { instances, tasks, revision: Number.isFinite(revision) ? revision : 0 };
    },
    async watch(fromRevision, handlers, options = {}) {
      const wanted = new Set((options.clusters ?? []).map((c) => clusterName(c) ?? c));
      const single = options.clusters?.length === 1 ? options.clusters[0] : undefined;
      const inner: WatchHandlers = {
        onChanges: (changes) => {
          const mine = wanted.size > 1 ? changes.filter((c) => wanted.has(c.entity.cluster)) : changes;
          if (mine.length > 0) handlers.onChanges(mine);
        },
        onProgress: handlers.onProgress ? (r) => handlers.onProgress!(r) : undefined,
        onError: (err) => handlers.onError(err),
      };
      return watchState(client, fromRevision, inner, { kind: 'all', ...(single ? { cluster: single } : {}) });
    },
  };
}
