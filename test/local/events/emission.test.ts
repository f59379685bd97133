import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import {
  ECSClient,
  RegisterTaskDefinitionCommand,
  StartTaskCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { startLocalAws, type LocalAws, type LocalAwsOptions } from '../../../src/local/index.js';
import type { EcsEventEnvelope } from '../../../src/local/events/index.js';
import { waitFor } from '../../support/env.js';

const VECTORS = new URL('../../core/ecs/vectors/events/', import.meta.url);
const sampleKeys = (name: string) =>
  Object.keys(
    (JSON.parse(readFileSync(new URL(`${name}.json`, VECTORS), 'utf8')) as EcsEventEnvelope).detail,
  );

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const started: LocalAws[] = [];
after(() => Promise.all(started.map((s) => s.close())));

async function start(options: LocalAwsOptions = {}) {
  const local = await startLocalAws({ port: 0, taskStartDelayMs: 50, taskStopDelayMs: 50, ...options });
  started.push(local);
  const config = {
    endpoint: local.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  return { local, ecs: new ECSClient(config), sqs: new SQSClient(config) };
}

/** Reads (and deletes) messages until `count` arrived; each body parsed as an envelope. */
async function drain(sqs: SQSClient, queueUrl: string, count: number): Promise<EcsEventEnvelope[]> {
  const out: EcsEventEnvelope[] = [];
  const deadline = Date.now() + 10_000;
  while (out.length < count && Date.now() < deadline) {
    const got = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    for (const m of got.Messages ?? []) out.push(JSON.parse(m.Body!) as EcsEventEnvelope);
    if (got.Messages?.length)
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: got.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
  }
  return out;
}

/** Drives one scenario: two instances join, one task starts, runs and is stopped. */
async function scenario(local: LocalAws, ecs: ECSClient): Promise<void> {
  local.ecs.fleet.scale('default', 2);
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'web-worker',
      containerDefinitions: [{ name: 'web', image: 'nginx', cpu: 256, memory: 512 }],
    }),
  );
  const instances = local.ecs.fleet.instances('default');
  const out = await ecs.send(
    new StartTaskCommand({
      cluster: 'default',
      taskDefinition: 'web-worker',
      containerInstances: [instances[0]!.containerInstanceArn],
      startedBy: 'daemon-scheduler',
    }),
  );
  const taskArn = out.tasks![0]!.taskArn!;
  await waitFor('the task to run', () => lastStatus(local, taskArn) === 'RUNNING');
  await ecs.send(new StopTaskCommand({ cluster: 'default', task: taskArn }));
  await waitFor('the task to stop', () => lastStatus(local, taskArn) === 'STOPPED');
}

function lastStatus(local: LocalAws, taskArn: string): string | undefined {
  const out = local.ecs.callSync('DescribeTasks', { tasks: [taskArn] }) as {
    tasks: Array<{ lastStatus: string }>;
  };
  return out.tasks[0]?.lastStatus;
}

describe('ECS events into SQS', () => {
  it('sends each change as the EventBridge envelope, one message per event, to blox_queue', async () => {
    const { local, ecs, sqs } = await start({ seed: 5 });
    await scenario(local, ecs);
    local.events.flush();
    const expected = local.events.status().stats.delivered;
    const events = await drain(sqs, local.queueUrl('blox_queue'), expected);
    assert.equal(events.length, expected);

    for (const e of events) {
      assert.equal(e.version, '0');
      assert.match(e.id, UUID);
      assert.equal(e.source, 'aws.ecs');
      assert.equal(e.account, '123456789012');
      assert.equal(e.region, 'us-east-1');
      assert.match(e.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.equal(e.resources.length, 1);
      if (e['detail-type'] === 'ECS Task State Change') assert.equal(e.resources[0], e.detail.taskArn);
      else {
        assert.equal(e['detail-type'], 'ECS Container Instance State Change');
        assert.equal(e.resources[0], e.detail.containerInstanceArn);
      }
      assert.equal(e.time, new Date(e.detail.updatedAt as string).toISOString().slice(0, 19) + 'Z');
    }
    const tasks = events.filter((e) => e['detail-type'] === 'ECS Task State Change');
    const states = tasks.map((e) => `${e.detail.lastStatus}/${e.detail.desiredStatus}`);
    assert.deepEqual(states, ['PENDING/RUNNING', 'RUNNING/RUNNING', 'RUNNING/STOPPED', 'STOPPED/STOPPED']);
    assert.deepEqual(
      tasks.map((e) => e.detail.version),
      [1, 2, 3, 4],
    );
    // Every field of the sample details is there (the samples are the documented shapes).
    const has = (e: EcsEventEnvelope, sample: string) =>
      assert.deepEqual(
        sampleKeys(sample).filter((k) => !(k in e.detail)),
        [],
        `${sample} fields in our event`,
      );
    has(tasks[0]!, 'task-pending');
    has(tasks[1]!, 'task-running');
    has(tasks[3]!, 'task-stopped');
    const registered = events.find(
      (e) => e['detail-type'] !== 'ECS Task State Change' && e.detail.version === 1,
    )!;
    has(registered, 'instance-registered');
  });

  it('duplicates keep detail.version and get a new id; drop 1 sends nothing', async () => {
    const dup = await start({ seed: 11, faults: { duplicateRate: 1 } });
    dup.local.ecs.fleet.scale('default', 3);
    const events = await drain(dup.sqs, dup.local.queueUrl('blox_queue'), 6);
    assert.equal(events.length, 6);
    const byResource = new Map<string, EcsEventEnvelope[]>();
    for (const e of events) byResource.set(e.resources[0]!, [...(byResource.get(e.resources[0]!) ?? []), e]);
    assert.equal(byResource.size, 3);
    for (const [, pair] of byResource) {
      assert.equal(pair.length, 2);
      assert.equal(pair[0]!.detail.version, pair[1]!.detail.version);
      assert.notEqual(pair[0]!.id, pair[1]!.id);
    }

    const drop = await start({ seed: 11, faults: { dropRate: 1 } });
    drop.local.ecs.fleet.scale('default', 3);
    assert.equal(drop.local.events.status().stats.dropped, 3);
    const attrs = await drop.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: drop.local.queueUrl('blox_queue'),
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    assert.equal(attrs.Attributes?.ApproximateNumberOfMessages, '0');
  });

  it('reorders reproducibly: the same seed gives the same order, across emulators', async () => {
    const order = async (seed: number) => {
      const { local, sqs } = await start({
        seed,
        faults: { reorderWindow: 6 },
        queues: ['events-a', 'events-b'],
      });
      local.ecs.fleet.scale('default', 12);
      local.events.flush();
      const a = await drain(sqs, local.queueUrl('events-a'), 12);
      const b = await drain(sqs, local.queueUrl('events-b'), 12);
      assert.deepEqual(a, b, 'every target queue gets the same events');
      const registration = local.ecs.fleet.instances('default').map((i) => i.containerInstanceArn);
      return { got: a.map((e) => e.resources[0]!), registration, ids: a.map((e) => e.id) };
    };
    const first = await order(21);
    const second = await order(21);
    assert.deepEqual(first.got, second.got);
    assert.deepEqual(first.ids, second.ids);
    assert.deepEqual([...first.got].sort(), [...first.registration].sort());
    assert.notDeepEqual(first.got, first.registration, 'the window shuffled something');
  });

  it('delays events, and knobs change at runtime through the admin API', async () => {
    const { local, sqs } = await start({ seed: 3, faults: { delayMs: 300 } });
    const url = local.queueUrl('blox_queue');
    local.ecs.fleet.scale('default', 1);
    const queued = () => local.sqs.getQueue('blox_queue')!.stats(Date.now()).visible;
    assert.equal(queued(), 0, 'nothing yet: the event waits 300 ms');
    assert.equal(local.events.status().stats.pending, 1);
    const t0 = Date.now();
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 5 }));
    assert.equal(got.Messages?.length, 1);
    assert.ok(Date.now() - t0 >= 200, 'the long poll waited for the delayed event');

    const res = await fetch(`${local.endpoint}/_blox/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ delayMs: 0, dropRate: 1, seed: 99 }),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      faults: { duplicateRate: 0, dropRate: 1, reorderWindow: 0, delayMs: 0 },
      seed: 99,
    });
    local.ecs.fleet.scale('default', 2);
    assert.equal(local.events.status().stats.dropped, 1);
  });
});
