import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs';
import { SendMessageCommand, SQSClient, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { LocalAwsAdminClient, startLocalAws, type LocalAws } from '../../../src/local/index.js';
import { tempDir, waitFor } from '../../support/env.js';
import { createHttpApp } from '../../../src/server/app.js';
import { silentLogger } from '../../../src/core/logger.js';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

describe('admin API (/_blox/…)', () => {
  let local: LocalAws;
  let admin: LocalAwsAdminClient;
  before(async () => {
    local = await startLocalAws({ port: 0, seed: 1, taskStartDelayMs: 20, taskStopDelayMs: 20 });
    admin = new LocalAwsAdminClient(local.endpoint);
  });
  after(() => local.close());

  async function raw(method: string, path: string, body?: string) {
    const res = await fetch(`${local.endpoint}/_blox/${path}`, {
      method,
      ...(body !== undefined ? { body } : {}),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  it('scales a cluster up and down and lists its instances', async () => {
    const up = await admin.scale('fleet', 4, {
      instanceType: 't3.small',
      availabilityZones: ['us-east-1b'],
      attributes: { stack: 'prod' },
    });
    assert.equal(up.added.length, 4);
    const { instances } = await admin.instances('fleet');
    assert.equal(instances.length, 4);
    assert.ok(instances.every((i) => i.instanceType === 't3.small' && i.availabilityZone === 'us-east-1b'));
    const down = await admin.scale('fleet', 1);
    assert.equal(down.removed.length, 3);
    assert.equal((await admin.instances('fleet')).instances.length, 1);
    const removed = await admin.removeInstances('fleet', 1);
    assert.equal(removed.removed.length, 1);
    assert.equal((await admin.instances('fleet')).instances.length, 0);
  });

  it('disconnects, reconnects and kills instances', async () => {
    const { added } = await admin.scale('agents', 2);
    const [a, b] = added as [string, string];
    await admin.setAgentConnected(a, false);
    const connected = async () =>
      Object.fromEntries(
        (await admin.instances('agents')).instances.map((i) => [i.containerInstanceArn, i.agentConnected]),
      );
    assert.deepEqual(await connected(), { [a]: false, [b]: true });
    await admin.setAgentConnected(a, true);
    assert.deepEqual(await connected(), { [a]: true, [b]: true });
    await admin.killInstance(b);
    assert.deepEqual(Object.keys(await connected()), [a]);
  });

  it('crashes tasks', async () => {
    const { added } = await admin.scale('crashy', 1);
    local.ecs.callSync('RegisterTaskDefinition', {
      family: 'app',
      containerDefinitions: [{ name: 'app', image: 'busybox', memory: 64 }],
    });
    const started = local.ecs.callSync('StartTask', {
      cluster: 'crashy',
      taskDefinition: 'app',
      containerInstances: added,
    }) as {
      tasks: Array<{ taskArn: string }>;
    };
    const arn = started.tasks[0]!.taskArn;
    const status = () =>
      (
        local.ecs.callSync('DescribeTasks', { cluster: 'crashy', tasks: [arn] }) as {
          tasks: Array<Record<string, unknown>>;
        }
      ).tasks[0]!;
    await waitFor('the task to run', () => status().lastStatus === 'RUNNING');
    const { crashed } = await admin.crashTasks({ cluster: 'crashy', family: 'app' });
    assert.deepEqual(crashed, [arn]);
    await waitFor('the task to stop', () => status().lastStatus === 'STOPPED');
  });

  it('sets fault knobs and throttling, and reports them in status', async () => {
    const set = await admin.setFaults({ duplicateRate: 0.5, reorderWindow: 3, seed: 77 });
    assert.deepEqual(set, {
      faults: { duplicateRate: 0.5, dropRate: 0, reorderWindow: 3, delayMs: 0 },
      seed: 77,
    });
    await admin.setFaults({ duplicateRate: 0, reorderWindow: 0 });
    await admin.setThrottling(true);
    assert.equal(local.ecs.throttling().enabled, true);
    const ecs = new ECSClient({ endpoint: local.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    const results = await Promise.allSettled(
      // 200 at once: even on a loaded machine they arrive faster than the bucket (50 + 20/s) refills
      Array.from({ length: 200 }, () => ecs.send(new ListClustersCommand({}))),
    );
    const throttled = results.filter(
      (r) => r.status === 'rejected' && (r.reason as Error).name === 'ThrottlingException',
    );
    assert.ok(throttled.length > 0, 'a burst over the ListClusters bucket is throttled');
    await admin.setThrottling(false);
    const status = await admin.status();
    assert.equal((status.ecs as { throttling: boolean }).throttling, false);
    assert.equal(typeof (status.ecs as { pendingTaskJson: number }).pendingTaskJson, 'number');
    assert.equal((status.events as { seed: number }).seed, 77);
    assert.ok(
      (status.sqs as { queues: Array<{ name: string }> }).queues.some((q) => q.name === 'blox_queue'),
    );
    ecs.destroy();
  });

  it('answers bad requests with 4xx and {code, message}', async () => {
    assert.deepEqual((await raw('GET', 'nope')).status, 404);
    assert.equal((await raw('GET', 'nope')).json.code, 'NotFound');
    const wrongMethod = await raw('GET', 'reset');
    assert.equal(wrongMethod.status, 405);
    assert.match(wrongMethod.json.message as string, /use POST/);
    const badJson = await raw('PUT', 'faults', '{nope');
    assert.deepEqual([badJson.status, badJson.json.code], [400, 'InvalidJson']);
    const badKnob = await raw('PUT', 'faults', '{"dropRate":7}');
    assert.equal(badKnob.status, 400);
    assert.match(badKnob.json.message as string, /dropRate must be a probability/);
    const badCount = await raw('POST', 'clusters/x/scale', '{"count":-1}');
    assert.equal(badCount.status, 400);
    assert.match(badCount.json.message as string, /"count" must be an integer/);
    const unknownInstance = await raw(
      'POST',
      'instances/kill',
      '{"instance":"arn:aws:ecs:us-east-1:123456789012:container-instance/x/0d1e2f3a4b5c4d6e8f7a6b5c4d3e2f1a"}',
    );
    assert.equal(unknownInstance.status, 400);
    assert.match(unknownInstance.json.message as string, /container instance/);
    const noSelector = await raw('POST', 'tasks/crash', '{}');
    assert.equal(noSelector.status, 400);
    const noSnapshotFile = await raw('POST', 'snapshot', '{}');
    assert.deepEqual([noSnapshotFile.status, noSnapshotFile.json.code], [400, 'NoSnapshotFile']);
    await assert.rejects(
      new LocalAwsAdminClient('http://127.0.0.1:1').status(),
      /cannot reach the local AWS emulator/,
    );
  });

  it("says so when pointed at Blox's own API instead of the emulator", async () => {
    const app = await createHttpApp({ logger: silentLogger, plugins: [] });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const { port } = app.server.address() as AddressInfo;
      await assert.rejects(new LocalAwsAdminClient(`http://127.0.0.1:${port}`).scale('default', 2), {
        code: 'NotAnEmulator',
        message: new RegExp(
          `^http://127\\.0\\.0\\.1:${port} is not the local AWS emulator \\(it answered "no route POST /_blox/clusters/default/scale".*--endpoint or BLOX_LOCAL_AWS_ENDPOINT$`,
        ),
      });
    } finally {
      await app.close();
    }
  });

  it('resets ECS and SQS but keeps the event queue', async () => {
    await admin.scale('before-reset', 1);
    await admin.reset();
    const status = await admin.status();
    assert.equal((status.ecs as { clusters: number }).clusters, 0);
    assert.deepEqual(
      (status.sqs as { queues: Array<{ name: string; visible: number }> }).queues.map((q) => [
        q.name,
        q.visible,
      ]),
      [['blox_queue', 0]],
    );
  });
});

describe('snapshot file', () => {
  it('is loaded at start, saved on close and on demand', async () => {
    const dir = await tempDir('blox-snapshot-');
    try {
      const file = `${dir.path}/state/local-aws.json`;
      const first = await startLocalAws({ port: 0, snapshotFile: file, faults: { dropRate: 0.25 }, seed: 9 });
      first.ecs.fleet.scale('kept', 2);
      const sqs = new SQSClient({ endpoint: first.endpoint, region: 'us-east-1', credentials });
      await sqs.send(
        new SendMessageCommand({ QueueUrl: first.queueUrl('blox_queue'), MessageBody: 'survives' }),
      );
      sqs.destroy();
      const saved = await new LocalAwsAdminClient(first.endpoint).snapshot();
      assert.equal(saved.file, file);
      await first.close();
      assert.ok(existsSync(file));

      const second = await startLocalAws({ port: 0, snapshotFile: file });
      try {
        assert.equal(second.ecs.fleet.instances('kept').length, 2);
        assert.equal(second.events.status().faults.dropRate, 0.25);
        const client = new SQSClient({ endpoint: second.endpoint, region: 'us-east-1', credentials });
        const got = await client.send(
          new ReceiveMessageCommand({ QueueUrl: second.queueUrl('blox_queue'), MaxNumberOfMessages: 10 }),
        );
        const bodies = (got.Messages ?? []).map((m) => m.Body);
        assert.ok(bodies.includes('survives'), `the message survived: ${JSON.stringify(bodies)}`);
        client.destroy();
      } finally {
        await second.close();
      }
    } finally {
      await dir.cleanup();
    }
  });

  it('refuses a file that is not a snapshot, saying how to fix it', async () => {
    const dir = await tempDir('blox-snapshot-');
    try {
      const file = `${dir.path}/bad.json`;
      const { writeFile } = await import('node:fs/promises');
      await writeFile(file, '{"hello":1}');
      await assert.rejects(
        startLocalAws({ port: 0, snapshotFile: file }),
        /not a blox local-aws snapshot.*fix or delete/,
      );
    } finally {
      await dir.cleanup();
    }
  });
});
