// The AWS JSON 1.1 wire: dispatch, error shapes, bad input, and throttling on/off.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateClusterCommand,
  DescribeClustersCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
} from '@aws-sdk/client-ecs';
import { AwsError } from '../../../src/local/http/aws-error.js';
import { EcsEmulator } from '../../../src/local/ecs/index.js';
import { rejectsWith, startEcs, type RunningEcs } from './helpers.js';

async function post(endpoint: string, target: string | undefined, body: string) {
  const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.1' };
  if (target) headers['x-amz-target'] = target;
  const res = await fetch(endpoint, { method: 'POST', headers, body });
  return {
    status: res.status,
    errorType: res.headers.get('x-amzn-errortype'),
    body: (await res.json()) as Record<string, unknown>,
  };
}

describe('ECS wire protocol', () => {
  let run: RunningEcs;
  before(async () => {
    run = await startEcs();
    await run.client.send(new CreateClusterCommand({}));
  });
  after(() => run.close());

  it('errors carry __type com.amazonaws.ecs#<Name>, a message and x-amzn-errortype', async () => {
    const r = await post(run.endpoint, 'AmazonEC2ContainerServiceV20141113.ListTasks', '{"cluster":"ghost"}');
    assert.equal(r.status, 400);
    assert.equal(r.errorType, 'ClusterNotFoundException');
    assert.deepEqual(r.body, {
      __type: 'com.amazonaws.ecs#ClusterNotFoundException',
      message: 'Cluster not found.',
    });
  });

  it('unknown operations, malformed bodies and wrong types are AWS errors, never crashes', async () => {
    const unknown = await post(run.endpoint, 'AmazonEC2ContainerServiceV20141113.LaunchRocket', '{}');
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.__type, 'com.amazonaws.ecs#UnknownOperationException');
    const malformed = await post(run.endpoint, 'AmazonEC2ContainerServiceV20141113.ListTasks', '{"cluster":');
    assert.equal(malformed.body.__type, 'com.amazonaws.ecs#SerializationException');
    const wrongType = await post(
      run.endpoint,
      'AmazonEC2ContainerServiceV20141113.DescribeTasks',
      '{"tasks":"abc"}',
    );
    assert.equal(wrongType.body.__type, 'com.amazonaws.ecs#SerializationException');
    const array = await post(run.endpoint, 'AmazonEC2ContainerServiceV20141113.ListTasks', '[1,2]');
    assert.equal(array.body.__type, 'com.amazonaws.ecs#SerializationException');
    const missing = await post(run.endpoint, 'AmazonEC2ContainerServiceV20141113.DescribeTasks', '{}');
    assert.equal(missing.body.__type, 'com.amazonaws.ecs#InvalidParameterException');
    const empty = await post(run.endpoint, 'AmazonEC2ContainerServiceV20141113.ListTasks', '');
    assert.equal(empty.status, 200, 'an empty body is an empty input');
    // Still serving afterwards.
    const ok = await run.client.send(new DescribeClustersCommand({}));
    assert.equal(ok.clusters![0]!.clusterName, 'default');
  });

  it('declines requests for other services so other handlers can answer them', async () => {
    const ecs = new EcsEmulator();
    const req = {
      method: 'POST',
      path: '/',
      query: new URLSearchParams(),
      headers: { 'x-amz-target': 'AmazonSQS.ListQueues' },
      body: Buffer.from('{}'),
      host: 'x',
    };
    assert.equal(await ecs.handler(req), undefined);
    assert.equal(await ecs.handler({ ...req, headers: {} }), undefined);
    ecs.close();
  });

  it('call() dispatches in process and throws AwsError', async () => {
    await assert.rejects(
      run.ecs.call('DescribeTasks', { tasks: [] }),
      (e: unknown) => e instanceof AwsError && e.code === 'InvalidParameterException',
    );
    await assert.rejects(
      run.ecs.call('Nope', {}),
      (e: unknown) => e instanceof AwsError && e.code === 'UnknownOperationException',
    );
    assert.deepEqual(await run.ecs.call('ListTasks', {}), { taskArns: [] });
  });

  it('accepts any signature, region in the client notwithstanding', async () => {
    const other = new ECSClient({
      endpoint: run.endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'whatever', secretAccessKey: 'whatever', sessionToken: 'tok' },
    });
    const r = await other.send(new ListTasksCommand({}));
    assert.deepEqual(r.taskArns, []);
    other.destroy();
  });
});

describe('ECS throttling', () => {
  it('is off by default, and when on answers ThrottlingException "Rate exceeded" past the burst, refilling over time', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const run = await startEcs({ now: () => now });
    try {
      await run.client.send(new CreateClusterCommand({}));
      for (let i = 0; i < 150; i++) await run.ecs.call('ListTasks', {});
      run.ecs.setThrottling(true);
      // Cluster resource read: burst 100, 20/s.
      for (let i = 0; i < 100; i++) await run.ecs.call('ListTasks', {});
      const e = await rejectsWith(
        run.client.send(new DescribeTasksCommand({ tasks: ['x'] })),
        'ThrottlingException',
      );
      assert.equal(e.message, 'Rate exceeded');
      assert.equal(e.$metadata?.httpStatusCode, 400);
      // Other categories have their own buckets.
      await run.client.send(new DescribeClustersCommand({}));
      now += 100; // 0.1 s × 20/s = 2 tokens
      await run.ecs.call('ListTasks', {});
      await run.ecs.call('ListTasks', {});
      await assert.rejects(run.ecs.call('ListTasks', {}), /Rate exceeded/);
      run.ecs.setThrottling(true, { clusterResourceRead: { burst: 1, perSecond: 0 } });
      await run.ecs.call('ListTasks', {});
      await assert.rejects(run.ecs.call('ListTasks', {}), /Rate exceeded/);
      assert.throws(
        () => run.ecs.setThrottling(true, { bogus: { burst: 1 } } as never),
        /unknown throttle category/,
      );
      run.ecs.setThrottling(false);
      for (let i = 0; i < 10; i++) await run.ecs.call('ListTasks', {});
      assert.equal(run.ecs.throttling().enabled, false);
    } finally {
      await run.close();
    }
  });

  it('the SDK treats ThrottlingException as retryable (it retries until its attempts run out)', async () => {
    const run = await startEcs({ throttling: true });
    const retrying = new ECSClient({
      endpoint: run.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      maxAttempts: 3,
    });
    try {
      // One token and no refill: deterministic, whatever the machine's load.
      run.ecs.setThrottling(true, { clusterRead: { burst: 1, perSecond: 0 } });
      await retrying.send(new DescribeClustersCommand({}));
      const e = await rejectsWith(retrying.send(new DescribeClustersCommand({})), 'ThrottlingException');
      assert.equal(e.$metadata?.attempts, 3);
    } finally {
      retrying.destroy();
      await run.close();
    }
  });
});
