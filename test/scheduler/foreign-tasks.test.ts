import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RunTaskCommand, StartTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { waitFor } from '../support/env.js';
import { createCluster, registerTaskDefinition } from './support/harness.js';
import { startStack, type Stack } from './support/stack.js';

const W = { timeoutMs: 30_000, intervalMs: 100 };

/**
 * Tasks of the environment's task definition that someone else started (v0.3 #92), started
 * through the real SDK against the emulator with their own startedBy and group: `ignore` leaves
 * them running and starts a daemon task beside them; `adopt` counts them as the instance's daemon
 * task, never duplicates them and keeps them.
 */
describe('foreign tasks (v0.3 #92): ignore and adopt', () => {
  let stack: Stack;
  let td: string;

  before(async () => {
    stack = await startStack({ backend: 'sqlite' });
    await createCluster(stack.ecs, 'ign');
    await createCluster(stack.ecs, 'adp');
    td = await registerTaskDefinition(stack.ecs, 'shared-agent');
    stack.aws.ecs.fleet.scale('ign', 3);
    stack.aws.ecs.fleet.scale('adp', 3);
  });
  after(async () => {
    await stack?.close();
  });

  const instances = (cluster: string) =>
    stack.aws.ecs.fleet.instances(cluster).map((i) => i.containerInstanceArn);
  const startForeign = async (cluster: string, instance: string, group: string, startedBy: string) => {
    const out = await stack.ecs.send(
      new StartTaskCommand({ cluster, taskDefinition: td, containerInstances: [instance], group, startedBy }),
    );
    assert.equal(out.tasks?.length, 1, JSON.stringify(out.failures));
    return out.tasks![0]!.taskArn!;
  };
  const runForeign = async (cluster: string, group: string, startedBy: string) => {
    const out = await stack.ecs.send(
      new RunTaskCommand({ cluster, taskDefinition: td, count: 1, launchType: 'EC2', group, startedBy }),
    );
    assert.equal(out.tasks?.length, 1, JSON.stringify(out.failures));
    return { task: out.tasks![0]!.taskArn!, instance: out.tasks![0]!.containerInstanceArn! };
  };
  const isRunning = (task: string) => {
    const t = stack.timeline.tasks.get(task);
    return t?.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING';
  };
  /** ARNs of the live (desired RUNNING) tasks of `group` on `instance`, as ECS has them. */
  const liveOn = (group: string, instance: string) =>
    [...stack.timeline.tasks]
      .filter(([, t]) => t.group === group && t.instance === instance && t.desiredStatus === 'RUNNING')
      .map(([arn]) => arn);
  const createAndDeploy = async (name: string, cluster: string, foreignTasks?: string) => {
    const created = await stack.call('POST', '/v1/environments', {
      name,
      instanceGroup: { cluster },
      taskDefinition: td,
      ...(foreignTasks ? { foreignTasks } : {}),
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const d = await stack.call(
      'POST',
      `/v1/environments/${name}/deployments?deploymentToken=${created.body.deploymentToken}`,
    );
    assert.equal(d.status, 200, JSON.stringify(d.body));
    await waitFor(
      `${name} deployed`,
      async () =>
        (await stack.call('GET', `/v1/environments/${name}/deployments/${d.body.id}`)).body.status ===
        'completed',
      W,
    );
    return created.body as { group: string; foreignTasks: string };
  };
  const status = async (name: string) => (await stack.call('GET', `/v1/environments/${name}`)).body.status;

  it('ignore (the default): foreign tasks keep running and every instance still gets a daemon task', async () => {
    const [i0] = instances('ign');
    const byStart = await startForeign('ign', i0!, 'team:ops', 'ops-cron');
    const byRun = await runForeign('ign', 'batch', 'batch-runner');
    await waitFor('foreign tasks running', () => isRunning(byStart) && isRunning(byRun.task), W);

    const env = await createAndDeploy('ignorer', 'ign');
    assert.equal(env.foreignTasks, 'ignore');
    for (const i of instances('ign')) assert.equal(liveOn(env.group, i).length, 1, `daemon task on ${i}`);
    assert.equal(stack.timeline.running(env.group), 3);
    // Beside the foreign ones, not instead of them.
    assert.ok(isRunning(byStart) && isRunning(byRun.task));
    assert.equal(stack.timeline.tasks.get(byStart)?.startedBy, 'ops-cron');
    const s = await status('ignorer');
    assert.deepEqual([s.desired, s.current, s.updated, s.available], [3, 3, 3, 3]);
    assert.deepEqual(stack.timeline.duplicates, []);
  });

  it('adopt: foreign tasks count as the daemon task (not duplicated, kept); an extra beside our own is stopped; a gap is filled', async () => {
    const all = instances('adp');
    const run = await runForeign('adp', 'batch', 'batch-runner');
    const other = all.find((i) => i !== run.instance)!;
    const byStart = await startForeign('adp', other, 'team:ops', 'ops-cron');
    const free = all.find((i) => i !== run.instance && i !== other)!;
    await waitFor('foreign tasks running', () => isRunning(byStart) && isRunning(run.task), W);

    const env = await createAndDeploy('adopter', 'adp', 'adopt');
    assert.equal(env.foreignTasks, 'adopt');
    // Our own task only where nobody runs one; the adopted ones are counted, not duplicated.
    assert.equal(liveOn(env.group, free).length, 1);
    assert.equal(liveOn(env.group, run.instance).length, 0);
    assert.equal(liveOn(env.group, other).length, 0);
    assert.ok(isRunning(byStart) && isRunning(run.task), 'adopted tasks are kept');
    const s = await status('adopter');
    assert.deepEqual([s.desired, s.current, s.updated, s.available], [3, 3, 3, 3]);

    // A foreign copy beside our own task: the extra (adopted) copy is stopped, ours stays.
    const own = liveOn(env.group, free)[0]!;
    const extra = await startForeign('adp', free, 'team:ops', 'ops-cron');
    await waitFor(
      'extra copy stopped',
      () => stack.timeline.tasks.get(extra)?.desiredStatus === 'STOPPED',
      W,
    );
    assert.deepEqual(liveOn(env.group, free), [own]);
    assert.ok(isRunning(own));

    // An adopted task that ends leaves a gap: the scheduler fills it with its own task.
    await stack.ecs.send(new StopTaskCommand({ cluster: 'adp', task: run.task, reason: 'batch done' }));
    await waitFor(
      'own task where the adopted one ended',
      () => liveOn(env.group, run.instance).length === 1,
      W,
    );
    assert.ok(isRunning(byStart), 'the other adopted task is still kept');
    assert.equal(liveOn(env.group, other).length, 0);
    assert.deepEqual(stack.timeline.duplicates, []);
  });
});
