import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ListTasksCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { openStore } from '../../../src/store/open.js';
import { tempDir, waitFor } from '../../support/env.js';
import { ecsTruth, queueCounts, runTasks, startAws, type AwsHarness } from './harness.js';
import { sameVersions, storeView } from './store-view.js';

const CHILD = join(import.meta.dirname, 'fixtures', 'ingest-child.ts');
const TASKS = 400;

function startChild(endpoint: string, dataDir: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      env: { ...process.env, BLOX_ENDPOINT: endpoint, BLOX_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`ingest child exited early with ${code}`)));
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve(child);
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
  });
}

describe('ingest survives kill -9 (SQLite)', () => {
  let h: AwsHarness;
  let dir: { path: string; cleanup: () => Promise<void> };
  const children: ChildProcess[] = [];
  before(async () => {
    [h, dir] = await Promise.all([startAws(), tempDir('blox-crash-')]);
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await h.close();
    await dir.cleanup();
  });

  it('loses nothing and duplicates nothing when SIGKILLed mid-stream and restarted', async () => {
    // A backlog of events, then more while the first process runs. Large enough that draining it
    // outlasts noticing progress and killing (with 120 tasks a faster ingest once drained it first).
    h.aws.ecs.fleet.scale('crash', 20);
    await runTasks(h.ecs, 'crash', TASKS);
    const first = await startChild(h.aws.endpoint, dir.path);
    children.push(first);
    const backlog = (await queueCounts(h.sqs, h.queueUrl)).visible;
    assert.ok(backlog > 150, `expected a backlog, got ${backlog}`);
    // more ECS activity while it ingests
    const listed = await h.ecs.send(new ListTasksCommand({ cluster: 'crash', maxResults: 30 }));
    for (const task of listed.taskArns ?? [])
      await h.ecs.send(new StopTaskCommand({ cluster: 'crash', task }));
    await waitFor(
      'some progress',
      async () => (await queueCounts(h.sqs, h.queueUrl)).visible < backlog - 40,
      {
        timeoutMs: 20_000,
        intervalMs: 5,
      },
    );
    first.kill('SIGKILL');
    await exited(first);
    const left = await queueCounts(h.sqs, h.queueUrl);
    assert.ok(left.visible + left.inFlight > 0, 'killed before the queue was drained');

    h.aws.ecs.fleet.scale('crash', 22); // changes while nobody ingests
    const second = await startChild(h.aws.endpoint, dir.path);
    children.push(second);
    await waitFor(
      'queue drained after restart',
      async () => {
        const c = await queueCounts(h.sqs, h.queueUrl);
        return c.visible === 0 && c.inFlight === 0;
      },
      { timeoutMs: 30_000 },
    );
    second.kill('SIGTERM');
    await exited(second);

    const store = await openStore({ backend: 'sqlite', dataDir: dir.path, compaction: { intervalMs: 0 } });
    try {
      const view = await storeView(store);
      const truth = await ecsTruth(h.ecs);
      assert.equal(truth.tasks.size, TASKS);
      assert.equal(truth.instances.size, 22);
      assert.ok(sameVersions(truth.tasks, view.tasks), 'every task at ECS version');
      assert.ok(sameVersions(truth.instances, view.instances), 'every instance at ECS version');
      // one key per entity: nothing stored twice
      assert.equal(view.entities.size, truth.tasks.size + truth.instances.size);
    } finally {
      await store.close();
    }
  });
});
