import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileFilter } from '../../src/scheduler/daemon/filter.js';
import {
  isRevisionFailure,
  plan,
  stopReasonText,
  type Action,
  type PlanContext,
} from '../../src/scheduler/daemon/planner.js';
import type { InstanceView, TaskView } from '../../src/scheduler/framework/views.js';
import { CLUSTER, TD1, TD2, env, instance, instanceArn, task, taskArn } from './support/fixtures.js';

const NOW = Date.parse('2026-01-01T01:00:00Z');
const ctx = (over: Partial<PlanContext> = {}): PlanContext => ({ now: NOW, ...over });
const starts = (actions: Action[]) => actions.filter((a) => a.type === 'start').map((a) => a.instance);
const stops = (actions: Action[]) =>
  actions.flatMap((a) => (a.type === 'stop' ? [`${a.task.split('/').pop()}:${a.reason}`] : []));

interface Case {
  name: string;
  environment?: Parameters<typeof env>[0];
  instances: InstanceView[];
  tasks?: TaskView[];
  context?: Partial<PlanContext>;
  starts?: string[];
  stops?: string[];
  counts?: Partial<ReturnType<typeof plan>['counts']>;
  converged?: boolean;
}

const cases: Case[] = [
  {
    name: 'empty cluster converges with nothing to do',
    instances: [],
    starts: [],
    stops: [],
    converged: true,
  },
  {
    name: 'starts on every eligible instance without a task',
    instances: [instance(1), instance(2)],
    starts: [instanceArn(1), instanceArn(2)],
    counts: { desired: 2, current: 0 },
    converged: false,
  },
  {
    name: 'nothing to do when every instance runs the target',
    instances: [instance(1)],
    tasks: [task(1, 1)],
    starts: [],
    stops: [],
    counts: { desired: 1, current: 1, updated: 1, available: 1 },
    converged: true,
  },
  {
    name: 'pending target task counts as current, not available',
    instances: [instance(1)],
    tasks: [task(1, 1, { lastStatus: 'PENDING' })],
    starts: [],
    counts: { current: 1, updated: 1, available: 0 },
    converged: false,
  },
  {
    name: 'stopped task is replaced',
    instances: [instance(1)],
    tasks: [task(1, 1, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'UserInitiated' })],
    starts: [instanceArn(1)],
  },
  {
    name: 'a stopping task is waited for (no start until it is gone)',
    instances: [instance(1)],
    tasks: [task(1, 1, { desiredStatus: 'STOPPED' })],
    starts: [],
    stops: [],
  },
  {
    name: 'a stop in flight is waited for',
    instances: [instance(1)],
    tasks: [task(1, 1, { taskDefinitionArn: TD1 })],
    context: { stopping: new Set([taskArn(1)]) },
    starts: [],
    stops: [],
  },
  {
    name: 'a launch in flight blocks a second start (no double launch)',
    instances: [instance(1)],
    context: { launches: new Map([[instanceArn(1), { at: NOW - 500 }]]) },
    starts: [],
  },
  {
    name: 'extra copies are stopped, keeping the target revision (v0.3 #151)',
    instances: [instance(1)],
    tasks: [task(1, 1, { taskDefinitionArn: TD1 }), task(2, 1), task(3, 1)],
    starts: [],
    stops: ['t1:duplicate', 't3:duplicate'],
    counts: { current: 1, updated: 1 },
    converged: false,
  },
  {
    name: 'duplicates keep the RUNNING copy over a PENDING one',
    instances: [instance(1)],
    tasks: [task(1, 1, { lastStatus: 'PENDING' }), task(2, 1)],
    stops: ['t1:duplicate'],
  },
  {
    name: 'a RUNNING outdated copy beside a PENDING target copy is stopped only within maxUnavailable',
    environment: { maxUnavailable: 1 },
    instances: [instance(1), instance(2), instance(3)],
    tasks: [1, 2, 3].flatMap((i) => [
      task(`${i}0`, i, { taskDefinitionArn: TD1 }),
      task(`${i}1`, i, { lastStatus: 'PENDING', startedAt: undefined }),
    ]),
    stops: ['t10:duplicate'],
    counts: { desired: 3, current: 3, updated: 3, available: 3 },
    converged: false,
  },
  {
    name: 'held copies share the budget with outdated replacements, duplicates first',
    environment: { maxUnavailable: 3 },
    instances: [instance(1), instance(2), instance(3), instance(4), instance(5)],
    tasks: [
      task(10, 1, { taskDefinitionArn: TD1 }),
      task(11, 1, { lastStatus: 'PENDING' }),
      task(20, 2, { taskDefinitionArn: TD1 }),
      task(21, 2, { lastStatus: 'PENDING' }),
      task(30, 3, { taskDefinitionArn: TD1 }),
      task(40, 4, { taskDefinitionArn: TD1 }),
    ],
    // Instance 5 has no task (1 unavailable): 2 left, both for the held copies; instance 5 starts.
    starts: [instanceArn(5)],
    stops: ['t10:duplicate', 't20:duplicate'],
  },
  {
    name: 'once the target copy runs, the outdated copy is stopped without using the budget',
    environment: { maxUnavailable: 1 },
    instances: [instance(1), instance(2)],
    tasks: [
      task(10, 1, { taskDefinitionArn: TD1 }),
      task(11, 1),
      task(20, 2, { taskDefinitionArn: TD1 }),
      task(21, 2),
    ],
    stops: ['t10:duplicate', 't20:duplicate'],
  },
  {
    name: 'INACTIVE, DRAINING without tasks, disconnected and REGISTERING instances get nothing',
    instances: [
      instance(1, { status: 'INACTIVE' }),
      instance(2, { status: 'DRAINING' }),
      instance(3, { agentConnected: false }),
      instance(4, { status: 'REGISTERING' }),
      instance(5, { status: 'DEREGISTERING' }),
    ],
    starts: [],
    counts: { desired: 0 },
    converged: true,
  },
  {
    name: 'other clusters are ignored',
    instances: [instance(1, { clusterArn: CLUSTER.replace('default', 'other') })],
    starts: [],
    counts: { desired: 0 },
  },
  {
    name: 'draining: the daemon waits while other tasks run on the instance',
    instances: [instance(1, { status: 'DRAINING' })],
    tasks: [task(1, 1), task(2, 1, { group: 'service:web', taskDefinitionArn: 'web' })],
    stops: [],
    counts: { misscheduled: 1, desired: 0 },
  },
  {
    name: 'draining: the daemon stops last, after the other tasks (other daemons do not block)',
    instances: [instance(1, { status: 'DRAINING' })],
    tasks: [
      task(1, 1),
      task(2, 1, { group: 'service:web', lastStatus: 'STOPPED', desiredStatus: 'STOPPED' }),
      task(3, 1, { group: 'blox:other:zzz' }),
    ],
    stops: ['t1:draining'],
  },
  {
    name: 'instance that stops matching the filter loses its task',
    environment: { filter: compileFilter({ attributes: [{ name: 'stack', value: 'prod' }] }) },
    instances: [
      instance(1, { attributes: { stack: 'dev' } }),
      instance(2, { attributes: { stack: 'prod' } }),
    ],
    tasks: [task(1, 1)],
    starts: [instanceArn(2)],
    stops: ['t1:ineligible'],
    counts: { desired: 1, misscheduled: 1 },
  },
  {
    name: 'a disconnected agent keeps its task (nothing can be done there)',
    instances: [instance(1, { agentConnected: false })],
    tasks: [task(1, 1)],
    stops: [],
    counts: { misscheduled: 1 },
  },
  {
    name: 'cluster query language filter',
    environment: { filter: compileFilter({ query: 'attribute:ecs.instance-type == t2.micro' }) },
    instances: [
      instance(1, { attributes: { 'ecs.instance-type': 't2.micro' } }),
      instance(2, { attributes: { 'ecs.instance-type': 'm5.large' } }),
    ],
    starts: [instanceArn(1)],
  },
  {
    name: 'foreign tasks of the same task definition are ignored by default (v0.3 #92)',
    instances: [instance(1)],
    tasks: [task(1, 1, { group: 'family:daemon', startedBy: 'someone' })],
    starts: [instanceArn(1)],
  },
  {
    name: 'foreign tasks of the same task definition are adopted when asked',
    environment: { foreignTasks: 'adopt' },
    instances: [instance(1), instance(2)],
    tasks: [task(1, 1, { group: 'family:daemon', startedBy: 'someone' })],
    starts: [instanceArn(2)],
    counts: { current: 1, updated: 1 },
  },
  {
    name: 'adopted copy next to our own: ours is kept, the adopted extra stopped',
    environment: { foreignTasks: 'adopt' },
    instances: [instance(1)],
    tasks: [task(1, 1, { group: 'family:daemon', startedBy: 'x' }), task(2, 1)],
    stops: ['t1:duplicate'],
  },
  {
    name: 'rolling: replaces at most maxUnavailable running outdated tasks',
    environment: { maxUnavailable: 2 },
    instances: [instance(1), instance(2), instance(3), instance(4)],
    tasks: [1, 2, 3, 4].map((n) => task(n, n, { taskDefinitionArn: TD1, startedBy: 'd1' })),
    stops: ['t1:outdated', 't2:outdated'],
    counts: { desired: 4, current: 4, updated: 0, available: 4 },
  },
  {
    name: 'rolling: unavailable instances use the budget',
    environment: { maxUnavailable: 2 },
    instances: [instance(1), instance(2), instance(3)],
    tasks: [task(2, 2, { taskDefinitionArn: TD1 }), task(3, 3, { taskDefinitionArn: TD1 })],
    starts: [instanceArn(1)],
    stops: ['t2:outdated'],
  },
  {
    name: 'rolling: an outdated task stuck before RUNNING (created long ago) is replaced for free',
    environment: { maxUnavailable: 1 },
    instances: [instance(1), instance(2)],
    tasks: [
      task(1, 1, { taskDefinitionArn: TD1, lastStatus: 'PENDING' }),
      task(2, 2, { taskDefinitionArn: TD1, lastStatus: 'PENDING' }),
    ],
    stops: ['t1:outdated', 't2:outdated'],
  },
  {
    name: 'rolling: an outdated task that only looks pending (recent) uses the budget: state may lag ECS',
    environment: { maxUnavailable: 1 },
    instances: [instance(1), instance(2), instance(3)],
    tasks: [
      task(1, 1, {
        taskDefinitionArn: TD1,
        lastStatus: 'PENDING',
        createdAt: new Date(NOW - 2000).toISOString(),
      }),
      task(2, 2, {
        taskDefinitionArn: TD1,
        lastStatus: 'PENDING',
        createdAt: new Date(NOW - 2000).toISOString(),
      }),
      task(3, 3, { taskDefinitionArn: TD1 }),
    ],
    stops: [],
  },
  {
    name: 'rolling: percent maxUnavailable rounds up (10% of 11 = 2)',
    environment: { maxUnavailable: '10%' },
    instances: Array.from({ length: 11 }, (_, n) => instance(n + 10)),
    tasks: Array.from({ length: 11 }, (_, n) => task(n + 10, n + 10, { taskDefinitionArn: TD1 })),
    stops: ['t10:outdated', 't11:outdated'],
  },
  {
    name: 'paused (failed deployment): outdated tasks stay, empty instances still get one',
    environment: { mode: 'paused' },
    instances: [instance(1), instance(2)],
    tasks: [task(1, 1, { taskDefinitionArn: TD1 })],
    starts: [instanceArn(2)],
    stops: [],
  },
  {
    name: 'inactive: counts but never acts',
    environment: { mode: 'inactive' },
    instances: [instance(1), instance(2)],
    tasks: [task(1, 1), task(2, 2), task(3, 2)],
    starts: [],
    stops: [],
    counts: { desired: 2, current: 2 },
    converged: false,
  },
  {
    name: 'delete: stops every task of the environment, everywhere, and nothing else',
    environment: { mode: 'delete' },
    instances: [instance(1), instance(2, { status: 'DRAINING' })],
    tasks: [task(1, 1), task(2, 2), task(3, 1, { group: 'other' }), task(4, 1, { desiredStatus: 'STOPPED' })],
    starts: [],
    stops: ['t1:deleted', 't2:deleted'],
  },
  {
    name: 'failure backoff: no retry before the backoff passed',
    instances: [instance(1)],
    context: { failures: new Map([[instanceArn(1), { attempts: 2, lastAt: NOW - 1500 }]]) },
    starts: [],
    counts: { failed: 1 },
  },
  {
    name: 'failure backoff: retried once it passed',
    instances: [instance(1)],
    context: { failures: new Map([[instanceArn(1), { attempts: 2, lastAt: NOW - 2500 }]]) },
    starts: [instanceArn(1)],
  },
  {
    name: 'hold (transient StartTask failure): no launch before it passes, not counted as failed',
    instances: [instance(1), instance(2)],
    context: {
      holds: new Map([
        [instanceArn(1), NOW + 1],
        [instanceArn(2), NOW - 1],
      ]),
    },
    starts: [instanceArn(2)],
    counts: { failed: 0 },
  },
];

describe('daemon planner (table)', () => {
  for (const c of cases) {
    it(c.name, () => {
      const p = plan(env(c.environment), c.instances, c.tasks ?? [], ctx(c.context));
      if (c.starts) assert.deepEqual(starts(p.actions).sort(), [...c.starts].sort());
      if (c.stops) assert.deepEqual(stops(p.actions).sort(), [...c.stops].sort());
      if (c.counts)
        for (const [k, v] of Object.entries(c.counts)) assert.equal(p.counts[k as 'desired'], v, k);
      if (c.converged !== undefined) assert.equal(p.converged, c.converged);
    });
  }

  it('classifies StartTask failure reasons: resources and constraints are the revision, the rest transient', () => {
    for (const r of ['RESOURCE:MEMORY', 'RESOURCE:CPU', 'RESOURCE:PORTS', 'ATTRIBUTE', 'AGENT'])
      assert.ok(isRevisionFailure(r), r);
    for (const r of [
      'MISSING',
      'INACTIVE',
      'DRAINING',
      'ThrottlingException: Rate exceeded',
      'socket hang up',
    ])
      assert.ok(!isRevisionFailure(r), r);
  });

  it('start actions carry the deployment and revision', () => {
    const p = plan(env(), [instance(1)], [], ctx());
    assert.deepEqual(p.actions, [
      { type: 'start', instance: instanceArn(1), taskDefinition: TD2, revision: 2, deploymentId: 'd2' },
    ]);
  });

  it('observes tasks of the deployment that stopped on their own as failures, not user stops or ours', () => {
    const p = plan(
      env(),
      [instance(1), instance(2), instance(3)],
      [
        task(1, 1, {
          lastStatus: 'STOPPED',
          desiredStatus: 'STOPPED',
          stopCode: 'EssentialContainerExited',
          stoppedReason: 'exit 1',
        }),
        task(2, 2, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'UserInitiated' }),
        task(3, 3, {
          lastStatus: 'STOPPED',
          desiredStatus: 'STOPPED',
          stoppedReason: stopReasonText('duplicate'),
        }),
      ],
      ctx(),
    );
    assert.deepEqual(p.observedFailures, [{ instance: instanceArn(1), task: taskArn(1), reason: 'exit 1' }]);
  });
});

/**
 * Exhaustive: every combination of instance status × agent × filter match × the daemon tasks on
 * it (none, target running/pending, outdated running, stopping, stopped, two copies) × mode,
 * checking the invariants that must hold whatever the inputs.
 */
describe('daemon planner (exhaustive invariants)', () => {
  const statuses = ['ACTIVE', 'DRAINING', 'INACTIVE', 'REGISTERING', 'DEREGISTERING'];
  const taskSets: Array<(n: number) => TaskView[]> = [
    () => [],
    (n) => [task(`${n}a`, n)],
    (n) => [task(`${n}a`, n, { lastStatus: 'PENDING' })],
    (n) => [task(`${n}a`, n, { taskDefinitionArn: TD1 })],
    (n) => [task(`${n}a`, n, { desiredStatus: 'STOPPED' })],
    (n) => [task(`${n}a`, n, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'UserInitiated' })],
    (n) => [task(`${n}a`, n), task(`${n}b`, n, { taskDefinitionArn: TD1 })],
    (n) => [task(`${n}a`, n, { group: 'family:x', taskDefinitionArn: TD2 })],
  ];
  const modes = ['rolling', 'steady', 'paused', 'inactive', 'delete'] as const;
  const filter = compileFilter({ attributes: [{ name: 'ok' }] });

  it('holds for every combination', () => {
    let checked = 0;
    for (const mode of modes)
      for (const status of statuses)
        for (const agentConnected of [true, false])
          for (const matches of [true, false])
            for (let s = 0; s < taskSets.length; s++)
              for (const launching of [false, true]) {
                const inst = instance(1, { status, agentConnected, attributes: matches ? { ok: 'y' } : {} });
                const tasks = taskSets[s]!(1);
                const e = env({ mode, filter });
                const launches = launching ? new Map([[inst.arn, { at: NOW }]]) : undefined;
                const p = plan(e, [inst], tasks, ctx(launches ? { launches } : {}));
                const eligible = status === 'ACTIVE' && agentConnected && matches;
                const live = tasks.filter(
                  (t) => t.group === e.group && t.desiredStatus !== 'STOPPED' && t.lastStatus !== 'STOPPED',
                );
                const where = `${mode}/${status}/${agentConnected}/${matches}/set${s}/launch=${launching}`;
                const st = p.actions.filter((a) => a.type === 'start');
                const sp = p.actions.filter((a) => a.type === 'stop') as Extract<Action, { type: 'stop' }>[];
                // Never start where not eligible, where a task lives or stops, or where a launch is in flight.
                if (st.length > 0) {
                  assert.ok(eligible && live.length === 0 && !launching, `start ${where}`);
                  assert.ok(
                    !tasks.some(
                      (t) =>
                        t.group === e.group && t.desiredStatus === 'STOPPED' && t.lastStatus !== 'STOPPED',
                    ),
                    where,
                  );
                  assert.equal(st.length, 1, where);
                }
                // Never act when inactive; delete only stops.
                if (mode === 'inactive') assert.equal(p.actions.length, 0, where);
                if (mode === 'delete') assert.equal(st.length, 0, where);
                // Only our own live tasks are stopped, each at most once.
                for (const a of sp)
                  assert.ok(
                    live.some((t) => t.arn === a.task),
                    `stop foreign ${where}`,
                  );
                assert.equal(new Set(sp.map((a) => a.task)).size, sp.length, where);
                // An eligible instance always keeps one live task (no stop-all) outside delete.
                if (eligible && mode !== 'delete' && live.length > 0)
                  assert.ok(sp.length < live.length || live.every((t) => t.taskDefinitionArn !== TD2), where);
                // Counts are consistent.
                const c = p.counts;
                assert.ok(
                  c.updated <= c.current && c.available <= c.current && c.current <= c.desired,
                  where,
                );
                checked++;
              }
    assert.equal(checked, modes.length * statuses.length * 2 * 2 * taskSets.length * 2);
  });

  it('a rolling pass never takes more than maxUnavailable instances down (random fleets)', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 300; round++) {
      const n = 1 + Math.floor(rnd() * 30);
      const instances = Array.from({ length: n }, (_, i) => instance(i));
      const tasks: TaskView[] = [];
      for (let i = 0; i < n; i++) {
        const r = rnd();
        if (r < 0.15) continue;
        tasks.push(
          task(i, i, {
            taskDefinitionArn: rnd() < 0.6 ? TD1 : TD2,
            lastStatus: rnd() < 0.2 ? 'PENDING' : 'RUNNING',
          }),
        );
        // Sometimes a second copy (someone started one, or a copy of the target is on its way).
        if (rnd() < 0.2)
          tasks.push(
            task(`${i}b`, i, {
              taskDefinitionArn: rnd() < 0.5 ? TD1 : TD2,
              lastStatus: rnd() < 0.5 ? 'PENDING' : 'RUNNING',
            }),
          );
      }
      const maxUnavailable = rnd() < 0.5 ? 1 + Math.floor(rnd() * 5) : `${5 + Math.floor(rnd() * 50)}%`;
      const p = plan(env({ maxUnavailable }), instances, tasks, ctx());
      // What ECS would have: instances with a RUNNING copy before, and after the plan's stops.
      const stopped = new Set(p.actions.flatMap((a) => (a.type === 'stop' ? [a.task] : [])));
      const up = (keep: (t: TaskView) => boolean) =>
        new Set(tasks.filter((t) => t.lastStatus === 'RUNNING' && keep(t)).map((t) => t.instanceArn)).size;
      const downBefore = n - up(() => true);
      const downAfter = n - up((t) => !stopped.has(t.arn));
      assert.equal(p.counts.available, n - downBefore, `round ${round}: available`);
      assert.ok(
        downAfter === downBefore || downAfter <= p.maxUnavailable,
        `round ${round}: ${downAfter} instances down after the plan > ${p.maxUnavailable}`,
      );
    }
  });
});
