import type { ECSClient } from '@aws-sdk/client-ecs';
import type { Registry } from 'prom-client';
import { TokenBucket } from '../../aws/rate-limiter.js';
import { clusterName as nameOf, parseArn, resourceId } from '../../core/arn.js';
import { instanceFromDescribe, taskFromDescribe } from '../../core/ecs/describe.js';
import type { EntityKind } from '../../core/ecs/entities.js';
import { clusterPrefix, kindPrefix, parseEntityKey } from '../../core/ecs/keys.js';
import { parseStoredEntity } from '../../core/ecs/stored.js';
import type { EntityUpdate } from '../../core/ecs/validate.js';
import { errorMessage } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import { rangePages } from '../../store/pages.js';
import type { KeyValue, Store } from '../../store/types.js';
import { commitGuarded, deleteIfUnchanged, type KeyPlan } from '../writer/guarded-commit.js';
import { writeEntityUpdates } from '../writer/entity-writer.js';
import { DESCRIBE_BATCH, EcsSource } from './ecs-source.js';
import { createReconcileMetrics, type ReconcileMetrics } from './metrics.js';
import { resolveReconcileOptions, type ReconcileOptions, type ResolvedReconcileOptions } from './options.js';
import { removalDecision, type PassStart, type StoredCandidate } from './removal.js';
import {
  addDrift,
  emptyDrift,
  type ClusterProgress,
  type DriftCounts,
  type PassSummary,
  type ReconcileStatus,
} from './status.js';

/**
 * Reconciliation against the ECS API: in the background at start (never blocking the API), then
 * periodically. Each pass lists every cluster (or the configured ones), lists container instances
 * of every status and tasks of desired status RUNNING and STOPPED, describes them in batches of
 * 100, and writes them through the same version-ordered writer as events (ECS newer → upsert).
 * Then it removes what ECS no longer knows, only inside clusters it listed completely, under a
 * modRevision compare. One cluster's failure does not stop the others. Calls are paced by a
 * token bucket and back off with jitter on ThrottlingException.
 */

export interface ReconcileDeps {
  store: Store;
  ecs: ECSClient;
  registry?: Registry;
  logger?: Logger;
  now?: () => Date;
}

export interface Reconciler {
  status(): ReconcileStatus;
  /** Runs a pass now (or joins the one running) and resolves with its summary. */
  runNow(): Promise<PassSummary>;
  /** Stops the schedule and aborts a running pass. Idempotent. */
  stop(): Promise<void>;
}

/** Starts the schedule; returns at once (the first pass runs in the background). */
export function startReconciler(options: ReconcileOptions, deps: ReconcileDeps): Reconciler {
  const r = new ReconcileLoop(resolveReconcileOptions(options), deps);
  r.schedule(r.opts.initialDelayMs);
  return r;
}

const RANGE_PAGE = 1000;

class ReconcileLoop implements Reconciler {
  private readonly abort = new AbortController();
  private readonly log: Logger;
  private readonly metrics: ReconcileMetrics;
  private readonly bucket: TokenBucket;
  private readonly now: () => Date;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<PassSummary> | undefined;
  private stopped = false;
  private current: { startedAt: string; clusters: ClusterProgress[] } | undefined;
  private lastPass: PassSummary | undefined;
  private lastSuccessAt: string | undefined;
  private lastError: { at: string; message: string } | undefined;
  private nextPassAt: string | undefined;
  /** Failed passes in a row: the next one comes sooner than the interval (see afterPass). */
  private failuresInARow = 0;
  private readonly counts = {
    passes: 0,
    successes: 0,
    partial: 0,
    failures: 0,
    added: 0,
    updated: 0,
    removed: 0,
  };

  constructor(
    readonly opts: ResolvedReconcileOptions,
    private readonly deps: ReconcileDeps,
  ) {
    this.log = (deps.logger ?? silentLogger).child({ component: 'reconcile' });
    this.metrics = createReconcileMetrics(deps.registry);
    this.bucket = new TokenBucket(opts.callsPerSecond, opts.callBurst);
    this.now = deps.now ?? (() => new Date());
  }

  schedule(delayMs: number): void {
    if (this.stopped) return;
    this.nextPassAt = new Date(this.now().getTime() + delayMs).toISOString();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.nextPassAt = undefined;
      void this.runNow().catch(() => undefined);
    }, delayMs);
    this.timer.unref();
  }

  status(): ReconcileStatus {
    return {
      state: this.running ? 'running' : 'idle',
      ...(this.current
        ? {
            pass: {
              startedAt: this.current.startedAt,
              clusters: this.current.clusters.map((c) => structuredClone(c)),
            },
          }
        : {}),
      ...(this.lastPass ? { lastPass: structuredClone(this.lastPass) } : {}),
      ...(this.lastSuccessAt ? { lastSuccessAt: this.lastSuccessAt } : {}),
      ...(this.lastError ? { lastError: { ...this.lastError } } : {}),
      ...(this.nextPassAt ? { nextPassAt: this.nextPassAt } : {}),
      counts: { ...this.counts },
    };
  }

  runNow(): Promise<PassSummary> {
    if (this.running) return this.running;
    if (this.stopped) return Promise.reject(new Error('the reconciler is stopped'));
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.nextPassAt = undefined;
    }
    const pass = this.pass();
    this.running = pass.finally(() => {
      this.running = undefined;
      this.current = undefined;
    });
    void pass.then(
      (summary) => this.afterPass(summary.result !== 'failed'),
      () => this.afterPass(false),
    );
    return this.running;
  }

  /**
   * Schedules the next pass: after the interval, or — after a failed pass (ECS or the store
   * unreachable, as when etcd starts after Blox) — sooner: retryAfterFailureMs, doubling up to the interval,
   * so the state is not left empty or stale for a whole interval.
   */
  private afterPass(ok: boolean): void {
    this.failuresInARow = ok ? 0 : this.failuresInARow + 1;
    if (this.opts.intervalMs <= 0) return;
    const retry = this.opts.retryAfterFailureMs * 2 ** Math.min(this.failuresInARow - 1, 16);
    this.schedule(ok ? this.opts.intervalMs : Math.min(this.opts.intervalMs, retry));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.nextPassAt = undefined;
    this.abort.abort();
    await this.running?.catch(() => undefined);
  }

  private async pass(): Promise<PassSummary> {
    const started = this.now();
    const t0 = performance.now();
    this.current = { startedAt: started.toISOString(), clusters: [] };
    this.counts.passes++;
    this.log.info('reconcile pass started');
    const source = new EcsSource({
      ecs: this.deps.ecs,
      bucket: this.bucket,
      metrics: this.metrics,
      throttleRetries: this.opts.throttleRetries,
      pageSize: this.opts.pageSize,
      signal: this.abort.signal,
      onThrottle: (op, attempt, delayMs) =>
        this.log.debug({ op, attempt, delayMs }, 'ECS throttled; backing off'),
    });
    const drift = emptyDrift();
    const failed: Array<{ cluster: string; error: string }> = [];
    let passError: string | undefined;
    try {
      // Read before listing: anything the store changes after this revision is newer than our listing.
      const start: PassStart = {
        revision: await this.deps.store.revision(),
        timeMs: started.getTime(),
        graceMs: this.opts.removalGraceMs,
      };
      const listed = await source.listClusters();
      const targets = this.selectClusters(listed, failed);
      const progress = targets.map((arn) => this.newProgress(arn));
      this.current.clusters.push(...progress, ...failed.map((f) => this.failedProgress(f.cluster, f.error)));
      await this.pool(progress, async (p) => {
        try {
          await this.reconcileCluster(source, p, start);
          p.phase = 'done';
        } catch (err) {
          p.phase = 'failed';
          p.error = errorMessage(err);
          failed.push({ cluster: p.cluster, error: p.error });
          this.metrics.clusterFailures.inc();
          this.log.warn(
            { cluster: p.cluster, err: p.error },
            'cluster reconcile failed; other clusters go on',
          );
        }
        addDrift(drift, p.drift);
      });
      // Clusters ECS no longer lists at all (deleted): only when every cluster was asked for.
      if (!this.opts.clusters && !this.abort.signal.aborted) {
        const vanished = await this.vanishedClusters(listed);
        for (const arn of vanished) {
          const p = this.newProgress(arn);
          this.current.clusters.push(p);
          try {
            p.phase = 'removing';
            const scope = scopeOf(arn);
            for (const kind of ['instance', 'task'] as const)
              await this.removeUnknown(kind, scope, new Set(), start, p);
            p.phase = 'done';
          } catch (err) {
            p.phase = 'failed';
            p.error = errorMessage(err);
            failed.push({ cluster: arn, error: p.error });
          }
          addDrift(drift, p.drift);
        }
      }
    } catch (err) {
      passError = errorMessage(err);
    }
    const finished = this.now();
    const result = passError ? 'failed' : failed.length > 0 ? 'partial' : 'success';
    const summary: PassSummary = {
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      durationMs: Math.round(performance.now() - t0),
      result,
      clusters: this.current.clusters.length,
      failedClusters: failed,
      drift,
      ...(passError ? { error: passError } : {}),
    };
    this.lastPass = summary;
    this.counts.added += drift.added;
    this.counts.updated += drift.updated;
    this.counts.removed += drift.removed;
    this.metrics.passes.inc({ result });
    this.metrics.duration.observe(summary.durationMs / 1000);
    if (result === 'success') {
      this.counts.successes++;
      this.lastSuccessAt = summary.finishedAt;
      this.metrics.lastSuccess.set(finished.getTime() / 1000);
    } else {
      if (result === 'partial') this.counts.partial++;
      else this.counts.failures++;
      const message = passError ?? failed.map((f) => `${f.cluster}: ${f.error}`).join('; ');
      this.lastError = { at: summary.finishedAt, message };
    }
    const level = result === 'success' ? 'info' : 'warn';
    this.log[level](
      {
        result,
        durationMs: summary.durationMs,
        drift,
        failed: failed.length,
        ...(this.lastError && result !== 'success' ? { error: this.lastError.message } : {}),
      },
      'reconcile pass finished',
    );
    return summary;
  }

  /** The listed clusters to reconcile; configured clusters ECS did not list are reported as failed. */
  private selectClusters(listed: string[], failed: Array<{ cluster: string; error: string }>): string[] {
    if (!this.opts.clusters) return listed;
    const out: string[] = [];
    for (const wanted of this.opts.clusters) {
      const match = listed.find((arn) => arn === wanted || nameOf(arn) === wanted);
      if (match) out.push(match);
      else failed.push({ cluster: wanted, error: `cluster ${wanted} is not in ECS's ListClusters answer` });
    }
    return [...new Set(out)];
  }

  private newProgress(cluster: string): ClusterProgress {
    return {
      cluster,
      phase: 'pending',
      instances: { listed: 0, described: 0 },
      tasks: { listed: 0, described: 0 },
      drift: emptyDrift(),
    };
  }

  private failedProgress(cluster: string, error: string): ClusterProgress {
    return { ...this.newProgress(cluster), phase: 'failed', error };
  }

  private async pool<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const workers = Array.from({ length: Math.min(this.opts.clusterConcurrency, items.length) }, async () => {
      while (next < items.length && !this.abort.signal.aborted) await work(items[next++]!);
    });
    await Promise.all(workers);
  }

  private async reconcileCluster(source: EcsSource, p: ClusterProgress, start: PassStart): Promise<void> {
    const clusterArn = p.cluster;
    const scope = scopeOf(clusterArn);
    p.phase = 'listing';
    const instances = await source.listInstanceArns(clusterArn, (n) => (p.instances.listed = n));
    const taskArns = await source.listTaskArns(clusterArn, (n) => (p.tasks.listed = n));
    // Describe (and so write) in store-key order: each batch's reads and writes then land next to
    // each other in the store's key order instead of all over a large tree.
    inKeyOrder(instances.arns);
    inKeyOrder(taskArns);
    p.phase = 'describing';
    const known = { instance: new Set<string>(), task: new Set<string>() };
    for (let i = 0; i < instances.arns.length; i += DESCRIBE_BATCH) {
      const chunk = instances.arns.slice(i, i + DESCRIBE_BATCH);
      const described = await source.describeInstances(clusterArn, chunk);
      p.instances.described += described.length;
      const updates = this.convert(
        'instance',
        described,
        (x) => instanceFromDescribe(x, clusterArn),
        p,
        known.instance,
      );
      await this.write('instance', updates, p);
    }
    for (let i = 0; i < taskArns.length; i += DESCRIBE_BATCH) {
      const chunk = taskArns.slice(i, i + DESCRIBE_BATCH);
      const described = await source.describeTasks(clusterArn, chunk);
      p.tasks.described += described.length;
      const updates = this.convert('task', described, taskFromDescribe, p, known.task);
      await this.write('task', updates, p);
    }
    p.phase = 'removing';
    await this.removeUnknown('instance', scope, known.instance, start, p);
    await this.removeUnknown('task', scope, known.task, start, p);
  }

  private convert<T>(
    kind: EntityKind,
    described: T[],
    toUpdate: (x: T) => EntityUpdate,
    p: ClusterProgress,
    known: Set<string>,
  ): EntityUpdate[] {
    const updates: EntityUpdate[] = [];
    for (const x of described) {
      const arn = (x as { taskArn?: string; containerInstanceArn?: string })[
        kind === 'task' ? 'taskArn' : 'containerInstanceArn'
      ];
      if (arn) known.add(resourceId(arn)); // known to ECS even if we cannot store it
      try {
        updates.push(toUpdate(x));
      } catch (err) {
        p.drift.invalid++;
        this.metrics.invalid.inc({ kind });
        this.log.warn({ kind, arn, err: errorMessage(err) }, 'described entity cannot be stored; skipped');
      }
    }
    this.metrics.checked.inc({ kind }, described.length);
    return updates;
  }

  private async write(kind: EntityKind, updates: EntityUpdate[], p: ClusterProgress): Promise<void> {
    if (updates.length === 0) return;
    const res = await writeEntityUpdates(this.deps.store, updates, { source: 'reconcile', now: this.now });
    for (const o of res.outcomes) {
      const d: keyof DriftCounts =
        o.result === 'applied'
          ? o.created
            ? 'added'
            : 'updated'
          : o.result === 'duplicate'
            ? 'unchanged'
            : 'storeAhead';
      p.drift[d]++;
      if (d === 'added' || d === 'updated') this.metrics.drift.inc({ kind, drift: d });
    }
  }

  /** Removes stored entities of one cluster that ECS did not list (see removal.ts for the rules). */
  private async removeUnknown(
    kind: EntityKind,
    scope: { account: string; region: string; cluster: string },
    listedIds: Set<string>,
    start: PassStart,
    p: ClusterProgress,
  ): Promise<void> {
    const prefix = clusterPrefix(kind, scope.account, scope.region, scope.cluster);
    for await (const items of rangePages(this.deps.store, { prefix, pageSize: RANGE_PAGE })) {
      const known = new Map<string, KeyValue | undefined>();
      const plans: Array<KeyPlan<boolean>> = [];
      for (const kv of items) {
        const id = parseEntityKey(kv.key)?.id;
        // Listed ones are kept whatever else holds (removalDecision's first rule): no need to parse them.
        if (!id || listedIds.has(id)) continue;
        const candidate: StoredCandidate = {
          key: kv.key,
          id,
          entity: parseStoredEntity(kv.value),
          modRevision: kv.modRevision,
        };
        if (!removalDecision(candidate, listedIds, start).remove) continue;
        known.set(kv.key, kv);
        plans.push(deleteIfUnchanged(kv));
      }
      if (plans.length > 0) {
        const res = await commitGuarded(this.deps.store, plans, { known });
        const removed = res.outcomes.filter(Boolean).length;
        p.drift.removed += removed;
        this.metrics.drift.inc({ kind, drift: 'removed' }, removed);
      }
    }
  }

  /** Stored clusters, in the account/region scopes of the listed clusters, that ECS did not list. */
  private async vanishedClusters(listed: string[]): Promise<string[]> {
    const scopes = new Map<string, { partition: string; account: string; region: string }>();
    for (const arn of listed) {
      const a = parseArn(arn);
      if (a)
        scopes.set(`${a.account}/${a.region}`, {
          partition: a.partition,
          account: a.account,
          region: a.region,
        });
    }
    const listedKeys = new Set(
      listed.map((arn) => {
        const s = scopeOf(arn);
        return `${s.account}/${s.region}/${s.cluster}`;
      }),
    );
    const out = new Set<string>();
    for (const scope of scopes.values()) {
      for (const kind of ['task', 'instance'] as const) {
        const prefix = `${kindPrefix(kind)}${scope.account}/${scope.region}/`;
        let after: string | undefined;
        // Skip-scan: one small read per stored cluster.
        for (;;) {
          const page = await this.deps.store.range({
            prefix,
            limit: 1,
            count: false,
            ...(after ? { after } : {}),
          });
          const first = page.items[0];
          if (!first) break;
          const k = parseEntityKey(first.key);
          if (!k) break;
          if (!listedKeys.has(`${k.account}/${k.region}/${k.cluster}`))
            out.add(`arn:${scope.partition}:ecs:${k.region}:${k.account}:cluster/${k.cluster}`);
          after = `${clusterPrefix(kind, k.account, k.region, k.cluster)}\u{10ffff}`;
        }
      }
    }
    return [...out];
  }
}

function scopeOf(clusterArn: string): { account: string; region: string; cluster: string } {
  const a = parseArn(clusterArn);
  if (!a || a.resourceType !== 'cluster')
    throw new Error(`ListClusters returned ${clusterArn}, which is not a cluster ARN`);
  return { account: a.account, region: a.region, cluster: a.resource };
}

/** Sorts ARNs of one cluster by resource ID, i.e. by their store keys (which end in the ID). */
function inKeyOrder(arns: string[]): void {
  const id = new Map(arns.map((a) => [a, resourceId(a)]));
  arns.sort((a, b) => {
    const x = id.get(a)!;
    const y = id.get(b)!;
    return x < y ? -1 : x > y ? 1 : 0;
  });
}
