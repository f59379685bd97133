import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { createSqsClient } from '../../src/aws/clients.js';
import { silentLogger } from '../../src/core/logger.js';
import { Leadership } from '../../src/scheduler/framework/leader.js';
import { startStateService, type StateService } from '../../src/state/service.js';
import { openStore, type Store } from '../../src/store/index.js';
import { waitFor } from '../support/env.js';
import { startEtcd } from '../support/etcd.js';
import { createCluster, registerTaskDefinition, startAws } from './support/harness.js';
import { TaskTimeline } from './support/stack.js';

interface Replica {
  identity: string;
  port: number;
  child: ChildProcess;
}

/**
 * Two scheduler processes on one etcd: kill -9 the leader in the middle of a rollout; the other
 * replica takes over and finishes it within 15 s, and no instance ever runs two copies.
 */
describe('failover: two scheduler processes on one etcd', () => {
  let etcd: Awaited<ReturnType<typeof startEtcd>>;
  let aws: Awaited<ReturnType<typeof startAws>>;
  let store: Store;
  let state: StateService;
  let sqs: ReturnType<typeof createSqsClient>;
  const replicas: Replica[] = [];

  const spawnReplica = async (identity: string): Promise<Replica> => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', new URL('./support/replica.ts', import.meta.url).pathname],
      {
        env: {
          ...process.env,
          ETCD: etcd.endpoints[0],
          NAMESPACE: 'failover/',
          AWS_ENDPOINT: aws.aws.endpoint,
          IDENTITY: identity,
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /ready (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`replica ${identity} exited with ${code}`)));
    });
    const r = { identity, port, child };
    replicas.push(r);
    return r;
  };
  const call = async (r: Replica, method: string, path: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${r.port}${path}`, {
      method,
      ...(body !== undefined
        ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }
        : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  before(async () => {
    etcd = await startEtcd();
    aws = await startAws({ taskStartDelayMs: 300, taskStopDelayMs: 300, reorderHoldMs: 20 });
    store = await openStore({ backend: 'etcd', endpoints: etcd.endpoints, namespace: 'failover/' });
    sqs = createSqsClient({
      endpoint: aws.aws.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    state = await startStateService({
      store,
      logger: silentLogger,
      createApp: false,
      ingest: { options: { queue: 'blox_queue', waitTimeSeconds: 1, pollers: 2 }, sqs },
      reconcile: { options: { intervalMs: 3000 }, ecs: aws.ecs },
    });
  });
  after(async () => {
    for (const r of replicas) if (r.child.exitCode === null) r.child.kill('SIGKILL');
    await state?.close();
    sqs?.destroy();
    await store?.close();
    await aws?.close();
    await etcd?.stop();
  });

  it('the survivor finishes the rollout within 15 s with zero duplicate tasks', async (t) => {
    const timeline = new TaskTimeline(aws.aws);
    await createCluster(aws.ecs, 'fo');
    const td1 = await registerTaskDefinition(aws.ecs, 'daemon');
    const td2 = await registerTaskDefinition(aws.ecs, 'daemon');
    aws.aws.ecs.fleet.scale('fo', 12);
    const a = await spawnReplica('replica-a');
    const b = await spawnReplica('replica-b');
    const leadership = new Leadership(store, { prefix: 'scheduler/leader/', identity: 'observer' });
    const leaderId = await waitFor('a leader', async () => (await leadership.leader())?.value, {
      timeoutMs: 20_000,
    });
    const leader = leaderId === a.identity ? a : b;
    const follower = leader === a ? b : a;

    // The follower serves the API; the leader acts.
    const env = await call(follower, 'POST', '/v1/environments', {
      name: 'fo-daemon',
      instanceGroup: { cluster: 'fo' },
      taskDefinition: td1,
      deploymentConfiguration: { maxUnavailable: 2 },
    });
    assert.equal(env.status, 200, JSON.stringify(env.body));
    const group = env.body.group as string;
    const d1 = await call(
      follower,
      'POST',
      `/v1/environments/fo-daemon/deployments?deploymentToken=${env.body.deploymentToken}`,
    );
    await waitFor(
      'v1 completed',
      async () =>
        (await call(follower, 'GET', `/v1/environments/fo-daemon/deployments/${d1.body.id}`)).body.status ===
        'completed',
      { timeoutMs: 30_000 },
    );
    const tok = (await call(follower, 'GET', '/v1/environments/fo-daemon')).body.deploymentToken;
    const upd = await call(follower, 'PUT', `/v1/environments/fo-daemon?deploymentToken=${tok}`, {
      taskDefinition: td2,
    });
    const d2 = await call(
      follower,
      'POST',
      `/v1/environments/fo-daemon/deployments?deploymentToken=${upd.body.deploymentToken}`,
    );
    assert.equal(d2.status, 200);
    // Mid-rollout: some instances updated, not all.
    await waitFor('rollout under way', () => timeline.running(group, td2) >= 2, {
      timeoutMs: 30_000,
      intervalMs: 20,
    });
    assert.ok(timeline.running(group, td2) < 12);
    leader.child.kill('SIGKILL');
    const killedAt = Date.now();
    await waitFor(
      'survivor completes the rollout',
      async () =>
        (await call(follower, 'GET', `/v1/environments/fo-daemon/deployments/${d2.body.id}`)).body.status ===
        'completed',
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    const took = Date.now() - killedAt;
    assert.ok(took <= 15_000, `took ${took} ms`);
    t.diagnostic(`rollout finished ${took} ms after kill -9 of the leader`);
    assert.equal(timeline.running(group, td2), 12);
    assert.equal((await leadership.leader())?.value, follower.identity);
    assert.deepEqual(timeline.duplicates, []);
  });
});
