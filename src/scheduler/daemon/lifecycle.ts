import { BloxError } from '../../core/errors.js';
import { resolveCount } from './counts.js';
import type {
  Deployment,
  DeploymentConfiguration,
  DeploymentState,
  EnvironmentRecord,
  InstanceFailure,
} from './model.js';
import type { FailureRecord, Plan, PlanMode } from './planner.js';

/**
 * The deployment state machine, pure:
 *
 *   pending ──start──► in_progress ──converged──► completed
 *                           │
 *                           └──failures > threshold──► failed ──rollback──► rolled_back
 *
 * Every other move is refused with InvalidTransitionError, so a stale writer cannot resurrect
 * a finished deployment (v0.3 flipped completed deployments back and forth).
 */
export const TRANSITIONS: Readonly<Record<DeploymentState, readonly DeploymentState[]>> = {
  pending: ['in_progress', 'failed'],
  in_progress: ['completed', 'failed'],
  completed: [],
  failed: ['rolled_back'],
  rolled_back: [],
};

export class InvalidTransitionError extends BloxError {
  constructor(from: DeploymentState, to: DeploymentState) {
    super('InvalidTransition', `Deployment cannot move from ${from} to ${to}`, { status: 409 });
  }
}

export function canTransition(from: DeploymentState, to: DeploymentState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function transition(
  d: Deployment,
  to: DeploymentState,
  at: string,
  extra: { reason?: string; rolledBackBy?: string } = {},
): Deployment {
  if (!canTransition(d.state, to)) throw new InvalidTransitionError(d.state, to);
  const next: Deployment = { ...d, state: to };
  if (to === 'in_progress') next.startedAt = at;
  if (to === 'completed' || to === 'failed') next.endedAt = at;
  if (extra.reason !== undefined) next.reason = extra.reason;
  if (extra.rolledBackBy !== undefined) next.rolledBackBy = extra.rolledBackBy;
  return next;
}

/** What an in-progress deployment's latest plan means for it. */
export function evaluateProgress(
  d: Deployment,
  p: Plan,
  config: Pick<DeploymentConfiguration, 'failureThreshold'>,
): { to: 'completed' | 'failed'; reason: string } | undefined {
  if (d.state !== 'in_progress') return undefined;
  const threshold = resolveCount(config.failureThreshold, p.counts.desired, 'down');
  if (p.counts.failed > threshold) {
    const reasons = [...new Set(d.failures.map((f) => f.reason))].slice(0, 3).join(', ');
    return {
      to: 'failed',
      reason: `${p.counts.failed} of ${p.counts.desired} instances failed to run revision ${d.revision} (threshold ${threshold})${reasons ? `: ${reasons}` : ''}`,
    };
  }
  if (p.converged)
    return { to: 'completed', reason: `${p.counts.desired} instances run revision ${d.revision}` };
  return undefined;
}

/** Records failures (StartTask failures, crashed tasks) on the deployment; one entry per instance. */
export function recordFailures(
  d: Deployment,
  failures: ReadonlyArray<{ instance: string; reason: string; task?: string }>,
  at: string,
): Deployment {
  if (failures.length === 0) return d;
  const byInstance = new Map(d.failures.map((f) => [f.instance, f]));
  let changed = false;
  for (const f of failures) {
    const prev = byInstance.get(f.instance);
    // A crashed task is observed on every pass until it leaves cluster state: count it once.
    if (prev && f.task !== undefined && prev.task === f.task) continue;
    const next: InstanceFailure = {
      instance: f.instance,
      reason: f.reason,
      at,
      attempts: (prev?.attempts ?? 0) + 1,
    };
    if (f.task !== undefined) next.task = f.task;
    byInstance.set(f.instance, next);
    changed = true;
  }
  return changed ? { ...d, failures: [...byInstance.values()] } : d;
}

export function failureRecords(d: Deployment | undefined): Map<string, FailureRecord> {
  const map = new Map<string, FailureRecord>();
  for (const f of d?.failures ?? []) map.set(f.instance, { attempts: f.attempts, lastAt: Date.parse(f.at) });
  return map;
}

/**
 * Which deployment the scheduler enforces, and how: the pending/in-progress one rolls; otherwise
 * the latest one holds steady (completed) or paused (failed and not rolled back). No deployment
 * at all: inactive, as in v0.3 (an environment does nothing until its first deployment).
 */
export function targetOf(
  env: Pick<EnvironmentRecord, 'currentDeployment' | 'lastDeployment'>,
  current: Deployment | undefined,
  last: Deployment | undefined,
): { mode: PlanMode; deployment?: Deployment } {
  if (env.currentDeployment && current) return { mode: 'rolling', deployment: current };
  if (!last) return { mode: 'inactive' };
  if (last.state === 'completed') return { mode: 'steady', deployment: last };
  if (last.state === 'failed') return { mode: 'paused', deployment: last };
  // rolled_back without a follow-up (should not happen: the rollback deployment becomes `last`).
  return { mode: 'paused', deployment: last };
}
