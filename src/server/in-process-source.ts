import type { StoredInstance, StoredTask } from '../core/ecs/entities.js';
import {
  SourceGoneError,
  type ClusterStateSource,
  type ClusterWatch,
  type ClusterWatchHandlers,
} from '../scheduler/framework/source.js';
import { ResumeTooOldError, type StateIndex } from '../state/index/index.js';

/**
 * The scheduler's cluster-state source when the state service runs in the same process
 * (`blox up`): reads the state service's in-memory index directly — no HTTP, no copy — and
 * follows its change log. It lives in server/ because state/ and scheduler/ never import each
 * other; this file is where the two meet.
 */
export function inProcessClusterSource(index: StateIndex): ClusterStateSource {
  const inClusters = (cluster: string, clusterArn: string, clusters?: readonly string[]) =>
    !clusters || clusters.length === 0 || clusters.includes(cluster) || clusters.includes(clusterArn);
  return {
    kind: 'in-process',
    async list(options = {}) {
      await index.whenReady();
      // Both lists are read in one synchronous stretch, so they are consistent at one revision.
      const instances = index
        .list('instance')
        .items.map((e) => e.entity as StoredInstance)
        .filter((e) => inClusters(e.cluster, e.detail.clusterArn, options.clusters));
      const tasks = index
        .list('task')
        .items.map((e) => e.entity as StoredTask)
        .filter((e) => inClusters(e.cluster, e.detail.clusterArn, options.clusters));
      return { instances, tasks, revision: index.revision };
    },
    async watch(fromRevision: number, handlers: ClusterWatchHandlers, options = {}): Promise<ClusterWatch> {
      let sub;
      try {
        sub = index.subscribe(
          { fromRevision },
          {
            onChange: (change) => {
              const entity = change.entry.entity as StoredTask | StoredInstance;
              if (!inClusters(entity.cluster, entity.detail.clusterArn, options.clusters)) return;
              handlers.onChanges([
                { type: change.type, kind: change.kind, revision: change.revision, entity },
              ]);
            },
            onProgress: (revision) => handlers.onProgress?.(revision),
          },
        );
      } catch (err) {
        if (err instanceof ResumeTooOldError) throw new SourceGoneError(err.message);
        throw err;
      }
      return {
        close: async () => sub.close(),
      };
    },
  };
}
