import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiToEventShape, instanceFromDescribe, taskFromDescribe } from '../../../src/core/ecs/describe.js';
import { decodeMessage } from '../../../src/core/ecs/events.js';
import { epochSecondsToEventTime, formatEventTime, parseEventTime } from '../../../src/core/ecs/time.js';
import { DetailError } from '../../../src/core/ecs/validate.js';
import { readVector } from './vectors.js';

type Obj = Record<string, unknown>;
const CLUSTER_ARN = 'arn:aws:ecs:us-east-1:123456789012:cluster/default';

function omit(o: Obj, ...keys: string[]): Obj {
  const out = { ...o };
  for (const k of keys) delete out[k];
  return out;
}

/** Drops the API-only fields named in ecs-samples/README.md §2 from a converted task. */
function withoutApiOnlyTaskFields(t: Obj): Obj {
  const out = omit(t, 'healthStatus', 'tags');
  out.containers = (t.containers as Obj[]).map((c) => omit(c, 'healthStatus'));
  out.overrides = omit(t.overrides as Obj, 'inferenceAcceleratorOverrides');
  return out;
}

/** Keeps only the member of a Resource its `type` names (the API zero-fills the others). */
function significantResources(resources: Obj[]): Obj[] {
  const member: Record<string, string> = {
    INTEGER: 'integerValue',
    LONG: 'longValue',
    DOUBLE: 'doubleValue',
    STRINGSET: 'stringSetValue',
  };
  return resources.map((r) => ({
    name: r.name,
    type: r.type,
    [member[r.type as string]!]: r[member[r.type as string]!],
  }));
}

describe('Describe → event detail conversion (sample cross-checks, ecs-samples README §2)', () => {
  it('DescribeTasks tasks[0] equals task-running.json detail minus updatedAt and API-only fields', () => {
    const api = readVector<{ tasks: Obj[] }>('api/describe-tasks.response.json').tasks[0]!;
    const event = readVector<{ detail: Obj }>('events/task-running.json').detail;
    const u = taskFromDescribe(api);
    assert.equal(u.version, 2);
    assert.equal(u.key, 'ecs/task/123456789012/us-east-1/default/3f9a1c7e5b2d4e8fa6c0b4d2e8f1a3c5');
    assert.deepEqual(withoutApiOnlyTaskFields(u.detail as Obj), omit(event, 'updatedAt'));
  });

  it('StartTask tasks[0] relates to task-pending.json detail the same way', () => {
    const api = readVector<{ tasks: Obj[] }>('api/start-task.response.json').tasks[0]!;
    const event = readVector<{ detail: Obj }>('events/task-pending.json').detail;
    const u = taskFromDescribe(api);
    assert.equal(u.version, 1);
    assert.deepEqual(withoutApiOnlyTaskFields(u.detail as Obj), omit(event, 'updatedAt'));
  });

  it('DescribeContainerInstances containerInstances[0] equals instance-task-placed.json detail', () => {
    const api = readVector<{ containerInstances: Obj[] }>('api/describe-container-instances.response.json')
      .containerInstances[0]!;
    const event = readVector<{ detail: Obj }>('events/instance-task-placed.json').detail;
    const u = instanceFromDescribe(api, CLUSTER_ARN);
    assert.equal(u.version, 2);
    assert.equal(u.key, 'ecs/instance/123456789012/us-east-1/default/5b2e6f0c8a3d4e719c4b2a1f0e9d8c7b');
    const d = u.detail as Obj;
    assert.equal(d.clusterArn, CLUSTER_ARN);
    assert.equal(d.registeredAt, '2025-03-10T09:58:12.104Z');
    const normalize = (o: Obj) => ({
      ...omit(o, 'updatedAt'),
      registeredResources: significantResources(o.registeredResources as Obj[]),
      remainingResources: significantResources(o.remainingResources as Obj[]),
    });
    assert.deepEqual(normalize(d), normalize(event));
  });

  it('stores the same shape as the event path: a converted detail decodes as an event', () => {
    const api = readVector<{ tasks: Obj[] }>('api/describe-tasks.response.json').tasks[0]!;
    const env = readVector<Obj>('events/task-running.json');
    const r = decodeMessage(JSON.stringify({ ...env, detail: taskFromDescribe(api).detail }));
    assert.equal(r.type, 'entity');
  });

  it('converts SDK Date objects anywhere and epoch numbers in timestamp fields', () => {
    const out = apiToEventShape({
      createdAt: new Date('2025-03-10T10:15:30.412Z'),
      stoppedAt: 1741603328.46,
      containers: [{ managedAgents: [{ lastStartedAt: 1741601739 }], exitCode: 0 }],
      healthStatus: { details: [{ lastUpdated: new Date(0) }] },
      version: 4,
      cpu: '256',
      nothing: null,
      gone: undefined,
    });
    assert.deepEqual(out, {
      createdAt: '2025-03-10T10:15:30.412Z',
      stoppedAt: '2025-03-10T10:42:08.46Z',
      containers: [{ managedAgents: [{ lastStartedAt: '2025-03-10T10:15:39Z' }], exitCode: 0 }],
      healthStatus: { details: [{ lastUpdated: '1970-01-01T00:00:00Z' }] },
      version: 4,
      cpu: '256',
    });
  });

  it('never crashes on missing optional fields (v0.3 panicked on nil createdAt/overrides/versionInfo)', () => {
    const minimalTask = {
      taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/default/abc',
      clusterArn: CLUSTER_ARN,
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/x:1',
      lastStatus: 'PENDING',
      desiredStatus: 'RUNNING',
      version: 1,
      createdAt: undefined,
      overrides: undefined,
    };
    const t = taskFromDescribe(minimalTask);
    assert.equal(t.detail.createdAt, undefined);
    assert.ok(!('overrides' in t.detail));
    const minimalInstance = {
      containerInstanceArn: 'arn:aws:ecs:us-east-1:123456789012:container-instance/default/abc',
      status: 'ACTIVE',
      agentConnected: true,
      version: 3,
      versionInfo: undefined,
    };
    const i = instanceFromDescribe(minimalInstance, CLUSTER_ARN);
    assert.equal(i.detail.versionInfo, undefined);
    assert.equal(i.cluster, 'default');
  });

  it('rejects an API object Blox cannot store with a DetailError', () => {
    assert.throws(() => taskFromDescribe({ taskArn: 'x' }), DetailError);
    assert.throws(() => taskFromDescribe(null), DetailError);
    assert.throws(() => instanceFromDescribe({}, CLUSTER_ARN), DetailError);
  });
});

describe('event time formatting', () => {
  it('drops trailing zeros of the fraction like ECS events do', () => {
    assert.equal(formatEventTime(new Date('2025-03-10T10:15:38.250Z')), '2025-03-10T10:15:38.25Z');
    assert.equal(formatEventTime(new Date('2025-03-10T10:42:07.000Z')), '2025-03-10T10:42:07Z');
    assert.equal(formatEventTime(new Date('2025-03-10T10:42:07.100Z')), '2025-03-10T10:42:07.1Z');
    assert.equal(formatEventTime(new Date('2025-03-10T10:15:30.412Z')), '2025-03-10T10:15:30.412Z');
  });
  it('converts epoch seconds with up to 3 decimals', () => {
    assert.equal(epochSecondsToEventTime(1741601730.412), '2025-03-10T10:15:30.412Z');
    assert.equal(epochSecondsToEventTime(1741603327), '2025-03-10T10:42:07Z');
    assert.equal(epochSecondsToEventTime(1741603327.0), '2025-03-10T10:42:07Z');
  });
  it('parses event times, rejecting garbage', () => {
    assert.equal(parseEventTime('2025-03-10T10:15:38.25Z'), Date.UTC(2025, 2, 10, 10, 15, 38, 250));
    assert.equal(parseEventTime('soon'), undefined);
    assert.equal(parseEventTime(5), undefined);
    assert.equal(parseEventTime(''), undefined);
  });
});
