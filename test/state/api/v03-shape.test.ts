import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerInstanceDetail, TaskDetail } from '../../../src/core/ecs/entities.js';
import { resourceValueString, toV03Instance, toV03Task } from '../../../src/state/api/v03-shape.js';

describe('v0.3 entity shapes (swagger models, go-swagger key order, omitempty)', () => {
  it('formats resource values as v0.3 did: DOUBLE with 2 decimals, INTEGER/LONG decimal, STRINGSET joined, else ""', () => {
    const cases: Array<[Parameters<typeof resourceValueString>[0], string]> = [
      [{ name: 'x', type: 'DOUBLE', doubleValue: 10.3 }, '10.30'],
      [{ name: 'x', type: 'DOUBLE', doubleValue: 0 }, '0.00'],
      [{ name: 'x', type: 'DOUBLE', doubleValue: 2.005 }, (2.005).toFixed(2)],
      [{ name: 'x', type: 'INTEGER', integerValue: 1024 }, '1024'],
      [{ name: 'x', type: 'INTEGER', integerValue: 0 }, '0'],
      [{ name: 'x', type: 'LONG', longValue: 9007199254740991 }, '9007199254740991'],
      [{ name: 'x', type: 'STRINGSET', stringSetValue: ['22', '80'] }, '22,80'],
      [{ name: 'x', type: 'STRINGSET', stringSetValue: [] }, ''],
      [{ name: 'x', type: 'INTEGER' }, ''],
      [{ name: 'x', type: 'INTEGER', longValue: 5 }, ''],
      [{ name: 'x', type: 'integer', integerValue: 5 }, ''],
      [{ name: 'x', type: 'BOGUS', integerValue: 5 }, ''],
    ];
    for (const [r, expected] of cases) assert.equal(resourceValueString(r), expected, JSON.stringify(r));
  });

  it('a full task: keys in v0.3 order, omitempty fields present when set, exitCode 0 left out', () => {
    const d: TaskDetail = {
      taskArn: 'T',
      clusterArn: 'C',
      containerInstanceArn: 'I',
      taskDefinitionArn: 'D',
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      version: 9,
      startedBy: 'me',
      createdAt: 'c',
      startedAt: 's',
      stoppedAt: 'x',
      stoppedReason: 'why',
      group: 'family:web',
      launchType: 'EC2',
      containers: [
        { containerArn: 'CA', name: 'n', lastStatus: 'STOPPED', exitCode: 0, reason: 'r' },
        {
          containerArn: 'CB',
          name: 'm',
          lastStatus: 'STOPPED',
          exitCode: 137,
          networkBindings: [{ bindIP: '0.0.0.0', containerPort: 80, hostPort: 80 }],
        },
      ],
      overrides: {
        containerOverrides: [{ name: 'n', command: ['a', 'b'], environment: [{ name: 'K', value: 'V' }] }],
        taskRoleArn: 'role',
      },
    };
    assert.equal(
      JSON.stringify(toV03Task(d)),
      '{"clusterARN":"C","containerInstanceARN":"I","containers":[' +
        '{"containerARN":"CA","lastStatus":"STOPPED","name":"n","networkBindings":null,"reason":"r"},' +
        '{"containerARN":"CB","exitCode":137,"lastStatus":"STOPPED","name":"m","networkBindings":[{"bindIP":"0.0.0.0","containerPort":80,"hostPort":80}]}],' +
        '"createdAt":"c","desiredStatus":"STOPPED","lastStatus":"STOPPED",' +
        '"overrides":{"containerOverrides":[{"command":["a","b"],"environment":[{"name":"K","value":"V"}],"name":"n"}],"taskRoleArn":"role"},' +
        '"startedAt":"s","startedBy":"me","stoppedAt":"x","stoppedReason":"why","taskARN":"T","taskDefinitionARN":"D"}',
    );
  });

  it("a sparse task (e.g. Fargate, no instance): required fields null or empty arrays instead of v0.3's 500", () => {
    const d = {
      taskArn: 'T',
      clusterArn: 'C',
      taskDefinitionArn: 'D',
      lastStatus: 'PENDING',
      desiredStatus: 'RUNNING',
      version: 1,
      startedBy: '',
    } as TaskDetail;
    assert.deepEqual(toV03Task(d), {
      clusterARN: 'C',
      containerInstanceARN: null,
      containers: [],
      createdAt: null,
      desiredStatus: 'RUNNING',
      lastStatus: 'PENDING',
      overrides: { containerOverrides: [] },
      taskARN: 'T',
      taskDefinitionARN: 'D',
    });
  });

  it('instances: EC2InstanceID first, attributes null when absent, remaining resources translated on their own (v0.3 panicked)', () => {
    const d: ContainerInstanceDetail = {
      containerInstanceArn: 'I',
      clusterArn: 'C',
      status: 'DRAINING',
      agentConnected: false,
      version: 3,
      ec2InstanceId: 'i-1',
      agentUpdateStatus: 'UPDATED',
      registeredResources: [{ name: 'CPU', type: 'INTEGER', integerValue: 2 }],
      remainingResources: [
        { name: 'CPU', type: 'INTEGER', integerValue: 1 },
        { name: 'MEMORY', type: 'INTEGER', integerValue: 5 },
      ],
      versionInfo: {},
    };
    assert.equal(
      JSON.stringify(toV03Instance(d)),
      '{"EC2InstanceID":"i-1","agentConnected":false,"agentUpdateStatus":"UPDATED","attributes":null,"clusterARN":"C",' +
        '"containerInstanceARN":"I","registeredResources":[{"name":"CPU","type":"INTEGER","value":"2"}],' +
        '"remainingResources":[{"name":"CPU","type":"INTEGER","value":"1"},{"name":"MEMORY","type":"INTEGER","value":"5"}],' +
        '"status":"DRAINING","versionInfo":{}}',
    );
    const bare = {
      containerInstanceArn: 'I',
      clusterArn: 'C',
      status: 'ACTIVE',
      version: 1,
      attributes: [{ name: 'a' }],
    } as unknown as ContainerInstanceDetail;
    assert.deepEqual(toV03Instance(bare), {
      agentConnected: null,
      attributes: [{ name: 'a', value: null }],
      clusterARN: 'C',
      containerInstanceARN: 'I',
      registeredResources: [],
      remainingResources: [],
      status: 'ACTIVE',
      versionInfo: null,
    });
  });
});
