/** The reconciler's progress and history, as the API shows it (plain data, JSON-ready). */

export interface DriftCounts {
  /** In ECS, missing from the store: written. */
  added: number;
  /** ECS newer than the store: written. */
  updated: number;
  /** In the store, unknown to ECS: removed. */
  removed: number;
  /** Same version in both. */
  unchanged: number;
  /** The store is newer than ECS's answer (an event arrived after the Describe): kept. */
  storeAhead: number;
  /** Described by ECS but not storable (missing ARN or version): skipped and counted. */
  invalid: number;
}

export type ClusterPhase = 'pending' | 'listing' | 'describing' | 'removing' | 'done' | 'failed';

export interface ClusterProgress {
  /** Cluster ARN (or the configured name when it was not found). */
  cluster: string;
  phase: ClusterPhase;
  instances: { listed: number; described: number };
  tasks: { listed: number; described: number };
  drift: DriftCounts;
  error?: string;
}

export type PassResult = 'success' | 'partial' | 'failed';

export interface PassSummary {
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  result: PassResult;
  clusters: number;
  failedClusters: Array<{ cluster: string; error: string }>;
  drift: DriftCounts;
  error?: string;
}

export interface ReconcileStatus {
  state: 'idle' | 'running';
  /** The pass in progress. */
  pass?: { startedAt: string; clusters: ClusterProgress[] };
  lastPass?: PassSummary;
  /** End of the last pass in which every cluster reconciled. */
  lastSuccessAt?: string;
  lastError?: { at: string; message: string };
  nextPassAt?: string;
  counts: { passes: number; successes: number; partial: number; failures: number } & Pick<
    DriftCounts,
    'added' | 'updated' | 'removed'
  >;
}

export function emptyDrift(): DriftCounts {
  return { added: 0, updated: 0, removed: 0, unchanged: 0, storeAhead: 0, invalid: 0 };
}

export function addDrift(into: DriftCounts, from: DriftCounts): void {
  for (const k of Object.keys(into) as Array<keyof DriftCounts>) into[k] += from[k];
}
