import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ListTasksCommand,
  StartTaskCommand,
  StopTaskCommand,
  UpdateContainerInstancesStateCommand,
} from '@aws-sdk/client-ecs';
import { waitFor } from '../support/env.js';
import { startEtcd } from '../support/etcd.js';
import { createCluster, registerTaskDefinition } from './support/harness.js';
import { runningStartedBy, startStack, type Backend, type Stack } from './support/stack.js';

const W = { timeoutMs: 30_000, intervalMs: 100 };

for (const kind of ['sqlite', 'etcd'] as const) {
  describe(`daemon scheduler end to end (${kind} store)`, () => {
    let stack: Stack;
    let etcd: Awaited<ReturnType<typeof startEtcd>> | undefined;
    let cluster: string;
    let td: string;

    before(async () => {
      let backend: Backend = { backend: 'sqlite' };
      if (kind === 'etcd') {
        etcd = await startEtcd();
        backend = { backend: 'etcd', endpoints: etcd.endpoints, namespace: 'e2e/' };
      }
      stack = await startStack(backend);
      cluster = await createCluster(stack.ecs, 'DSTestCluster');
      td = await registerTaskDefinition(stack.ecs, 'sleep');
    });
    after(async () => {
      await stack?.close();
      await etcd?.stop();
    });

    const deploy = async (name: string, body?: unknown) => {
      const env = (await stack.call('GET', `/v1/environments/${name}`)).body;
      const d = await stack.call(
        'POST',
        `/v1/environments/${name}/deployments?deploymentToken=${env.deploymentToken}`,
        body,
      );
      assert.equal(d.status, 200, JSON.stringify(d.body));
      return d.body;
    };
    const deployment = async (name: string, id: string) =>
      (await stack.call('GET', `/v1/environments/${name}/deployments/${id}`)).body;

    it("v0.3's scenario: 1 → 2 → tasks stopped → 10 → 0, counts converge each time", async () => {
      stack.aws.ecs.fleet.scale('DSTestCluster', 1);
      const created = await stack.call('POST', '/v1/environments', {
        name: 'blox-test-daemon',
        instanceGroup: { cluster: 'DSTestCluster' },
        taskDefinition: 'sleep',
      });
      assert.equal(created.status, 200);
      const d = await deploy('blox-test-daemon');
      const count = () => runningStartedBy(stack.ecs, cluster, d.id);
      await waitFor('1 task', async () => (await count()) === 1, W);
      await waitFor(
        'completed',
        async () => (await deployment('blox-test-daemon', d.id)).status === 'completed',
        W,
      );
      stack.aws.ecs.fleet.scale('DSTestCluster', 2);
      await waitFor('2 tasks', async () => (await count()) === 2, W);
      const live = await stack.ecs.send(new ListTasksCommand({ cluster }));
      for (const task of live.taskArns ?? []) await stack.ecs.send(new StopTaskCommand({ cluster, task }));
      await waitFor('2 tasks again', async () => (await count()) === 2 && (await count()) === 2, W);
      stack.aws.ecs.fleet.scale('DSTestCluster', 10);
      await waitFor('10 tasks', async () => (await count()) === 10, W);
      const env = (await stack.call('GET', '/v1/environments/blox-test-daemon')).body;
      await waitFor(
        'status counts',
        async () => {
          const s = (await stack.call('GET', '/v1/environments/blox-test-daemon')).body.status;
          return s.desired === 10 && s.available === 10 && s.updated === 10;
        },
        W,
      );
      assert.equal(env.health, 'healthy');
      stack.aws.ecs.fleet.scale('DSTestCluster', 0);
      await waitFor('0 tasks', async () => (await count()) === 0, W);
      assert.deepEqual(stack.timeline.duplicates, []);
    });

    it('rolling update never exceeds maxUnavailable (observed timeline), then rollback to an earlier revision', async () => {
      stack.aws.ecs.fleet.scale('DSTestCluster', 8);
      const created = await stack.call('POST', '/v1/environments', {
        name: 'rolling',
        instanceGroup: { cluster: 'DSTestCluster' },
        taskDefinition: td,
        deploymentConfiguration: { maxUnavailable: 2 },
      });
      const group = created.body.group as string;
      const first = await deploy('rolling');
      await waitFor(
        'v1 everywhere',
        async () => (await deployment('rolling', first.id)).status === 'completed',
        W,
      );
      assert.equal(stack.timeline.running(group), 8);
      const td2 = await registerTaskDefinition(stack.ecs, 'sleep');
      const env = (await stack.call('GET', '/v1/environments/rolling')).body;
      const updated = await stack.call(
        'PUT',
        `/v1/environments/rolling?deploymentToken=${env.deploymentToken}`,
        { taskDefinition: td2 },
      );
      assert.equal(updated.status, 200);
      stack.timeline.watchAvailability(group, () => 8);
      const second = await deploy('rolling');
      await waitFor(
        'v2 everywhere',
        async () => (await deployment('rolling', second.id)).status === 'completed',
        W,
      );
      assert.equal(stack.timeline.running(group, td2), 8);
      assert.ok(stack.timeline.maxUnavailable <= 2, `max unavailable ${stack.timeline.maxUnavailable}`);
      assert.ok(stack.timeline.maxUnavailable >= 1);
      const done = await deployment('rolling', second.id);
      assert.ok(done.maxUnavailableSeen <= 2);
      // Explicit rollback to revision 1.
      const tok = (await stack.call('GET', '/v1/environments/rolling')).body.deploymentToken;
      const rb = await stack.call('POST', `/v1/environments/rolling/rollback?deploymentToken=${tok}`);
      assert.equal(rb.status, 200, JSON.stringify(rb.body));
      assert.equal(rb.body.revision, 1);
      await waitFor(
        'rolled back',
        async () => (await deployment('rolling', rb.body.id)).status === 'completed',
        W,
      );
      assert.equal(stack.timeline.running(group, td), 8);
      assert.deepEqual(stack.timeline.duplicates, []);
    });

    it('failure (insufficient memory) → failed instances, unhealthy, automatic rollback', async () => {
      const big = await registerTaskDefinition(stack.ecs, 'huge', 10_000_000);
      const env = (await stack.call('GET', '/v1/environments/rolling')).body;
      await stack.call('PUT', `/v1/environments/rolling?deploymentToken=${env.deploymentToken}`, {
        taskDefinition: big,
        deploymentConfiguration: { maxUnavailable: 1, failureThreshold: 0 },
      });
      const bad = await deploy('rolling');
      await waitFor(
        'rolled back',
        async () => (await deployment('rolling', bad.id)).state === 'rolled_back',
        W,
      );
      const failed = await deployment('rolling', bad.id);
      assert.ok(failed.failedInstances.length >= 1);
      assert.match(failed.failures[0].reason, /RESOURCE:MEMORY/);
      const after = (await stack.call('GET', '/v1/environments/rolling')).body;
      assert.equal(after.health, 'unhealthy');
      await waitFor(
        'rollback completed',
        async () => (await deployment('rolling', failed.rolledBackBy)).status === 'completed',
        W,
      );
      assert.equal(stack.timeline.running(after.group, td), 8);
      assert.deepEqual(stack.timeline.duplicates, []);
    });

    it('an extra copy on an instance (v0.3 #151) is stopped', async () => {
      const env = (await stack.call('GET', '/v1/environments/rolling')).body;
      const instance = stack.aws.ecs.fleet.instances('DSTestCluster')[1]!.containerInstanceArn;
      const before = stack.timeline.duplicates.length;
      const out = await stack.ecs.send(
        new StartTaskCommand({
          cluster,
          taskDefinition: td,
          containerInstances: [instance],
          group: env.group,
          startedBy: 'someone',
        }),
      );
      assert.equal(out.tasks?.length, 1, JSON.stringify(out.failures));
      const extra = out.tasks![0]!.taskArn!;
      assert.equal(stack.timeline.duplicates.length, before + 1);
      await waitFor(
        'extra copy stopped',
        () => stack.timeline.tasks.get(extra)?.desiredStatus === 'STOPPED',
        W,
      );
      const live = [...stack.timeline.tasks.values()].filter(
        (t) => t.group === env.group && t.instance === instance && t.desiredStatus === 'RUNNING',
      );
      assert.equal(live.length, 1);
      stack.timeline.duplicates.splice(before);
    });

    it('draining: no new task, the daemon task stops; delete stops every task', async () => {
      const env = (await stack.call('GET', '/v1/environments/rolling')).body;
      const instance = stack.aws.ecs.fleet.instances('DSTestCluster')[0]!;
      await stack.ecs.send(
        new UpdateContainerInstancesStateCommand({
          cluster,
          containerInstances: [instance.containerInstanceArn],
          status: 'DRAINING',
        }),
      );
      await waitFor('drained', () => stack.timeline.running(env.group) === 7, W);
      await waitFor(
        'desired 7',
        async () => (await stack.call('GET', '/v1/environments/rolling')).body.status?.desired === 7,
        W,
      );
      assert.equal((await stack.call('DELETE', '/v1/environments/rolling')).status, 200);
      assert.equal((await stack.call('DELETE', '/v1/environments/blox-test-daemon')).status, 200);
      await waitFor('all stopped', () => stack.timeline.running(env.group) === 0, W);
      assert.deepEqual(stack.timeline.duplicates, []);
    });
  });
}
