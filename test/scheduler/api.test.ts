/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of HTTP answers are read loosely in assertions */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DeleteClusterCommand, DeregisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import type { FastifyInstance } from 'fastify';
import { silentLogger } from '../../src/core/logger.js';
import { schedulerRoutes } from '../../src/scheduler/daemon/api/routes.js';
import { ecsChecks } from '../../src/scheduler/daemon/ecs-checks.js';
import { EnvironmentRepository } from '../../src/scheduler/daemon/repository.js';
import { EnvironmentService } from '../../src/scheduler/daemon/service.js';
import { createHttpApp } from '../../src/server/app.js';
import { openStore, type Store } from '../../src/store/index.js';
import { tempDir } from '../support/env.js';
import { createCluster, registerTaskDefinition, startAws } from './support/harness.js';
import { errorOf } from '../support/api-error.js';

/**
 * The v1 API against the SQLite store and the local ECS emulator: v0.3's integration features
 * (§6.2) with their status codes and message texts, plus what Blox adds.
 */
describe('scheduler API (v0.3 compatible)', () => {
  let store: Store;
  let app: FastifyInstance;
  let aws: Awaited<ReturnType<typeof startAws>>;
  let cleanup: () => Promise<void>;
  let clusterArn: string;
  let td: string;

  before(async () => {
    const dir = await tempDir();
    cleanup = dir.cleanup;
    store = await openStore({ backend: 'sqlite', dataDir: dir.path });
    aws = await startAws();
    clusterArn = await createCluster(aws.ecs, 'DSTestCluster');
    await createCluster(aws.ecs, 'second');
    td = await registerTaskDefinition(aws.ecs, 'sleep');
    const service = new EnvironmentService(new EnvironmentRepository(store), ecsChecks(aws.ecs));
    app = await createHttpApp({ logger: silentLogger, plugins: [schedulerRoutes({ service })] });
  });
  after(async () => {
    await app.close();
    await aws.close();
    await store.close();
    await cleanup();
  });

  const call = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) => {
    const res = await app.inject({
      method,
      url,
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
    return {
      status: res.statusCode,
      body: (res.statusCode >= 400 ? errorOf(res) : res.body ? JSON.parse(res.body) : undefined) as
        Record<string, any> | undefined,
      headers: res.headers,
    };
  };
  /** A POST with a raw body and the given content type (none when undefined). */
  const postRaw = (url: string, payload: string, contentType: string | undefined) =>
    app.inject({ method: 'POST', url, payload, headers: contentType ? { 'content-type': contentType } : {} });
  const create = (name: string, cluster = 'DSTestCluster', taskDefinition = 'sleep') =>
    call('POST', '/v1/environments', { name, instanceGroup: { cluster }, taskDefinition });

  it('ping answers 200 with an empty JSON body', async () => {
    const res = await call('GET', '/v1/ping');
    assert.equal(res.status, 200);
    assert.equal(res.body, undefined);
    assert.match(String(res.headers['content-type']), /application\/json/);
  });

  it('creates an environment with ECS-normalised ARNs and a token; GET round-trips', async () => {
    const res = await create('blox-test');
    assert.equal(res.status, 200);
    assert.equal(res.body!.name, 'blox-test');
    assert.equal(res.body!.instanceGroup.cluster, clusterArn);
    assert.equal(res.body!.taskDefinition, td);
    assert.equal(res.body!.health, 'healthy');
    assert.match(res.body!.deploymentToken, /^[0-9a-f-]{36}$/);
    const got = await call('GET', '/v1/environments/blox-test');
    assert.equal(got.status, 200);
    assert.equal(got.body!.deploymentToken, res.body!.deploymentToken);
  });

  it('every create validation error, in v0.3 wording and order', async () => {
    const cases: Array<[unknown, number, string]> = [
      [
        {},
        400,
        'validation failure list:\ninstanceGroup in body is required\nname in body is required\ntaskDefinition in body is required',
      ],
      [
        { name: ' ', instanceGroup: { cluster: 'DSTestCluster' }, taskDefinition: 'sleep' },
        400,
        "validation failure list:\nname in body should match '^[a-zA-Z0-9-_]{1,30}$'",
      ],
      [
        { name: 'a'.repeat(31), instanceGroup: { cluster: 'x' }, taskDefinition: 'sleep' },
        400,
        "validation failure list:\nname in body should match '^[a-zA-Z0-9-_]{1,30}$'",
      ],
      [
        { name: 'ok', instanceGroup: {}, taskDefinition: 'sleep' },
        400,
        'validation failure list:\ninstanceGroup.cluster in body is required: the ECS cluster name or ARN to run the daemon on',
      ],
      [
        { name: 'ok', instanceGroup: { cluster: 'nope' }, taskDefinition: 'sleep' },
        404,
        'Cluster nope does not exist: create it in ECS first or check the name and region',
      ],
      [
        { name: 'ok', instanceGroup: { cluster: 'DSTestCluster' }, taskDefinition: 'missing:1' },
        404,
        'Error calling DescribeTaskDefinition for taskDefinition missing:1: ClientException: Unable to describe task definition.',
      ],
      [
        {
          name: 'ok',
          instanceGroup: { cluster: 'DSTestCluster', query: 'attribute:x ==' },
          taskDefinition: 'sleep',
        },
        400,
        'validation failure list:\ninstanceGroup.query in body is not a valid cluster query',
      ],
      [
        {
          name: 'ok',
          instanceGroup: { cluster: 'DSTestCluster' },
          taskDefinition: 'sleep',
          deploymentConfiguration: { maxUnavailable: 0 },
        },
        400,
        'validation failure list:\ndeploymentConfiguration.maxUnavailable must be at least 1',
      ],
      [
        {
          name: 'ok',
          instanceGroup: { cluster: 'DSTestCluster' },
          taskDefinition: 'sleep',
          deploymentConfiguration: { failureThreshold: 'lots' },
        },
        400,
        'validation failure list:\ndeploymentConfiguration.failureThreshold must be a whole number',
      ],
      [
        {
          name: 'ok',
          instanceGroup: { cluster: 'DSTestCluster' },
          taskDefinition: 'sleep',
          foreignTasks: 'steal',
        },
        400,
        'validation failure list:\nforeignTasks in body must be one of ignore, adopt',
      ],
    ];
    for (const [body, status, message] of cases) {
      const res = await call('POST', '/v1/environments', body);
      assert.equal(res.status, status, JSON.stringify(body));
      assert.ok(res.body!.message.startsWith(message), `${res.body!.message} vs ${message}`);
      assert.equal(typeof res.body!.code, 'string');
    }
    const bad = await postRaw('/v1/environments', '{oops', 'application/json');
    assert.equal(bad.statusCode, 400);
    assert.match(errorOf(bad).message, /not valid JSON/);
  });

  it('reads a JSON body whatever its content type, as v0.3 did (curl -d sends a form type)', async () => {
    const name = (i: number) =>
      JSON.stringify({
        name: `ctype-${i}`,
        instanceGroup: { cluster: 'DSTestCluster' },
        taskDefinition: 'sleep',
      });
    const types = ['application/x-www-form-urlencoded', 'text/plain', undefined];
    for (const [i, type] of types.entries()) {
      const res = await postRaw('/v1/environments', name(i), type);
      assert.equal(res.statusCode, 200, `${type}: ${res.body}`);
    }
    const env = (await call('GET', '/v1/environments/ctype-0')).body!;
    const form = 'application/x-www-form-urlencoded';
    const deploy = await postRaw(
      `/v1/environments/ctype-0/deployments?deploymentToken=${env.deploymentToken}`,
      '',
      form,
    );
    assert.equal(deploy.statusCode, 200, deploy.body);
    const bad = await postRaw('/v1/environments', 'name=x', form);
    assert.equal(bad.statusCode, 400);
    assert.match(errorOf(bad).message, /not valid JSON/);
  });

  it('duplicate name → 400; inactive cluster and task definition → 404 (v0.3 messages)', async () => {
    await create('dup');
    const dup = await create('dup');
    assert.equal(dup.status, 400);
    assert.equal(
      dup.body!.message,
      'Error saving environment dup to store: An environment with name dup already exists',
    );
    await createCluster(aws.ecs, 'gone');
    await aws.ecs.send(new DeleteClusterCommand({ cluster: 'gone' }));
    const inactive = await create('c1', 'gone');
    assert.equal(inactive.status, 404);
    assert.equal(inactive.body!.message, 'Cluster is inactive');
    const old = await registerTaskDefinition(aws.ecs, 'old');
    await aws.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: old }));
    const tdInactive = await create('c2', 'DSTestCluster', old);
    assert.equal(tdInactive.status, 404);
    assert.equal(tdInactive.body!.message, 'TaskDefinition is inactive');
  });

  it('get missing → 404; delete is idempotent', async () => {
    const missing = await call('GET', '/v1/environments/blox-test-missing');
    assert.equal(missing.status, 404);
    assert.equal(missing.body!.message, 'Environment blox-test-missing does not exist');
    await create('to-delete');
    assert.equal((await call('DELETE', '/v1/environments/to-delete')).status, 200);
    assert.equal((await call('GET', '/v1/environments/to-delete')).status, 404);
    assert.equal((await call('DELETE', '/v1/environments/to-delete')).status, 200);
  });

  it('lists with cluster filters by ARN and by name, with v0.3 filter errors, and paginates', async () => {
    const second = await create('on-second', 'second');
    const secondArn = second.body!.instanceGroup.cluster as string;
    for (const filter of [secondArn, 'second']) {
      const res = await call('GET', `/v1/environments?cluster=${encodeURIComponent(filter)}`);
      assert.equal(res.status, 200);
      assert.deepEqual(
        res.body!.items.map((e: any) => e.name),
        ['on-second'],
      );
    }
    const all = await call('GET', '/v1/environments');
    assert.ok(all.body!.items.length >= 3);
    assert.equal(
      (await call('GET', '/v1/environments?cluster=cluster/cluster')).body!.message,
      'Invalid cluster ARN or name',
    );
    const twice = await call('GET', '/v1/environments?cluster=cluster1&cluster=cluster2');
    assert.equal(twice.status, 400);
    assert.equal(twice.body!.message, 'At least one of the filters provided is specified multiple times');
    const unsupported = await call('GET', '/v1/environments?unsupportedFilter=val');
    assert.equal(unsupported.status, 400);
    assert.equal(unsupported.body!.message, 'At least one of the filters provided is not supported');
    // Pagination: walk every page one item at a time.
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await call('GET', `/v1/environments?maxResults=1${token ? `&nextToken=${token}` : ''}`);
      assert.equal(page.status, 200);
      assert.ok(page.body!.items.length <= 1);
      names.push(...page.body!.items.map((e: any) => e.name));
      token = page.body!.nextToken;
    } while (token);
    assert.deepEqual(
      names,
      all.body!.items.map((e: any) => e.name),
    );
    assert.equal((await call('GET', '/v1/environments?nextToken=bogus!')).status, 400);
    assert.equal((await call('GET', '/v1/environments?maxResults=0')).status, 400);
  });

  it('deployments: token is optimistic concurrency for real (rotates; stale is rejected)', async () => {
    const env = (await create('deploy-me')).body!;
    const missing = await call(
      'POST',
      `/v1/environments/nope/deployments?deploymentToken=${env.deploymentToken}`,
    );
    assert.equal(missing.status, 404);
    assert.equal(missing.body!.message, "Environment with name 'nope' does not exist");
    const noToken = await call('POST', '/v1/environments/deploy-me/deployments');
    assert.equal(noToken.status, 400);
    assert.match(noToken.body!.message, /deploymentToken query parameter is required/);
    const d = await call(
      'POST',
      `/v1/environments/deploy-me/deployments?deploymentToken=${env.deploymentToken}`,
    );
    assert.equal(d.status, 200);
    assert.equal(d.body!.status, 'pending');
    assert.deepEqual(d.body!.failedInstances, []);
    assert.equal(d.body!.environmentName, 'deploy-me');
    assert.equal(d.body!.taskDefinition, td);
    const again = await call(
      'POST',
      `/v1/environments/deploy-me/deployments?deploymentToken=${env.deploymentToken}`,
    );
    assert.equal(again.status, 400);
    const fresh = (await call('GET', '/v1/environments/deploy-me')).body!;
    assert.notEqual(fresh.deploymentToken, env.deploymentToken);
    assert.equal(
      again.body!.message,
      `Token '${env.deploymentToken}' is outdated and does not match the environment token '${fresh.deploymentToken}'`,
    );
    const busy = await call(
      'POST',
      `/v1/environments/deploy-me/deployments?deploymentToken=${fresh.deploymentToken}`,
    );
    assert.equal(busy.status, 400);
    assert.equal(busy.body!.message, `There is already a deployment in progress: ${d.body!.id}`);

    const got = await call('GET', `/v1/environments/deploy-me/deployments/${d.body!.id}`);
    assert.equal(got.body!.id, d.body!.id);
    const list = await call('GET', '/v1/environments/deploy-me/deployments');
    assert.equal(list.body!.items.length, 1);
    assert.equal(
      (await call('GET', '/v1/environments/blox-test-missing/deployments')).body!.message,
      'Environment blox-test-missing does not exist',
    );
    assert.equal(
      (await call('GET', '/v1/environments/deploy-me/deployments/invalid-deployment-id')).body!.message,
      'Deployment invalid-deployment-id does not exist for environment deploy-me',
    );
  });

  it('update makes a new revision and rotates the token; a stale token is rejected', async () => {
    const env = (await create('upd')).body!;
    const td2 = await registerTaskDefinition(aws.ecs, 'sleep');
    const res = await call('PUT', `/v1/environments/upd?deploymentToken=${env.deploymentToken}`, {
      taskDefinition: td2,
      instanceGroup: { attributes: [{ name: 'stack', value: 'prod' }] },
      deploymentConfiguration: { maxUnavailable: '25%' },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body!.revision, 2);
    assert.equal(res.body!.taskDefinition, td2);
    assert.deepEqual(res.body!.deploymentConfiguration, {
      maxUnavailable: '25%',
      failureThreshold: '10%',
      autoRollback: true,
    });
    assert.notEqual(res.body!.deploymentToken, env.deploymentToken);
    const stale = await call('PUT', `/v1/environments/upd?deploymentToken=${env.deploymentToken}`, {
      taskDefinition: td,
    });
    assert.equal(stale.status, 400);
    assert.match(stale.body!.message, /is outdated/);
    const moved = await call('PUT', `/v1/environments/upd?deploymentToken=${res.body!.deploymentToken}`, {
      instanceGroup: { cluster: 'second' },
    });
    assert.equal(moved.status, 400);
    const revs = await call('GET', '/v1/environments/upd/revisions');
    assert.deepEqual(
      revs.body!.items.map((r: any) => r.revision),
      [1, 2],
    );
    assert.equal((await call('GET', '/v1/environments/upd/revisions/1')).body!.taskDefinition, td);
    assert.equal((await call('GET', '/v1/environments/upd/revisions/9')).status, 404);
    // Deploy revision 1 explicitly, then a rollback with nothing completed is refused clearly.
    const d = await call(
      'POST',
      `/v1/environments/upd/deployments?deploymentToken=${res.body!.deploymentToken}`,
      { revision: 1 },
    );
    assert.equal(d.body!.revision, 1);
    const tok = (await call('GET', '/v1/environments/upd')).body!.deploymentToken;
    const rb = await call('POST', `/v1/environments/upd/rollback?deploymentToken=${tok}`);
    assert.equal(rb.status, 400);
    assert.match(rb.body!.message, /no earlier completed revision/);
    const explicit = await call('POST', `/v1/environments/upd/rollback?deploymentToken=${tok}`, {
      revision: 2,
    });
    assert.equal(explicit.status, 200);
    const old = await call('GET', `/v1/environments/upd/deployments/${d.body!.id}`);
    assert.equal(old.body!.state, 'rolled_back');
    assert.equal(old.body!.rolledBackBy, explicit.body!.id);
  });

  it('without maxResults or nextToken a list has every item, as v0.3 answered (no default page)', async () => {
    const before = (await call('GET', '/v1/environments')).body!.items.length as number;
    for (let i = 0; i < 101; i++)
      assert.equal((await create(`many-${String(i).padStart(3, '0')}`)).status, 200);
    const all = await call('GET', '/v1/environments');
    assert.equal(all.body!.items.length, before + 101);
    assert.equal(all.body!.nextToken, undefined);
    const page = await call('GET', '/v1/environments?maxResults=100');
    assert.equal(page.body!.items.length, 100);
    assert.ok(page.body!.nextToken);
  });
});
