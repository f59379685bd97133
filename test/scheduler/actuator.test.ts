import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createEcsClient } from '../../src/aws/clients.js';
import { createLogger } from '../../src/core/logger.js';
import { EcsActuator } from '../../src/scheduler/framework/actuator.js';
import { IntentLog } from '../../src/scheduler/framework/intents.js';
import { openStore, type Store } from '../../src/store/index.js';
import { tempDir } from '../support/env.js';
import { createCluster, registerTaskDefinition, startAws } from './support/harness.js';

/** The actuator's launch against the emulator (real SDK over HTTP) with intents in a real SQLite store. */
describe('actuator launch with intents (emulator + SQLite)', () => {
  let aws: Awaited<ReturnType<typeof startAws>>;
  let store: Store;
  let cleanup: () => Promise<void>;
  before(async () => {
    aws = await startAws();
    const dir = await tempDir();
    cleanup = dir.cleanup;
    store = await openStore({ backend: 'sqlite', dataDir: dir.path });
  });
  after(async () => {
    await store.close();
    await cleanup();
    await aws.close();
  });

  /**
   * A cluster of n instances with ECS's modify bucket down to 1 call (10 a second), and a client
   * making one attempt per call, so every throttled answer reaches the actuator's own backoff.
   * The caller turns throttling off and destroys the client.
   */
  async function underEcsThrottling(name: string, n: number) {
    const cluster = await createCluster(aws.ecs, name);
    const td = await registerTaskDefinition(aws.ecs, name);
    aws.aws.ecs.fleet.scale(name, n);
    const instances = aws.aws.ecs.fleet.instances(name).map((i) => i.containerInstanceArn);
    const ecs = createEcsClient({
      endpoint: aws.aws.endpoint,
      region: aws.aws.region,
      credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    aws.aws.ecs.setThrottling(true, { clusterResourceModify: { burst: 1, perSecond: 10 } });
    return { cluster, td, instances, ecs };
  }

  it('records an intent per instance before StartTask, keeps those of started tasks and drops the failed', async () => {
    const cluster = await createCluster(aws.ecs, 'act');
    const td = await registerTaskDefinition(aws.ecs, 'act');
    aws.aws.ecs.fleet.scale('act', 12);
    const instances = aws.aws.ecs.fleet.instances('act').map((i) => i.containerInstanceArn);
    const missing = `${cluster.replace(':cluster/', ':container-instance/')}/00000000000000000000000000000000`;
    const intents = new IntentLog(store, 'test/act-intents/');
    // What the store held while ECS was being called: the intents must be there before the call.
    let seenAtCall = -1;
    const unsubscribe = aws.aws.ecs.onChange((c) => {
      if (c.kind === 'task' && seenAtCall < 0)
        void intents.list('env').then((l) => (seenAtCall = seenAtCall < 0 ? l.length : seenAtCall));
    });
    const actuator = new EcsActuator({ ecs: aws.ecs, identity: 'test' });
    const result = await actuator.launch(
      { cluster, taskDefinition: td, instances: [...instances, missing], startedBy: 'dep1', group: 'g' },
      { scope: 'env', intents },
    );
    unsubscribe();
    assert.equal(result.started.length, 12);
    assert.deepEqual(
      result.failures.map((f) => f.instance),
      [missing],
    );
    assert.equal(actuator.stats.startTaskCalls, 2, '13 instances take two StartTask calls of at most 10');
    const stored = await intents.list('env');
    assert.deepEqual(stored.map((i) => i.instance).sort(), [...instances].sort());
    assert.ok(stored.every((i) => i.state === 'calling' && i.startedBy === 'dep1' && i.by === 'test'));
    assert.ok(seenAtCall >= 12, `intents were recorded before ECS placed a task (saw ${seenAtCall})`);
  });

  it('counts the modify calls it could make now without waiting for its pacing bucket', async () => {
    const cluster = await createCluster(aws.ecs, 'spare');
    const td = await registerTaskDefinition(aws.ecs, 'spare');
    aws.aws.ecs.fleet.scale('spare', 30);
    const instances = aws.aws.ecs.fleet.instances('spare').map((i) => i.containerInstanceArn);
    // A burst of 2 and a slow refill: the third of three calls waits for a token.
    const actuator = new EcsActuator({ ecs: aws.ecs, modifyRate: { perSecond: 4, burst: 2 } });
    assert.equal(actuator.spareModifyCalls(), 2);
    const started = actuator.startTasks({ cluster, taskDefinition: td, instances });
    assert.ok(actuator.spareModifyCalls() < 0, 'one call is waiting for a token: none to spare');
    const result = await started;
    assert.equal(result.started.length, 30);
    assert.ok(actuator.spareModifyCalls() >= 0, 'no call waits for a token any more');
  });

  it('counts a call backing off before its retry as one more that will take a token', async () => {
    const { cluster, td, instances, ecs } = await underEcsThrottling('retry-spare', 20);
    // What the actuator would spare at the moment it logs a retry (pino writes synchronously).
    const spareAtRetry: number[] = [];
    let actuator: EcsActuator | undefined;
    const destination = new Writable({
      write(chunk: Buffer, _enc, cb) {
        if (chunk.toString().includes('backing off')) spareAtRetry.push(actuator!.spareModifyCalls());
        cb();
      },
    });
    try {
      // The actuator's own bucket is full again at once (burst 5, a million a second): only ECS throttles.
      actuator = new EcsActuator({
        ecs,
        modifyRate: { perSecond: 1_000_000, burst: 5 },
        logger: createLogger({ level: 'debug', destination }),
      });
      const result = await actuator.startTasks({
        cluster,
        taskDefinition: td,
        instances,
        startedBy: 'spare',
      });
      assert.equal(result.started.length, 20, JSON.stringify(result.failures));
      assert.ok(spareAtRetry.length > 0, 'ECS throttled the second call and it was retried');
      assert.ok(
        spareAtRetry.every((n) => n <= 4),
        `a call about to retry is not counted as a token to spare (saw ${spareAtRetry.join(', ')} of 5)`,
      );
      assert.equal(actuator.spareModifyCalls(), 5, 'every call counted while waiting is uncounted once done');
    } finally {
      aws.aws.ecs.setThrottling(false);
      ecs.destroy();
    }
  });

  it('calls ECS not at all when the intents cannot be written (the leadership term ended)', async () => {
    const cluster = await createCluster(aws.ecs, 'fenced');
    const td = await registerTaskDefinition(aws.ecs, 'fenced');
    aws.aws.ecs.fleet.scale('fenced', 2);
    const instances = aws.aws.ecs.fleet.instances('fenced').map((i) => i.containerInstanceArn);
    const actuator = new EcsActuator({ ecs: aws.ecs });
    const intents = new IntentLog(store, 'test/fenced-intents/');
    await assert.rejects(
      actuator.launch(
        { cluster, taskDefinition: td, instances, startedBy: 'dep1' },
        {
          scope: 'env',
          intents,
          fence: { key: 'test/no-such-leader', target: 'createRevision', op: '!=', value: 0 },
        },
      ),
      /leadership/,
    );
    assert.equal(actuator.stats.startTaskCalls, 0);
    assert.equal((await intents.list('env')).length, 0);
  });

  it('backs off ThrottlingException and still starts every instance, then stops tasks with failures per task', async () => {
    const { cluster, td, instances, ecs } = await underEcsThrottling('throttled', 40);
    try {
      const actuator = new EcsActuator({ ecs, modifyRate: { perSecond: 1000, burst: 1000 } });
      const result = await actuator.startTasks({ cluster, taskDefinition: td, instances, startedBy: 'thr' });
      assert.equal(result.failures.length, 0, JSON.stringify(result.failures));
      assert.deepEqual(result.started.map((s) => s.instance).sort(), [...instances].sort());
      assert.equal(actuator.stats.startTaskCalls, 4);
      assert.ok(actuator.stats.throttled > 0, 'ECS throttled the 4 parallel calls and they were retried');
      aws.aws.ecs.setThrottling(false);

      const taskArns = result.started.map((s) => s.taskArn).slice(0, 3);
      const stop = await actuator.stopTasks({
        cluster,
        tasks: [...taskArns, 'no-such-task'],
        reason: 'done',
      });
      assert.deepEqual(stop.stopped.sort(), [...taskArns].sort());
      assert.equal(stop.failures.length, 1);
      assert.equal(stop.failures[0]!.task, 'no-such-task');
      assert.match(stop.failures[0]!.reason, /^InvalidParameterException: /);
      assert.equal(actuator.stats.stopTaskCalls, 3);
      // ECS lists only the tasks still meant to run: the three stopped ones are gone from the list.
      const running = await actuator.tasksStartedBy(cluster, 'thr');
      assert.equal(running.length, instances.length - 3);
      assert.ok(running.every((t) => !taskArns.includes(t.taskArn)));
    } finally {
      aws.aws.ecs.setThrottling(false);
      ecs.destroy();
    }
  });
});
