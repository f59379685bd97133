import type { Logger } from '../../core/logger.js';
import { silentLogger } from '../../core/logger.js';
import { errorMessage } from '../../core/errors.js';
import { STATE_PREFIX } from '../../core/ecs/keys.js';
import type { SerializedEntities } from '../../core/ecs/stored.js';
import { CompactedError } from '../../store/errors.js';
import type { Store, WatchEvent, Watcher } from '../../store/types.js';
import { InvalidStoredValue, toIndexEntry, type IndexEntry } from './entry.js';
import type { StateIndex } from './state-index.js';

export interface IndexFeedOptions {
  store: Store;
  index: StateIndex;
  logger?: Logger;
  /** Keys read per range request while listing (default: DEFAULT_PAGE_SIZE of the store's backend). */
  pageSize?: number;
  /** Ask the store for progress notifications this often (default 1 s): keeps the index revision current. */
  progressIntervalMs?: number;
  /** First delay after a failed list or watch (default 200 ms; doubles up to 10 s). */
  retryDelayMs?: number;
  /** Called for every stored value that cannot be indexed. */
  onInvalidValue?: (key: string, problem: string) => void;
  /** Called after every re-list (not the first list), with its reason. */
  onRelist?: (reason: string) => void;
  /**
   * Entities this process wrote to the store moments ago (the ingest's): a watched value found
   * there is taken as is instead of being parsed again.
   */
  handoff?: Pick<SerializedEntities, 'take'>;
}

/**
 * Keys per range while listing. SQLite: 25,000 (each range also counts the prefix, so fewer
 * pages load faster: 5,000 cost 1.6x the CPU at 100k tasks). etcd: 5,000, because each page
 * arrives as one gRPC message whose values are slices of one Buffer; pages of 25,000 (~25 MB)
 * outlive young-generation collections and then wait in the RSS for the next full collection
 * (60-100 MB after a 100k-task load, against ~30 MB with pages of 5,000).
 */
export const DEFAULT_PAGE_SIZE: Record<Store['backend'], number> = { sqlite: 25_000, etcd: 5_000 };

export interface IndexFeed {
  /** Resolves once the first list is loaded (the index is ready). */
  readonly ready: Promise<void>;
  /** Last error the feed hit, if it is currently retrying. */
  readonly lastError: string | undefined;
  stop(): Promise<void>;
}

/**
 * Keeps a StateIndex equal to the store: list everything under `ecs/` at revision R, then watch
 * from R+1. If the watch falls behind compaction (CompactedError) the feed re-lists; any other
 * failure retries the watch from the last applied revision + 1 with backoff. Several processes
 * fed from one etcd therefore converge on the same content and revisions.
 */
export function startIndexFeed(options: IndexFeedOptions): IndexFeed {
  const { store, index } = options;
  const logger = options.logger ?? silentLogger;
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE[store.backend];
  const baseDelay = options.retryDelayMs ?? 200;
  let stopped = false;
  let watcher: Watcher | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let delay = baseDelay;
  let lastError: string | undefined;
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => (resolveReady = r));

  const handoff = options.handoff;
  const entryOf = (key: string, value: string, revision: number, watched = false): IndexEntry | undefined => {
    try {
      // A watched change is published at once: its task entry holds the parsed document until then.
      return toIndexEntry(key, value, revision, watched ? handoff?.take(key, value) : undefined, watched);
    } catch (err) {
      if (!(err instanceof InvalidStoredValue)) throw err;
      logger.warn({ key, problem: err.message }, 'skipping a stored value the index cannot read');
      options.onInvalidValue?.(key, err.message);
      return undefined;
    }
  };

  async function list(): Promise<{ entries: IndexEntry[]; revision: number }> {
    const entries: IndexEntry[] = [];
    let after: string | undefined;
    let revision: number | undefined;
    for (;;) {
      const page = await store.range({
        prefix: STATE_PREFIX,
        limit: pageSize,
        after,
        revision,
        count: false,
      });
      revision ??= page.revision;
      for (const kv of page.items) {
        const e = entryOf(kv.key, kv.value, kv.modRevision);
        if (e) entries.push(e);
      }
      if (!page.next) break;
      after = page.next;
    }
    return { entries, revision: revision! };
  }

  function onEvents(events: WatchEvent[]): void {
    let last = 0;
    for (const ev of events) {
      if (ev.type === 'put') {
        const e = entryOf(ev.key, ev.value ?? '', ev.revision, true);
        if (e) index.put(e);
        else index.delete(ev.key, ev.revision); // an unreadable new value replaces what we knew
      } else {
        index.delete(ev.key, ev.revision);
      }
      last = Math.max(last, ev.revision);
    }
    delay = baseDelay;
    lastError = undefined;
    index.advance(last);
  }

  async function watchFrom(fromRevision: number): Promise<void> {
    watcher = await store.watch(
      STATE_PREFIX,
      { fromRevision, progressIntervalMs: options.progressIntervalMs ?? 1000 },
      {
        onEvents,
        onProgress: (revision) => index.advance(revision),
        onError: (err) => {
          watcher = undefined;
          if (stopped) return;
          if (err instanceof CompactedError) {
            logger.warn({ err: err.message }, 'index watch fell behind compaction: re-listing');
            schedule(() => relist('compacted'), 0);
          } else {
            fail(err, () => rewatch());
          }
        },
      },
    );
    if (stopped) await closeWatcher();
  }

  async function relist(reason: string | undefined): Promise<void> {
    if (stopped) return;
    try {
      await closeWatcher();
      const { entries, revision } = await list();
      if (stopped) return;
      index.replaceAll(entries, revision);
      if (reason) options.onRelist?.(reason);
      resolveReady();
      logger.info(
        { revision, tasks: index.count('task'), instances: index.count('instance') },
        'index loaded',
      );
      await watchFrom(revision + 1);
      delay = baseDelay;
      lastError = undefined;
    } catch (err) {
      // History compacted between the list and the watch (a busy store): list again at once.
      if (err instanceof CompactedError) {
        logger.warn({ err: err.message }, 'history compacted before the index watch started: re-listing');
        schedule(() => relist('compacted'), 0);
        return;
      }
      fail(err, () => relist(reason ?? 'retry'));
    }
  }

  async function rewatch(): Promise<void> {
    if (stopped) return;
    try {
      await watchFrom(index.revision + 1);
    } catch (err) {
      if (err instanceof CompactedError) return relist('compacted');
      fail(err, () => rewatch());
    }
  }

  function fail(err: unknown, retry: () => Promise<void>): void {
    if (stopped) return;
    lastError = errorMessage(err);
    logger.warn({ err: lastError, retryInMs: delay }, 'index feed failed; retrying');
    schedule(retry, delay);
    delay = Math.min(delay * 2, 10_000);
  }

  function schedule(fn: () => Promise<void>, ms: number): void {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => void fn(), ms);
  }

  async function closeWatcher(): Promise<void> {
    const w = watcher;
    watcher = undefined;
    if (w) await w.close().catch(() => undefined);
  }

  void relist(undefined);

  return {
    ready,
    get lastError() {
      return lastError;
    },
    async stop() {
      stopped = true;
      clearTimeout(retryTimer);
      resolveReady();
      await closeWatcher();
    },
  };
}
