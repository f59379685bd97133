import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { EntityKind } from '../../core/ecs/entities.js';
import { errorMessage } from '../../core/errors.js';
import { CompactedError } from '../../store/errors.js';
import type { Store, WatchEvent, Watcher } from '../../store/types.js';
import type { IndexChange } from '../index/change-log.js';
import { InvalidStoredValue, toIndexEntry } from '../index/entry.js';
import { matchesFilter, normalizeFilter, type EntityFilter } from '../index/query.js';
import type { IndexSubscription, StateIndex } from '../index/state-index.js';
import type { StateApiMetrics } from './metrics.js';
import { bookmarkJson, changeJson, type EntityFormat } from './serialize.js';

/** `octet`: v0.3's NDJSON as application/octet-stream; `ndjson`: the same as application/x-ndjson; `sse`: Server-Sent Events. */
export type StreamMode = 'octet' | 'ndjson' | 'sse';

const CONTENT_TYPES: Record<StreamMode, string> = {
  octet: 'application/octet-stream',
  ndjson: 'application/x-ndjson',
  sse: 'text/event-stream; charset=utf-8',
};

interface Line {
  type: 'put' | 'delete' | 'bookmark' | 'error';
  revision: number;
  json: string;
}

export interface StreamSessionOptions {
  /** Label for metrics and logs. */
  kind: EntityKind | 'all';
  kinds: EntityKind[];
  mode: StreamMode;
  request: IncomingMessage;
  response: ServerResponse;
  filter: EntityFilter;
  format: EntityFormat;
  settings: { heartbeatMs: number; maxQueuedLines: number };
  metrics: StateApiMetrics;
  logger: FastifyBaseLogger;
  revisionHeader: [string, string];
  listPath: string;
  onClose: () => void;
}

/**
 * One connected stream client. Headers go out at once (v0.3 sent none until the first event).
 * Lines are queued and written in batches; while the socket is backed up the queue grows, and
 * past `maxQueuedLines` the client gets one error line and is disconnected, so a slow client
 * never holds up the others or grows memory without bound. Closing (client gone, server
 * shutdown, error) releases the index subscription or store watch and the heartbeat timer.
 */
export class StreamSession {
  private queue: Line[] = [];
  private limit: number;
  private flushScheduled = false;
  private waitingDrain = false;
  private closed = false;
  private lastWrite = Date.now();
  /** Every matching change up to this revision has been queued. */
  private caughtUp = 0;
  private subscription: IndexSubscription | undefined;
  private watcher: Watcher | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly filter: EntityFilter;
  /**
   * Whether the client asked for NDJSON or SSE, and so gets Blox's lines beyond v0.3's: deletes,
   * bookmarks, a last error line. A client that did not (v0.3's swagger client asks for
   * application/octet-stream) gets exactly v0.3's stream, puts only: it decodes every line into
   * an entity, and a line without one (a bookmark) made code written for v0.3 dereference nothing.
   */
  private readonly extended: boolean;

  constructor(private readonly o: StreamSessionOptions) {
    this.limit = o.settings.maxQueuedLines;
    this.filter = normalizeFilter(o.filter);
    this.extended = o.mode !== 'octet';
    const res = o.response;
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[o.mode],
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      [o.revisionHeader[0]]: o.revisionHeader[1],
    });
    res.flushHeaders();
    if (o.mode === 'sse') res.write('retry: 2000\n\n');
    res.on('close', () => this.close('client disconnected'));
    res.on('error', () => this.close('socket error'));
    res.on('drain', () => {
      this.waitingDrain = false;
      this.flush();
    });
    if (o.settings.heartbeatMs > 0 && this.extended) {
      this.heartbeat = setInterval(() => this.beat(), Math.max(10, Math.floor(o.settings.heartbeatMs / 2)));
      this.heartbeat.unref();
    }
  }

  /** Serve from the index: replay its change log from `from` (inclusive) if given, then live. */
  followIndex(index: StateIndex, from: number | undefined): void {
    if (this.closed) return;
    this.caughtUp = from === undefined ? index.revision : Math.min(index.revision, from - 1);
    this.subscription = index.subscribe(
      { kinds: this.o.kinds, fromRevision: from, filter: this.filter },
      {
        onChange: (change) => this.enqueueChange(change),
        onProgress: (revision) => {
          this.caughtUp = Math.max(this.caughtUp, revision);
        },
      },
    );
    // The synchronous replay may exceed the live queue bound: allow it on top.
    this.limit = this.queue.length + this.o.settings.maxQueuedLines;
    if (this.closed) this.subscription.close();
  }

  /** Serve from the store's history (a resume older than the index's change log), then live. */
  async followStore(store: Store, prefix: string, from: number): Promise<void> {
    this.caughtUp = from - 1;
    const onEvents = (events: WatchEvent[]) => {
      for (const ev of events) {
        const value = ev.type === 'put' ? ev.value : ev.prevValue;
        if (value === undefined) continue;
        let entry;
        try {
          entry = toIndexEntry(ev.key, value, ev.revision);
        } catch (err) {
          if (err instanceof InvalidStoredValue) continue;
          throw err;
        }
        if (!this.o.kinds.includes(entry.kind) || !matchesFilter(entry, this.filter)) continue;
        this.enqueueChange({ type: ev.type, kind: entry.kind, key: ev.key, revision: ev.revision, entry });
      }
      const last = events[events.length - 1];
      if (last) this.caughtUp = Math.max(this.caughtUp, last.revision);
      // A replay is bounded by history, not by the live queue bound.
      if (this.queue.length > this.limit) this.limit = this.queue.length + this.o.settings.maxQueuedLines;
    };
    try {
      const w = await store.watch(
        prefix,
        { fromRevision: from, progressIntervalMs: this.o.settings.heartbeatMs || undefined },
        {
          onEvents,
          onProgress: (revision) => {
            this.caughtUp = Math.max(this.caughtUp, revision);
          },
          onError: (err) => this.fail(err),
        },
      );
      if (this.closed) await w.close();
      else this.watcher = w;
    } catch (err) {
      this.fail(err);
    }
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.subscription?.close();
    this.subscription = undefined;
    const w = this.watcher;
    this.watcher = undefined;
    void w?.close().catch(() => undefined);
    clearInterval(this.heartbeat);
    this.queue = [];
    this.o.logger.debug({ kind: this.o.kind, reason }, 'stream closed');
    if (!this.o.response.writableEnded) this.o.response.end();
    this.o.onClose();
  }

  private enqueueChange(change: IndexChange): void {
    if (this.closed) return;
    if (change.type === 'delete' && !this.extended) {
      this.caughtUp = Math.max(this.caughtUp, change.revision);
      return;
    }
    this.queue.push({
      type: change.type,
      revision: change.revision,
      json: changeJson(change, this.o.format),
    });
    this.caughtUp = Math.max(this.caughtUp, change.revision);
    if (this.queue.length > this.limit) {
      this.drop(
        'SlowConsumer',
        `the client fell more than ${this.o.settings.maxQueuedLines} lines behind and was disconnected: reconnect with entityVersion set to the last entityVersion received`,
      );
      return;
    }
    this.scheduleFlush();
  }

  private beat(): void {
    if (this.closed || this.queue.length > 0) return;
    if (Date.now() - this.lastWrite < this.o.settings.heartbeatMs) return;
    this.queue.push({ type: 'bookmark', revision: this.caughtUp, json: bookmarkJson(this.caughtUp) });
    this.flush();
  }

  private fail(err: unknown): void {
    if (this.closed) return;
    if (err instanceof CompactedError) {
      this.o.metrics.streamDropped.inc({ kind: this.o.kind, reason: 'gone' });
      this.drop(
        'EntityVersionGone',
        `the requested history was compacted: re-list with GET ${this.o.listPath}, then stream from the list's revision + 1`,
      );
    } else {
      this.drop(
        'InternalError',
        `the stream failed: ${errorMessage(err)}; reconnect with the last entityVersion received`,
      );
    }
  }

  /** Sends one error line (after what is queued, unless the client is too slow for that) and disconnects. */
  private drop(code: string, message: string): void {
    if (this.closed) return;
    const slow = code === 'SlowConsumer';
    if (slow) this.o.metrics.streamDropped.inc({ kind: this.o.kind, reason: 'slow' });
    // A slow client is too far behind for what it has not read to be of use: only the error goes out.
    const lines = slow ? [] : this.queue;
    this.queue = [];
    // v0.3's clients get what was queued, then the end of the stream (they reconnect from there).
    if (this.extended) {
      const json = JSON.stringify({ type: 'error', error: { code, message } });
      lines.push({ type: 'error', revision: this.caughtUp, json });
      this.o.metrics.streamLines.inc({ kind: this.o.kind, type: 'error' });
    }
    let chunk = '';
    for (const line of lines) chunk += this.format(line);
    const res = this.o.response;
    if (!res.writableEnded) res.end(chunk);
    // A client that stopped reading never lets end() finish: cut it after a grace period.
    const timer = setTimeout(() => res.destroy(), 5000);
    timer.unref();
    this.close(code);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.waitingDrain) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.waitingDrain || this.queue.length === 0 || this.o.response.writableEnded) return;
    const lines = this.queue;
    this.queue = [];
    let chunk = '';
    for (const line of lines) chunk += this.format(line);
    for (const line of lines) this.o.metrics.streamLines.inc({ kind: this.o.kind, type: line.type });
    this.lastWrite = Date.now();
    if (!this.o.response.write(chunk)) this.waitingDrain = true;
  }

  private format(line: Line): string {
    if (this.o.mode !== 'sse') return line.json + '\n';
    const event = line.type === 'put' ? 'put' : line.type;
    return `id: ${line.revision}\nevent: ${event}\ndata: ${line.json}\n\n`;
  }
}
