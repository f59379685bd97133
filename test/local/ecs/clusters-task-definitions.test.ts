// Conformance of clusters and task definitions, through the real SDK over HTTP.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateClusterCommand,
  DeleteClusterCommand,
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  DescribeTaskDefinitionCommand,
  ListClustersCommand,
  ListTaskDefinitionFamiliesCommand,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
} from '@aws-sdk/client-ecs';
import { rejectsWith, startEcs, type RunningEcs } from './helpers.js';

const container = { name: 'app', image: 'busybox', cpu: 128, memory: 128 };

describe('ECS clusters', () => {
  let run: RunningEcs;
  before(async () => {
    run = await startEcs();
  });
  after(() => run.close());

  it('CreateCluster is idempotent and DescribeClusters reports MISSING for unknown ones', async () => {
    const a = await run.client.send(new CreateClusterCommand({ clusterName: 'alpha' }));
    const b = await run.client.send(new CreateClusterCommand({ clusterName: 'alpha' }));
    assert.equal(a.cluster!.clusterArn, 'arn:aws:ecs:us-east-1:123456789012:cluster/alpha');
    assert.equal(b.cluster!.clusterArn, a.cluster!.clusterArn);
    assert.equal(a.cluster!.status, 'ACTIVE');
    const d = await run.client.send(
      new DescribeClustersCommand({ clusters: ['alpha', 'arn:aws:ecs:us-east-1:123456789012:cluster/nope'] }),
    );
    assert.equal(d.clusters!.length, 1);
    assert.equal(d.clusters![0]!.clusterName, 'alpha');
    assert.deepEqual(d.failures, [
      { arn: 'arn:aws:ecs:us-east-1:123456789012:cluster/nope', reason: 'MISSING' },
    ]);
  });

  it('rejects invalid cluster names with InvalidParameterException', async () => {
    await rejectsWith(
      run.client.send(new CreateClusterCommand({ clusterName: 'bad name!' })),
      'InvalidParameterException',
    );
  });

  it('ListClusters pages with maxResults and nextToken', async () => {
    for (const n of ['c1', 'c2', 'c3']) await run.client.send(new CreateClusterCommand({ clusterName: n }));
    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await run.client.send(new ListClustersCommand({ maxResults: 2, nextToken }));
      assert.ok(page.clusterArns!.length <= 2);
      seen.push(...page.clusterArns!);
      nextToken = page.nextToken;
    } while (nextToken);
    assert.deepEqual(new Set(seen).size, seen.length);
    for (const n of ['alpha', 'c1', 'c2', 'c3'])
      assert.ok(
        seen.some((a) => a.endsWith(`/${n}`)),
        n,
      );
    await rejectsWith(
      run.client.send(new ListClustersCommand({ maxResults: 101 })),
      'InvalidParameterException',
    );
    await rejectsWith(
      run.client.send(new ListClustersCommand({ nextToken: 'garbage' })),
      'InvalidParameterException',
    );
  });

  it('DeleteCluster refuses while instances are registered, then deletes (INACTIVE)', async () => {
    await run.client.send(new CreateClusterCommand({ clusterName: 'busy' }));
    run.ecs.fleet.scale('busy', 1);
    await rejectsWith(
      run.client.send(new DeleteClusterCommand({ cluster: 'busy' })),
      'ClusterContainsContainerInstancesException',
    );
    run.ecs.fleet.scale('busy', 0);
    const del = await run.client.send(new DeleteClusterCommand({ cluster: 'busy' }));
    assert.equal(del.cluster!.status, 'INACTIVE');
    const d = await run.client.send(new DescribeClustersCommand({ clusters: ['busy'] }));
    assert.equal(d.clusters![0]!.status, 'INACTIVE');
    await rejectsWith(run.client.send(new ListTasksCommand({ cluster: 'busy' })), 'ClusterNotFoundException');
    await rejectsWith(
      run.client.send(new DeleteClusterCommand({ cluster: 'never' })),
      'ClusterNotFoundException',
    );
  });

  it('the default cluster is assumed when none is given, and must exist', async () => {
    await rejectsWith(run.client.send(new ListTasksCommand({})), 'ClusterNotFoundException');
    await run.client.send(new CreateClusterCommand({}));
    const list = await run.client.send(new ListTasksCommand({}));
    assert.deepEqual(list.taskArns, []);
  });
});

describe('ECS task definitions', () => {
  let run: RunningEcs;
  before(async () => {
    run = await startEcs();
    await run.client.send(new CreateClusterCommand({ clusterName: 'default' }));
  });
  after(() => run.close());

  it('registers revisions and describes the latest ACTIVE one by family', async () => {
    for (let i = 1; i <= 3; i++) {
      const r = await run.client.send(
        new RegisterTaskDefinitionCommand({
          family: 'web',
          containerDefinitions: [{ ...container, image: `web:${i}` }],
        }),
      );
      assert.equal(r.taskDefinition!.revision, i);
      assert.equal(
        r.taskDefinition!.taskDefinitionArn,
        `arn:aws:ecs:us-east-1:123456789012:task-definition/web:${i}`,
      );
      assert.equal(r.taskDefinition!.status, 'ACTIVE');
      assert.ok(r.taskDefinition!.registeredAt instanceof Date);
    }
    const d = await run.client.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web' }));
    assert.equal(d.taskDefinition!.revision, 3);
    assert.equal(d.taskDefinition!.containerDefinitions![0]!.image, 'web:3');
    const byArn = await run.client.send(
      new DescribeTaskDefinitionCommand({
        taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:2',
      }),
    );
    assert.equal(byArn.taskDefinition!.revision, 2);
  });

  it('deregistering makes a revision INACTIVE; bare family then resolves to the newest ACTIVE one', async () => {
    const r = await run.client.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'web:3' }));
    assert.equal(r.taskDefinition!.status, 'INACTIVE');
    assert.ok(r.taskDefinition!.deregisteredAt instanceof Date);
    const still = await run.client.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web:3' }));
    assert.equal(still.taskDefinition!.status, 'INACTIVE');
    const latest = await run.client.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web' }));
    assert.equal(latest.taskDefinition!.revision, 2);
    await rejectsWith(
      run.client.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'web' })),
      'ClientException',
    );
    run.ecs.fleet.scale('default', 1);
    await rejectsWith(run.client.send(new RunTaskCommand({ taskDefinition: 'web:3' })), 'ClientException');
  });

  it('lists with family and status filters, sort and pagination', async () => {
    await run.client.send(
      new RegisterTaskDefinitionCommand({ family: 'worker', containerDefinitions: [container] }),
    );
    const active = await run.client.send(new ListTaskDefinitionsCommand({}));
    assert.deepEqual(
      active.taskDefinitionArns!.map((a) => a.split('/')[1]),
      ['web:1', 'web:2', 'worker:1'],
    );
    const inactive = await run.client.send(new ListTaskDefinitionsCommand({ status: 'INACTIVE' }));
    assert.deepEqual(
      inactive.taskDefinitionArns!.map((a) => a.split('/')[1]),
      ['web:3'],
    );
    const family = await run.client.send(
      new ListTaskDefinitionsCommand({ familyPrefix: 'web', sort: 'DESC' }),
    );
    assert.deepEqual(
      family.taskDefinitionArns!.map((a) => a.split('/')[1]),
      ['web:2', 'web:1'],
    );
    const p1 = await run.client.send(new ListTaskDefinitionsCommand({ maxResults: 2 }));
    assert.equal(p1.taskDefinitionArns!.length, 2);
    assert.ok(p1.nextToken);
    const p2 = await run.client.send(
      new ListTaskDefinitionsCommand({ maxResults: 2, nextToken: p1.nextToken }),
    );
    assert.deepEqual(
      p2.taskDefinitionArns!.map((a) => a.split('/')[1]),
      ['worker:1'],
    );
    assert.equal(p2.nextToken, undefined);
    const families = await run.client.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: 'w' }));
    assert.deepEqual(families.families, ['web', 'worker']);
    const one = await run.client.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: 'wo' }));
    assert.deepEqual(one.families, ['worker']);
    // No emulated task definition is ever being deleted.
    const deleting = await run.client.send(new ListTaskDefinitionsCommand({ status: 'DELETE_IN_PROGRESS' }));
    assert.deepEqual(deleting.taskDefinitionArns, []);
    await rejectsWith(
      run.client.send(new ListTaskDefinitionsCommand({ status: 'ALL' as never })),
      'InvalidParameterException',
    );
  });

  it('lists families with no ACTIVE revision too, unless asked for ACTIVE ones', async () => {
    await run.client.send(
      new RegisterTaskDefinitionCommand({ family: 'gone', containerDefinitions: [container] }),
    );
    await run.client.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'gone:1' }));
    const all = await run.client.send(new ListTaskDefinitionFamiliesCommand({}));
    assert.ok(all.families!.includes('gone'), String(all.families));
    assert.ok(all.families!.includes('worker'));
    const active = await run.client.send(new ListTaskDefinitionFamiliesCommand({ status: 'ACTIVE' }));
    assert.ok(!active.families!.includes('gone'));
    const inactive = await run.client.send(new ListTaskDefinitionFamiliesCommand({ status: 'INACTIVE' }));
    assert.deepEqual(inactive.families, ['gone']);
  });

  it('takes task-level sizes in vCPUs and GB and stores them as CPU units and MiB', async () => {
    const register = (size: { cpu?: string; memory?: string }) =>
      run.client.send(
        new RegisterTaskDefinitionCommand({ family: 'sized', ...size, containerDefinitions: [container] }),
      );
    for (const [given, cpu, memory] of [
      [{ cpu: '0.5 vCPU', memory: '2 GB' }, '512', '2048'],
      [{ cpu: '1 vcpu', memory: '1GB' }, '1024', '1024'],
      [{ cpu: '256', memory: '512' }, '256', '512'],
    ] as const) {
      const { taskDefinition } = await register(given);
      assert.deepEqual([taskDefinition!.cpu, taskDefinition!.memory], [cpu, memory], JSON.stringify(given));
    }
    for (const bad of [{ cpu: '1.3 vCPU' }, { cpu: 'lots' }, { memory: '2 TB' }, { memory: '0 GB' }]) {
      const err = await rejectsWith(register(bad), 'ClientException');
      assert.match(err.message, new RegExp(`Invalid '${Object.keys(bad)[0]}' value`));
    }
  });

  it('rejects bad definitions with ClientException and unknown ones with ClientException', async () => {
    await rejectsWith(
      run.client.send(new RegisterTaskDefinitionCommand({ family: 'x', containerDefinitions: [] })),
      'ClientException',
    );
    await rejectsWith(
      run.client.send(
        new RegisterTaskDefinitionCommand({ family: 'bad family', containerDefinitions: [container] }),
      ),
      'ClientException',
    );
    await rejectsWith(
      run.client.send(
        new RegisterTaskDefinitionCommand({ family: 'x', containerDefinitions: [{ name: 'a', image: 'i' }] }),
      ),
      'ClientException',
    );
    await rejectsWith(
      run.client.send(
        new RegisterTaskDefinitionCommand({ family: 'x', containerDefinitions: [container, container] }),
      ),
      'ClientException',
    );
    await rejectsWith(
      run.client.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'nope:1' })),
      'ClientException',
    );
    await rejectsWith(
      run.client.send(new DescribeTaskDefinitionCommand({ taskDefinition: '' })),
      'InvalidParameterException',
    );
  });
});
