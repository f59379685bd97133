import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../../src/store/open.js';
import type { Store } from '../../../src/store/types.js';
import { startStateService, type StateService } from '../../../src/state/service.js';
import { tempDir } from '../../support/env.js';
import {
  ACCOUNT,
  REGION,
  clusterArn,
  instance,
  instanceArn,
  keyOf,
  putEntities,
  task,
  taskArn,
} from './fixtures.js';
import { errorOf } from '../../support/api-error.js';
import { stateApiPlugin } from '../../../src/state/api/plugin.js';
import { StateIndex } from '../../../src/state/index/index.js';
import { silentLogger } from '../../../src/core/logger.js';
import { createHttpApp } from '../../../src/server/app.js';
import { Registry } from 'prom-client';

/** The list/get API against a real SQLite store (through fastify inject: no sockets needed). */
describe('state API: list, get, filters, validation (SQLite)', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  let store: Store;
  let service: StateService;

  before(async () => {
    dir = await tempDir();
    store = await openStore({ backend: 'sqlite', dataDir: dir.path });
    await putEntities(store, [
      task({ id: 'r1', startedBy: 'someone', family: 'web' }),
      task({ id: 'r2', startedBy: 'e2eTester', family: 'web', instance: 'i2' }),
      task({ id: 's1', lastStatus: 'STOPPED', desiredStatus: 'STOPPED', startedBy: 'someone', family: 'db' }),
      task({ id: 'p1', lastStatus: 'PENDING', desiredStatus: 'STOPPED' }),
      task({ id: 'old1', oldArn: true, cluster: 'legacy' }),
      task({ id: 'other', cluster: 'prod', account: '444455556666', region: 'eu-west-1' }),
      instance({ id: 'i1' }),
      instance({
        id: 'i2',
        status: 'DRAINING',
        attributes: [{ name: 'ecs.instance-type', value: 'm5.large' }, { name: 'gpu' }],
      }),
      instance({ id: 'i3', status: 'INACTIVE', cluster: 'legacy', oldArn: true }),
    ]);
    service = await startStateService({ store });
    await service.ready;
  });

  after(async () => {
    await service.close();
    await store.close();
    await dir.cleanup();
  });

  const revisionOf = async (e: Parameters<typeof keyOf>[0]) => (await store.get(keyOf(e)))!.modRevision;
  const get = async (url: string) => {
    const res = await service.app!.inject({ method: 'GET', url });
    return {
      status: res.statusCode,
      headers: res.headers,
      body: res.body,
      text: res.body,
      json: () => JSON.parse(res.body),
    };
  };
  const ids = (body: { items: Array<{ entity: { taskARN?: string; containerInstanceARN?: string } }> }) =>
    body.items.map((i) => (i.entity.taskARN ?? i.entity.containerInstanceARN)!.split('/').pop() ?? '');

  it('GET /v1/tasks returns every task in key order, as v0.3 items, JSON ending with a newline', async () => {
    const res = await get('/v1/tasks');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.ok(res.text.endsWith('}\n'));
    assert.deepEqual(ids(res.json()), ['p1', 'r1', 'r2', 's1', 'old1', 'other']);
    assert.ok(Number(res.headers['x-blox-revision']) >= 9);
  });

  it('a task item has exactly v0.3 keys, order and values', async () => {
    const res = await get(`/v1/tasks/default/${taskArn('default', 'r1')}`);
    assert.equal(res.status, 200);
    const expected =
      `{"entity":{"clusterARN":"${clusterArn('default')}","containerInstanceARN":"${instanceArn('default', 'i1')}",` +
      `"containers":[{"containerARN":"arn:aws:ecs:${REGION}:${ACCOUNT}:container/r1-c","lastStatus":"RUNNING","name":"app",` +
      `"networkBindings":[{"bindIP":"0.0.0.0","containerPort":80,"hostPort":8080,"protocol":"tcp"}]}],` +
      `"createdAt":"2017-01-02T03:04:05.000Z","desiredStatus":"RUNNING","lastStatus":"RUNNING",` +
      `"overrides":{"containerOverrides":[{"command":null,"environment":[{"name":"A","value":"B"}],"name":"app"}]},` +
      `"startedBy":"someone","taskARN":"${taskArn('default', 'r1')}",` +
      `"taskDefinitionARN":"arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/web:3"},"metadata":{"entityVersion":"${await revisionOf(task({ id: 'r1' }))}"}}\n`;
    assert.equal(res.text, expected);
  });

  it('an instance item has exactly v0.3 keys, order and string resource values', async () => {
    const res = await get(`/v1/instances/default/${instanceArn('default', 'i1')}`);
    assert.equal(res.status, 200);
    assert.equal(
      res.text,
      `{"entity":{"EC2InstanceID":"i-i1","agentConnected":true,"attributes":[{"name":"ecs.instance-type","value":"t2.micro"}],` +
        `"clusterARN":"${clusterArn('default')}","containerInstanceARN":"${instanceArn('default', 'i1')}",` +
        `"registeredResources":[{"name":"CPU","type":"INTEGER","value":"2048"},{"name":"MEMORY","type":"INTEGER","value":"3767"},` +
        `{"name":"PORTS","type":"STRINGSET","value":"22,2376"}],"remainingResources":[{"name":"CPU","type":"INTEGER","value":"1024"}],` +
        `"status":"ACTIVE","versionInfo":{"agentHash":"abc","agentVersion":"1.14.0","dockerVersion":"DockerVersion: 1.12"}},` +
        `"metadata":{"entityVersion":"${await revisionOf(instance({ id: 'i1' }))}"}}\n`,
    );
  });

  it('gets by cluster name + ARN in both ARN formats, raw or percent-encoded, and by cluster ARN', async () => {
    for (const url of [
      `/v1/tasks/default/${taskArn('default', 'r2')}`,
      `/v1/tasks/default/${encodeURIComponent(taskArn('default', 'r2'))}`,
      `/v1/tasks/${encodeURIComponent(clusterArn('default'))}/${encodeURIComponent(taskArn('default', 'r2'))}`,
      `/v1/tasks/legacy/${taskArn('legacy', 'old1', true)}`,
      `/v1/tasks/legacy/${encodeURIComponent(taskArn('legacy', 'old1', true))}`,
      `/v1/instances/legacy/${encodeURIComponent(instanceArn('legacy', 'i3', true))}`,
      `/v1/instances/default/${instanceArn('default', 'i2')}`,
    ]) {
      const res = await get(url);
      assert.equal(res.status, 200, url);
    }
    const native = (await get(`/v1/tasks/default/${taskArn('default', 'r2')}?format=native`)).json();
    assert.equal(native.entity.kind, 'task');
    assert.equal(native.entity.detail.version, 1);
    assert.equal(native.entity.detail.group, 'family:web');
  });

  it('answers 404 with the v0.3 message for unknown tasks and instances, wrong clusters and bad ARNs', async () => {
    const cases: Array<[string, string, string]> = [
      [
        `/v1/tasks/default/${taskArn('default', '31900037-a46c-4f7b-a1e1-f12e4d6b7a1e', true)}`,
        'TaskNotFound',
        'Task not found',
      ],
      [`/v1/tasks/prod/${taskArn('default', 'r1')}`, 'TaskNotFound', 'Task not found'],
      [`/v1/tasks//${taskArn('default', 'nope', true)}`, 'TaskNotFound', 'Task not found'],
      [`/v1/tasks/default/not-an-arn`, 'TaskNotFound', 'Task not found'],
      [`/v1/instances/default/${instanceArn('default', 'nope')}`, 'InstanceNotFound', 'Instance not found'],
      [`/v1/instances/default/${taskArn('default', 'r1')}`, 'InstanceNotFound', 'Instance not found'],
    ];
    for (const [url, code, message] of cases) {
      const res = await get(url);
      assert.equal(res.status, 404, url);
      assert.deepEqual(errorOf(res), { code, message }, url);
    }
  });

  it('filters tasks by status (case-insensitive, lastStatus), cluster (name or ARN), startedBy and combinations', async () => {
    const cases: Array<[string, string[]]> = [
      ['status=STOPPED', ['s1']],
      ['status=stopped', ['s1']],
      ['status=running', ['r1', 'r2', 'old1', 'other']],
      ['status=', ['p1', 'r1', 'r2', 's1', 'old1', 'other']],
      ['cluster=default', ['p1', 'r1', 'r2', 's1']],
      [`cluster=${encodeURIComponent(clusterArn('default'))}`, ['p1', 'r1', 'r2', 's1']],
      [`cluster=${encodeURIComponent(clusterArn('default', '999999999999'))}`, []],
      ['startedBy=e2eTester', ['r2']],
      ['startedBy=E2ETESTER', []],
      ['status=running&cluster=default&startedBy=someone', ['r1']],
      ['status=running&cluster=someCluster', []],
      ['desiredStatus=stopped', ['p1', 's1']],
      ['desiredStatus=STOPPED&status=pending', ['p1']],
      [`containerInstance=${encodeURIComponent(instanceArn('default', 'i2'))}`, ['r2']],
      ['containerInstance=i2', ['r2']],
      ['family=db', ['s1']],
      ['account=444455556666', ['other']],
      ['region=eu-west-1&cluster=prod', ['other']],
    ];
    for (const [q, expected] of cases) {
      const res = await get(`/v1/tasks?${q}`);
      assert.equal(res.status, 200, q);
      assert.deepEqual(ids(res.json()), expected, q);
    }
  });

  it('filters instances by status (draining accepted), cluster, CQL filter and attributes', async () => {
    const cases: Array<[string, string[]]> = [
      ['', ['i1', 'i2', 'i3']],
      ['status=draining', ['i2']],
      ['status=ACTIVE&cluster=default', ['i1']],
      ['status=inactive', ['i3']],
      [`filter=${encodeURIComponent('attribute:ecs.instance-type =~ m5.*')}`, ['i2']],
      [
        `filter=${encodeURIComponent('attribute:ecs.instance-type == t2.micro and ec2InstanceId == i-i1')}`,
        ['i1'],
      ],
      [`filter=${encodeURIComponent('runningTasksCount == 0')}`, ['i3']],
      ['attribute=gpu', ['i2']],
      ['attribute=ecs.instance-type=t2.micro', ['i1', 'i3']],
      ['attribute=ecs.instance-type=t2.micro&attribute=gpu', []],
    ];
    for (const [q, expected] of cases) {
      const res = await get(`/v1/instances${q ? '?' + q : ''}`);
      assert.equal(res.status, 200, `${q}: ${res.text}`);
      assert.deepEqual(ids(res.json()), expected, q);
    }
  });

  it('rejects bad filters with v0.3 messages, in v0.3 order: unsupported, repeated, status, cluster', async () => {
    const U = 'At least one of the filters provided is unsupported';
    const R = 'At least one of the filters provided is specified multiple times';
    const cases: Array<[string, string, string]> = [
      ['/v1/tasks?foo=1', 'UnsupportedFilter', U],
      ['/v1/tasks?status=bogus&foo=1', 'UnsupportedFilter', U],
      ['/v1/tasks?Status=running', 'UnsupportedFilter', U],
      ['/v1/instances?startedBy=x', 'UnsupportedFilter', U],
      ['/v1/tasks?cluster=cluster1&cluster=cluster2', 'RedundantFilter', R],
      ['/v1/tasks?status=bogus&status=running', 'RedundantFilter', R],
      ['/v1/instances?status=a&status=b&cluster=x/y', 'RedundantFilter', R],
      ['/v1/tasks?status=invalidStatus', 'InvalidStatus', 'Invalid status'],
      ['/v1/tasks?status=invalidStatus&cluster=cluster/cluster', 'InvalidStatus', 'Invalid status'],
      ['/v1/instances?status=invalidStatus', 'InvalidStatus', 'Invalid status'],
      ['/v1/tasks?cluster=cluster/cluster', 'InvalidCluster', 'Invalid cluster ARN or name'],
      ['/v1/instances?cluster=cluster/cluster', 'InvalidCluster', 'Invalid cluster ARN or name'],
    ];
    for (const [url, code, message] of cases) {
      const res = await get(url);
      assert.equal(res.status, 400, url);
      assert.deepEqual(errorOf(res), { code, message }, url);
    }
  });

  it('rejects bad new parameters with a message naming the parameter and the fix', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/v1/tasks?limit=0', /Invalid limit "0": give a whole number from 1 to 10000/],
      ['/v1/tasks?limit=abc', /Invalid limit/],
      ['/v1/tasks?nextToken=%%%', /Invalid nextToken/],
      ['/v1/tasks?desiredStatus=sleepy', /Invalid desiredStatus "sleepy"/],
      ['/v1/tasks?family=a:b', /Invalid family/],
      ['/v1/tasks?containerInstance=a/b', /Invalid containerInstance/],
      ['/v1/tasks?account=12', /Invalid account/],
      ['/v1/tasks?format=xml', /Invalid format "xml"/],
      [`/v1/instances?filter=${encodeURIComponent('attribute:foo ==')}`, /^Invalid filter: /],
      [`/v1/instances?filter=${encodeURIComponent('bogusSubject == 1')}`, /^Invalid filter: /],
      ['/v1/instances?attribute=bad%20name', /Invalid attribute "bad name"/],
    ];
    for (const [url, pattern] of cases) {
      const res = await get(url);
      assert.equal(res.status, 400, url);
      assert.equal(errorOf(res).code, 'InvalidParameter', url);
      assert.match(errorOf(res).message, pattern, url);
    }
  });

  it('paginates with limit and nextToken; pages concatenate to the unpaginated answer', async () => {
    const all = ids((await get('/v1/tasks')).json());
    const paged: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const res = await get(`/v1/tasks?limit=4${token ? `&nextToken=${token}` : ''}`);
      assert.equal(res.status, 200);
      const body = res.json();
      paged.push(...ids(body));
      token = body.nextToken;
      pages++;
    } while (token);
    assert.equal(pages, 2);
    assert.deepEqual(paged, all);
    const filtered = (await get('/v1/tasks?cluster=default&limit=2')).json();
    assert.deepEqual(ids(filtered), ['p1', 'r1']);
    assert.deepEqual(
      ids((await get(`/v1/tasks?cluster=default&limit=2&nextToken=${filtered.nextToken}`)).json()),
      ['r2', 's1'],
    );
  });

  it('serves clusters, ping, status, readiness, metrics and the OpenAPI document', async () => {
    const clusters = (await get('/v1/clusters')).json();
    assert.deepEqual(
      clusters.items.map((c: { clusterName: string; tasks: number; instances: number }) => [
        c.clusterName,
        c.tasks,
        c.instances,
      ]),
      [
        ['default', 4, 2],
        ['legacy', 1, 1],
        ['prod', 1, 0],
      ],
    );
    assert.equal(clusters.items[0].clusterARN, clusterArn('default'));
    assert.equal((await get('/v1/ping')).status, 200);
    const status = (await get('/v1/status')).json();
    assert.equal(status.index.ready, true);
    assert.equal(status.index.tasks, 6);
    assert.equal(status.index.instances, 3);
    assert.equal((await get('/readyz')).status, 200);
    const metrics = (await get('/metrics')).text;
    assert.match(metrics, /blox_state_api_requests_total\{route="\/v1\/tasks",status="200"\}/);
    assert.match(metrics, /blox_state_index_entities\{kind="task"\} 6/);
    const openapi = (await get('/openapi.json')).json();
    for (const path of [
      '/v1/tasks',
      '/v1/instances',
      '/v1/stream/tasks',
      '/v1/stream/instances',
      '/v1/clusters',
    ])
      assert.ok(openapi.paths[path], path);
    // Errors are described as they are written: text, with the code in a header.
    const notFound = openapi.paths['/v1/tasks/{cluster}/{*}'].get.responses['404'];
    assert.deepEqual(Object.keys(notFound.content), ['text/plain']);
    assert.equal(notFound.content['text/plain'].schema.type, 'string');
    assert.ok(notFound.headers['x-blox-error-code'], JSON.stringify(notFound));
  });
});

/** A list larger than one write chunk (64 KiB) goes out as Buffers with a Content-Length, over a real socket. */
describe('state API: large lists (SQLite, loopback socket)', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  let store: Store;
  let service: StateService;
  let base: string;
  const TASKS = 300; // ~800 bytes each in v0.3 shape: ~240 KB, several chunks

  before(async () => {
    dir = await tempDir();
    store = await openStore({ backend: 'sqlite', dataDir: dir.path });
    await putEntities(
      store,
      Array.from({ length: TASKS }, (_, i) =>
        task({
          id: `t${String(i).padStart(4, '0')}`,
          startedBy: i % 7 === 0 ? `équipe-${i}-🚀` : `svc-${i}`,
        }),
      ),
    );
    service = await startStateService({ store });
    await service.ready;
    base = await service.app!.listen({ port: 0, host: '127.0.0.1' });
  });

  after(async () => {
    await service.close();
    await store.close();
    await dir.cleanup();
  });

  it('answers the same document as a page-by-page walk, with an exact Content-Length and no chunked encoding', async () => {
    for (const format of ['v03', 'native']) {
      const res = await fetch(`${base}/v1/tasks?cluster=default&format=${format}`);
      assert.equal(res.status, 200);
      const bytes = Buffer.from(await res.arrayBuffer());
      assert.equal(res.headers.get('content-length'), String(bytes.length));
      assert.equal(res.headers.get('transfer-encoding'), null);
      assert.ok(bytes.length > 128 * 1024, `${bytes.length} bytes: more than one chunk`);
      const text = bytes.toString('utf8');
      assert.ok(text.endsWith(']}\n'));
      const body = JSON.parse(text) as {
        items: Array<{ entity: unknown; metadata: { entityVersion: string } }>;
      };
      assert.equal(body.items.length, TASKS);
      // the same items, byte for byte, as pages of 7 (built as small single-Buffer answers)
      const paged: unknown[] = [];
      let token: string | undefined;
      do {
        const page = (await (
          await fetch(
            `${base}/v1/tasks?cluster=default&format=${format}&limit=7${token ? `&nextToken=${token}` : ''}`,
          )
        ).json()) as { items: unknown[]; nextToken?: string };
        paged.push(...page.items);
        token = page.nextToken;
      } while (token);
      assert.equal(JSON.stringify(paged), JSON.stringify(body.items));
      const withStartedBy = body.items.filter((i) => JSON.stringify(i.entity).includes('équipe-7-🚀'));
      assert.equal(withStartedBy.length, 1, 'non-ASCII text survives the byte copy');
    }
  });

  it('survives clients that leave mid-list, answers HEAD without a body, and counts large lists in the metrics', async () => {
    const whole = await (await fetch(`${base}/v1/tasks?cluster=default`)).text();
    for (let i = 0; i < 5; i++) {
      const ac = new AbortController();
      const res = await fetch(`${base}/v1/tasks?cluster=default`, { signal: ac.signal });
      const reader = res.body!.getReader();
      await reader.read(); // the first bytes, then go away
      ac.abort();
      await reader.closed.catch(() => undefined);
    }
    assert.equal(await (await fetch(`${base}/v1/tasks?cluster=default`)).text(), whole);
    const head = await fetch(`${base}/v1/tasks?cluster=default`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(whole)));
    assert.equal((await head.arrayBuffer()).byteLength, 0);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /route="\/v1\/tasks",status="200"\} ([3-9]|\d{2,})/);
  });
});

describe('state API before the index has loaded the persisted state', () => {
  it('answers 503 NotReady on entity routes (not an empty cluster), /v1/status still answers', async () => {
    const dir = await tempDir();
    const store = await openStore({ backend: 'sqlite', dataDir: dir.path });
    const app = await createHttpApp({
      logger: silentLogger,
      plugins: [
        stateApiPlugin({ index: new StateIndex(), store, registry: new Registry(), warmListCache: false }),
      ],
    });
    try {
      for (const url of ['/v1/tasks', '/v1/instances?cluster=default', '/v1/stream/tasks']) {
        const res = await app.inject({ method: 'GET', url });
        assert.equal(res.statusCode, 503, url);
        assert.equal(errorOf(res).code, 'NotReady', url);
      }
      const status = await app.inject({ method: 'GET', url: '/v1/status' });
      assert.equal(status.statusCode, 200);
      assert.equal(status.json().index.ready, false);
    } finally {
      await app.close();
      await store.close();
      await dir.cleanup();
    }
  });
});
