export { startReconciler, type Reconciler, type ReconcileDeps } from './reconciler.js';
export { resolveReconcileOptions, type ReconcileOptions } from './options.js';
export type {
  ReconcileStatus,
  PassSummary,
  ClusterProgress,
  DriftCounts,
  ClusterPhase,
  PassResult,
} from './status.js';
export { removalDecision, type StoredCandidate, type PassStart, type KeepReason } from './removal.js';
