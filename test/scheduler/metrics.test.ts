import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { environmentOfGroup, failureReason, SchedulerMetrics } from '../../src/scheduler/daemon/metrics.js';
import { stopReasonText, type Plan } from '../../src/scheduler/daemon/planner.js';
import { startScheduler } from '../../src/scheduler/daemon/scheduler.js';
import { inProcessClusterSource } from '../../src/server/in-process-source.js';
import { waitFor } from '../support/env.js';
import { createCluster, registerTaskDefinition } from './support/harness.js';
import { parseMetrics, samplesOf, valueOf, type Sample } from './support/prom.js';
import { startStack, type Stack } from './support/stack.js';

const W = { timeoutMs: 30_000, intervalMs: 100 };

describe('scheduler metric labels', () => {
  it('keeps ECS failure codes and error names, folds anything else into "other"', () => {
    assert.equal(failureReason('RESOURCE:MEMORY'), 'RESOURCE:MEMORY');
    assert.equal(failureReason('RESOURCE:PORTS'), 'RESOURCE:PORTS');
    assert.equal(failureReason('MISSING'), 'MISSING');
    assert.equal(failureReason('ATTRIBUTE'), 'ATTRIBUTE');
    assert.equal(failureReason('ThrottlingException: Rate exceeded'), 'ThrottlingException');
    assert.equal(failureReason('TimeoutError: socket hang up'), 'TimeoutError');
    assert.equal(failureReason('ECS returned neither a task nor a failure'), 'other');
    assert.equal(failureReason('connect ECONNREFUSED 127.0.0.1:1'), 'other');
  });

  it('reads the environment name out of a daemon group', () => {
    assert.equal(environmentOfGroup('blox:log-agent:ab12cd34'), 'log-agent');
    assert.equal(environmentOfGroup('blox:a_b-1:x'), 'a_b-1');
    assert.equal(environmentOfGroup('blox::x'), undefined);
    assert.equal(environmentOfGroup('blox:nouid'), undefined);
    assert.equal(environmentOfGroup('family:web'), undefined);
    assert.equal(environmentOfGroup(undefined), undefined);
  });
});

describe('scheduler metrics without a scheduler (plain sources)', () => {
  const plan = (over: Partial<Plan> = {}): Plan => ({
    actions: [],
    counts: { desired: 4, current: 4, updated: 2, available: 3, failed: 0, misscheduled: 1 },
    unavailable: 1,
    maxUnavailable: 2,
    outdated: 2,
    inFlight: 0,
    backingOff: 0,
    observedFailures: [],
    converged: false,
    ...over,
  });
  const setup = () => {
    const world = { leader: true, envs: ['a', 'b'], fail: false };
    const registry = new Registry();
    const metrics = new SchedulerMetrics(registry, {
      isLeader: () => world.leader,
      environments: async () => {
        if (world.fail) throw new Error('store down');
        return world.envs.map((name) => ({
          name,
          health: 'healthy' as const,
          deploymentState: 'completed' as const,
        }));
      },
      groupOf: (_cluster, task) => (task === 'orphan' ? 'blox:gone:u1' : undefined),
      throttled: () => 0,
    });
    const scrape = async () => parseMetrics(await registry.metrics());
    return { world, metrics, scrape };
  };

  it('drops the plan gauges of deleted environments, and all of them when leadership is lost', async () => {
    const { world, metrics, scrape } = setup();
    metrics.observePlan('a', plan());
    metrics.observePlan('b', plan());
    let s = await scrape();
    assert.equal(valueOf(s, 'blox_scheduler_environment_misscheduled', { environment: 'a' }), 1);
    assert.equal(valueOf(s, 'blox_scheduler_environment_max_unavailable', { environment: 'b' }), 2);
    world.envs = ['a'];
    s = await scrape();
    assert.deepEqual(samplesOf(s, 'blox_scheduler_', 'b'), []);
    assert.equal(valueOf(s, 'blox_scheduler_environment_desired', { environment: 'a' }), 4);
    world.fail = true; // the store cannot be read: the last values stay
    s = await scrape();
    assert.equal(valueOf(s, 'blox_scheduler_environment_desired', { environment: 'a' }), 4);
    assert.equal(valueOf(s, 'blox_scheduler_environment_healthy', { environment: 'a' }), 1);
    world.fail = false;
    world.leader = false;
    s = await scrape();
    assert.deepEqual(samplesOf(s, 'blox_scheduler_environment_desired', 'a'), []);
    assert.equal(valueOf(s, 'blox_scheduler_environment_healthy', { environment: 'a' }), 1);
    assert.equal(valueOf(s, 'blox_scheduler_leader'), 0);
  });

  it('labels starts as replacements only where an outdated task was stopped, and stops by reason', async () => {
    const { metrics, scrape } = setup();
    metrics.observePlan(
      'a',
      plan({
        actions: [
          { type: 'stop', task: 't1', instance: 'i1', reason: 'outdated' },
          { type: 'stop', task: 't2', instance: 'i2', reason: 'duplicate' },
        ],
      }),
    );
    metrics.observeStops(
      { cluster: 'c', tasks: ['t1'], reason: stopReasonText('outdated') },
      { stopped: ['t1'], failures: [] },
    );
    metrics.observeStops(
      { cluster: 'c', tasks: ['t2'], reason: stopReasonText('duplicate') },
      { stopped: [], failures: [{ task: 't2' }] },
    );
    metrics.observeStops(
      { cluster: 'c', tasks: ['orphan'], reason: stopReasonText('deleted') },
      { stopped: ['orphan'], failures: [] },
    );
    const start = { cluster: 'c', taskDefinition: 'td', group: 'blox:a:u1' };
    metrics.observeStarts(
      { ...start, instances: ['i1', 'i2', 'i3'] },
      {
        started: [
          { instance: 'i1', taskArn: 'n1' },
          { instance: 'i2', taskArn: 'n2' },
        ],
        failures: [{ instance: 'i3', reason: 'RESOURCE:MEMORY' }],
      },
    );
    // The replacement is counted once: a later start on i1 is a missing task again.
    metrics.observeStarts(
      { ...start, instances: ['i1'] },
      { started: [{ instance: 'i1', taskArn: 'n4' }], failures: [] },
    );
    const s = await scrape();
    const a = { environment: 'a' };
    assert.equal(valueOf(s, 'blox_scheduler_tasks_started_total', { ...a, reason: 'replacement' }), 1);
    assert.equal(valueOf(s, 'blox_scheduler_tasks_started_total', { ...a, reason: 'missing' }), 2);
    assert.equal(valueOf(s, 'blox_scheduler_start_failures_total', { ...a, reason: 'RESOURCE:MEMORY' }), 1);
    assert.equal(valueOf(s, 'blox_scheduler_tasks_stopped_total', { ...a, reason: 'outdated' }), 1);
    assert.equal(valueOf(s, 'blox_scheduler_stop_failures_total', a), 1);
    assert.equal(
      valueOf(s, 'blox_scheduler_tasks_stopped_total', { environment: 'gone', reason: 'deleted' }),
      1,
    );
  });
});

describe('scheduler metrics on /metrics (blox up shape: state + scheduler on one registry)', () => {
  let stack: Stack;
  let td1: string;
  let td2: string;

  before(async () => {
    stack = await startStack({ backend: 'sqlite' });
    await createCluster(stack.ecs, 'metrics');
    td1 = await registerTaskDefinition(stack.ecs, 'agent');
    td2 = await registerTaskDefinition(stack.ecs, 'agent');
    stack.aws.ecs.fleet.scale('metrics', 3);
  });
  after(async () => {
    await stack?.close();
  });

  const scrape = async () => parseMetrics(await stack.scrape());
  const deploy = async (name: string) => {
    const env = (await stack.call('GET', `/v1/environments/${name}`)).body;
    const d = await stack.call(
      'POST',
      `/v1/environments/${name}/deployments?deploymentToken=${env.deploymentToken}`,
    );
    assert.equal(d.status, 200, JSON.stringify(d.body));
    return d.body as { id: string };
  };
  const state = async (name: string, id: string) =>
    (await stack.call('GET', `/v1/environments/${name}/deployments/${id}`)).body.state as string;
  const update = async (name: string, body: unknown) => {
    const env = (await stack.call('GET', `/v1/environments/${name}`)).body;
    const r = await stack.call(
      'PUT',
      `/v1/environments/${name}?deploymentToken=${env.deploymentToken}`,
      body,
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
  };
  /** Waits until a scrape satisfies `ok`, and returns it (gauges follow the leader's next pass). */
  const scrapeUntil = (what: string, ok: (s: Sample[]) => boolean) =>
    waitFor(
      what,
      async () => {
        const s = await scrape();
        return ok(s) ? s : undefined;
      },
      W,
    );
  const env = { environment: 'watched' };

  it('counts, deployment state, health, leader, starts by reason and plan timing', async () => {
    const created = await stack.call('POST', '/v1/environments', {
      name: 'watched',
      instanceGroup: { cluster: 'metrics' },
      taskDefinition: td1,
    });
    assert.equal(created.status, 200);
    const before = await scrape();
    assert.equal(valueOf(before, 'blox_scheduler_deployment_state', { ...env, state: 'completed' }), 0);
    const d = await deploy('watched');
    await waitFor('deployed', async () => (await state('watched', d.id)) === 'completed', W);
    const s = await scrapeUntil(
      'gauges of the converged environment',
      (s) => valueOf(s, 'blox_scheduler_environment_available', env) === 3,
    );
    for (const [name, value] of Object.entries({
      desired: 3,
      current: 3,
      updated: 3,
      available: 3,
      failed: 0,
      misscheduled: 0,
      unavailable: 0,
      max_unavailable: 1,
    }))
      assert.equal(valueOf(s, `blox_scheduler_environment_${name}`, env), value, name);
    assert.equal(valueOf(s, 'blox_scheduler_deployment_state', { ...env, state: 'completed' }), 1);
    assert.equal(valueOf(s, 'blox_scheduler_deployment_state', { ...env, state: 'in_progress' }), 0);
    assert.equal(valueOf(s, 'blox_scheduler_environment_healthy', env), 1);
    assert.equal(valueOf(s, 'blox_scheduler_leader'), 1);
    assert.ok(valueOf(s, 'blox_scheduler_leader_terms_total')! >= 1);
    assert.equal(valueOf(s, 'blox_scheduler_tasks_started_total', { ...env, reason: 'missing' }), 3);
    assert.equal(
      valueOf(s, 'blox_scheduler_tasks_started_total', { ...env, reason: 'replacement' }),
      undefined,
    );
    assert.ok(valueOf(s, 'blox_scheduler_plan_duration_seconds_count')! > 0, 'plans are timed');
    assert.ok(valueOf(s, 'blox_scheduler_plan_duration_seconds_sum')! < 5);
    assert.equal(valueOf(s, 'blox_scheduler_ecs_throttled_total'), 0);
    assert.equal(valueOf(s, 'blox_scheduler_reconcile_errors_total', env), undefined, 'no failed passes');
    // Both services' metrics on one registry, as blox up serves them.
    assert.ok(s.some((x) => x.name === 'blox_state_index_entities'));
    assert.ok(s.some((x) => x.name.startsWith('blox_process_')));
  });

  it('a rollout counts replacements and outdated stops', async () => {
    await update('watched', { taskDefinition: td2 });
    const d = await deploy('watched');
    await waitFor('rolled out', async () => (await state('watched', d.id)) === 'completed', W);
    const s = await scrapeUntil(
      'updated 3',
      (s) => valueOf(s, 'blox_scheduler_environment_updated', env) === 3,
    );
    assert.equal(valueOf(s, 'blox_scheduler_tasks_started_total', { ...env, reason: 'replacement' }), 3);
    assert.equal(valueOf(s, 'blox_scheduler_tasks_stopped_total', { ...env, reason: 'outdated' }), 3);
    assert.equal(valueOf(s, 'blox_scheduler_tasks_started_total', { ...env, reason: 'missing' }), 3);
  });

  it('a failed rollout: StartTask failures by reason, unhealthy, the rollback deployment', async () => {
    const huge = await registerTaskDefinition(stack.ecs, 'huge', 10_000_000);
    await update('watched', {
      taskDefinition: huge,
      deploymentConfiguration: { maxUnavailable: 1, failureThreshold: 0 },
    });
    const d = await deploy('watched');
    await waitFor('rolled back', async () => (await state('watched', d.id)) === 'rolled_back', W);
    const s = await scrapeUntil(
      'rollback completed',
      (s) => valueOf(s, 'blox_scheduler_deployment_state', { ...env, state: 'completed' }) === 1,
    );
    assert.ok(valueOf(s, 'blox_scheduler_start_failures_total', { ...env, reason: 'RESOURCE:MEMORY' })! >= 1);
    assert.equal(valueOf(s, 'blox_scheduler_environment_healthy', env), 0);
  });

  it('a follower exports leader 0, store-backed gauges and no plan gauges', async () => {
    const registry = new Registry();
    const follower = await startScheduler({
      store: stack.store,
      source: inProcessClusterSource(stack.state.index),
      ecs: stack.ecs,
      identity: 'follower',
      registry,
    });
    try {
      const s = parseMetrics(await registry.metrics());
      assert.equal(valueOf(s, 'blox_scheduler_leader'), 0);
      assert.equal(valueOf(s, 'blox_scheduler_environment_healthy', env), 0);
      assert.equal(valueOf(s, 'blox_scheduler_environment_desired', env), undefined);
      assert.throws(
        () =>
          new SchedulerMetrics(registry, {
            isLeader: () => false,
            environments: async () => [],
            groupOf: () => undefined,
            throttled: () => 0,
          }),
        /one scheduler per registry/,
      );
    } finally {
      await follower.stop();
    }
  });

  it('deleting the environment removes its gauges; its counters stay', async () => {
    assert.equal((await stack.call('DELETE', '/v1/environments/watched')).status, 200);
    const group = 'blox:watched:';
    await waitFor(
      'tasks stopped',
      () =>
        ![...stack.timeline.tasks.values()].some(
          (t) => t.group.startsWith(group) && t.desiredStatus === 'RUNNING',
        ),
      W,
    );
    const s = await scrapeUntil(
      'deleted stops counted',
      (s) => valueOf(s, 'blox_scheduler_tasks_stopped_total', { ...env, reason: 'deleted' }) === 3,
    );
    assert.deepEqual(samplesOf(s, 'blox_scheduler_environment_', 'watched'), []);
    assert.deepEqual(samplesOf(s, 'blox_scheduler_deployment_state', 'watched'), []);
    assert.equal(valueOf(s, 'blox_scheduler_tasks_started_total', { ...env, reason: 'missing' }), 3);
  });
});
