import { ConfigError } from '../../core/errors.js';

/** Settings of the reconciler (the CLI maps flags onto these). */
export interface ReconcileOptions {
  /** Time between the end of one pass and the start of the next (default 5 min; 0 = only at start and on demand). */
  intervalMs?: number;
  /**
   * After a failed pass (ECS or the store unreachable), the next one comes after this long (default
   * 5 s), doubling per failure in a row up to `intervalMs`, instead of a whole interval later.
   */
  retryAfterFailureMs?: number;
  /** Delay before the first pass after start (default 0: right away, in the background). */
  initialDelayMs?: number;
  /** Reconcile only these clusters (names or ARNs); default: every cluster ListClusters returns. */
  clusters?: string[];
  /** Clusters reconciled at the same time (default 2). */
  clusterConcurrency?: number;
  /**
   * Pacing of ECS calls (a token bucket): sustained calls per second and burst. Default 20/s with a
   * burst of 50 — ECS's "cluster resource read" bucket is 20/s with a burst of 100 per account
   * and Region, shared with the scheduler, so a pass never takes all of it.
   */
  callsPerSecond?: number;
  callBurst?: number;
  /** Attempts per ECS call on ThrottlingException, with jittered exponential backoff (default 10). */
  throttleRetries?: number;
  /** Page size of List* calls, 1–100 (default 100). */
  pageSize?: number;
  /**
   * Entities Blox stored less than this long before a pass started are never removed by it (ECS's
   * List* calls are eventually consistent). Default 60 s.
   */
  removalGraceMs?: number;
}

export type ResolvedReconcileOptions = Required<Omit<ReconcileOptions, 'clusters'>> & { clusters?: string[] };

function num(
  name: string,
  v: number | undefined,
  def: number,
  min: number,
  max: number,
  integer = true,
): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v)))
    throw new ConfigError(
      `reconcile option ${name} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got ${String(v)}`,
    );
  return v;
}

export function resolveReconcileOptions(o: ReconcileOptions = {}): ResolvedReconcileOptions {
  if (
    o.clusters !== undefined &&
    (!Array.isArray(o.clusters) || o.clusters.some((c) => typeof c !== 'string' || c.trim() === ''))
  )
    throw new ConfigError('reconcile option clusters must be a list of cluster names or ARNs');
  return {
    intervalMs: num('intervalMs', o.intervalMs, 300_000, 0, 7 * 86_400_000),
    initialDelayMs: num('initialDelayMs', o.initialDelayMs, 0, 0, 86_400_000),
    retryAfterFailureMs: num('retryAfterFailureMs', o.retryAfterFailureMs, 5_000, 1, 86_400_000),
    ...(o.clusters && o.clusters.length > 0 ? { clusters: o.clusters.map((c) => c.trim()) } : {}),
    clusterConcurrency: num('clusterConcurrency', o.clusterConcurrency, 2, 1, 32),
    callsPerSecond: num('callsPerSecond', o.callsPerSecond, 20, 0.1, 10_000, false),
    callBurst: num('callBurst', o.callBurst, 50, 1, 10_000),
    throttleRetries: num('throttleRetries', o.throttleRetries, 10, 1, 100),
    pageSize: num('pageSize', o.pageSize, 100, 1, 100),
    removalGraceMs: num('removalGraceMs', o.removalGraceMs, 60_000, 0, 86_400_000),
  };
}
