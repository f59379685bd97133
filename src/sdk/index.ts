/**
 * The Blox SDK: a typed client of the state API (list with pagination, get, streams with resume),
 * a reconnecting watch, and a remote cluster-state source for schedulers.
 */
export { StateClient, type StateClientOptions, type StreamOptions } from './client.js';
export { watchState, type Watch, type WatchHandlers, type WatchOptions } from './watch.js';
export { remoteClusterSource, type RemoteClusterSource } from './remote-source.js';
export { StateApiError, StreamGoneError } from './errors.js';
export type * from './types.js';
