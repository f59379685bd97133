// Conformance of container instances and attributes, through the real SDK over HTTP.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateClusterCommand,
  DeleteAttributesCommand,
  DeregisterContainerInstanceCommand,
  DescribeContainerInstancesCommand,
  ListAttributesCommand,
  ListContainerInstancesCommand,
  ListTasksCommand,
  PutAttributesCommand,
  RegisterContainerInstanceCommand,
  RegisterTaskDefinitionCommand,
  StartTaskCommand,
  UpdateContainerInstancesStateCommand,
} from '@aws-sdk/client-ecs';
import { waitFor } from '../../support/env.js';
import { rejectsWith, startEcs, type RunningEcs } from './helpers.js';

const ARN_RE = /^arn:aws:ecs:us-east-1:123456789012:container-instance\/default\/[0-9a-f]{32}$/;

describe('ECS container instances', () => {
  let run: RunningEcs;
  before(async () => {
    run = await startEcs({ taskStartDelayMs: 10, taskStopDelayMs: 10 });
    await run.client.send(new CreateClusterCommand({ clusterName: 'default' }));
    await run.client.send(
      new RegisterTaskDefinitionCommand({
        family: 'web',
        containerDefinitions: [
          {
            name: 'web',
            image: 'nginx',
            cpu: 512,
            memory: 1024,
            portMappings: [{ containerPort: 80, hostPort: 80 }],
          },
        ],
      }),
    );
  });
  after(() => run.close());

  it('registers as the agent does: identity document, totalResources, attributes, built-ins', async () => {
    const r = await run.client.send(
      new RegisterContainerInstanceCommand({
        instanceIdentityDocument: JSON.stringify({
          instanceId: 'i-0abc',
          instanceType: 'c5.xlarge',
          availabilityZone: 'us-east-1c',
          architecture: 'x86_64',
          imageId: 'ami-1',
        }),
        totalResources: [
          { name: 'CPU', type: 'INTEGER', integerValue: 4096 },
          { name: 'MEMORY', type: 'INTEGER', integerValue: 7000 },
          { name: 'PORTS', type: 'STRINGSET', stringSetValue: ['22', '2375'] },
          { name: 'PORTS_UDP', type: 'STRINGSET', stringSetValue: [] },
        ],
        attributes: [
          { name: 'com.amazonaws.ecs.capability.privileged-container' },
          { name: 'stack', value: 'prod' },
        ],
        versionInfo: { agentVersion: '1.80.0', agentHash: 'abc', dockerVersion: 'DockerVersion: 24.0.0' },
      }),
    );
    const ci = r.containerInstance!;
    assert.match(ci.containerInstanceArn!, ARN_RE);
    assert.equal(ci.ec2InstanceId, 'i-0abc');
    assert.equal(ci.status, 'ACTIVE');
    assert.equal(ci.agentConnected, true);
    assert.equal(ci.version, 1);
    assert.equal(ci.runningTasksCount, 0);
    assert.equal(ci.pendingTasksCount, 0);
    assert.deepEqual(
      ci.registeredResources!.map((x) => x.name),
      ['CPU', 'MEMORY', 'PORTS', 'PORTS_UDP'],
    );
    assert.deepEqual(
      ci.remainingResources!.map((x) => x.name),
      ['CPU', 'MEMORY', 'PORTS', 'PORTS_UDP'],
    );
    assert.equal(ci.registeredResources![0]!.integerValue, 4096);
    const attrs = Object.fromEntries(ci.attributes!.map((a) => [a.name, a.value]));
    assert.equal(attrs['ecs.instance-type'], 'c5.xlarge');
    assert.equal(attrs['ecs.availability-zone'], 'us-east-1c');
    assert.equal(attrs['ecs.os-type'], 'linux');
    assert.equal(attrs['ecs.cpu-architecture'], 'x86_64');
    assert.equal(attrs['ecs.ami-id'], 'ami-1');
    assert.equal(attrs.stack, 'prod');
    const capability = ci.attributes!.find(
      (a) => a.name === 'com.amazonaws.ecs.capability.privileged-container',
    )!;
    assert.equal(capability.value, undefined);
    assert.equal(ci.versionInfo!.agentVersion, '1.80.0');
  });

  it('rejects a malformed identity document and registration into an unknown cluster', async () => {
    await rejectsWith(
      run.client.send(new RegisterContainerInstanceCommand({ instanceIdentityDocument: '{not json' })),
      'ClientException',
    );
    await rejectsWith(
      run.client.send(new RegisterContainerInstanceCommand({ cluster: 'ghost' })),
      'ClusterNotFoundException',
    );
  });

  it('describes by ID and ARN, with MISSING failures, at most 100 per call', async () => {
    const { added } = run.ecs.fleet.scale('default', 4);
    assert.equal(added.length, 3, 'scale() sets the total, counting the agent-registered one');
    const id = added[0]!.split('/').pop()!;
    const missing =
      'arn:aws:ecs:us-east-1:123456789012:container-instance/default/0d1e2f3a4b5c4d6e8f7a6b5c4d3e2f1a';
    const d = await run.client.send(
      new DescribeContainerInstancesCommand({ containerInstances: [id, added[1]!, missing, 'deadbeef'] }),
    );
    assert.deepEqual(
      d.containerInstances!.map((c) => c.containerInstanceArn),
      [added[0], added[1]],
    );
    assert.deepEqual(d.failures, [
      { arn: missing, reason: 'MISSING' },
      { arn: 'arn:aws:ecs:us-east-1:123456789012:container-instance/default/deadbeef', reason: 'MISSING' },
    ]);
    await rejectsWith(
      run.client.send(
        new DescribeContainerInstancesCommand({ containerInstances: Array.from({ length: 101 }, () => id) }),
      ),
      'InvalidParameterException',
    );
    await rejectsWith(
      run.client.send(new DescribeContainerInstancesCommand({ containerInstances: [] })),
      'InvalidParameterException',
    );
  });

  it('lists with status, the full query language and pagination; bad filters are InvalidParameterException', async () => {
    const all = await run.client.send(new ListContainerInstancesCommand({}));
    assert.equal(all.containerInstanceArns!.length, 4);
    const c5 = await run.client.send(
      new ListContainerInstancesCommand({ filter: 'attribute:ecs.instance-type =~ c5.*' }),
    );
    assert.equal(c5.containerInstanceArns!.length, 1);
    const az = await run.client.send(
      new ListContainerInstancesCommand({
        filter: "attribute:ecs.availability-zone in [us-east-1a, 'us-east-1b'] and agentConnected == true",
      }),
    );
    assert.equal(az.containerInstanceArns!.length, 2, 'fleet instances go round-robin over a, b, c');
    const seen: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await run.client.send(new ListContainerInstancesCommand({ maxResults: 3, nextToken }));
      seen.push(...page.containerInstanceArns!);
      nextToken = page.nextToken;
      pages++;
    } while (nextToken);
    assert.equal(pages, 2);
    assert.deepEqual(seen, all.containerInstanceArns);
    await rejectsWith(
      run.client.send(
        new ListContainerInstancesCommand({ filter: 'attribute:ecs.instance-type === m5.large' }),
      ),
      'InvalidParameterException',
    );
    await rejectsWith(
      run.client.send(new ListContainerInstancesCommand({ maxResults: 0 })),
      'InvalidParameterException',
    );
    await rejectsWith(
      run.client.send(new ListContainerInstancesCommand({ status: 'BOGUS' as never })),
      'InvalidParameterException',
    );
  });

  it('drains and re-activates; versions increase; DRAINING instances are listed by status and get no tasks', async () => {
    const [first] = (
      await run.client.send(new ListContainerInstancesCommand({ filter: 'attribute:stack == prod' }))
    ).containerInstanceArns!;
    const before = (
      await run.client.send(new DescribeContainerInstancesCommand({ containerInstances: [first!] }))
    ).containerInstances![0]!;
    const u = await run.client.send(
      new UpdateContainerInstancesStateCommand({
        containerInstances: [first!, 'ffffffffffffffffffffffffffffffff'],
        status: 'DRAINING',
      }),
    );
    assert.equal(u.containerInstances![0]!.status, 'DRAINING');
    assert.ok(u.containerInstances![0]!.version! > before.version!);
    assert.equal(u.failures![0]!.reason, 'MISSING');
    const draining = await run.client.send(new ListContainerInstancesCommand({ status: 'DRAINING' }));
    assert.deepEqual(draining.containerInstanceArns, [first]);
    const start = await run.client.send(
      new StartTaskCommand({ taskDefinition: 'web', containerInstances: [first!] }),
    );
    assert.deepEqual(start.tasks, []);
    assert.equal(start.failures![0]!.reason, 'DRAINING');
    await run.client.send(
      new UpdateContainerInstancesStateCommand({ containerInstances: [first!], status: 'ACTIVE' }),
    );
    await rejectsWith(
      run.client.send(
        new UpdateContainerInstancesStateCommand({
          containerInstances: [first!],
          status: 'INACTIVE' as never,
        }),
      ),
      'InvalidParameterException',
    );
  });

  it('deregistration refuses while tasks run unless forced; INACTIVE stays describable', async () => {
    const [target] = (
      await run.client.send(new ListContainerInstancesCommand({ filter: 'attribute:stack == prod' }))
    ).containerInstanceArns!;
    const started = await run.client.send(
      new StartTaskCommand({ taskDefinition: 'web', containerInstances: [target!] }),
    );
    assert.equal(started.tasks!.length, 1);
    await rejectsWith(
      run.client.send(new DeregisterContainerInstanceCommand({ containerInstance: target! })),
      'InvalidParameterException',
    );
    const d = await run.client.send(
      new DeregisterContainerInstanceCommand({ containerInstance: target!, force: true }),
    );
    assert.equal(d.containerInstance!.status, 'INACTIVE');
    assert.equal(d.containerInstance!.agentConnected, false);
    const desc = await run.client.send(
      new DescribeContainerInstancesCommand({ containerInstances: [target!] }),
    );
    assert.equal(desc.containerInstances![0]!.status, 'INACTIVE');
    const listed = await run.client.send(new ListContainerInstancesCommand({}));
    assert.ok(!listed.containerInstanceArns!.includes(target!), 'INACTIVE is not listed by default');
    const start = await run.client.send(
      new StartTaskCommand({ taskDefinition: 'web', containerInstances: [target!] }),
    );
    assert.equal(start.failures![0]!.reason, 'INACTIVE');
    await rejectsWith(
      run.client.send(
        new DeregisterContainerInstanceCommand({ containerInstance: 'ffffffffffffffffffffffffffffffff' }),
      ),
      'InvalidParameterException',
    );
  });
});

describe('ECS container instances: agent restarts and retention', () => {
  it('re-registration with containerInstanceArn reconnects the same instance; INACTIVE ones expire', async () => {
    const run = await startEcs({ stoppedTaskRetentionMs: 150 });
    try {
      await run.client.send(new CreateClusterCommand({}));
      const [arn] = run.ecs.fleet.scale('default', 1).added;
      run.ecs.fleet.setAgentConnected(arn!, false);
      const again = await run.client.send(
        new RegisterContainerInstanceCommand({
          containerInstanceArn: arn,
          attributes: [{ name: 'restarted', value: 'yes' }],
        }),
      );
      assert.equal(again.containerInstance!.containerInstanceArn, arn);
      assert.equal(again.containerInstance!.agentConnected, true);
      assert.ok(again.containerInstance!.attributes!.some((a) => a.name === 'restarted'));
      assert.equal(
        (await run.client.send(new ListContainerInstancesCommand({}))).containerInstanceArns!.length,
        1,
      );
      const listedByInstance = await run.client.send(
        new ListTasksCommand({ containerInstance: 'ffffffffffffffffffffffffffffffff' }),
      );
      assert.deepEqual(listedByInstance.taskArns, [], 'an unknown instance lists no tasks');
      await run.client.send(new DeregisterContainerInstanceCommand({ containerInstance: arn! }));
      await waitFor('deregistered instance to expire', async () => {
        const d = await run.client.send(
          new DescribeContainerInstancesCommand({ containerInstances: [arn!] }),
        );
        return d.failures![0]?.reason === 'MISSING';
      });
    } finally {
      await run.close();
    }
  });
});

describe('ECS attributes', () => {
  let run: RunningEcs;
  let arn: string;
  before(async () => {
    run = await startEcs();
    await run.client.send(new CreateClusterCommand({}));
    arn = run.ecs.fleet.scale('default', 2).added[0]!;
  });
  after(() => run.close());

  it('puts, lists, filters by name/value and deletes custom attributes; each change bumps the version', async () => {
    const v0 = (await run.client.send(new DescribeContainerInstancesCommand({ containerInstances: [arn] })))
      .containerInstances![0]!.version!;
    const put = await run.client.send(
      new PutAttributesCommand({
        attributes: [
          { name: 'team', value: 'blue', targetId: arn },
          { name: 'gpu', targetId: arn.split('/').pop()!, targetType: 'container-instance' },
        ],
      }),
    );
    assert.equal(put.attributes!.length, 2);
    assert.equal(put.attributes![1]!.targetId, arn);
    const v1 = (await run.client.send(new DescribeContainerInstancesCommand({ containerInstances: [arn] })))
      .containerInstances![0]!.version!;
    assert.ok(v1 > v0);
    const listed = await run.client.send(
      new ListAttributesCommand({ targetType: 'container-instance', attributeName: 'team' }),
    );
    assert.deepEqual(listed.attributes, [
      { name: 'team', value: 'blue', targetType: 'container-instance', targetId: arn },
    ]);
    const byValue = await run.client.send(
      new ListAttributesCommand({
        targetType: 'container-instance',
        attributeName: 'team',
        attributeValue: 'red',
      }),
    );
    assert.deepEqual(byValue.attributes, []);
    const filtered = await run.client.send(
      new ListContainerInstancesCommand({ filter: 'attribute:gpu exists' }),
    );
    assert.deepEqual(filtered.containerInstanceArns, [arn]);
    await run.client.send(new DeleteAttributesCommand({ attributes: [{ name: 'gpu', targetId: arn }] }));
    const after = await run.client.send(
      new ListContainerInstancesCommand({ filter: 'attribute:gpu exists' }),
    );
    assert.deepEqual(after.containerInstanceArns, []);
    const page = await run.client.send(
      new ListAttributesCommand({ targetType: 'container-instance', maxResults: 5 }),
    );
    assert.equal(page.attributes!.length, 5);
    assert.ok(page.nextToken);
  });

  it('refuses reserved names, bad values, unknown targets and too many attributes', async () => {
    await rejectsWith(
      run.client.send(
        new PutAttributesCommand({ attributes: [{ name: 'ecs.instance-type', value: 'x', targetId: arn }] }),
      ),
      'InvalidParameterException',
    );
    await rejectsWith(
      run.client.send(
        new PutAttributesCommand({ attributes: [{ name: 'ok', value: ' padded', targetId: arn }] }),
      ),
      'InvalidParameterException',
    );
    await rejectsWith(
      run.client.send(
        new PutAttributesCommand({
          attributes: [
            {
              name: 'ok',
              value: 'v',
              targetId: 'ffffffffffffffffffffffffffffffff',
              targetType: 'container-instance',
            },
          ],
        }),
      ),
      'TargetNotFoundException',
    );
    await rejectsWith(
      run.client.send(
        new PutAttributesCommand({
          attributes: Array.from({ length: 11 }, (_, i) => ({ name: `a${i}`, targetId: arn })),
        }),
      ),
      'AttributeLimitExceededException',
    );
    await rejectsWith(
      run.client.send(new ListAttributesCommand({ targetType: 'task' as never })),
      'InvalidParameterException',
    );
    // A short ID needs its targetType to be resolved.
    await rejectsWith(
      run.client.send(
        new PutAttributesCommand({
          attributes: [{ name: 'ok', value: 'v', targetId: arn.split('/').pop()! }],
        }),
      ),
      'InvalidParameterException',
    );
  });

  it('an instance takes at most 10 custom attributes; a refused call changes nothing', async () => {
    const [other] = run.ecs.fleet.scale(
      'default',
      (await run.client.send(new ListContainerInstancesCommand({}))).containerInstanceArns!.length + 1,
    ).added;
    const custom = async () =>
      (await run.client.send(new DescribeContainerInstancesCommand({ containerInstances: [other!] })))
        .containerInstances![0]!.attributes!.filter(
          (a) => !a.name!.startsWith('ecs.') && !a.name!.startsWith('com.amazonaws.ecs.'),
        )
        .map((a) => a.name)
        .sort();
    const put = (names: string[]) =>
      run.client.send(
        new PutAttributesCommand({
          attributes: names.map((name) => ({ name, value: 'v', targetId: other! })),
        }),
      );
    await put(Array.from({ length: 8 }, (_, i) => `c${i}`));
    const err = await rejectsWith(put(['c8', 'c9', 'c10']), 'AttributeLimitExceededException');
    assert.match(err.message, /up to 10 custom attributes/);
    assert.equal((await custom()).length, 8);
    await put(['c0', 'c8', 'c9']); // c0 is replaced, not added: 10 in all
    assert.equal((await custom()).length, 10);
    await rejectsWith(put(['c10']), 'AttributeLimitExceededException');
  });
});
