// Conformance of RunTask, StartTask, StopTask, ListTasks, DescribeTasks and the task lifecycle,
// through the real SDK over HTTP.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  CreateClusterCommand,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  PutAttributesCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StartTaskCommand,
  StopTaskCommand,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import type { EcsChange } from '../../../src/local/ecs/index.js';
import { waitFor } from '../../support/env.js';
import { rejectsWith, startEcs, type RunningEcs } from './helpers.js';

async function registerDefinitions(client: ECSClient): Promise<void> {
  const defs: [string, number, number, number | undefined][] = [
    // family, cpu, memory, static host port
    ['small', 256, 512, undefined],
    ['web', 256, 512, 8080],
    ['big-cpu', 4096, 128, undefined],
    ['big-mem', 128, 100_000, undefined],
  ];
  for (const [family, cpu, memory, hostPort] of defs)
    await client.send(
      new RegisterTaskDefinitionCommand({
        family,
        containerDefinitions: [
          {
            name: 'main',
            image: `${family}:1`,
            cpu,
            memory,
            portMappings: hostPort ? [{ containerPort: 80, hostPort }] : [{ containerPort: 9000 }],
          },
        ],
      }),
    );
}

async function remaining(
  client: ECSClient,
  arn: string,
): Promise<{ cpu: number; memory: number; ports: string[]; version: number }> {
  const ci = (await client.send(new DescribeContainerInstancesCommand({ containerInstances: [arn] })))
    .containerInstances![0]!;
  const r = Object.fromEntries(ci.remainingResources!.map((x) => [x.name, x]));
  return {
    cpu: r.CPU!.integerValue!,
    memory: r.MEMORY!.integerValue!,
    ports: r.PORTS!.stringSetValue!,
    version: ci.version!,
  };
}

describe('ECS tasks: lifecycle and change feed', () => {
  let run: RunningEcs;
  const changes: EcsChange[] = [];
  let instances: string[];
  before(async () => {
    run = await startEcs({ taskStartDelayMs: 30, taskStopDelayMs: 30, stoppedTaskRetentionMs: 400 });
    run.ecs.onChange((c) => changes.push(c));
    await run.client.send(new CreateClusterCommand({}));
    await registerDefinitions(run.client);
    instances = run.ecs.fleet.scale('default', 2).added;
  });
  after(() => run.close());

  it('StartTask → PENDING, RUNNING after the delay, StopTask → stopping → STOPPED, resources reserved and released', async () => {
    const before = await remaining(run.client, instances[0]!);
    const started = await run.client.send(
      new StartTaskCommand({
        taskDefinition: 'web',
        containerInstances: [instances[0]!],
        startedBy: 'tester',
        group: 'g1',
      }),
    );
    const task = started.tasks![0]!;
    assert.equal(task.lastStatus, 'PENDING');
    assert.equal(task.desiredStatus, 'RUNNING');
    assert.equal(task.version, 1);
    assert.equal(task.startedBy, 'tester');
    assert.equal(task.group, 'g1');
    assert.match(task.taskArn!, /^arn:aws:ecs:us-east-1:123456789012:task\/default\/[0-9a-f]{32}$/);
    assert.ok(task.createdAt instanceof Date);
    assert.equal(task.containers![0]!.networkBindings, undefined, 'no bindings before RUNNING');
    const placed = await remaining(run.client, instances[0]!);
    assert.equal(placed.cpu, before.cpu - 256);
    assert.equal(placed.memory, before.memory - 512);
    assert.ok(placed.ports.includes('8080'));
    assert.ok(placed.version > before.version);

    const running = await waitFor('task RUNNING', async () => {
      const t = (await run.client.send(new DescribeTasksCommand({ tasks: [task.taskArn!] }))).tasks![0]!;
      return t.lastStatus === 'RUNNING' ? t : undefined;
    });
    assert.equal(running.version, 2);
    assert.ok(running.startedAt && running.pullStartedAt && running.pullStoppedAt);
    assert.deepEqual(running.containers![0]!.networkBindings, [
      { bindIP: '0.0.0.0', containerPort: 80, hostPort: 8080, protocol: 'tcp' },
    ]);
    assert.match(running.containers![0]!.runtimeId!, /^[0-9a-f]{64}$/);

    const stopped = await run.client.send(new StopTaskCommand({ task: task.taskArn!, reason: 'rolling' }));
    assert.equal(stopped.task!.desiredStatus, 'STOPPED');
    assert.equal(stopped.task!.lastStatus, 'RUNNING');
    assert.equal(stopped.task!.stoppedReason, 'rolling');
    assert.equal(stopped.task!.stopCode, 'UserInitiated');
    const final = await waitFor('task STOPPED', async () => {
      const t = (await run.client.send(new DescribeTasksCommand({ tasks: [task.taskArn!] }))).tasks![0]!;
      return t.lastStatus === 'STOPPED' ? t : undefined;
    });
    assert.equal(final.version, 4);
    assert.equal(final.containers![0]!.exitCode, 0);
    assert.ok(final.stoppedAt && final.executionStoppedAt && final.stoppingAt);
    const released = await remaining(run.client, instances[0]!);
    assert.equal(released.cpu, before.cpu);
    assert.equal(released.memory, before.memory);
    assert.ok(!released.ports.includes('8080'));

    // StopTask again is a no-op that returns the task.
    const again = await run.client.send(new StopTaskCommand({ task: task.taskArn! }));
    assert.equal(again.task!.version, 4);

    const taskChanges = changes.filter((c) => c.kind === 'task' && c.detail.taskArn === task.taskArn);
    assert.deepEqual(
      taskChanges.map((c) => [c.detail.version, c.detail.lastStatus, c.detail.desiredStatus]),
      [
        [1, 'PENDING', 'RUNNING'],
        [2, 'RUNNING', 'RUNNING'],
        [3, 'RUNNING', 'STOPPED'],
        [4, 'STOPPED', 'STOPPED'],
      ],
    );
    const instanceChanges = changes.filter(
      (c) => c.kind === 'container-instance' && c.detail.containerInstanceArn === instances[0],
    );
    const versions = instanceChanges.map((c) => c.detail.version as number);
    assert.deepEqual(
      versions,
      [...versions].sort((a, b) => a - b),
    );
    assert.ok(
      instanceChanges.some((c) => c.detail.pendingTasksCount === 1 && c.detail.runningTasksCount === 1),
    );
    assert.equal(instanceChanges.at(-1)!.detail.runningTasksCount, 0);
  });

  it('DescribeClusters counts tasks by last status: PENDING ones are pending, not running', async () => {
    const counts = async () => {
      const c = (await run.client.send(new DescribeClustersCommand({ clusters: ['default'] }))).clusters![0]!;
      return { running: c.runningTasksCount, pending: c.pendingTasksCount };
    };
    const base = await counts();
    const r = await run.client.send(
      new StartTaskCommand({ taskDefinition: 'small', containerInstances: [instances[1]!] }),
    );
    const arn = r.tasks![0]!.taskArn!;
    assert.deepEqual(await counts(), { running: base.running, pending: base.pending! + 1 });
    await waitFor(
      'RUNNING',
      async () =>
        (await run.client.send(new DescribeTasksCommand({ tasks: [arn] }))).tasks![0]!.lastStatus ===
          'RUNNING' || undefined,
    );
    assert.deepEqual(await counts(), { running: base.running! + 1, pending: base.pending });
    await run.client.send(new StopTaskCommand({ task: arn }));
    await waitFor(
      'STOPPED',
      async () =>
        (await run.client.send(new DescribeTasksCommand({ tasks: [arn] }))).tasks![0]!.lastStatus ===
          'STOPPED' || undefined,
    );
    assert.deepEqual(await counts(), base);
  });

  it('stopped tasks stay describable for the retention time, then vanish', async () => {
    const t = (
      await run.client.send(
        new StartTaskCommand({ taskDefinition: 'small', containerInstances: [instances[1]!] }),
      )
    ).tasks![0]!;
    await run.client.send(new StopTaskCommand({ task: t.taskArn! }));
    const stoppedList = await waitFor('listed as STOPPED', async () => {
      const l = await run.client.send(new ListTasksCommand({ desiredStatus: 'STOPPED' }));
      return l.taskArns!.includes(t.taskArn!) ? l : undefined;
    });
    assert.ok(stoppedList);
    await waitFor(
      'task to expire',
      async () =>
        (await run.client.send(new DescribeTasksCommand({ tasks: [t.taskArn!] }))).failures![0]?.reason ===
        'MISSING',
      { timeoutMs: 5000 },
    );
    const l = await run.client.send(new ListTasksCommand({ desiredStatus: 'stopped' as never }));
    assert.ok(!l.taskArns!.includes(t.taskArn!));
  });

  it('a disconnected agent holds its tasks PENDING; reconnecting resumes them', async () => {
    run.ecs.fleet.setAgentConnected(instances[1]!, true);
    const t = (
      await run.client.send(
        new StartTaskCommand({ taskDefinition: 'small', containerInstances: [instances[1]!] }),
      )
    ).tasks![0]!;
    run.ecs.fleet.setAgentConnected(instances[1]!, false);
    const refused = await run.client.send(
      new StartTaskCommand({ taskDefinition: 'small', containerInstances: [instances[1]!] }),
    );
    assert.equal(refused.failures![0]!.reason, 'AGENT');
    // Well past the start delay, it is still PENDING.
    await new Promise((r) => setTimeout(r, 120));
    const pending = (await run.client.send(new DescribeTasksCommand({ tasks: [t.taskArn!] }))).tasks![0]!;
    assert.equal(pending.lastStatus, 'PENDING');
    run.ecs.fleet.setAgentConnected(instances[1]!, true);
    await waitFor(
      'resumed to RUNNING',
      async () =>
        (await run.client.send(new DescribeTasksCommand({ tasks: [t.taskArn!] }))).tasks![0]!.lastStatus ===
        'RUNNING',
    );
  });

  it('every task change carries a summary with the same values as its detail', () => {
    const taskChanges = changes.filter((c) => c.kind === 'task');
    assert.ok(taskChanges.length >= 6, `${taskChanges.length} task changes`);
    for (const c of taskChanges) {
      const d = c.detail as Record<string, unknown>;
      assert.deepEqual(c.task, {
        taskArn: d.taskArn,
        containerInstanceArn: d.containerInstanceArn,
        group: d.group,
        lastStatus: d.lastStatus,
        desiredStatus: d.desiredStatus,
        taskDefinitionArn: d.taskDefinitionArn,
        ...(d.startedBy !== undefined ? { startedBy: d.startedBy } : {}),
      });
    }
    assert.ok(
      taskChanges.some((c) => c.task!.lastStatus !== c.task!.desiredStatus),
      'changes in several states were compared',
    );
    for (const c of changes) if (c.kind !== 'task') assert.equal(c.task, undefined);
  });
});

describe('ECS tasks: RunTask placement', () => {
  let run: RunningEcs;
  let instances: string[];
  beforeEach(async () => {
    run?.ecs.reset();
    run ??= await startEcs({ taskStartDelayMs: 60_000 });
    await run.client.send(new CreateClusterCommand({}));
    await registerDefinitions(run.client);
    // 3 × m5.large (2048 CPU, 7680 MiB) in us-east-1a, b, c.
    instances = run.ecs.fleet.scale('default', 3).added;
  });
  after(() => run.close());

  it('places up to count tasks, at most 10', async () => {
    const r = await run.client.send(new RunTaskCommand({ taskDefinition: 'small', count: 10 }));
    assert.equal(r.tasks!.length, 10);
    assert.deepEqual(r.failures, []);
    assert.ok(r.tasks!.every((t) => t.group === 'family:small' && t.lastStatus === 'PENDING'));
    await rejectsWith(
      run.client.send(new RunTaskCommand({ taskDefinition: 'small', count: 11 })),
      'InvalidParameterException',
    );
    await rejectsWith(
      run.client.send(new RunTaskCommand({ taskDefinition: 'small', count: 0 })),
      'InvalidParameterException',
    );
  });

  it('reports RESOURCE:CPU, RESOURCE:MEMORY and RESOURCE:PORTS per instance', async () => {
    const cpu = await run.client.send(new RunTaskCommand({ taskDefinition: 'big-cpu' }));
    assert.deepEqual(cpu.tasks, []);
    assert.deepEqual(
      cpu.failures!.map((f) => [f.arn, f.reason]),
      instances.map((a) => [a, 'RESOURCE:CPU']),
    );
    const mem = await run.client.send(new RunTaskCommand({ taskDefinition: 'big-mem' }));
    assert.deepEqual(new Set(mem.failures!.map((f) => f.reason)), new Set(['RESOURCE:MEMORY']));
    const ports = await run.client.send(new RunTaskCommand({ taskDefinition: 'web', count: 5 }));
    assert.equal(ports.tasks!.length, 3, 'one task per instance can hold host port 8080');
    assert.deepEqual(new Set(ports.failures!.map((f) => f.reason)), new Set(['RESOURCE:PORTS']));
  });

  it('no ACTIVE instances → InvalidParameterException; DRAINING instances are skipped', async () => {
    run.ecs.fleet.scale('default', 0);
    await rejectsWith(
      run.client.send(new RunTaskCommand({ taskDefinition: 'small' })),
      'InvalidParameterException',
    );
  });

  it('disconnected agents fail with AGENT', async () => {
    for (const arn of instances) run.ecs.fleet.setAgentConnected(arn, false);
    const r = await run.client.send(new RunTaskCommand({ taskDefinition: 'small' }));
    assert.deepEqual(new Set(r.failures!.map((f) => f.reason)), new Set(['AGENT']));
  });

  it('memberOf (cluster query language) and distinctInstance constraints', async () => {
    await run.client.send(
      new PutAttributesCommand({ attributes: [{ name: 'tier', value: 'gold', targetId: instances[1]! }] }),
    );
    const member = await run.client.send(
      new RunTaskCommand({
        taskDefinition: 'small',
        count: 3,
        placementConstraints: [{ type: 'memberOf', expression: 'attribute:tier == gold' }],
      }),
    );
    assert.deepEqual(new Set(member.tasks!.map((t) => t.containerInstanceArn)), new Set([instances[1]]));
    const distinct = await run.client.send(
      new RunTaskCommand({
        taskDefinition: 'small',
        count: 4,
        group: 'unique',
        placementConstraints: [{ type: 'distinctInstance' }],
      }),
    );
    assert.equal(distinct.tasks!.length, 3);
    assert.equal(new Set(distinct.tasks!.map((t) => t.containerInstanceArn)).size, 3);
    assert.deepEqual(new Set(distinct.failures!.map((f) => f.reason)), new Set(['ATTRIBUTE']));
    const anti = await run.client.send(
      new RunTaskCommand({
        taskDefinition: 'small',
        placementConstraints: [{ type: 'memberOf', expression: 'not(task:group == family:small)' }],
      }),
    );
    assert.equal(anti.tasks!.length, 1);
    assert.notEqual(anti.tasks![0]!.containerInstanceArn, instances[1]);
    await rejectsWith(
      run.client.send(
        new RunTaskCommand({
          taskDefinition: 'small',
          placementConstraints: [{ type: 'memberOf', expression: 'attribute:x ===' }],
        }),
      ),
      'InvalidParameterException',
    );
  });

  it('binpack fills one instance; spread balances across AZs', async () => {
    const packed = await run.client.send(
      new RunTaskCommand({
        taskDefinition: 'small',
        count: 6,
        placementStrategy: [{ type: 'binpack', field: 'memory' }],
      }),
    );
    assert.equal(new Set(packed.tasks!.map((t) => t.containerInstanceArn)).size, 1);
    const spread = await run.client.send(
      new RunTaskCommand({
        taskDefinition: 'small',
        count: 6,
        group: 'spread',
        placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }],
      }),
    );
    const perAz = new Map<string, number>();
    for (const t of spread.tasks!) perAz.set(t.availabilityZone!, (perAz.get(t.availabilityZone!) ?? 0) + 1);
    assert.deepEqual([...perAz.values()], [2, 2, 2]);
    await rejectsWith(
      run.client.send(
        new RunTaskCommand({
          taskDefinition: 'small',
          placementStrategy: [{ type: 'binpack', field: 'disk' }],
        }),
      ),
      'InvalidParameterException',
    );
  });
});

describe('ECS tasks: StartTask, ListTasks and DescribeTasks rules', () => {
  let run: RunningEcs;
  let instances: string[];
  const taskArns: string[] = [];
  before(async () => {
    run = await startEcs({ taskStartDelayMs: 60_000 });
    await run.client.send(new CreateClusterCommand({}));
    await registerDefinitions(run.client);
    instances = run.ecs.fleet.scale('default', 3).added;
    for (let i = 0; i < 25; i++) {
      const r = await run.client.send(
        new StartTaskCommand({
          taskDefinition: i % 2 ? 'small' : 'web',
          containerInstances: [instances[i % 3]!],
          startedBy: i < 5 ? 'scheduler-a' : 'scheduler-b',
        }),
      );
      // web holds host port 8080, so only the first on each instance succeeds.
      taskArns.push(...r.tasks!.map((t) => t.taskArn!));
    }
  });
  after(() => run.close());

  it('StartTask: at most 10 instances; MISSING for unknown ones; startedBy at most 36 characters', async () => {
    await rejectsWith(
      run.client.send(
        new StartTaskCommand({
          taskDefinition: 'small',
          containerInstances: Array.from({ length: 11 }, () => instances[0]!),
        }),
      ),
      'InvalidParameterException',
    );
    const r = await run.client.send(
      new StartTaskCommand({
        taskDefinition: 'small',
        containerInstances: ['ffffffffffffffffffffffffffffffff'],
      }),
    );
    assert.deepEqual(r.failures, [
      {
        arn: 'arn:aws:ecs:us-east-1:123456789012:container-instance/default/ffffffffffffffffffffffffffffffff',
        reason: 'MISSING',
      },
    ]);
    await rejectsWith(
      run.client.send(
        new StartTaskCommand({
          taskDefinition: 'small',
          containerInstances: [instances[0]!],
          startedBy: 'x'.repeat(37),
        }),
      ),
      'InvalidParameterException',
    );
    await rejectsWith(
      run.client.send(new StartTaskCommand({ taskDefinition: 'small', containerInstances: [] })),
      'InvalidParameterException',
    );
    await rejectsWith(
      run.client.send(new StartTaskCommand({ taskDefinition: 'ghost', containerInstances: [instances[0]!] })),
      'ClientException',
    );
  });

  it('an override of a container the task definition lacks is refused, not dropped', async () => {
    const overrides = { containerOverrides: [{ name: 'nosuch', command: ['x'] }] };
    const before = (await run.client.send(new ListTasksCommand({}))).taskArns!.length;
    for (const call of [
      new StartTaskCommand({ taskDefinition: 'small', containerInstances: [instances[0]!], overrides }),
      new RunTaskCommand({ taskDefinition: 'small', overrides }),
    ]) {
      const err = await rejectsWith(run.client.send(call as StartTaskCommand), 'InvalidParameterException');
      assert.equal(
        err.message,
        'Override for container named nosuch is not a container in the TaskDefinition.',
      );
    }
    assert.equal((await run.client.send(new ListTasksCommand({}))).taskArns!.length, before);
    const ok = await run.client.send(
      new StartTaskCommand({
        taskDefinition: 'small',
        containerInstances: [instances[0]!],
        overrides: { containerOverrides: [{ name: 'main', command: ['true'] }] },
      }),
    );
    assert.deepEqual(ok.tasks![0]!.overrides!.containerOverrides, [{ name: 'main', command: ['true'] }]);
    await run.client.send(new StopTaskCommand({ task: ok.tasks![0]!.taskArn! })); // the other tests count tasks
  });

  it('ListTasks pages through every RUNNING task exactly once', async () => {
    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await run.client.send(new ListTasksCommand({ maxResults: 4, nextToken }));
      assert.ok(page.taskArns!.length <= 4);
      seen.push(...page.taskArns!);
      nextToken = page.nextToken;
    } while (nextToken);
    assert.deepEqual(new Set(seen), new Set(taskArns));
    assert.equal(seen.length, taskArns.length);
  });

  it('ListTasks filters by family, containerInstance and startedBy; startedBy must be the only filter', async () => {
    const small = await run.client.send(new ListTasksCommand({ family: 'small' }));
    assert.equal(small.taskArns!.length, 12);
    const onFirst = await run.client.send(
      new ListTasksCommand({ containerInstance: instances[0]!.split('/').pop()! }),
    );
    const both = await run.client.send(
      new ListTasksCommand({ containerInstance: instances[0]!, family: 'web' }),
    );
    assert.equal(both.taskArns!.length, 1);
    assert.ok(onFirst.taskArns!.length > both.taskArns!.length);
    const a = await run.client.send(new ListTasksCommand({ startedBy: 'scheduler-a' }));
    assert.ok(a.taskArns!.length >= 1 && a.taskArns!.length <= 5);
    for (const other of [
      { family: 'small' },
      { containerInstance: instances[0]! },
      { desiredStatus: 'RUNNING' as const },
    ]) {
      const e = await rejectsWith(
        run.client.send(new ListTasksCommand({ startedBy: 'scheduler-a', ...other })),
        'InvalidParameterException',
      );
      assert.match(e.message, /startedBy/);
    }
    const pending = await run.client.send(new ListTasksCommand({ desiredStatus: 'PENDING' }));
    assert.deepEqual(pending.taskArns, [], 'ECS never sets desiredStatus PENDING');
    const lower = await run.client.send(
      new ListTasksCommand({ desiredStatus: 'running' as never, family: 'small' }),
    );
    assert.equal(lower.taskArns!.length, 12, 'desiredStatus is case-insensitive');
    await rejectsWith(
      run.client.send(new ListTasksCommand({ desiredStatus: 'DONE' as never })),
      'InvalidParameterException',
    );
    await rejectsWith(
      run.client.send(new ListTasksCommand({ maxResults: 101 })),
      'InvalidParameterException',
    );
  });

  it('DescribeTasks: IDs or ARNs, MISSING failures, at most 100, wrong cluster is MISSING', async () => {
    const d = await run.client.send(
      new DescribeTasksCommand({
        tasks: [taskArns[0]!.split('/').pop()!, taskArns[1]!, 'e4d3c2b1a0f94e8d7c6b5a4f3e2d1c0b'],
      }),
    );
    assert.deepEqual(
      d.tasks!.map((t) => t.taskArn),
      [taskArns[0], taskArns[1]],
    );
    assert.deepEqual(d.failures, [
      {
        arn: 'arn:aws:ecs:us-east-1:123456789012:task/default/e4d3c2b1a0f94e8d7c6b5a4f3e2d1c0b',
        reason: 'MISSING',
      },
    ]);
    assert.equal(d.tasks![0]!.healthStatus, 'UNKNOWN');
    assert.deepEqual(d.tasks![0]!.tags, []);
    await rejectsWith(
      run.client.send(new DescribeTasksCommand({ tasks: Array.from({ length: 101 }, () => taskArns[0]!) })),
      'InvalidParameterException',
    );
    await rejectsWith(run.client.send(new DescribeTasksCommand({ tasks: [] })), 'InvalidParameterException');
    await run.client.send(new CreateClusterCommand({ clusterName: 'other' }));
    const other = await run.client.send(
      new DescribeTasksCommand({ cluster: 'other', tasks: [taskArns[0]!] }),
    );
    assert.equal(other.failures![0]!.reason, 'MISSING');
  });

  it('StopTask: unknown task is InvalidParameterException; reason over 255 characters is refused', async () => {
    await rejectsWith(
      run.client.send(new StopTaskCommand({ task: 'ffffffffffffffffffffffffffffffff' })),
      'InvalidParameterException',
    );
    await rejectsWith(
      run.client.send(new StopTaskCommand({ task: taskArns[0]!, reason: 'x'.repeat(256) })),
      'InvalidParameterException',
    );
  });
});
