// DescribeTasks answers from task JSON written in the background after each change: the answer
// must always be the task's current state, prepared or not, and the background must catch up.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EcsEmulator } from '../../../src/local/ecs/index.js';
import { waitFor } from '../../support/env.js';

interface Described {
  tasks: Array<{ taskArn: string; lastStatus: string; desiredStatus: string; version: number }>;
  failures: unknown[];
}

/** Tasks stay PENDING (and stopping ones STOPPING) until the test acts: no timer changes them. */
function emulator(): EcsEmulator {
  const ecs = new EcsEmulator({ seed: 7, taskStartDelayMs: 600_000, taskStopDelayMs: 600_000 });
  ecs.fleet.scale('c', 3);
  ecs.callSync('RegisterTaskDefinition', {
    family: 'web',
    containerDefinitions: [{ name: 'app', image: 'nginx', cpu: 1, memory: 4, essential: true }],
  });
  return ecs;
}

describe('task JSON prepared in the background', () => {
  it('is written for every changed task soon after the change', async () => {
    const ecs = emulator();
    try {
      const arns = ecs.fleet.instances('c').map((i) => i.containerInstanceArn);
      const started = ecs.callSync('StartTask', {
        cluster: 'c',
        taskDefinition: 'web',
        containerInstances: arns,
      }) as Described;
      assert.equal(ecs.pendingTaskJson(), 3);
      await waitFor('background task JSON', () => ecs.pendingTaskJson() === 0);
      const described = ecs.callSync('DescribeTasks', {
        cluster: 'c',
        tasks: started.tasks.map((t) => t.taskArn),
      }) as Described;
      assert.deepEqual(described.tasks, started.tasks, 'same JSON as StartTask answered');
    } finally {
      ecs.close();
    }
  });

  it('never answers an earlier version, prepared or not', async () => {
    const ecs = emulator();
    try {
      const arn = ecs.fleet.instances('c')[0]!.containerInstanceArn;
      const [task] = (
        ecs.callSync('StartTask', {
          cluster: 'c',
          taskDefinition: 'web',
          containerInstances: [arn],
        }) as Described
      ).tasks;
      await waitFor('prepared', () => ecs.pendingTaskJson() === 0);
      const before = (ecs.callSync('DescribeTasks', { cluster: 'c', tasks: [task!.taskArn] }) as Described)
        .tasks[0]!;
      ecs.callSync('StopTask', { cluster: 'c', task: task!.taskArn });
      assert.equal(ecs.pendingTaskJson(), 1, 'the change is not written yet');
      const after = (ecs.callSync('DescribeTasks', { cluster: 'c', tasks: [task!.taskArn] }) as Described)
        .tasks[0]!;
      assert.equal(after.desiredStatus, 'STOPPED');
      assert.ok(after.version > before.version);
      await waitFor('prepared again', () => ecs.pendingTaskJson() === 0);
      const later = (ecs.callSync('DescribeTasks', { cluster: 'c', tasks: [task!.taskArn] }) as Described)
        .tasks[0]!;
      assert.ok(later.version >= after.version);
    } finally {
      ecs.close();
    }
  });

  it('stops with the emulator and forgets pending work on reset', () => {
    const ecs = emulator();
    const arn = ecs.fleet.instances('c')[0]!.containerInstanceArn;
    ecs.callSync('StartTask', { cluster: 'c', taskDefinition: 'web', containerInstances: [arn] });
    assert.equal(ecs.pendingTaskJson(), 1);
    ecs.reset();
    assert.equal(ecs.pendingTaskJson(), 0);
    ecs.close();
  });
});
