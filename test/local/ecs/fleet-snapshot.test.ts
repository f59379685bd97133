// The fleet simulation (scale, remove, kill, disconnect, crash) and snapshot/restore.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreateClusterCommand,
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  ListContainerInstancesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
} from '@aws-sdk/client-ecs';
import { EcsEmulator, FleetError, SnapshotError, type EcsChange } from '../../../src/local/ecs/index.js';
import { tempDir, waitFor } from '../../support/env.js';
import { startEcs, type RunningEcs } from './helpers.js';

describe('ECS fleet simulation', () => {
  let run: RunningEcs;
  const changes: EcsChange[] = [];
  before(async () => {
    run = await startEcs({ taskStartDelayMs: 20, taskStopDelayMs: 20 });
    run.ecs.onChange((c) => changes.push(c));
    await run.client.send(
      new RegisterTaskDefinitionCommand({
        family: 'app',
        containerDefinitions: [{ name: 'app', image: 'app', cpu: 128, memory: 256 }],
      }),
    );
  });
  after(() => run.close());

  it('scale creates the cluster and instances with realistic types, AZs and attributes', async () => {
    const { added, removed } = run.ecs.fleet.scale('prod', 4, {
      instanceType: 'c5.xlarge',
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      attributes: { stack: 'prod', gpu: null },
      agentVersion: '1.70.0',
    });
    assert.equal(added.length, 4);
    assert.deepEqual(removed, []);
    const d = await run.client.send(
      new DescribeContainerInstancesCommand({ cluster: 'prod', containerInstances: added }),
    );
    for (const [i, ci] of d.containerInstances!.entries()) {
      const attrs = Object.fromEntries(ci.attributes!.map((a) => [a.name, a.value]));
      assert.equal(attrs['ecs.instance-type'], 'c5.xlarge');
      assert.equal(attrs['ecs.availability-zone'], i % 2 ? 'us-east-1b' : 'us-east-1a');
      assert.equal(attrs.stack, 'prod');
      assert.ok('gpu' in attrs && attrs.gpu === undefined);
      assert.equal(ci.registeredResources![0]!.integerValue, 4096);
      assert.equal(ci.registeredResources![1]!.integerValue, 7618);
      assert.match(ci.ec2InstanceId!, /^i-0[0-9a-f]{16}$/);
      assert.equal(ci.versionInfo!.agentVersion, '1.70.0');
    }
    assert.throws(() => run.ecs.fleet.scale('prod', 1, { instanceType: 'z9.huge' }), FleetError);
    assert.throws(() => run.ecs.fleet.scale('prod', -1), FleetError);
  });

  it('scaling down deregisters the newest instances and stops their tasks (TerminationNotice)', async () => {
    const before = run.ecs.fleet.instances('prod').map((i) => i.containerInstanceArn);
    const tasks = await run.client.send(
      new RunTaskCommand({
        cluster: 'prod',
        taskDefinition: 'app',
        count: 4,
        placementConstraints: [{ type: 'distinctInstance' }],
      }),
    );
    assert.equal(tasks.tasks!.length, 4);
    const { removed } = run.ecs.fleet.scale('prod', 2);
    assert.deepEqual(removed, [before[3], before[2]]);
    const d = await run.client.send(
      new DescribeContainerInstancesCommand({ cluster: 'prod', containerInstances: removed }),
    );
    assert.ok(d.containerInstances!.every((c) => c.status === 'INACTIVE' && c.agentConnected === false));
    const onRemoved = tasks.tasks!.filter((t) => removed.includes(t.containerInstanceArn!));
    const described = await run.client.send(
      new DescribeTasksCommand({ cluster: 'prod', tasks: onRemoved.map((t) => t.taskArn!) }),
    );
    for (const t of described.tasks!) {
      assert.equal(t.lastStatus, 'STOPPED');
      assert.equal(t.stopCode, 'TerminationNotice');
      assert.match(t.stoppedReason!, /^Host EC2 \(instance i-[0-9a-f]+\) terminated\.$/);
    }
    const listed = await run.client.send(new ListContainerInstancesCommand({ cluster: 'prod' }));
    assert.deepEqual(listed.containerInstanceArns, before.slice(0, 2));
  });

  it('killInstance: the agent disconnects (one event), tasks stop, the instance is deregistered', async () => {
    const [victim] = run.ecs.fleet.instances('prod');
    const r = await run.client.send(
      new RunTaskCommand({
        cluster: 'prod',
        taskDefinition: 'app',
        placementConstraints: [{ type: 'memberOf', expression: `ec2InstanceId == ${victim!.ec2InstanceId}` }],
      }),
    );
    const taskArn = r.tasks![0]!.taskArn!;
    const mark = changes.length;
    run.ecs.fleet.killInstance(victim!.containerInstanceArn);
    const after = changes.slice(mark);
    const instanceEvents = after
      .filter((c) => c.kind === 'container-instance')
      .map((c) => [c.detail.agentConnected, c.detail.status]);
    assert.deepEqual(instanceEvents[0], [false, 'ACTIVE']);
    assert.deepEqual(instanceEvents.at(-1), [false, 'INACTIVE']);
    const t = (await run.client.send(new DescribeTasksCommand({ cluster: 'prod', tasks: [taskArn] })))
      .tasks![0]!;
    assert.equal(t.lastStatus, 'STOPPED');
    assert.equal(t.stopCode, 'TerminationNotice');
  });

  it('crashTasks: containers exit 137 (or 1), stopCode EssentialContainerExited', async () => {
    run.ecs.fleet.scale('prod', 3);
    const r = await run.client.send(new RunTaskCommand({ cluster: 'prod', taskDefinition: 'app', count: 3 }));
    await waitFor('tasks RUNNING', async () => {
      const d = await run.client.send(
        new DescribeTasksCommand({ cluster: 'prod', tasks: r.tasks!.map((t) => t.taskArn!) }),
      );
      return d.tasks!.every((t) => t.lastStatus === 'RUNNING');
    });
    const runningBefore = (await run.client.send(new ListTasksCommand({ cluster: 'prod' }))).taskArns!.length;
    const crashed = run.ecs.fleet.crashTasks({ taskArns: [r.tasks![0]!.taskArn!] });
    const crashed1 = run.ecs.fleet.crashTasks({ cluster: 'prod', family: 'app', count: 1, exitCode: 1 });
    assert.equal(crashed.length, 1);
    assert.equal(crashed1.length, 1);
    assert.notEqual(crashed1[0], crashed[0]);
    const stopped = await waitFor('crashed tasks STOPPED', async () => {
      const d = await run.client.send(
        new DescribeTasksCommand({ cluster: 'prod', tasks: [...crashed, ...crashed1] }),
      );
      return d.tasks!.every((t) => t.lastStatus === 'STOPPED') ? d.tasks : undefined;
    });
    assert.equal(stopped[0]!.containers![0]!.exitCode, 137);
    assert.equal(stopped[1]!.containers![0]!.exitCode, 1);
    for (const t of stopped) {
      assert.equal(t.stopCode, 'EssentialContainerExited');
      assert.equal(t.stoppedReason, 'Essential container in task exited');
    }
    const running = await run.client.send(new ListTasksCommand({ cluster: 'prod' }));
    assert.equal(running.taskArns!.length, runningBefore - 2);
    assert.throws(() => run.ecs.fleet.crashTasks({ taskArns: ['nope'] }), FleetError);
  });
});

describe('ECS snapshot and restore', () => {
  it('restores clusters, task definitions, instances, tasks and resumes pending transitions', async () => {
    const a = new EcsEmulator({ seed: 7, taskStartDelayMs: 20 });
    await a.call('CreateCluster', {});
    await a.call('RegisterTaskDefinition', {
      family: 'x',
      containerDefinitions: [{ name: 'x', image: 'x', cpu: 100, memory: 100 }],
    });
    a.fleet.scale('default', 2, { attributes: { zone: 'z1' } });
    const run = (await a.call('RunTask', { taskDefinition: 'x', count: 3 })) as {
      tasks: { taskArn: string }[];
    };
    const snapshot = JSON.parse(JSON.stringify(a.snapshot()));
    a.close();

    const b = new EcsEmulator({ seed: 8, taskStartDelayMs: 20 });
    try {
      b.restore(snapshot);
      const arns = run.tasks.map((t) => t.taskArn);
      const described = (await b.call('DescribeTasks', { tasks: arns })) as {
        tasks: { lastStatus: string }[];
      };
      assert.equal(described.tasks.length, 3);
      await waitFor('restored PENDING tasks to start', async () => {
        const d = (await b.call('DescribeTasks', { tasks: arns })) as { tasks: { lastStatus: string }[] };
        return d.tasks.every((t) => t.lastStatus === 'RUNNING');
      });
      const listed = (await b.call('ListContainerInstances', {
        filter: 'attribute:zone == z1 and runningTasksCount >= 1',
      })) as {
        containerInstanceArns: string[];
      };
      assert.ok(listed.containerInstanceArns.length >= 1);
      const tasks = (await b.call('ListTasks', { family: 'x' })) as { taskArns: string[] };
      assert.deepEqual(new Set(tasks.taskArns), new Set(arns));
      // Resources are accounted as before.
      const ci = (await b.call('DescribeContainerInstances', {
        containerInstances: listed.containerInstanceArns,
      })) as {
        containerInstances: { remainingResources: { integerValue: number }[]; runningTasksCount: number }[];
      };
      for (const c of ci.containerInstances)
        assert.equal(c.remainingResources[0]!.integerValue, 2048 - 100 * c.runningTasksCount);
      assert.throws(() => b.restore({ format: 'other' }), SnapshotError);
      b.reset();
      assert.deepEqual(b.stats(), { clusters: 0, containerInstances: 0, tasks: 0, pendingTimers: 0 });
    } finally {
      b.close();
    }
  });

  it('saves to and loads from a JSON file; a bad file is a SnapshotError', async () => {
    const dir = await tempDir();
    const a = new EcsEmulator({ seed: 3 });
    const b = new EcsEmulator({ seed: 4 });
    try {
      a.fleet.scale('disk', 2);
      a.saveSnapshot(join(dir.path, 'ecs.json'));
      b.loadSnapshot(join(dir.path, 'ecs.json'));
      assert.deepEqual(b.fleet.instances('disk'), a.fleet.instances('disk'));
      writeFileSync(join(dir.path, 'bad.json'), '{oops');
      assert.throws(() => b.loadSnapshot(join(dir.path, 'bad.json')), SnapshotError);
      assert.throws(() => b.loadSnapshot(join(dir.path, 'missing.json')), SnapshotError);
      assert.throws(() => new EcsEmulator({ region: 'eu-west-1' }).restore(a.snapshot()), SnapshotError);
    } finally {
      a.close();
      b.close();
      await dir.cleanup();
    }
  });

  it('creates clusters over the API as well as through the fleet', async () => {
    const run = await startEcs();
    try {
      await run.client.send(new CreateClusterCommand({ clusterName: 'api-made' }));
      assert.equal(run.ecs.fleet.scale('api-made', 1).added.length, 1);
    } finally {
      await run.close();
    }
  });
});
