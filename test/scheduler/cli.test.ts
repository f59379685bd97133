import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSqsClient } from '../../src/aws/clients.js';
import { silentLogger } from '../../src/core/logger.js';
import { startStateService, type StateService } from '../../src/state/service.js';
import { openStore, type Store } from '../../src/store/index.js';
import { spawnBlox } from '../support/blox-process.js';
import { freePort, tempDir, waitFor } from '../support/env.js';
import { createCluster, registerTaskDefinition, startAws } from './support/harness.js';
import { TaskTimeline } from './support/stack.js';

/** `blox …` as its own process, with placeholder AWS credentials (the emulator checks none). */
const blox = (args: string[]) => spawnBlox(args, { AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' });

/** The exit code and everything the process wrote to stderr. */
const exitOf = async (child: ReturnType<typeof blox>) => ({
  code: await child.exited,
  stderr: child.errors(),
});

/** `blox scheduler` as v0.3 users run it: --bind, --css-endpoint (a remote state service), its own store. */
describe('blox scheduler (process, remote state service)', () => {
  let aws: Awaited<ReturnType<typeof startAws>>;
  let stateStore: Store;
  let state: StateService;
  let sqs: ReturnType<typeof createSqsClient>;
  let statePort: number;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let child: ReturnType<typeof blox> | undefined;

  before(async () => {
    aws = await startAws({ taskStartDelayMs: 100, taskStopDelayMs: 100, reorderHoldMs: 20 });
    dir = await tempDir();
    stateStore = await openStore({ backend: 'sqlite', dataDir: `${dir.path}/state` });
    sqs = createSqsClient({
      endpoint: aws.aws.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    state = await startStateService({
      store: stateStore,
      logger: silentLogger,
      ingest: { options: { queue: 'blox_queue', waitTimeSeconds: 1 }, sqs },
      reconcile: { options: { intervalMs: 3000 }, ecs: aws.ecs },
      streamHeartbeatMs: 500,
    });
    statePort = await freePort();
    await state.app!.listen({ host: '127.0.0.1', port: statePort });
  });
  after(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await state?.close();
    sqs?.destroy();
    await stateStore?.close();
    await aws?.close();
    await dir?.cleanup();
  });

  it('refuses to start without --css-endpoint, naming the flag', async () => {
    const r = await exitOf(blox(['scheduler', '--bind', '127.0.0.1:0', '--data-dir', `${dir.path}/x`]));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /css-endpoint/);
  });

  it('serves the v1 API and runs one task per instance, reading state over HTTP; SIGTERM exits 0', async () => {
    const port = await freePort();
    child = blox([
      'scheduler',
      '--bind',
      `127.0.0.1:${port}`,
      '--css-endpoint',
      `127.0.0.1:${statePort}`,
      '--data-dir',
      `${dir.path}/scheduler`,
      '--aws-endpoint',
      aws.aws.endpoint,
      '--region',
      'us-east-1',
      '--log-format',
      'json',
      '--log-level',
      'warn',
    ]);
    const exited = exitOf(child);
    const base = `http://127.0.0.1:${port}`;
    await waitFor('ping', async () => (await fetch(`${base}/v1/ping`)).status === 200, {
      timeoutMs: 20_000,
      intervalMs: 100,
    });
    const timeline = new TaskTimeline(aws.aws);
    await createCluster(aws.ecs, 'cli');
    await registerTaskDefinition(aws.ecs, 'cli-daemon');
    aws.aws.ecs.fleet.scale('cli', 3);
    const created = await fetch(`${base}/v1/environments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'cli-env',
        instanceGroup: { cluster: 'cli' },
        taskDefinition: 'cli-daemon',
      }),
    });
    assert.equal(created.status, 200);
    const env = (await created.json()) as { deploymentToken: string; group: string };
    const d = await fetch(
      `${base}/v1/environments/cli-env/deployments?deploymentToken=${env.deploymentToken}`,
      { method: 'POST' },
    );
    assert.equal(d.status, 200);
    await waitFor('3 daemon tasks', () => timeline.running(env.group) === 3, {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    aws.aws.ecs.fleet.scale('cli', 5);
    await waitFor('5 daemon tasks', () => timeline.running(env.group) === 5, {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    assert.deepEqual(timeline.duplicates, []);
    // The scheduler's metrics are served on the process's /metrics.
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^blox_scheduler_leader 1$/m);
    assert.match(metrics, /^blox_scheduler_environment_desired\{environment="cli-env"\} 5$/m);
    child.kill('SIGTERM');
    const r = await exited;
    assert.equal(r.code, 0, r.stderr);
  });
});
