import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerInstanceDetail } from '../../../src/core/ecs/entities.js';
import { instanceViewOf } from '../../../src/scheduler/framework/views.js';

function detail(over: Partial<ContainerInstanceDetail> = {}): ContainerInstanceDetail {
  return {
    containerInstanceArn: 'arn:aws:ecs:us-east-1:123456789012:container-instance/c/1',
    clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/c',
    status: 'ACTIVE',
    agentConnected: true,
    version: 1,
    attributes: [
      { name: 'ecs.capability.task-eni' },
      { name: 'ecs.instance-type', value: 'm5.large' },
      { name: 'stack', value: 'prod' },
    ],
    remainingResources: [
      { name: 'CPU', type: 'INTEGER', integerValue: 2048 },
      { name: 'MEMORY', type: 'INTEGER', integerValue: 7680 },
    ],
    ...over,
  } as ContainerInstanceDetail;
}

describe('instanceViewOf', () => {
  it('reads attributes and remaining resources', () => {
    const v = instanceViewOf(detail());
    assert.deepEqual(v.attributes, {
      'ecs.capability.task-eni': undefined,
      'ecs.instance-type': 'm5.large',
      stack: 'prod',
    });
    assert.equal(v.remainingCpu, 2048);
    assert.equal(v.remainingMemory, 7680);
    const bare = instanceViewOf(detail({ attributes: undefined, remainingResources: undefined }));
    assert.deepEqual(bare.attributes, {});
    assert.equal('remainingCpu' in bare, false);
  });

  it('builds the attribute record only when something reads it, once', () => {
    let reads = 0;
    const counted = (name: string, value?: string) => ({
      get name() {
        reads++;
        return name;
      },
      ...(value !== undefined ? { value } : {}),
    });
    const v = instanceViewOf(detail({ attributes: [counted('a', '1'), counted('b')] }));
    assert.equal(reads, 0, 'not built by the view');
    assert.deepEqual(v.attributes, { a: '1', b: undefined });
    assert.equal(reads, 2);
    assert.equal(v.attributes, v.attributes, 'built once');
    assert.equal(reads, 2);
    assert.deepEqual({ ...v }.attributes, { a: '1', b: undefined }, 'a copy of the view carries the record');
  });

  it("reuses the previous view's attribute record when the attribute list is equal, builds one otherwise", () => {
    const first = instanceViewOf(detail());
    // A new revision parsed anew: equal lists, other objects.
    const again = instanceViewOf(
      detail({ version: 2, remainingResources: [{ name: 'CPU', type: 'INTEGER', integerValue: 1024 }] }),
      first,
    );
    assert.equal(again.attributes, first.attributes, 'reused');
    assert.equal(again.remainingCpu, 1024);
    assert.equal(again.version, 2);
    const changes: Array<ContainerInstanceDetail['attributes']> = [
      [
        { name: 'ecs.capability.task-eni' },
        { name: 'ecs.instance-type', value: 'm5.xlarge' },
        { name: 'stack', value: 'prod' },
      ],
      [
        { name: 'ecs.capability.task-eni' },
        { name: 'ecs.instance-type', value: 'm5.large' },
        { name: 'stack2', value: 'prod' },
      ],
      [{ name: 'ecs.capability.task-eni' }, { name: 'ecs.instance-type', value: 'm5.large' }],
      [
        { name: 'ecs.capability.task-eni', value: '' },
        { name: 'ecs.instance-type', value: 'm5.large' },
        { name: 'stack', value: 'prod' },
      ],
      undefined,
    ];
    for (const attributes of changes) {
      const changed = instanceViewOf(detail({ version: 3, attributes }), again);
      assert.notEqual(changed.attributes, first.attributes);
      assert.deepEqual(changed.attributes, instanceViewOf(detail({ attributes })).attributes);
    }
    // A view without a known source list (built elsewhere) is never reused from.
    const foreign = { ...first, attributes: { ...first.attributes } };
    assert.notEqual(instanceViewOf(detail(), foreign).attributes, foreign.attributes);
  });
});
