import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TaskDetail } from '../../../src/core/ecs/entities.js';
import { decodeMessage } from '../../../src/core/ecs/events.js';
import {
  CI1_ARN,
  CI1_KEY,
  ENTITY_EVENTS,
  TASK_ARN,
  TASK_KEY,
  otherTypeBodies,
  readVector,
  vectorBody,
} from './vectors.js';

type Envelope = Record<string, unknown> & { detail: Record<string, unknown> };

function decodeEnvelope(e: unknown) {
  return decodeMessage(JSON.stringify(e));
}

describe('decodeMessage: sample vectors', () => {
  for (const file of ENTITY_EVENTS) {
    it(`decodes ${file} into an entity update with its key, scope and version`, () => {
      const env = readVector<Envelope>(file);
      const r = decodeMessage(vectorBody(file));
      assert.equal(r.type, 'entity', JSON.stringify(r));
      if (r.type !== 'entity') return;
      const isTask = file.includes('task-') && !file.includes('instance');
      assert.equal(r.update.kind, isTask ? 'task' : 'instance');
      assert.equal(r.update.key, isTask ? TASK_KEY : CI1_KEY);
      assert.equal(r.update.arn, isTask ? TASK_ARN : CI1_ARN);
      assert.equal(r.update.account, '123456789012');
      assert.equal(r.update.region, 'us-east-1');
      assert.equal(r.update.cluster, 'default');
      assert.equal(r.update.version, env.detail.version);
      // the detail is kept whole, every field included
      assert.deepEqual(r.update.detail, env.detail);
      assert.deepEqual(r.envelope, {
        id: env.id,
        account: env.account,
        region: env.region,
        time: env.time,
      });
    });
  }

  it('ignores the other ECS event types (service action, deployment)', () => {
    const bodies = otherTypeBodies();
    assert.equal(bodies.length, 2);
    const types = bodies.map((b) => {
      const r = decodeMessage(b);
      assert.equal(r.type, 'ignored');
      return r.type === 'ignored' ? r.detailType : '';
    });
    assert.deepEqual(types, ['ECS Service Action', 'ECS Deployment State Change']);
  });

  it('ignores event types ECS may add later and events from other sources', () => {
    const env = readVector<Envelope>('events/task-running.json');
    assert.equal(decodeEnvelope({ ...env, 'detail-type': 'ECS Task Hook State Change' }).type, 'ignored');
    assert.equal(decodeEnvelope({ ...env, source: 'my.app' }).type, 'ignored');
    // detail-type is matched exactly, case-sensitive
    assert.equal(decodeEnvelope({ ...env, 'detail-type': 'ecs task state change' }).type, 'ignored');
  });

  it('keeps unknown fields at every level', () => {
    const env = readVector<Envelope>('events/task-running.json');
    const containers = env.detail.containers as Record<string, unknown>[];
    const withExtra = {
      ...env,
      futureEnvelopeField: 1,
      detail: {
        ...env.detail,
        brandNewField: { nested: [1, 2] },
        containers: [{ ...containers[0], containerFuture: 'x' }],
      },
    };
    const r = decodeEnvelope(withExtra);
    assert.equal(r.type, 'entity');
    if (r.type !== 'entity') return;
    assert.deepEqual((r.update.detail as Record<string, unknown>).brandNewField, { nested: [1, 2] });
    assert.equal((r.update.detail as TaskDetail).containers?.[0]?.containerFuture, 'x');
  });

  it('accepts old short-format ARNs and other partitions', () => {
    const env = readVector<Envelope>('events/task-running.json');
    const r = decodeEnvelope({
      ...env,
      detail: {
        ...env.detail,
        taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/b99d40b3-5176-4f71-9a52-9dbd6f1cebef',
      },
    });
    assert.equal(r.type, 'entity');
    if (r.type === 'entity')
      assert.equal(
        r.update.key,
        'ecs/task/123456789012/us-east-1/default/b99d40b3-5176-4f71-9a52-9dbd6f1cebef',
      );
    const cn = decodeEnvelope({
      ...env,
      account: '123456789012',
      region: 'cn-north-1',
      detail: {
        ...env.detail,
        clusterArn: 'arn:aws-cn:ecs:cn-north-1:123456789012:cluster/x',
        taskArn: 'arn:aws-cn:ecs:cn-north-1:123456789012:task/x/abc',
      },
    });
    assert.equal(cn.type, 'entity');
  });
});

describe('decodeMessage: poison classification', () => {
  const task = readVector<Envelope>('events/task-running.json');
  const inst = readVector<Envelope>('events/instance-registered.json');
  const withDetail = (env: Envelope, patch: Record<string, unknown>) => ({
    ...env,
    detail: { ...env.detail, ...patch },
  });
  const cases: Array<[string, string | undefined, string]> = [
    ['undefined body', undefined, 'empty'],
    ['empty body', '   ', 'empty'],
    ['not JSON', '{"version":"0",', 'bad-json'],
    ['a JSON array', '[1,2]', 'bad-envelope'],
    ['a JSON string', '"hello"', 'bad-envelope'],
    ['no detail-type', JSON.stringify({ ...task, 'detail-type': undefined }), 'bad-envelope'],
    ['numeric account', JSON.stringify({ ...task, account: 123456789012 }), 'bad-envelope'],
    ['no detail', JSON.stringify({ ...task, detail: undefined }), 'bad-shape'],
    ['detail is an array', JSON.stringify({ ...task, detail: [] }), 'bad-shape'],
    ['task without version', JSON.stringify(withDetail(task, { version: undefined })), 'missing-version'],
    ['task with null version', JSON.stringify(withDetail(task, { version: null })), 'missing-version'],
    ['task with string version', JSON.stringify(withDetail(task, { version: '2' })), 'missing-version'],
    ['task with negative version', JSON.stringify(withDetail(task, { version: -1 })), 'missing-version'],
    ['task with fractional version', JSON.stringify(withDetail(task, { version: 1.5 })), 'missing-version'],
    ['instance without version', JSON.stringify(withDetail(inst, { version: undefined })), 'missing-version'],
    ['task with a bad task ARN', JSON.stringify(withDetail(task, { taskArn: 'task/abc' })), 'bad-arn'],
    [
      'task with a container-instance ARN as task ARN',
      JSON.stringify(withDetail(task, { taskArn: CI1_ARN })),
      'bad-arn',
    ],
    ['task with a bad cluster ARN', JSON.stringify(withDetail(task, { clusterArn: 'default' })), 'bad-arn'],
    ['task without clusterArn', JSON.stringify(withDetail(task, { clusterArn: undefined })), 'bad-shape'],
    ['task without lastStatus', JSON.stringify(withDetail(task, { lastStatus: undefined })), 'bad-shape'],
    ['task with containers not a list', JSON.stringify(withDetail(task, { containers: {} })), 'bad-shape'],
    ['task with a numeric startedAt', JSON.stringify(withDetail(task, { startedAt: 5 })), 'bad-shape'],
    [
      'instance with a bad ARN',
      JSON.stringify(withDetail(inst, { containerInstanceArn: TASK_ARN })),
      'bad-arn',
    ],
    [
      'instance without agentConnected',
      JSON.stringify(withDetail(inst, { agentConnected: 'yes' })),
      'bad-shape',
    ],
    ['instance without status', JSON.stringify(withDetail(inst, { status: '' })), 'bad-shape'],
    [
      'envelope account differs from the cluster ARN account',
      JSON.stringify({ ...task, account: '999999999999' }),
      'bad-arn',
    ],
    [
      'envelope region differs from the cluster ARN region',
      JSON.stringify({ ...task, region: 'eu-west-1' }),
      'bad-arn',
    ],
  ];
  for (const [name, body, reason] of cases) {
    it(`${name} → poison (${reason}) with a message naming the problem`, () => {
      const r = decodeMessage(body);
      assert.equal(r.type, 'poison', JSON.stringify(r));
      if (r.type !== 'poison') return;
      assert.equal(r.reason, reason);
      assert.ok(r.message.length > 20, r.message);
    });
  }

  it('names the missing field in the message', () => {
    const r = decodeMessage(JSON.stringify(withDetail(task, { version: undefined })));
    assert.ok(r.type === 'poison' && /detail\.version/.test(r.message));
    const r2 = decodeMessage(JSON.stringify(withDetail(task, { taskArn: 'nope' })));
    assert.ok(r2.type === 'poison' && /taskArn/.test(r2.message) && /nope/.test(r2.message));
  });

  it('never throws on hostile input', () => {
    for (const body of [
      'null',
      'true',
      '0',
      '{}',
      '{"detail-type":"ECS Task State Change"}',
      '{"__proto__":{}}',
    ]) {
      const r = decodeMessage(body);
      assert.equal(r.type, 'poison');
    }
  });
});
