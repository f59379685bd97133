import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { StartResult, StartTasksRequest } from '../../src/scheduler/framework/actuator.js';
import { waitFor } from '../support/env.js';
import { createCluster, registerTaskDefinition } from './support/harness.js';
import { runningStartedBy, startStack, type Stack } from './support/stack.js';

const W = { timeoutMs: 30_000, intervalMs: 50 };

/** One actuator.startTasks call as it happened: when it began and ended, and how many instances it had. */
interface Round {
  begin: number;
  end: number;
  instances: string[];
  /** Another round was in flight when this one began. */
  overlapped: boolean;
}

/**
 * Launch rounds overlap: a pass does not wait for its StartTask calls, so instances that join
 * while earlier calls are in flight get theirs without waiting for those calls to answer; while
 * instances keep joining, partial batches of 10 wait for more (ECS's bucket is counted in calls),
 * and go out once nothing new joins; and no instance is ever launched twice.
 */
describe('daemon scheduler launch rounds (sqlite store)', () => {
  let stack: Stack;
  let cluster: string;
  const rounds: Round[] = [];
  let inFlight = 0;

  before(async () => {
    // StartTask paced at 5 calls/s with no burst: a round of a few calls stays in flight long
    // enough for the next wave of instances to become visible meanwhile.
    stack = await startStack(
      { backend: 'sqlite' },
      { scheduler: { modifyRate: { perSecond: 5, burst: 1 } } },
    );
    cluster = await createCluster(stack.ecs, 'RoundsCluster');
    await registerTaskDefinition(stack.ecs, 'rounds');
    // Observe (not replace) the actuator's StartTask rounds.
    const actuator = stack.scheduler.actuator;
    const original = actuator.startTasks.bind(actuator);
    actuator.startTasks = async (req: StartTasksRequest): Promise<StartResult> => {
      const round: Round = {
        begin: Date.now(),
        end: 0,
        instances: [...req.instances],
        overlapped: inFlight > 0,
      };
      inFlight++;
      try {
        return await original(req);
      } finally {
        inFlight--;
        round.end = Date.now();
        rounds.push(round);
      }
    };
  });
  after(async () => {
    await stack?.close();
  });

  it('launches instances that join while earlier calls are in flight, in few calls, no duplicates', async () => {
    const created = await stack.call('POST', '/v1/environments', {
      name: 'rounds',
      instanceGroup: { cluster: 'RoundsCluster' },
      taskDefinition: 'rounds',
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const d = await stack.call(
      'POST',
      `/v1/environments/rounds/deployments?deploymentToken=${created.body.deploymentToken}`,
    );
    assert.equal(d.status, 200, JSON.stringify(d.body));
    stack.aws.ecs.fleet.scale('RoundsCluster', 25);
    await waitFor('the first round is in flight', () => inFlight > 0, W);
    stack.aws.ecs.fleet.scale('RoundsCluster', 64);
    await waitFor(
      '64 tasks running',
      async () => (await runningStartedBy(stack.ecs, cluster, d.body.id)) === 64,
      W,
    );

    const launched = rounds.flatMap((r) => r.instances);
    assert.equal(launched.length, 64, 'every instance launched exactly once');
    assert.equal(new Set(launched).size, 64, 'no instance launched twice');
    assert.deepEqual(stack.timeline.duplicates, []);
    assert.ok(
      rounds.some((r) => r.overlapped),
      `a round began while another was in flight: ${JSON.stringify(rounds.map((r) => [r.begin, r.end, r.instances.length]))}`,
    );
    // While calls are in flight, partial batches wait for the instances joining meanwhile: the 64
    // instances take 7 calls at best (the scheduler of one round at a time took 7 here too).
    const calls = rounds.reduce((n, r) => n + Math.ceil(r.instances.length / 10), 0);
    assert.ok(calls <= 10, `${calls} StartTask calls for 64 instances`);
  });

  it('launches a lone instance that joins later: the held-back partial batch goes out', async () => {
    const before = rounds.length;
    const d = (await stack.call('GET', '/v1/environments/rounds')).body.currentDeployment as string;
    stack.aws.ecs.fleet.scale('RoundsCluster', 65);
    await waitFor('65 tasks running', async () => (await runningStartedBy(stack.ecs, cluster, d)) === 65, W);
    const later = rounds.slice(before).flatMap((r) => r.instances);
    assert.equal(later.length, 1, `one launch for the one new instance: ${JSON.stringify(later)}`);
    assert.deepEqual(stack.timeline.duplicates, []);
  });
});
