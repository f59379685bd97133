import type { EntityKind } from '../core/ecs/entities.js';
import { StateApiError, StreamGoneError } from './errors.js';
import type { EntityChange, EntityOf, ListFilter, Page, StreamEvent, VersionedEntity } from './types.js';
import { readErrorAnswer } from '../core/api-error-wire.js';

export interface StateClientOptions {
  /** Base URL of the state service, e.g. `http://127.0.0.1:3000`. */
  endpoint: string;
  /** Per-request timeout for list/get (default 30 s; streams have none). */
  timeoutMs?: number;
  /** Extra headers on every request (e.g. authorization). */
  headers?: Record<string, string>;
}

export interface StreamOptions {
  /** Replay every change from this revision on (inclusive), then live. Default: live only. */
  fromRevision?: number;
  /** Only this cluster (name or ARN). */
  cluster?: string;
  /** Tasks / instances streams only. */
  status?: string;
  signal?: AbortSignal;
}

const PATHS: Record<EntityKind, { list: string; stream: string }> = {
  task: { list: '/v1/tasks', stream: '/v1/stream/tasks' },
  instance: { list: '/v1/instances', stream: '/v1/stream/instances' },
};

interface Item {
  type?: string;
  entity?: unknown;
  metadata?: { entityVersion?: string };
  error?: { code?: string; message?: string };
}

/**
 * A typed client of the Blox state API (v1). Entities come in Blox's native stored form
 * (`{kind, account, region, cluster, detail, …}`), the same types the in-process index hands out.
 */
export class StateClient {
  private readonly base: string;

  constructor(private readonly options: StateClientOptions) {
    this.base = options.endpoint.replace(/\/+$/, '');
  }

  /** One page of a list. */
  async listPage<K extends EntityKind>(
    kind: K,
    filter: ListFilter = {},
    page: { limit?: number; nextToken?: string } = {},
  ): Promise<Page<EntityOf<K>>> {
    const q = new URLSearchParams({ format: 'native' });
    for (const [k, v] of Object.entries(filter)) {
      if (v === undefined || v === '') continue;
      if (Array.isArray(v)) for (const x of v) q.append(k, String(x));
      else q.set(k, String(v));
    }
    if (page.limit !== undefined) q.set('limit', String(page.limit));
    if (page.nextToken !== undefined) q.set('nextToken', page.nextToken);
    const res = await this.request(`${PATHS[kind].list}?${q}`);
    const body = (await res.json()) as { items: Item[]; nextToken?: string };
    const out: Page<EntityOf<K>> = {
      items: body.items.map((i) => toVersioned(i) as VersionedEntity<EntityOf<K>>),
      revision: Number(res.headers.get('x-blox-revision') ?? 0),
    };
    if (body.nextToken) out.nextToken = body.nextToken;
    return out;
  }

  /**
   * Every matching entity, page by page. `revision` is the first page's: streaming from
   * revision + 1 replays every change made while (and after) the pages were read.
   */
  async list<K extends EntityKind>(
    kind: K,
    filter: ListFilter = {},
    pageSize = 1000,
  ): Promise<{ items: Array<VersionedEntity<EntityOf<K>>>; revision: number }> {
    const items: Array<VersionedEntity<EntityOf<K>>> = [];
    let revision: number | undefined;
    let nextToken: string | undefined;
    do {
      const page: Page<EntityOf<K>> = await this.listPage(kind, filter, { limit: pageSize, nextToken });
      revision ??= page.revision;
      items.push(...page.items);
      nextToken = page.nextToken;
    } while (nextToken);
    return { items, revision: revision ?? 0 };
  }

  /** One entity by cluster (name or ARN) and ARN; undefined when the service does not know it. */
  async get<K extends EntityKind>(
    kind: K,
    cluster: string,
    arn: string,
  ): Promise<VersionedEntity<EntityOf<K>> | undefined> {
    const path = `${PATHS[kind].list}/${encodeURIComponent(cluster)}/${encodeURIComponent(arn)}?format=native`;
    try {
      const res = await this.request(path);
      return toVersioned((await res.json()) as Item) as VersionedEntity<EntityOf<K>>;
    } catch (err) {
      if (err instanceof StateApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  /**
   * One stream connection (no reconnect: see `watch` for that). Yields changes and bookmarks
   * until the server ends the stream or `signal` aborts. Throws StreamGoneError when the
   * revision is no longer available (re-list), StateApiError for other errors.
   */
  async *stream(kind: EntityKind | 'all', options: StreamOptions = {}): AsyncGenerator<StreamEvent> {
    const q = new URLSearchParams({ format: 'native' });
    if (options.fromRevision !== undefined) q.set('entityVersion', String(options.fromRevision));
    if (options.cluster) q.set('cluster', options.cluster);
    if (options.status) q.set('status', options.status);
    const path = kind === 'all' ? '/v1/stream/entities' : PATHS[kind].stream;
    const res = await this.request(`${path}?${q}`, { stream: true, signal: options.signal });
    const body = res.body;
    if (!body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let i: number;
        while ((i = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, i);
          buffer = buffer.slice(i + 1);
          if (line.trim() === '') continue;
          const event = parseLine(line);
          if (event) yield event;
        }
      }
    } catch (err) {
      if (options.signal?.aborted) return;
      throw err;
    }
  }

  private async request(
    path: string,
    opts: { stream?: boolean; signal?: AbortSignal } = {},
  ): Promise<Response> {
    const signals: AbortSignal[] = [];
    if (opts.signal) signals.push(opts.signal);
    if (!opts.stream) signals.push(AbortSignal.timeout(this.options.timeoutMs ?? 30_000));
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        headers: {
          accept: opts.stream ? 'application/x-ndjson' : 'application/json',
          ...this.options.headers,
        },
        signal: signals.length === 1 ? signals[0] : AbortSignal.any(signals),
      });
    } catch (err) {
      throw new StateApiError(
        0,
        'Unreachable',
        `cannot reach the state service at ${this.base}: ${(err as Error).message}`,
      );
    }
    if (res.ok) return res;
    const { code, message } = readErrorAnswer(
      res.status,
      res.statusText,
      (name) => res.headers.get(name),
      await res.text().catch(() => ''),
    );
    if (res.status === 410) throw new StreamGoneError(message);
    throw new StateApiError(res.status, code, message);
  }
}

function toVersioned(item: Item): VersionedEntity {
  return {
    entity: item.entity as VersionedEntity['entity'],
    revision: Number(item.metadata?.entityVersion ?? 0),
  };
}

function parseLine(line: string): StreamEvent | undefined {
  const item = JSON.parse(line) as Item;
  const revision = Number(item.metadata?.entityVersion ?? 0);
  if (item.type === 'error') {
    const message = item.error?.message ?? 'the stream failed';
    if (item.error?.code === 'EntityVersionGone') throw new StreamGoneError(message);
    throw new StateApiError(200, item.error?.code ?? 'StreamError', message);
  }
  if (item.type === 'bookmark') return { type: 'bookmark', revision };
  const entity = item.entity as EntityChange['entity'] | undefined;
  if (!entity || (entity.kind !== 'task' && entity.kind !== 'instance')) return undefined;
  return { type: item.type === 'delete' ? 'delete' : 'put', kind: entity.kind, revision, entity };
}
