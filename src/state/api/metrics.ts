import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { StateIndex } from '../index/state-index.js';

/** Metrics of the state API and the index, registered once per registry. */
export interface StateApiMetrics {
  requests: Counter<'route' | 'status'>;
  duration: Histogram<'route'>;
  streamClients: Gauge<'kind' | 'mode'>;
  streamLines: Counter<'kind' | 'type'>;
  streamDropped: Counter<'kind' | 'reason'>;
  indexInvalidValues: Counter;
  indexRelists: Counter<'reason'>;
}

const cache = new WeakMap<Registry, StateApiMetrics>();

export function stateApiMetrics(registry: Registry, index: StateIndex): StateApiMetrics {
  const existing = cache.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const m: StateApiMetrics = {
    requests: new Counter({
      name: 'blox_state_api_requests_total',
      help: 'State API requests by route and status code',
      labelNames: ['route', 'status'],
      registers,
    }),
    duration: new Histogram({
      name: 'blox_state_api_request_duration_seconds',
      help: 'State API request duration (streams: time to headers)',
      labelNames: ['route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    streamClients: new Gauge({
      name: 'blox_state_stream_clients',
      help: 'Connected stream clients',
      labelNames: ['kind', 'mode'],
      registers,
    }),
    streamLines: new Counter({
      name: 'blox_state_stream_lines_total',
      help: 'Stream lines sent by type (put, delete, bookmark, error)',
      labelNames: ['kind', 'type'],
      registers,
    }),
    streamDropped: new Counter({
      name: 'blox_state_stream_dropped_clients_total',
      help: 'Stream clients dropped by the server (slow consumer, history gone)',
      labelNames: ['kind', 'reason'],
      registers,
    }),
    indexInvalidValues: new Counter({
      name: 'blox_state_index_invalid_values_total',
      help: 'Stored values the index could not read (skipped)',
      registers,
    }),
    indexRelists: new Counter({
      name: 'blox_state_index_relists_total',
      help: 'Full re-lists of the index (after falling behind compaction)',
      labelNames: ['reason'],
      registers,
    }),
  };
  new Gauge({
    name: 'blox_state_index_entities',
    help: 'Entities in the in-memory index',
    labelNames: ['kind'],
    registers,
    collect() {
      this.set({ kind: 'task' }, index.count('task'));
      this.set({ kind: 'instance' }, index.count('instance'));
    },
  });
  new Gauge({
    name: 'blox_state_index_revision',
    help: 'Store revision the index reflects',
    registers,
    collect() {
      this.set(index.revision);
    },
  });
  new Gauge({
    name: 'blox_state_index_subscriptions',
    help: 'Live index subscriptions (streams and in-process informers)',
    registers,
    collect() {
      this.set(index.subscriptionCount);
    },
  });
  cache.set(registry, m);
  return m;
}
