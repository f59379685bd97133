import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface ReconcileMetrics {
  drift: Counter<'kind' | 'drift'>;
  checked: Counter<'kind'>;
  invalid: Counter<'kind'>;
  passes: Counter<'result'>;
  clusterFailures: Counter<string>;
  duration: Histogram<string>;
  lastSuccess: Gauge<string>;
  ecsCalls: Counter<'op'>;
  throttled: Counter<'op'>;
}

function getOrCreate<T>(registry: Registry | undefined, name: string, create: () => T): T {
  return (registry?.getSingleMetric(name) as T | undefined) ?? create();
}

export function createReconcileMetrics(registry?: Registry): ReconcileMetrics {
  const registers = registry ? [registry] : [];
  return {
    drift: getOrCreate(
      registry,
      'blox_state_reconcile_drift_total',
      () =>
        new Counter({
          name: 'blox_state_reconcile_drift_total',
          help: 'Drift repaired by reconciliation: added (in ECS, missing from the store), updated (ECS newer than the store), removed (in the store, unknown to ECS)',
          labelNames: ['kind', 'drift'] as const,
          registers,
        }),
    ),
    checked: getOrCreate(
      registry,
      'blox_state_reconcile_entities_checked_total',
      () =>
        new Counter({
          name: 'blox_state_reconcile_entities_checked_total',
          help: 'Entities described by ECS and compared with the store',
          labelNames: ['kind'] as const,
          registers,
        }),
    ),
    invalid: getOrCreate(
      registry,
      'blox_state_reconcile_invalid_total',
      () =>
        new Counter({
          name: 'blox_state_reconcile_invalid_total',
          help: 'Described entities Blox could not store (missing ARN or version)',
          labelNames: ['kind'] as const,
          registers,
        }),
    ),
    passes: getOrCreate(
      registry,
      'blox_state_reconcile_passes_total',
      () =>
        new Counter({
          name: 'blox_state_reconcile_passes_total',
          help: 'Reconcile passes by result: success (every cluster), partial (some clusters failed), failed (nothing could be listed)',
          labelNames: ['result'] as const,
          registers,
        }),
    ),
    clusterFailures: getOrCreate(
      registry,
      'blox_state_reconcile_cluster_failures_total',
      () =>
        new Counter({
          name: 'blox_state_reconcile_cluster_failures_total',
          help: 'Clusters whose reconciliation failed (the others go on)',
          registers,
        }),
    ),
    duration: getOrCreate(
      registry,
      'blox_state_reconcile_duration_seconds',
      () =>
        new Histogram({
          name: 'blox_state_reconcile_duration_seconds',
          help: 'Duration of reconcile passes',
          buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
          registers,
        }),
    ),
    lastSuccess: getOrCreate(
      registry,
      'blox_state_reconcile_last_success_timestamp_seconds',
      () =>
        new Gauge({
          name: 'blox_state_reconcile_last_success_timestamp_seconds',
          help: 'When the last fully successful reconcile pass finished (Unix seconds)',
          registers,
        }),
    ),
    ecsCalls: getOrCreate(
      registry,
      'blox_state_reconcile_ecs_calls_total',
      () =>
        new Counter({
          name: 'blox_state_reconcile_ecs_calls_total',
          help: 'ECS API calls made by the reconciler',
          labelNames: ['op'] as const,
          registers,
        }),
    ),
    throttled: getOrCreate(
      registry,
      'blox_state_reconcile_throttled_total',
      () =>
        new Counter({
          name: 'blox_state_reconcile_throttled_total',
          help: 'ECS calls of the reconciler answered with ThrottlingException (retried after a backoff)',
          labelNames: ['op'] as const,
          registers,
        }),
    ),
  };
}
