import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prepareCluster } from '../../src/scheduler/daemon/cluster-view.js';
import { compileFilter } from '../../src/scheduler/daemon/filter.js';
import { CLUSTER, instance, task } from './support/fixtures.js';

describe('cluster view eligibility', () => {
  it('judges each instance by its own live task groups (task:group filters)', () => {
    // Instances 0..5; the live tasks of instance n carry group family:g<n % 3>; instance 4 only has a
    // stopped task, instance 5 none; instance 2 is draining (never eligible).
    const instances = Array.from({ length: 6 }, (_, n) => instance(n, n === 2 ? { status: 'DRAINING' } : {}));
    const tasks = [0, 1, 2, 3, 4].map((n) =>
      task(n, n, { group: `family:g${n % 3}`, ...(n === 4 ? { lastStatus: 'STOPPED' } : {}) }),
    );
    const view = prepareCluster(CLUSTER, instances, tasks);
    const eligible = (query: string) =>
      [...view.eligibility(compileFilter({ query }))].map((v, n) => (v ? n : -1)).filter((n) => n >= 0);
    assert.deepEqual(eligible('task:group == family:g0'), [0, 3]);
    assert.deepEqual(eligible('task:group == family:g1'), [1], 'instance 4: its g1 task is stopped');
    assert.deepEqual(eligible('task:group == family:g2'), [], 'instance 2 is draining');
    assert.deepEqual(eligible('task:group != family:g0'), [1], 'no groups: nothing differs from g0');
    // Without a query nothing asks for groups: every ACTIVE, connected instance.
    assert.deepEqual(eligible(''), [0, 1, 3, 4, 5]);
  });
});
