import type { EntityKind } from '../core/ecs/entities.js';
import { resourceId } from '../core/arn.js';
import type { StateClient } from './client.js';
import { StateApiError, StreamGoneError } from './errors.js';
import type { EntityChange } from './types.js';

export interface WatchHandlers {
  /** Changes in revision order (a batch per received chunk). Never called after close(). */
  onChanges(changes: EntityChange[]): void;
  /** Everything up to `revision` has been delivered (from server bookmarks). */
  onProgress?(revision: number): void;
  /**
   * The watch ended for good. StreamGoneError: the revision to resume from is no longer kept by
   * the server: list again, then watch from the list's revision + 1. Network failures and server
   * restarts do not end the watch: it reconnects and resumes without gaps or duplicates.
   */
  onError(err: Error): void;
}

export interface WatchOptions {
  /** `all` (default): tasks and instances in one stream, in revision order. */
  kind?: EntityKind | 'all';
  /** Only this cluster (name or ARN). */
  cluster?: string;
  /** First reconnect delay (default 250 ms; doubles up to `retryMaxMs`, 10 s). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Called on every reconnect attempt with the error that ended the connection. */
  onReconnect?(err: unknown, attempt: number): void;
}

export interface Watch {
  /** Stops the watch and closes its connection. */
  close(): Promise<void>;
}

/**
 * A reconnecting stream: changes with revision >= fromRevision (inclusive, as v0.3), then live.
 * It resumes after a dropped connection from the last revision it delivered, skipping what it
 * already delivered of that revision, so the consumer sees each change exactly once.
 */
export function watchState(
  client: StateClient,
  fromRevision: number,
  handlers: WatchHandlers,
  options: WatchOptions = {},
): Watch {
  const base = options.retryBaseMs ?? 250;
  const max = options.retryMaxMs ?? 10_000;
  let controller = new AbortController();
  let closed = false;
  let resumeFrom = fromRevision;
  /** Identities delivered at revision resumeFrom (a resume from it replays them). */
  let seenAtResume = new Set<string>();
  let attempt = 0;
  let wake: (() => void) | undefined;

  const identity = (c: EntityChange) =>
    `${c.kind}/${c.entity.account}/${c.entity.region}/${c.entity.cluster}/${resourceId(
      c.kind === 'task'
        ? (c.entity.detail as { taskArn: string }).taskArn
        : (c.entity.detail as { containerInstanceArn: string }).containerInstanceArn,
    )}`;

  const run = async () => {
    while (!closed) {
      try {
        const stream = client.stream(options.kind ?? 'all', {
          fromRevision: resumeFrom,
          cluster: options.cluster,
          signal: controller.signal,
        });
        for await (const event of stream) {
          if (closed) return;
          attempt = 0;
          if (event.type === 'bookmark') {
            if (event.revision >= resumeFrom) {
              resumeFrom = event.revision + 1;
              seenAtResume = new Set();
            }
            handlers.onProgress?.(event.revision);
            continue;
          }
          const change = event as EntityChange;
          if (change.revision < resumeFrom) continue;
          const id = identity(change);
          if (change.revision === resumeFrom) {
            if (seenAtResume.has(id)) continue;
          } else {
            resumeFrom = change.revision;
            seenAtResume = new Set();
          }
          seenAtResume.add(id);
          handlers.onChanges([change]);
        }
        if (closed) return;
        throw new Error('the server ended the stream');
      } catch (err) {
        if (closed) return;
        // Gone (re-list) and client errors (bad filter, future revision) will not heal by retrying.
        if (
          err instanceof StreamGoneError ||
          (err instanceof StateApiError && err.status >= 400 && err.status < 500)
        ) {
          closed = true;
          handlers.onError(err);
          return;
        }
        attempt++;
        options.onReconnect?.(err, attempt);
        const delay = Math.min(max, base * 2 ** Math.min(attempt - 1, 10));
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, delay);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = undefined;
        controller = new AbortController();
      }
    }
  };
  const running = run();

  return {
    async close() {
      closed = true;
      controller.abort();
      wake?.();
      await running.catch(() => undefined);
    },
  };
}
