/** The revisioned store: interface, errors, the factory, both backends and leader election. */
export * from './types.js';
export * from './errors.js';
export { rangePages } from './pages.js';
export { openStore, type StoreOptions, type SqliteOpenOptions, type EtcdOpenOptions } from './open.js';
export { Election, observeLeader, ElectionCancelledError, LeadershipLostError } from './election.js';
export type { ElectionOptions, LeaderInfo } from './election.js';
export { SqliteStore, type SqliteStoreOptions } from './sqlite/store.js';
// EtcdStore is not re-exported: importing it loads the etcd client; openStore loads it on demand.
export type { EtcdStoreOptions } from './etcd/store.js';
export { DEFAULT_COMPACTION, MAX_TXN_BYTES, MAX_TXN_OPS, prefixEnd } from './validate.js';
