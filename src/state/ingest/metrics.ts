import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * Ingest metrics (prom-client). Registered on the registry the caller passes; registering twice
 * on one registry (two ingest instances in a test process) reuses the existing metrics.
 */
export interface IngestMetrics {
  messagesReceived: Counter<string>;
  events: Counter<'outcome'>;
  poison: Counter<'reason' | 'action'>;
  rejected: Counter<'reason'>;
  errors: Counter<'op'>;
  batchSize: Histogram<string>;
  commitSeconds: Histogram<string>;
  lagSeconds: Histogram<string>;
  queueMessages: Gauge<'state'>;
}

function getOrCreate<T>(registry: Registry | undefined, name: string, create: () => T): T {
  const existing = registry?.getSingleMetric(name);
  return (existing as T | undefined) ?? create();
}

export function createIngestMetrics(registry?: Registry): IngestMetrics {
  const registers = registry ? [registry] : [];
  return {
    messagesReceived: getOrCreate(
      registry,
      'blox_state_ingest_messages_received_total',
      () =>
        new Counter({
          name: 'blox_state_ingest_messages_received_total',
          help: 'SQS messages received by the ingest pollers',
          registers,
        }),
    ),
    events: getOrCreate(
      registry,
      'blox_state_ingest_events_total',
      () =>
        new Counter({
          name: 'blox_state_ingest_events_total',
          help: 'Messages by outcome: applied (stored), duplicate (same ECS version), stale (older version), ignored (other event types), poison, rejected (outside the allow-list)',
          labelNames: ['outcome'] as const,
          registers,
        }),
    ),
    poison: getOrCreate(
      registry,
      'blox_state_ingest_poison_total',
      () =>
        new Counter({
          name: 'blox_state_ingest_poison_total',
          help: 'Messages that cannot be decoded, by reason and by what was done with them (dead-lettered, dropped, left-for-redrive)',
          labelNames: ['reason', 'action'] as const,
          registers,
        }),
    ),
    rejected: getOrCreate(
      registry,
      'blox_state_ingest_rejected_total',
      () =>
        new Counter({
          name: 'blox_state_ingest_rejected_total',
          help: 'Events rejected because their account or region is not in the allow-list',
          labelNames: ['reason'] as const,
          registers,
        }),
    ),
    errors: getOrCreate(
      registry,
      'blox_state_ingest_errors_total',
      () =>
        new Counter({
          name: 'blox_state_ingest_errors_total',
          help: 'Failed operations of the ingest loop (receive, commit, delete, dead-letter, queue-depth, process)',
          labelNames: ['op'] as const,
          registers,
        }),
    ),
    batchSize: getOrCreate(
      registry,
      'blox_state_ingest_batch_size',
      () =>
        new Histogram({
          name: 'blox_state_ingest_batch_size',
          help: 'Messages per non-empty receive',
          buckets: [1, 2, 3, 5, 7, 10],
          registers,
        }),
    ),
    commitSeconds: getOrCreate(
      registry,
      'blox_state_ingest_commit_seconds',
      () =>
        new Histogram({
          name: 'blox_state_ingest_commit_seconds',
          help: 'Time from handing the entity updates of one receive to the writer until they are committed (including the wait for a group commit)',
          buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
          registers,
        }),
    ),
    lagSeconds: getOrCreate(
      registry,
      'blox_state_ingest_lag_seconds',
      () =>
        new Histogram({
          name: 'blox_state_ingest_lag_seconds',
          help: 'Event time (detail.updatedAt, else the envelope time) to commit, for applied events',
          buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600],
          registers,
        }),
    ),
    queueMessages: getOrCreate(
      registry,
      'blox_state_ingest_queue_messages',
      () =>
        new Gauge({
          name: 'blox_state_ingest_queue_messages',
          help: 'Approximate messages in the source queue (visible, in_flight, delayed), sampled periodically',
          labelNames: ['state'] as const,
          registers,
        }),
    ),
  };
}
