import { Counter, Gauge, type Registry } from 'prom-client';
import { kindPrefix } from '../../core/ecs/keys.js';
import { isExpired } from '../../core/ecs/retention.js';
import { parseStoredEntity } from '../../core/ecs/stored.js';
import type { EntityKind } from '../../core/ecs/entities.js';
import { ConfigError, errorMessage } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import type { KeyValue, Store } from '../../store/types.js';
import { commitGuarded, deleteIfUnchanged, type KeyPlan } from '../writer/guarded-commit.js';

/**
 * Retention: STOPPED tasks and INACTIVE container instances are removed once they have been
 * finished for `retentionMs` (measured from stoppedAt / updatedAt / when Blox stored them, see
 * core/ecs/retention.ts). Each delete compares the key's modRevision with the copy that was
 * judged, so a key that changed meanwhile is never deleted. Store history is bounded by the
 * store's own compaction; nothing here touches it.
 */

export interface RetentionOptions {
  /** How long finished entities are kept (default 1 hour). */
  retentionMs?: number;
  /** How often to sweep (default 1 minute; 0 = only on demand). */
  intervalMs?: number;
}

export interface RetentionDeps {
  store: Store;
  registry?: Registry;
  logger?: Logger;
  now?: () => Date;
}

export interface SweepResult {
  checked: number;
  removed: { task: number; instance: number };
  /** Expired keys that changed between the read and the delete, and were kept. */
  changed: number;
}

export interface RetentionStatus {
  retentionMs: number;
  intervalMs: number;
  lastSweepAt?: string;
  lastSweep?: SweepResult;
  lastError?: { at: string; message: string };
  removedTotal: number;
}

export interface Retention {
  status(): RetentionStatus;
  runNow(): Promise<SweepResult>;
  stop(): Promise<void>;
}

const PAGE = 500;

export function resolveRetentionOptions(o: RetentionOptions = {}): Required<RetentionOptions> {
  const check = (name: string, v: number | undefined, def: number) => {
    if (v === undefined) return def;
    if (!Number.isInteger(v) || v < 0)
      throw new ConfigError(
        `retention option ${name} must be a whole number of milliseconds >= 0, got ${String(v)}`,
      );
    return v;
  };
  return {
    retentionMs: check('retentionMs', o.retentionMs, 3_600_000),
    intervalMs: check('intervalMs', o.intervalMs, 60_000),
  };
}

/** One sweep over every task and instance key. */
export async function sweepExpired(
  store: Store,
  retentionMs: number,
  nowMs: number,
  onRemoved?: (kind: EntityKind, n: number) => void,
): Promise<SweepResult> {
  const result: SweepResult = { checked: 0, removed: { task: 0, instance: 0 }, changed: 0 };
  for (const kind of ['task', 'instance'] as const) {
    let after: string | undefined;
    for (;;) {
      const page = await store.range({
        prefix: kindPrefix(kind),
        limit: PAGE,
        count: false,
        ...(after ? { after } : {}),
      });
      const known = new Map<string, KeyValue | undefined>();
      const plans: Array<KeyPlan<boolean>> = [];
      for (const kv of page.items) {
        result.checked++;
        const entity = parseStoredEntity(kv.value);
        if (!entity || !isExpired(entity, nowMs, retentionMs)) continue;
        known.set(kv.key, kv);
        plans.push(deleteIfUnchanged(kv));
      }
      if (plans.length > 0) {
        const res = await commitGuarded(store, plans, { known });
        const removed = res.outcomes.filter(Boolean).length;
        result.removed[kind] += removed;
        result.changed += plans.length - removed;
        onRemoved?.(kind, removed);
      }
      if (!page.next) break;
      after = page.next;
    }
  }
  return result;
}

export function startRetention(options: RetentionOptions, deps: RetentionDeps): Retention {
  const opts = resolveRetentionOptions(options);
  const log = (deps.logger ?? silentLogger).child({ component: 'retention' });
  const now = deps.now ?? (() => new Date());
  const registers = deps.registry ? [deps.registry] : [];
  const removedCounter =
    (deps.registry?.getSingleMetric('blox_state_retention_removed_total') as Counter<'kind'> | undefined) ??
    new Counter({
      name: 'blox_state_retention_removed_total',
      help: 'STOPPED tasks and INACTIVE instances removed after their retention',
      labelNames: ['kind'] as const,
      registers,
    });
  const lastSweepGauge =
    (deps.registry?.getSingleMetric('blox_state_retention_last_sweep_timestamp_seconds') as
      Gauge | undefined) ??
    new Gauge({
      name: 'blox_state_retention_last_sweep_timestamp_seconds',
      help: 'When the last retention sweep finished (Unix seconds)',
      registers,
    });
  const status: RetentionStatus = { ...opts, removedTotal: 0 };
  let running: Promise<SweepResult> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const runNow = (): Promise<SweepResult> => {
    running ??= sweepExpired(deps.store, opts.retentionMs, now().getTime(), (kind, n) =>
      removedCounter.inc({ kind }, n),
    )
      .then((r) => {
        status.lastSweepAt = now().toISOString();
        status.lastSweep = r;
        status.removedTotal += r.removed.task + r.removed.instance;
        lastSweepGauge.set(now().getTime() / 1000);
        if (r.removed.task + r.removed.instance > 0) log.info(r, 'retention removed finished entities');
        return r;
      })
      .catch((err: unknown) => {
        status.lastError = { at: now().toISOString(), message: errorMessage(err) };
        log.warn({ err: errorMessage(err) }, 'retention sweep failed; will retry next interval');
        throw err;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const schedule = () => {
    if (stopped || opts.intervalMs === 0) return;
    timer = setTimeout(() => {
      void runNow()
        .catch(() => undefined)
        .finally(schedule);
    }, opts.intervalMs);
    timer.unref();
  };
  schedule();
  return {
    status: () => structuredClone(status),
    runNow,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
