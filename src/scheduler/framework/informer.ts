import type { StoredInstance, StoredTask } from '../../core/ecs/entities.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import { arnOf } from './memory-source.js';
import { SourceGoneError, type ClusterChange, type ClusterStateSource, type ClusterWatch } from './source.js';
import { instanceViewOf, taskViewOf, type InstanceView, type TaskView } from './views.js';

/** What the informer tells its listeners: the cluster (ARN) that changed, and what. */
export interface InformerEvent {
  clusterArn: string;
  kind: 'task' | 'instance' | 'resync';
  type: 'put' | 'delete' | 'resync';
  task?: TaskView;
  instance?: InstanceView;
}

export interface InformerOptions {
  logger?: Logger;
  /** Only these clusters (names or ARNs); default all. */
  clusters?: readonly string[];
  /** Delay before re-listing after a failed watch (doubles up to 10 s). */
  retryBaseMs?: number;
}

interface ClusterCache {
  /** Bumped on every change: lets callers cache work derived from a cluster's state. */
  version: number;
  instances: Map<string, InstanceView>;
  tasks: Map<string, TaskView>;
  instanceList?: InstanceView[];
  taskList?: TaskView[];
}

/**
 * A cluster-state informer (client-go style): lists once, then follows the source's change
 * stream from the list's revision, keeping an in-memory cache of instance and task views per
 * cluster. A watch that fails re-lists (with backoff) and resumes; listeners get every change
 * and a `resync` per cluster after each re-list, so level-triggered controllers never miss one.
 */
export class ClusterInformer {
  private readonly caches = new Map<string, ClusterCache>();
  private readonly listeners = new Set<(e: InformerEvent) => void>();
  private readonly logger: Logger;
  private watch: ClusterWatch | undefined;
  private rev = 0;
  private isSynced = false;
  private syncWaiters: Array<() => void> = [];
  private stopped = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly source: ClusterStateSource,
    private readonly options: InformerOptions = {},
  ) {
    this.logger = (options.logger ?? silentLogger).child({ component: 'informer', source: source.kind });
  }

  get revision(): number {
    return this.rev;
  }

  get synced(): boolean {
    return this.isSynced;
  }

  /** Resolves once the first list has been loaded. */
  whenSynced(): Promise<void> {
    if (this.isSynced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** Starts listing and watching; resolves after the first successful list (retrying until then). */
  async start(): Promise<void> {
    this.stopped = false;
    void this.relist();
    await this.whenSynced();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const w = this.watch;
    this.watch = undefined;
    await w?.close();
  }

  /** Subscribe to changes; returns the unsubscribe function. */
  onEvent(listener: (e: InformerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  clusters(): string[] {
    return [...this.caches.keys()];
  }

  /** Instances of a cluster (by ARN). The array is shared until the next change: do not mutate. */
  instances(clusterArn: string): readonly InstanceView[] {
    const c = this.caches.get(clusterArn);
    if (!c) return [];
    return (c.instanceList ??= [...c.instances.values()]);
  }

  tasks(clusterArn: string): readonly TaskView[] {
    const c = this.caches.get(clusterArn);
    if (!c) return [];
    return (c.taskList ??= [...c.tasks.values()]);
  }

  /** A number that changes whenever the cluster's cached state changes. */
  clusterVersion(clusterArn: string): number {
    return this.caches.get(clusterArn)?.version ?? -1;
  }

  instance(clusterArn: string, arn: string): InstanceView | undefined {
    return this.caches.get(clusterArn)?.instances.get(arn);
  }

  task(clusterArn: string, arn: string): TaskView | undefined {
    return this.caches.get(clusterArn)?.tasks.get(arn);
  }

  private async relist(): Promise<void> {
    if (this.stopped) return;
    try {
      const old = this.watch;
      this.watch = undefined;
      await old?.close();
      const opts = this.options.clusters ? { clusters: this.options.clusters } : {};
      const snapshot = await this.source.list(opts);
      if (this.stopped) return;
      for (const c of this.caches.values()) {
        c.instances.clear();
        c.tasks.clear();
        c.instanceList = undefined;
        c.taskList = undefined;
        c.version++;
      }
      for (const i of snapshot.instances) this.apply('put', i);
      for (const t of snapshot.tasks) this.apply('put', t);
      this.rev = snapshot.revision;
      this.watch = await this.source.watch(
        snapshot.revision + 1,
        {
          onChanges: (changes) => this.onChanges(changes),
          onProgress: (revision) => {
            if (revision > this.rev) this.rev = revision;
          },
          onError: (err) => this.onWatchError(err),
        },
        opts,
      );
      this.failures = 0;
      this.markSynced();
      for (const clusterArn of this.caches.keys()) this.emit({ clusterArn, kind: 'resync', type: 'resync' });
      this.logger.debug(
        { revision: snapshot.revision, instances: snapshot.instances.length, tasks: snapshot.tasks.length },
        'listed cluster state',
      );
    } catch (err) {
      this.scheduleRelist(err);
    }
  }

  private onWatchError(err: Error): void {
    if (this.stopped) return;
    if (err instanceof SourceGoneError) this.logger.info({ err: err.message }, 'watch too old: re-listing');
    else this.logger.warn({ err }, 'cluster state watch failed: re-listing');
    this.scheduleRelist(err);
  }

  private scheduleRelist(err: unknown): void {
    if (this.stopped) return;
    this.failures++;
    const base = this.options.retryBaseMs ?? 200;
    const delay = Math.min(10_000, base * 2 ** Math.min(this.failures - 1, 10));
    if (this.failures > 1) this.logger.warn({ err, delayMs: delay }, 'cluster state list failed; retrying');
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.relist(), delay);
    this.retryTimer.unref?.();
  }

  private onChanges(changes: ClusterChange[]): void {
    for (const c of changes) {
      // One store transaction can change several entities at one revision: only older ones are stale.
      if (c.revision < this.rev) continue;
      const ev = this.apply(c.type, c.entity);
      if (c.revision > this.rev) this.rev = c.revision;
      if (ev) this.emit(ev);
    }
  }

  private apply(type: 'put' | 'delete', entity: StoredTask | StoredInstance): InformerEvent | undefined {
    const clusterArn = entity.detail.clusterArn;
    const cache = this.cacheOf(clusterArn);
    const arn = arnOf(entity);
    cache.version++;
    if (entity.kind === 'task') {
      cache.taskList = undefined;
      if (type === 'delete') {
        const prev = cache.tasks.get(arn);
        cache.tasks.delete(arn);
        return prev ? { clusterArn, kind: 'task', type, task: prev } : undefined;
      }
      const view = taskViewOf((entity as StoredTask).detail);
      const prev = cache.tasks.get(arn);
      if (prev && prev.version > view.version) return undefined;
      cache.tasks.set(arn, view);
      return { clusterArn, kind: 'task', type, task: view };
    }
    cache.instanceList = undefined;
    if (type === 'delete') {
      const prev = cache.instances.get(arn);
      cache.instances.delete(arn);
      return prev ? { clusterArn, kind: 'instance', type, instance: prev } : undefined;
    }
    const prev = cache.instances.get(arn);
    const view = instanceViewOf((entity as StoredInstance).detail, prev);
    if (prev && prev.version > view.version) return undefined;
    cache.instances.set(arn, view);
    return { clusterArn, kind: 'instance', type, instance: view };
  }

  private cacheOf(clusterArn: string): ClusterCache {
    let c = this.caches.get(clusterArn);
    if (!c) {
      c = { version: 0, instances: new Map(), tasks: new Map() };
      this.caches.set(clusterArn, c);
    }
    return c;
  }

  private emit(e: InformerEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.logger.error({ err }, 'informer listener threw');
      }
    }
  }

  private markSynced(): void {
    if (this.isSynced) return;
    this.isSynced = true;
    for (const w of this.syncWaiters.splice(0)) w();
  }
}
