import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { parse as parseYaml } from 'yaml';
import { createEcsClient } from '../../src/aws/clients.js';
import { waitFor } from '../support/env.js';
import { clientContext } from '../../src/cli/client/context.js';
import { listEntities } from '../../src/cli/client/entity-list.js';
import { blox, spawnBlox, startBloxUp, type RunningBloxUp } from '../support/blox-process.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- JSON printed by the CLI is read loosely */

// Blox pins its AWS SDK versions; the SDK's Node 22 notice says nothing actionable here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/**
 * The client commands end to end against a real `blox up` (local AWS emulator with its 3-instance
 * demo cluster, embedded store, state service and daemon scheduler on one port).
 */
describe('blox client commands against blox up', () => {
  let up: RunningBloxUp;
  let e: string[];
  const json = async (...args: string[]) => {
    const r = await blox(...args, ...e, '-o', 'json');
    assert.equal(r.code, 0, `blox ${args.join(' ')} failed: ${r.err}`);
    return JSON.parse(r.out) as any;
  };
  const runningTasks = async (family?: string) =>
    (await json('tasks', '--cluster', 'default', '--status', 'RUNNING')).filter(
      (t: any) => !family || t.detail.taskDefinitionArn.endsWith(`task-definition/${family}`),
    ).length;

  before(async () => {
    up = await startBloxUp();
    e = ['--endpoint', up.api];
  });
  after(async () => {
    await up?.stop();
  });

  it('lists instances as a table, JSON and YAML', async () => {
    const table = await blox('instances', ...e);
    assert.equal(table.code, 0, table.err);
    const lines = table.out.split('\n');
    assert.match(lines[0]!, /^INSTANCE\s+CLUSTER\s+STATUS\s+AGENT\s+EC2 INSTANCE/);
    assert.equal(lines.length, 4, table.out);
    assert.ok(
      lines.slice(1).every((l) => /\bdefault\s+ACTIVE\s+connected\b/.test(l)),
      table.out,
    );
    assert.ok(!table.out.includes('\u001b['), 'no colour when not on a terminal');

    const items = await json('instances', '--cluster', 'default');
    assert.equal(items.length, 3);
    for (const i of items) {
      assert.match(i.entityVersion, /^\d+$/);
      assert.match(
        i.detail.containerInstanceArn,
        /^arn:aws:ecs:us-east-1:\d{12}:container-instance\/default\//,
      );
    }
    const yaml = await blox('instances', '--cluster', 'default', ...e, '--output', 'yaml');
    assert.equal(yaml.code, 0);
    assert.deepEqual(parseYaml(yaml.out), items);

    const type = items[0].detail.attributes.find((a: any) => a.name === 'ecs.instance-type').value;
    const byCql = await json('instances', '--filter', `attribute:ecs.instance-type == ${type}`);
    assert.ok(
      byCql.length >= 1 && byCql.every((i: any) => i.detail.attributes.some((a: any) => a.value === type)),
    );
    const byAttribute = await json('instances', '--attribute', `ecs.instance-type=${type}`);
    assert.deepEqual(
      byAttribute.map((i: any) => i.detail.containerInstanceArn).sort(),
      byCql.map((i: any) => i.detail.containerInstanceArn).sort(),
    );
  });

  it('says clearly when nothing matches, the API is unreachable, a name is unknown or usage is wrong', async () => {
    const none = await blox('tasks', '--family', 'nothing-like-this', ...e);
    assert.deepEqual([none.code, none.out, none.err], [0, '', 'No tasks match.']);

    const down = await blox('tasks', '--endpoint', 'http://127.0.0.1:9');
    assert.equal(down.code, 4);
    assert.equal(
      down.err.split('\n')[0],
      'blox: cannot reach the Blox API at http://127.0.0.1:9 — is `blox up` running? (set --endpoint or BLOX_ENDPOINT)',
    );
    const downEnv = await blox('env', 'list', '--scheduler-endpoint', 'http://127.0.0.1:9', ...e);
    assert.equal(downEnv.code, 4);
    assert.match(downEnv.err, /set --scheduler-endpoint or BLOX_SCHEDULER_ENDPOINT/);

    const missing = await blox('env', 'get', 'no-such-env', ...e);
    assert.equal(missing.code, 3, missing.err);
    assert.match(missing.err, /no-such-env/);

    const badStatus = await blox('tasks', '--status', 'SLEEPING', ...e);
    assert.equal(badStatus.code, 1);
    assert.equal(badStatus.err.split('\n').length, 1, 'one line');

    const usage = await blox('env', 'frobnicate', ...e);
    assert.equal(usage.code, 2);
    assert.match(usage.err, /unknown subcommand "frobnicate" of blox env; use one of: create, list/);
    const noFlags = await blox('env', 'create', 'x', ...e);
    assert.equal(noFlags.code, 2);
    assert.match(noFlags.err, /needs --cluster and --task-definition/);
  });

  it('creates an environment, deploys it with --wait, and the daemon follows the fleet as it scales', async () => {
    const tasksWatch = spawnBlox(['tasks', '--cluster', 'default', '--watch', ...e]);
    const instancesWatch = spawnBlox(['instances', '--cluster', 'default', '--watch', '-o', 'json', ...e]);
    try {
      // Both watches have listed, so every later change reaches them as a change.
      await waitFor(
        'the watches to print their lists',
        () =>
          tasksWatch.output().startsWith('TASK') && instancesWatch.output().trim().split('\n').length >= 3,
        { timeoutMs: 30_000 },
      );
      const created = await blox(
        'env',
        'create',
        'demo',
        '--cluster',
        'default',
        '--task-definition',
        'blox-demo-daemon',
        ...e,
      );
      assert.equal(created.code, 0, created.err);
      assert.match(created.out, /created environment demo \(revision 1/);
      const listed = await json('env', 'list');
      assert.deepEqual(
        listed.map((x: any) => x.name),
        ['demo'],
      );

      const deployed = await blox('deploy', 'demo', '--wait', ...e);
      assert.equal(deployed.code, 0, deployed.err + deployed.out);
      const lines = deployed.out.split('\n');
      assert.match(lines[0]!, /^deployment [0-9a-f-]{36}: demo → revision 1 \(blox-demo-daemon:1\)$/);
      assert.ok(
        lines.some((l) =>
          /^revision 1 {2}\[#{20}\] {2}3\/3 updated {2}available 3 {2}failed 0 {2}completed$/.test(l),
        ),
        deployed.out,
      );
      assert.match(lines.at(-1)!, /completed: revision 1 runs on 3 instance\(s\)$/);
      assert.equal(await runningTasks('blox-demo-daemon:1'), 3);
      // State and scheduler metrics share the one /metrics of `blox up`.
      const metrics = await (await fetch(`${up.api}/metrics`)).text();
      assert.match(metrics, /^blox_scheduler_environment_desired\{environment="demo"\} 3$/m);
      assert.match(metrics, /^blox_state_/m);
      const table = await blox('tasks', '--cluster', 'default', ...e);
      assert.equal(table.out.split('\n').filter((l) => l.includes('blox-demo-daemon:1')).length, 3);

      // Scale the demo cluster: the daemon launches on the new instances.
      const scaled = await blox('local-aws', 'scale', 'default', '5', '--endpoint', up.localAws);
      assert.equal(scaled.code, 0, scaled.err);
      await waitFor(
        '5 running daemon tasks after scaling to 5 instances',
        async () => (await runningTasks()) === 5,
        {
          timeoutMs: 30_000,
          intervalMs: 250,
        },
      );
      const env = await json('env', 'get', 'demo');
      assert.deepEqual([env.status.desired, env.status.updated], [5, 5]);

      // The watches printed the changes as they came.
      await waitFor('the instances watch to print the 2 new instances', () => {
        const records = instancesWatch
          .output()
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l));
        return new Set(records.map((r: any) => r.detail.containerInstanceArn)).size === 5;
      });
      await waitFor(
        `the tasks watch to print 5 tasks RUNNING; it printed:\n${tasksWatch.output()}\n${tasksWatch.errors()}`,
        () => {
          const running = new Set(
            tasksWatch
              .output()
              .split('\n')
              .filter((l) => /\bRUNNING\s+RUNNING\b.*\b(ADDED|UPDATED)$/.test(l))
              .map((l) => l.split(/\s+/)[0]),
          );
          return running.size === 5;
        },
      );
      assert.match(tasksWatch.output().split('\n')[0]!, /^TASK\s+CLUSTER\s+TASK DEFINITION\s+STATUS/);
      assert.ok(tasksWatch.output().includes('ADDED'), tasksWatch.output());
    } finally {
      tasksWatch.kill('SIGINT');
      instancesWatch.kill('SIGINT');
      const codes = await Promise.all([tasksWatch.exited, instancesWatch.exited]);
      assert.deepEqual(
        codes,
        [0, 0],
        `Ctrl-C ends a watch with exit 0: ${tasksWatch.errors()} ${instancesWatch.errors()}`,
      );
    }
  });

  it('updates, deploys a new revision, rolls back, and lists deployments', async () => {
    const ecs = createEcsClient({
      endpoint: up.localAws,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    try {
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family: 'blox-demo-daemon',
          containerDefinitions: [
            { name: 'agent', image: 'busybox:1.36', cpu: 128, memory: 128, essential: true },
          ],
        }),
      );
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family: 'too-big',
          containerDefinitions: [
            { name: 'hog', image: 'busybox', cpu: 128, memory: 500_000, essential: true },
          ],
        }),
      );
    } finally {
      ecs.destroy();
    }
    const updated = await blox(
      'env',
      'update',
      'demo',
      '--task-definition',
      'blox-demo-daemon:2',
      '--max-unavailable',
      '2',
      ...e,
    );
    assert.equal(updated.code, 0, updated.err);
    assert.match(updated.out, /demo is at revision 2/);
    const deployed = await blox('deploy', 'demo', '--wait', ...e);
    assert.equal(deployed.code, 0, deployed.err + deployed.out);
    assert.equal(await runningTasks('blox-demo-daemon:2'), 5);

    const rolledBack = await blox('rollback', 'demo', '--wait', ...e);
    assert.equal(rolledBack.code, 0, rolledBack.err + rolledBack.out);
    assert.match(rolledBack.out, /^rollback [0-9a-f-]{36}: demo → revision 1 \(blox-demo-daemon:1\)/);
    assert.equal(await runningTasks('blox-demo-daemon:1'), 5);

    const to2 = await json('rollback', 'demo', '--to', '2', '--wait');
    assert.deepEqual([to2.revision, to2.state], [2, 'completed']);

    const deployments = await json('deployments', 'demo');
    assert.deepEqual(
      deployments.map((d: any) => [d.revision, d.state]),
      [
        [2, 'completed'],
        [1, 'completed'],
        [2, 'completed'],
        [1, 'completed'],
      ],
    );
    const table = await blox('deployments', 'demo', ...e);
    assert.match(table.out.split('\n')[0]!, /^ID\s+REVISION\s+STATE\s+TASK DEFINITION\s+UPDATED\s+FAILURES/);
    const revisions = await json('env', 'revisions', 'demo');
    assert.deepEqual(
      revisions.map((r: any) => r.revision),
      [1, 2],
    );
  });

  it('exits 1 when a deployment fails (and says it was rolled back)', async () => {
    const updated = await blox('env', 'update', 'demo', '--task-definition', 'too-big', ...e);
    assert.equal(updated.code, 0, updated.err);
    const failed = await blox('deploy', 'demo', '--wait', '--timeout', '60s', ...e);
    assert.equal(failed.code, 1, failed.out + failed.err);
    assert.match(failed.err, /^blox: deployment [0-9a-f-]{36} of revision 3 (failed|rolled back)/);
    assert.match(failed.err, /RESOURCE:MEMORY/);
    assert.match(failed.err, /see: blox deployments demo/);
    await waitFor(
      'the rollback to bring 5 daemon tasks of revision 2 back',
      async () => (await runningTasks('blox-demo-daemon:2')) === 5,
      {
        timeoutMs: 30_000,
        intervalMs: 250,
      },
    );
  });

  it('deletes the environment and its tasks stop', async () => {
    const deleted = await blox('env', 'delete', 'demo', ...e);
    assert.equal(deleted.code, 0, deleted.err);
    await waitFor('the daemon tasks to stop', async () => (await runningTasks()) === 0, {
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    const gone = await blox('deploy', 'demo', ...e);
    assert.equal(gone.code, 3, gone.err);
  });

  it('watches instances matching a cluster query (the server decides each change) as the fleet grows', async () => {
    const printed: any[] = [];
    const ctx = {
      ...clientContext({ endpoint: up.api }),
      print: (text: string) => printed.push(JSON.parse(text)),
      printError: () => undefined,
    };
    const query = 'attribute:ecs.instance-type == m5.large';
    const matching = (await json('instances', '--filter', query)).length;
    assert.ok(matching >= 1, 'the demo fleet has an m5.large instance');
    const stop = new AbortController();
    const watching = listEntities(ctx, {
      kind: 'instance',
      filter: { cluster: 'default', filter: query },
      output: 'json',
      watch: true,
      stopSignal: stop.signal,
    });
    try {
      await waitFor('the watch to list the matching instances', () => printed.length === matching);
      const count = (await json('instances', '--cluster', 'default')).length;
      const scale = (n: number, type: string) =>
        blox('local-aws', 'scale', 'default', String(n), '--instance-type', type, '--endpoint', up.localAws);
      assert.equal((await scale(count + 1, 'r5.large')).code, 0);
      assert.equal((await scale(count + 2, 'm5.large')).code, 0);
      await waitFor('the watch to print the new m5.large instance', () =>
        printed.slice(matching).some((r) => r.type === 'put'),
      );
      const types = printed.map(
        (r) => r.detail.attributes.find((a: any) => a.name === 'ecs.instance-type').value,
      );
      assert.deepEqual(new Set(types), new Set(['m5.large']), 'the r5.large instance is never printed');
    } finally {
      stop.abort();
      assert.equal(await watching, 0, 'a watch ended by its stop signal exits 0');
    }
  });
});
