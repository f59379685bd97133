import {
  StateClient,
  StreamGoneError,
  remoteClusterSource,
  type StateClientOptions,
} from '../../sdk/index.js';
import { SourceGoneError, type ClusterStateSource } from './source.js';

/**
 * The cluster-state source of a scheduler running apart from the state service: the state API's
 * list + stream with resume, through the typed client of src/sdk. A stream that cannot resume
 * (history compacted) surfaces as SourceGoneError, on which the informer re-lists.
 */
export function remoteStateSource(options: StateClientOptions | StateClient): ClusterStateSource {
  const client = options instanceof StateClient ? options : new StateClient(options);
  const remote = remoteClusterSource(client);
  return {
    kind: 'remote',
    list: (o) => remote.list(o),
    async watch(fromRevision, handlers, o) {
      return remote.watch(
        fromRevision,
        {
          onChanges: (changes) => handlers.onChanges(changes),
          ...(handlers.onProgress ? { onProgress: (r: number) => handlers.onProgress!(r) } : {}),
          onError: (err) =>
            handlers.onError(err instanceof StreamGoneError ? new SourceGoneError(err.message) : err),
        },
        o,
      );
    },
  };
}

/** `host:port` (v0.3's --css-endpoint) or a URL → the state API base URL. */
export function stateEndpointUrl(endpoint: string): string {
  return /^https?:\/\//.test(endpoint) ? endpoint.replace(/\/+$/, '') : `http://${endpoint}`;
}
