/**
 * The in-memory index of cluster state (a watch cache over the store). In-process consumers
 * (the scheduler via `blox up`, the REST API) use StateIndex; startIndexFeed keeps it current.
 */
export { StateIndex, ResumeTooOldError } from './state-index.js';
export type {
  IndexChange,
  IndexListener,
  IndexSubscription,
  ListOptions,
  ListResult,
  SubscribeOptions,
} from './state-index.js';
export { startIndexFeed, type IndexFeed, type IndexFeedOptions } from './feed.js';
export { toIndexEntry, InvalidStoredValue } from './entry.js';
export type { IndexEntry, IndexFields, TaskEntry, InstanceEntry } from './entry.js';
export { clusterFilter, matchesFilter, normalizeFilter, type EntityFilter } from './query.js';
