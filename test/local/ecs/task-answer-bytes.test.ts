// StartTask, RunTask and StopTask answer from each task's cached API JSON (the bytes DescribeTasks
// serves); the answer must be byte for byte what stringifying the task shapes gives.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EcsContext } from '../../../src/local/ecs/context.js';
import { EcsEmulator } from '../../../src/local/ecs/index.js';
import { taskShape } from '../../../src/local/ecs/shapes.js';
import { runTask, startTask, stopTask } from '../../../src/local/ecs/tasks.js';

interface Answer {
  tasks: { taskArn: string }[];
  failures: unknown[];
}

describe('task answers', () => {
  it('StartTask, RunTask and StopTask answers are the stringified task shapes, byte for byte', () => {
    let t = Date.parse('2026-03-01T10:00:00.250Z');
    const ecs = new EcsEmulator({ seed: 5, now: () => t });
    const ctx = (ecs as unknown as { ctx: EcsContext }).ctx;
    ecs.callSync('CreateCluster', { clusterName: 'c' });
    ecs.callSync('RegisterTaskDefinition', {
      family: 'web',
      containerDefinitions: [
        { name: 'app', image: 'nginx "x" ü', cpu: 64, memory: 32, portMappings: [{ containerPort: 80 }] },
        { name: 'log', image: 'fluent', cpu: 0, memoryReservation: 8, essential: false },
      ],
    });
    ecs.fleet.scale('c', 40);
    const arns = ecs.fleet.instances('c').map((i) => i.containerInstanceArn);
    const expected = (answer: Answer) =>
      JSON.stringify({
        tasks: answer.tasks.map((x) => taskShape(ctx.state.tasks.get(x.taskArn)!, 'api')),
        failures: answer.failures,
      });
    let checked = 0;
    for (let k = 0; k < 40; k += 10) {
      t += 13;
      const out = startTask(ctx, {
        cluster: 'c',
        taskDefinition: 'web',
        containerInstances: [...arns.slice(k, k + 9), 'missing-instance'],
        startedBy: 'me',
        overrides: k === 0 ? { containerOverrides: [{ name: 'app', command: ['a "b"'] }] } : undefined,
        tags: k === 10 ? [{ key: 'team', value: 'ü' }] : undefined,
      });
      const answer = JSON.parse(out.text) as Answer;
      assert.equal(answer.tasks.length, 9);
      assert.equal(answer.failures.length, 1);
      assert.equal(out.text, expected(answer));
      checked += answer.tasks.length;
    }
    const run = runTask(ctx, { cluster: 'c', taskDefinition: 'web', count: 5, group: 'g' });
    assert.equal(run.text, expected(JSON.parse(run.text) as Answer));
    for (const task of (JSON.parse(run.text) as Answer).tasks) {
      t += 1;
      const stopped = stopTask(ctx, { cluster: 'c', task: task.taskArn, reason: 'done "now"' });
      assert.equal(
        stopped.text,
        JSON.stringify({ task: taskShape(ctx.state.tasks.get(task.taskArn)!, 'api') }),
      );
      checked++;
    }
    assert.equal(checked, 41);
    // the in-process call still answers plain objects
    const viaCall = ecs.callSync('StartTask', {
      cluster: 'c',
      taskDefinition: 'web',
      containerInstances: [arns[0]],
    });
    const record = ctx.state.tasks.get((viaCall as Answer).tasks[0]!.taskArn)!;
    assert.deepEqual(viaCall, {
      tasks: [JSON.parse(JSON.stringify(taskShape(record, 'api')))],
      failures: [],
    });
    ecs.close();
  });
});
