import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkCountOrPercent, resolveCount } from '../../src/scheduler/daemon/counts.js';
import {
  InvalidTransitionError,
  TRANSITIONS,
  canTransition,
  evaluateProgress,
  recordFailures,
  targetOf,
  transition,
} from '../../src/scheduler/daemon/lifecycle.js';
import { DEPLOYMENT_STATES, v03Status, type Deployment } from '../../src/scheduler/daemon/model.js';
import type { Plan } from '../../src/scheduler/daemon/planner.js';

const AT = '2026-01-01T00:00:00.000Z';
const deployment = (over: Partial<Deployment> = {}): Deployment => ({
  id: 'd1',
  environment: 'env',
  seq: 1,
  revision: 1,
  taskDefinition: 'td:1',
  state: 'in_progress',
  token: 't',
  createdAt: AT,
  failures: [],
  ...over,
});
const planWith = (counts: Partial<Plan['counts']>, converged = false): Plan => ({
  actions: [],
  counts: { desired: 10, current: 0, updated: 0, available: 0, failed: 0, misscheduled: 0, ...counts },
  unavailable: 0,
  maxUnavailable: 1,
  outdated: 0,
  inFlight: 0,
  backingOff: 0,
  observedFailures: [],
  converged,
});

describe('deployment state machine', () => {
  it('allows exactly the documented moves (every pair checked)', () => {
    const allowed = new Set([
      'pending>in_progress',
      'pending>failed',
      'in_progress>completed',
      'in_progress>failed',
      'failed>rolled_back',
    ]);
    for (const from of DEPLOYMENT_STATES)
      for (const to of DEPLOYMENT_STATES) {
        const ok = allowed.has(`${from}>${to}`);
        assert.equal(canTransition(from, to), ok, `${from}>${to}`);
        if (ok) assert.equal(transition(deployment({ state: from }), to, AT).state, to);
        else assert.throws(() => transition(deployment({ state: from }), to, AT), InvalidTransitionError);
      }
    assert.deepEqual(Object.keys(TRANSITIONS).sort(), [...DEPLOYMENT_STATES].sort());
  });

  it('stamps start and end times and reasons', () => {
    const started = transition(deployment({ state: 'pending' }), 'in_progress', AT);
    assert.equal(started.startedAt, AT);
    const done = transition(started, 'failed', AT, { reason: 'r' });
    assert.equal(done.endedAt, AT);
    assert.equal(done.reason, 'r');
    assert.equal(transition(done, 'rolled_back', AT, { rolledBackBy: 'd2' }).rolledBackBy, 'd2');
  });

  it('maps states to v0.3 status strings where they exist', () => {
    assert.equal(v03Status('pending'), 'pending');
    assert.equal(v03Status('in_progress'), 'running');
    assert.equal(v03Status('completed'), 'completed');
    assert.equal(v03Status('failed'), 'failed');
    assert.equal(v03Status('rolled_back'), 'rolled_back');
  });

  it('completes on convergence, fails above the threshold, otherwise waits', () => {
    const d = deployment();
    assert.equal(evaluateProgress(d, planWith({}, true), { failureThreshold: 0 })?.to, 'completed');
    assert.equal(evaluateProgress(d, planWith({ failed: 1 }), { failureThreshold: 0 })?.to, 'failed');
    assert.equal(evaluateProgress(d, planWith({ failed: 1 }), { failureThreshold: '10%' }), undefined);
    assert.equal(evaluateProgress(d, planWith({ failed: 2 }), { failureThreshold: '10%' })?.to, 'failed');
    assert.equal(
      evaluateProgress(d, planWith({ desired: 1, failed: 1 }), { failureThreshold: '10%' })?.to,
      'failed',
    );
    assert.equal(evaluateProgress(d, planWith({}), { failureThreshold: 0 }), undefined);
    for (const state of ['pending', 'completed', 'failed', 'rolled_back'] as const)
      assert.equal(
        evaluateProgress(deployment({ state }), planWith({ failed: 9 }, true), { failureThreshold: 0 }),
        undefined,
      );
  });

  it('records failures once per crashed task and counts attempts per instance', () => {
    let d = deployment();
    d = recordFailures(d, [{ instance: 'i1', reason: 'RESOURCE:MEMORY' }], AT);
    d = recordFailures(d, [{ instance: 'i1', reason: 'RESOURCE:MEMORY' }], AT);
    d = recordFailures(d, [{ instance: 'i2', reason: 'exit 1', task: 't1' }], AT);
    const same = recordFailures(d, [{ instance: 'i2', reason: 'exit 1', task: 't1' }], AT);
    assert.equal(same, d);
    assert.deepEqual(
      d.failures.map((f) => [f.instance, f.attempts]),
      [
        ['i1', 2],
        ['i2', 1],
      ],
    );
  });

  it('picks the target: current rolls, completed holds, failed pauses, none is inactive', () => {
    const cur = deployment({ state: 'in_progress' });
    assert.equal(targetOf({ currentDeployment: 'd1' }, cur, cur).mode, 'rolling');
    assert.equal(targetOf({}, undefined, deployment({ state: 'completed' })).mode, 'steady');
    assert.equal(targetOf({}, undefined, deployment({ state: 'failed' })).mode, 'paused');
    assert.equal(targetOf({}, undefined, undefined).mode, 'inactive');
  });
});

describe('count-or-percent settings', () => {
  it('validates and resolves', () => {
    for (const ok of [0, 1, 25, '0%', '10%', '100%', '12.5%', '3'])
      assert.equal(checkCountOrPercent(ok, 'x'), undefined, String(ok));
    for (const bad of [-1, 1.5, '101%', 'ten', '', null, {}, '-1%'])
      assert.match(checkCountOrPercent(bad, 'x') ?? '', /x must be/, String(bad));
    assert.equal(resolveCount('10%', 1000), 100);
    assert.equal(resolveCount('10%', 15), 2);
    assert.equal(resolveCount('10%', 15, 'down'), 1);
    assert.equal(resolveCount(3, 1000), 3);
    assert.equal(resolveCount('3', 1000), 3);
    assert.equal(resolveCount('25%', 0), 0);
  });
});
