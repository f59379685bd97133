import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateClusterCommand,
  DescribeTasksCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  StartTaskCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import { createEcsClient } from '../../src/aws/clients.js';
import {
  ecsEndpointOf,
  ecsTransportFor,
  EcsServiceError,
  parseEcsError,
  standardEcsEndpoint,
} from '../../src/aws/ecs-transport.js';
import { isRetryableAwsError, sdkRetryDelay } from '../../src/aws/json-transport.js';
import { silentLogger } from '../../src/core/logger.js';
import { startLocalAws, type LocalAws } from '../../src/local/index.js';
import { scriptedServer } from './support/scripted-server.js';
import { sigV4 } from './support/sigv4.js';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

function clientFor(endpoint: string, extra: { requestTimeoutMs?: number; maxAttempts?: number } = {}) {
  return createEcsClient({ endpoint, region: 'us-east-1', credentials: CREDENTIALS, ...extra });
}

/** What an error says, for comparing the SDK's and the transport's. */
async function failureOf(p: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  try {
    await p;
  } catch (err) {
    const e = err as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode };
  }
  return assert.fail('the call should fail');
}

describe('EcsTransport against the emulator (same answers as the AWS SDK)', () => {
  let aws: LocalAws;
  let ecs: ECSClient;
  let cluster = '';
  let taskDefinition = '';
  let instances: string[] = [];
  before(async () => {
    aws = await startLocalAws({ port: 0, seed: 3, logger: silentLogger });
    ecs = clientFor(aws.endpoint);
    cluster = (await ecs.send(new CreateClusterCommand({ clusterName: 'transport' }))).cluster!.clusterArn!;
    taskDefinition = (
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family: 'transport',
          containerDefinitions: [{ name: 'main', image: 'ubuntu', memory: 10, essential: true }],
        }),
      )
    ).taskDefinition!.taskDefinitionArn!;
    aws.ecs.fleet.scale('transport', 8);
    instances = aws.ecs.fleet.instances('transport').map((i) => i.containerInstanceArn);
  });
  after(async () => {
    ecs.destroy();
    await aws.close();
  });

  it('starts, describes and stops tasks with the answers the SDK gets, timestamps as epoch seconds', async () => {
    const transport = ecsTransportFor(ecs);
    const missing = `${cluster.replace(':cluster/', ':container-instance/')}/00000000000000000000000000000000`;
    const input = (some: string[]) => ({
      cluster,
      taskDefinition,
      containerInstances: [...some, missing],
      startedBy: 'side-by-side',
      group: 'g1',
      tags: [{ key: 'k', value: 'v' }],
    });
    const bySdk = await ecs.send(new StartTaskCommand(input(instances.slice(0, 4))));
    const byTransport = await transport.startTask(input(instances.slice(4, 8)));
    assert.equal(bySdk.tasks?.length, 4);
    assert.equal(byTransport.tasks?.length, 4);
    assert.deepEqual(byTransport.failures, bySdk.failures, 'the missing instance fails alike');
    assert.deepEqual(
      byTransport.tasks!.map((t) => t.containerInstanceArn).sort(),
      instances.slice(4, 8).sort(),
    );
    // Field by field the same shape; what differs is the task's own identity and timestamps' type.
    const sdkTask = bySdk.tasks![0]!;
    const rawTask = byTransport.tasks![0]!;
    assert.deepEqual(Object.keys(rawTask).sort(), Object.keys(sdkTask).sort());
    const identity = new Set([
      'taskArn',
      'containerInstanceArn',
      'containers',
      'createdAt',
      'version',
      'availabilityZone',
      'attributes',
      'attachments',
    ]);
    for (const key of Object.keys(sdkTask) as Array<keyof typeof sdkTask>) {
      if (identity.has(key)) continue;
      const sdkValue = sdkTask[key];
      if (sdkValue instanceof Date) continue;
      assert.deepEqual(rawTask[key], sdkValue, key);
    }
    assert.equal(typeof rawTask.createdAt, 'number');
    assert.ok(sdkTask.createdAt instanceof Date);
    assert.ok(Math.abs(rawTask.createdAt! * 1000 - sdkTask.createdAt.getTime()) < 60_000);
    assert.equal(rawTask.containers?.length, sdkTask.containers?.length);

    // DescribeTasks of both: the same tasks as the SDK describes them
    const arns = [...bySdk.tasks!, ...byTransport.tasks!].map((t) => t.taskArn!);
    const described = await transport.describeTasks({ cluster, tasks: arns });
    const describedBySdk = await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }));
    assert.deepEqual(
      described.tasks!.map((t) => [t.taskArn, t.lastStatus, t.desiredStatus, t.version]),
      describedBySdk.tasks!.map((t) => [t.taskArn, t.lastStatus, t.desiredStatus, t.version]),
    );

    // StopTask: the same answer for one task each
    const stopBySdk = await ecs.send(new StopTaskCommand({ cluster, task: arns[0]!, reason: 'why' }));
    const stopByTransport = await transport.stopTask({ cluster, task: arns[4]!, reason: 'why' });
    assert.equal(stopByTransport.task?.taskArn, arns[4]);
    assert.equal(stopByTransport.task?.desiredStatus, stopBySdk.task?.desiredStatus);
    assert.equal(stopByTransport.task?.stoppedReason, 'why');
    assert.equal(stopByTransport.task?.stopCode, stopBySdk.task?.stopCode);
  });

  it('raises ECS errors under the names and statuses the SDK gives them', async () => {
    const transport = ecsTransportFor(ecs);
    const cases: Array<[string, Parameters<typeof transport.startTask>[0]]> = [
      [
        'missing cluster',
        { cluster: 'no-such-cluster', taskDefinition, containerInstances: instances.slice(0, 1) },
      ],
      ['11 instances', { cluster, taskDefinition, containerInstances: Array(11).fill(instances[0]!) }],
      [
        'no task definition',
        { cluster, taskDefinition: 'nope:9', containerInstances: instances.slice(0, 1) },
      ],
    ];
    const names: string[] = [];
    for (const [what, input] of cases) {
      const sdk = await failureOf(ecs.send(new StartTaskCommand(input)));
      const ours = await failureOf(transport.startTask(input));
      assert.deepEqual(ours, sdk, what);
      names.push(ours.name);
    }
    assert.equal(names[0], 'ClusterNotFoundException');
    assert.equal(names[1], 'InvalidParameterException');
    const stopSdk = await failureOf(ecs.send(new StopTaskCommand({ cluster: 'no-such-cluster', task: 'x' })));
    const stopOurs = await failureOf(transport.stopTask({ cluster: 'no-such-cluster', task: 'x' }));
    assert.deepEqual(stopOurs, stopSdk);
    await assert.rejects(
      transport.startTask(cases[0]![1]),
      (err) => err instanceof EcsServiceError && err.$fault === 'client' && err.message.length > 0,
    );
  });

  it('is throttled like the SDK with the emulator’s throttling on, and retries throttling', async () => {
    const once = clientFor(aws.endpoint, { maxAttempts: 1 });
    try {
      aws.ecs.setThrottling(true, { clusterResourceModify: { burst: 1, perSecond: 0.001 } });
      const input = { cluster, task: 'no-such-task', reason: 'r' };
      const first = await failureOf(ecsTransportFor(once).stopTask(input));
      assert.notEqual(first.name, 'ThrottlingException', 'the one token answers');
      const sdk = await failureOf(once.send(new StopTaskCommand(input)));
      const ours = await failureOf(ecsTransportFor(once).stopTask(input));
      assert.equal(sdk.name, 'ThrottlingException');
      assert.deepEqual(ours, sdk);
      // With attempts left, a throttled call is retried and answered once the bucket refills.
      aws.ecs.setThrottling(true, { clusterResourceModify: { burst: 1, perSecond: 20 } });
      const retrying = clientFor(aws.endpoint, { maxAttempts: 8 });
      try {
        const outcomes = await Promise.all(
          [0, 1, 2].map(() => failureOf(ecsTransportFor(retrying).stopTask(input))),
        );
        assert.ok(
          outcomes.every((o) => o.name !== 'ThrottlingException'),
          JSON.stringify(outcomes),
        );
      } finally {
        retrying.destroy();
      }
    } finally {
      aws.ecs.setThrottling(false);
      once.destroy();
    }
  });
});

/** A loopback server whose answer each test sets; records every request it got. */
const fakeEcs = () => scriptedServer('application/x-amz-json-1.1');

describe('EcsTransport against a loopback server', () => {
  let fake: Awaited<ReturnType<typeof fakeEcs>>;
  before(async () => {
    fake = await fakeEcs();
  });
  after(() => fake.close());

  it('signs with SigV4 for service ecs, in AWS JSON 1.1', async () => {
    fake.requests = [];
    fake.answer = () => ({ status: 200, body: '{"tasks":[],"failures":[]}' });
    const ecs = clientFor(fake.endpoint);
    try {
      const input = {
        cluster: 'c',
        taskDefinition: 'td:1',
        containerInstances: ['i1', 'i2'],
        startedBy: 's',
      };
      assert.deepEqual(await ecsTransportFor(ecs).startTask(input), { tasks: [], failures: [] });
      const { headers, body } = fake.requests[0]!;
      assert.equal(headers['x-amz-target'], 'AmazonEC2ContainerServiceV20141113.StartTask');
      assert.equal(headers['content-type'], 'application/x-amz-json-1.1');
      const auth = headers.authorization as string;
      const date = (headers['x-amz-date'] as string).slice(0, 8);
      assert.ok(
        auth.startsWith(`AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/${date}/us-east-1/ecs/aws4_request`),
      );
      for (const h of ['content-type', 'host', 'x-amz-date', 'x-amz-target'])
        assert.ok(auth.includes(h), `${h} is signed`);
      assert.deepEqual(JSON.parse(body), input);
      const scope = { secretAccessKey: CREDENTIALS.secretAccessKey, region: 'us-east-1', service: 'ecs' };
      assert.equal(
        /Signature=([0-9a-f]+)/.exec(auth)![1],
        sigV4(headers, body, scope),
        'the signature is valid',
      );
    } finally {
      ecs.destroy();
    }
  });

  it('fails a call to a server that never answers after the request timeout, and ends on abort', async () => {
    fake.answer = () => undefined;
    const ecs = clientFor(fake.endpoint, { requestTimeoutMs: 300, maxAttempts: 1 });
    try {
      const started = performance.now();
      await assert.rejects(
        ecsTransportFor(ecs).stopTask({ cluster: 'c', task: 't' }),
        (err: Error) => err.name === 'TimeoutError' && /ECS/.test(err.message),
      );
      const took = performance.now() - started;
      assert.ok(took >= 250 && took < 3_000, `failed after ${Math.round(took)} ms`);

      const slow = clientFor(fake.endpoint, { requestTimeoutMs: 20_000, maxAttempts: 1 });
      try {
        const abort = new AbortController();
        const call = ecsTransportFor(slow).startTask(
          { cluster: 'c', containerInstances: [], taskDefinition: 't' },
          abort.signal,
        );
        setTimeout(() => abort.abort(), 50);
        const t0 = performance.now();
        await assert.rejects(call, (err: Error) => err.name === 'AbortError');
        assert.ok(performance.now() - t0 < 5_000, 'ended with the abort, not the 20 s timeout');
        await assert.rejects(
          ecsTransportFor(slow).stopTask({ cluster: 'c', task: 't' }, AbortSignal.abort()),
          (err: Error) => err.name === 'AbortError',
        );
      } finally {
        slow.destroy();
      }
    } finally {
      ecs.destroy();
    }
  });

  it('retries 5xx and ThrottlingException up to maxAttempts, never a client error', async () => {
    const ecs = clientFor(fake.endpoint, { maxAttempts: 3 });
    try {
      fake.requests = [];
      fake.answer = (n) =>
        n === 1
          ? { status: 500, body: JSON.stringify({ __type: 'ServerException', message: 'boom' }) }
          : n === 2
            ? {
                status: 400,
                body: JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }),
              }
            : { status: 200, body: JSON.stringify({ task: { taskArn: 'arn:t', createdAt: 1.5e9 } }) };
      const out = await ecsTransportFor(ecs).stopTask({ cluster: 'c', task: 't' });
      assert.deepEqual(out, { task: { taskArn: 'arn:t', createdAt: 1.5e9 } });
      assert.equal(fake.requests.length, 3);

      fake.requests = [];
      fake.answer = () => ({
        status: 400,
        body: JSON.stringify({ __type: 'AccessDeniedException', message: 'no' }),
      });
      await assert.rejects(
        ecsTransportFor(ecs).stopTask({ cluster: 'c', task: 't' }),
        (err: Error) => err.name === 'AccessDeniedException',
      );
      assert.equal(fake.requests.length, 1, 'a client error is not retried');
    } finally {
      ecs.destroy();
    }
  });
});

describe('ECS endpoint and errors (pure)', () => {
  it('resolves the regional endpoint by the SDK’s rules when none is configured', async () => {
    const eu = new ECSClient({ region: 'eu-west-1', credentials: CREDENTIALS });
    const cn = new ECSClient({ region: 'cn-north-1', credentials: CREDENTIALS, useFipsEndpoint: true });
    try {
      const t = await ecsEndpointOf(eu);
      assert.deepEqual([t.https, t.host, t.path], [true, 'ecs.eu-west-1.amazonaws.com', '/']);
      assert.equal((await ecsEndpointOf(cn)).host, 'ecs-fips.cn-north-1.amazonaws.com.cn');
      const local = await ecsEndpointOf(clientFor('http://127.0.0.1:4566'));
      assert.deepEqual([local.https, local.host], [false, '127.0.0.1:4566']);
    } finally {
      eu.destroy();
      cn.destroy();
    }
    assert.equal(standardEcsEndpoint('us-east-2'), 'https://ecs.us-east-2.amazonaws.com');
    assert.equal(standardEcsEndpoint('cn-northwest-1'), 'https://ecs.cn-northwest-1.amazonaws.com.cn');
  });

  it('waits before a retry as the SDK does: full jitter, base 1 s when throttled, 50 ms otherwise, at most 20 s', () => {
    const throttled = parseEcsError(400, {}, '{"__type":"ThrottlingException"}');
    const server = parseEcsError(500, {}, '{"__type":"ServerException"}');
    assert.equal(
      sdkRetryDelay(1, throttled, () => 0.999999),
      999,
    );
    assert.equal(
      sdkRetryDelay(3, throttled, () => 0.5),
      2_000,
    );
    assert.equal(
      sdkRetryDelay(1, server, () => 0.999999),
      49,
    );
    assert.equal(
      sdkRetryDelay(4, server, () => 0.5),
      200,
    );
    assert.equal(
      sdkRetryDelay(20, throttled, () => 0.999999),
      19_999,
    );
    assert.equal(
      sdkRetryDelay(2, server, () => 0),
      0,
    );
  });

  it('names errors as the SDK does and retries what it retries', () => {
    const e = parseEcsError(
      400,
      { 'x-amzn-requestid': 'r1' },
      '{"__type":"com.amazonaws.ecs#ClusterNotFoundException","message":"Cluster not found."}',
    );
    assert.equal(e.name, 'ClusterNotFoundException');
    assert.equal(e.message, 'Cluster not found.');
    assert.deepEqual(e.$metadata, { httpStatusCode: 400, requestId: 'r1' });
    assert.equal(isRetryableAwsError(e), false);
    assert.equal(isRetryableAwsError(parseEcsError(400, {}, '{"__type":"ThrottlingException"}')), true);
    assert.equal(isRetryableAwsError(parseEcsError(500, {}, '{"__type":"ServerException"}')), true);
    assert.equal(
      parseEcsError(400, { 'x-amzn-errortype': 'ClientException:http://x/' }, '').name,
      'ClientException',
    );
    const html = parseEcsError(503, {}, '<html/>');
    assert.equal(html.name, 'InternalFailure');
    assert.match(html.message, /ECS answered HTTP 503/);
  });
});
