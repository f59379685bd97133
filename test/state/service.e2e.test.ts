/* eslint-disable @typescript-eslint/no-explicit-any -- the e2e steps inspect API JSON bodies ad hoc, as v0.3's steps did */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  DescribeContainerInstancesCommand,
  ListContainerInstancesCommand,
  type ECSClient,
  type Task,
} from '@aws-sdk/client-ecs';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createEcsClient, createSqsClient } from '../../src/aws/clients.js';
import { startLocalAws, type LocalAws } from '../../src/local/index.js';
import { startStateService, type StateService } from '../../src/state/service.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { freePort, tempDir, waitFor } from '../support/env.js';
import { openStream } from './api/stream-client.js';
import { errorOfResponse } from '../support/api-error.js';

/**
 * Blox v0.3's end-to-end features (§6.2 of the spec: Get/List Tasks, Get/List Instances, Stream
 * Tasks/Instances) replayed against our API, fed by the real ingest from the local AWS emulator's
 * ECS events over SQS. Cluster E2ETestCluster with one instance; tasks of esh_test_sleep300.
 */
const CLUSTER = 'E2ETestCluster';

describe('v0.3 e2e scenarios against the state service + local AWS emulator', () => {
  let aws: LocalAws;
  let ecs: ECSClient;
  let sqs: SQSClient;
  let store: Store;
  let service: StateService;
  let dir: { path: string; cleanup: () => Promise<void> };
  let base: string;

  before(async () => {
    aws = await startLocalAws({
      port: 0,
      demoCluster: { name: CLUSTER, instances: 1 },
      taskStartDelayMs: 5,
      taskStopDelayMs: 5,
      seed: 3,
    });
    const clientOptions = {
      endpoint: aws.endpoint,
      region: aws.region,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    };
    ecs = createEcsClient(clientOptions);
    sqs = createSqsClient(clientOptions, 1);
    dir = await tempDir();
    store = await openStore({ backend: 'sqlite', dataDir: dir.path });
    service = await startStateService({
      store,
      ingest: { sqs, options: { queue: 'sqs://blox_queue', waitTimeSeconds: 1, pollers: 2 } },
      reconcile: { ecs, options: { intervalMs: 0 } },
      streamHeartbeatMs: 0,
    });
    const port = await freePort();
    await service.app!.listen({ port, host: '127.0.0.1' });
    base = `http://127.0.0.1:${port}/v1`;
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'esh_test_sleep300',
        containerDefinitions: [
          {
            name: 'sleep',
            image: 'busybox',
            cpu: 100,
            memory: 10,
            command: ['sleep', '300'],
            essential: true,
          },
        ],
      }),
    );
  });

  after(async () => {
    await service.close();
    await store.close();
    ecs.destroy();
    sqs.destroy();
    await aws.close();
    await dir.cleanup();
  });

  const getJson = async (path: string) => {
    const res = await fetch(`${base}${path}`);
    // Errors are text, as v0.3 wrote them (errorOfResponse checks that) — what its clients decode.
    const body = res.ok ? await res.json() : await errorOfResponse(res);
    return { status: res.status, body: body as Record<string, any> };
  };
  const startTask = async (startedBy = 'someone'): Promise<Task> => {
    const out = await ecs.send(
      new RunTaskCommand({ cluster: CLUSTER, taskDefinition: 'esh_test_sleep300', count: 1, startedBy }),
    );
    assert.equal(out.failures?.length ?? 0, 0, JSON.stringify(out.failures));
    return out.tasks![0]!;
  };
  const getTask = (arn: string) => getJson(`/tasks/${CLUSTER}/${arn}`);
  /** Waits until the state service shows the task with this lastStatus (events travel ECS → SQS → ingest → store → index). */
  const awaitTask = (arn: string, lastStatus: string) =>
    waitFor(`task ${arn} to be ${lastStatus} in the state service`, async () => {
      const r = await getTask(arn);
      return r.status === 200 && r.body.entity.lastStatus === lastStatus ? r.body : undefined;
    });
  const listTaskArns = async (query: string) => {
    const r = await getJson(`/tasks?${query}`);
    assert.equal(r.status, 200, query);
    return (r.body.items as Array<{ entity: { taskARN: string } }>).map((i) => i.entity.taskARN);
  };

  it('Get Task: by cluster name and ARN, equal to ECS; a non-existent task is 404', async () => {
    const t = await startTask();
    const body = await awaitTask(t.taskArn!, 'RUNNING');
    assert.equal(body.entity.taskARN, t.taskArn);
    assert.equal(body.entity.clusterARN, t.clusterArn);
    assert.equal(body.entity.containerInstanceARN, t.containerInstanceArn);
    const encoded = await getJson(`/tasks/${CLUSTER}/${encodeURIComponent(t.taskArn!)}`);
    assert.equal(encoded.status, 200);
    const missing = await getJson(
      `/tasks//arn:aws:ecs:${aws.region}:${aws.account}:task/31900037-a46c-4f7b-a1e1-f12e4d6b7a1e`,
    );
    assert.equal(missing.status, 404);
  });

  it('List Tasks: filters by cluster, status (any case), startedBy and combinations; bad filters are 400', async () => {
    const t1 = await startTask('someone');
    const t2 = await startTask('e2eTester');
    await awaitTask(t1.taskArn!, 'RUNNING');
    await awaitTask(t2.taskArn!, 'RUNNING');
    assert.ok((await listTaskArns('')).includes(t1.taskArn!));
    assert.ok((await listTaskArns(`cluster=${CLUSTER}`)).includes(t2.taskArn!));
    assert.ok((await listTaskArns('status=running')).includes(t1.taskArn!));
    assert.deepEqual(
      (await listTaskArns('startedBy=e2eTester')).filter((a) => a === t2.taskArn),
      [t2.taskArn],
    );
    const combo = await getJson(`/tasks?status=running&cluster=${CLUSTER}&startedBy=someone`);
    assert.ok(combo.body.items.length >= 1);
    for (const item of combo.body.items) {
      assert.equal(item.entity.startedBy, 'someone');
      assert.equal(item.entity.lastStatus.toLowerCase(), 'running');
      assert.ok(item.entity.clusterARN.endsWith(`/${CLUSTER}`));
    }
    assert.deepEqual((await getJson('/tasks?status=running&cluster=someCluster')).body.items, []);

    await ecs.send(new StopTaskCommand({ cluster: CLUSTER, task: t1.taskArn! }));
    await awaitTask(t1.taskArn!, 'STOPPED');
    assert.ok((await listTaskArns('status=stopped')).includes(t1.taskArn!));
    assert.ok((await listTaskArns('status=STOPPED')).includes(t1.taskArn!));

    const bad: Array<[string, string]> = [
      ['status=invalidStatus', 'Invalid status'],
      ['cluster=cluster/cluster', 'Invalid cluster ARN or name'],
      [
        'cluster=cluster1&cluster=cluster2',
        'At least one of the filters provided is specified multiple times',
      ],
    ];
    for (const [q, message] of bad) {
      for (const kind of ['tasks', 'instances']) {
        const r = await getJson(`/${kind}?${q}`);
        assert.equal(r.status, 400, `${kind}?${q}`);
        assert.ok(String(r.body.message).includes(message), `${kind}?${q}`);
      }
    }
  });

  it('Get/List Instances: same ARN and status as ECS; non-existent is 404', async () => {
    const listed = await ecs.send(new ListContainerInstancesCommand({ cluster: CLUSTER }));
    const described = await ecs.send(
      new DescribeContainerInstancesCommand({
        cluster: CLUSTER,
        containerInstances: listed.containerInstanceArns!,
      }),
    );
    for (const ci of described.containerInstances!) {
      const r = await waitFor('instance in the state service', async () => {
        const x = await getJson(`/instances/${CLUSTER}/${ci.containerInstanceArn}`);
        return x.status === 200 ? x : undefined;
      });
      assert.equal(r.body.entity.containerInstanceARN, ci.containerInstanceArn);
      assert.equal(r.body.entity.status, ci.status);
      const all = await getJson(`/instances?cluster=${CLUSTER}&status=active`);
      assert.ok(all.body.items.some((i: any) => i.entity.containerInstanceARN === ci.containerInstanceArn));
    }
    const missing = await getJson(
      `/instances//arn:aws:ecs:${aws.region}:${aws.account}:container-instance/31900037-a46c-4f7b-a1e1-f12e4d6b7a1e`,
    );
    assert.equal(missing.status, 404);
  });

  it('Stream Tasks: a live stream shows a started task; a stream from a past entityVersion replays RUNNING then STOPPED', async () => {
    const live = await openStream(`${base}/stream/tasks`);
    const t = await startTask();
    await waitFor('the started task on the live stream', () =>
      live.json().some((l: any) => l.entity?.taskARN === t.taskArn && l.entity.desiredStatus === 'RUNNING'),
    );
    live.close();

    const running = await awaitTask(t.taskArn!, 'RUNNING');
    const version = running.metadata.entityVersion as string;
    await ecs.send(new StopTaskCommand({ cluster: CLUSTER, task: t.taskArn! }));
    await awaitTask(t.taskArn!, 'STOPPED');
    const replay = await openStream(`${base}/stream/tasks?entityVersion=${version}`);
    await waitFor('RUNNING then STOPPED in the replay', () => {
      const mine = replay.json().filter((l: any) => l.entity?.taskARN === t.taskArn);
      const r = mine.findIndex((l: any) => l.entity.desiredStatus === 'RUNNING');
      return r >= 0 && mine.slice(r + 1).some((l: any) => l.entity.desiredStatus === 'STOPPED');
    });
    replay.close();
  });

  it('Stream Instances: starting a task changes its host instance, which appears on the stream (live and replayed)', async () => {
    const live = await openStream(`${base}/stream/instances`);
    const t = await startTask();
    await awaitTask(t.taskArn!, 'RUNNING');
    await waitFor('the host instance on the instance stream', () =>
      live.json().some((l: any) => l.entity?.containerInstanceARN === t.containerInstanceArn),
    );
    live.close();
    const inst = await getJson(`/instances/${CLUSTER}/${t.containerInstanceArn}`);
    await ecs.send(new StopTaskCommand({ cluster: CLUSTER, task: t.taskArn! }));
    const replay = await openStream(
      `${base}/stream/instances?entityVersion=${inst.body.metadata.entityVersion}`,
    );
    await waitFor('the instance in the replay', () =>
      replay.json().some((l: any) => l.entity?.containerInstanceARN === t.containerInstanceArn),
    );
    replay.close();
  });
});
