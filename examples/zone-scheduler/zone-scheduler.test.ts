import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateClusterCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { createEcsClient } from '../../src/aws/clients.js';
import type { StoredInstance, StoredTask } from '../../src/core/ecs/entities.js';
import { silentLogger } from '../../src/core/logger.js';
import { startLocalAws, type LocalAws } from '../../src/local/emulator.js';
import { MemoryClusterState } from '../../src/scheduler/index.js';
import { waitFor } from '../../test/support/env.js';
import { planZones, ZoneScheduler } from './zone-scheduler.js';

const inst = (arn: string, zone: string, over: object = {}) => ({
  arn,
  clusterArn: 'c',
  status: 'ACTIVE',
  agentConnected: true,
  attributes: { 'ecs.availability-zone': zone },
  runningTasksCount: 0,
  version: 1,
  ...over,
});
const task = (arn: string, on: string, over: object = {}) => ({
  arn,
  clusterArn: 'c',
  instanceArn: on,
  taskDefinitionArn: 'td',
  group: 'g',
  lastStatus: 'RUNNING',
  desiredStatus: 'RUNNING',
  version: 1,
  ...over,
});

describe('planZones (pure)', () => {
  it('starts one per zone on the instance with the most free memory', () => {
    const p = planZones(
      [inst('a1', 'a', { remainingMemory: 10 }), inst('a2', 'a', { remainingMemory: 99 }), inst('b1', 'b')],
      [],
      'g',
      new Set(),
    );
    assert.deepEqual(p, {
      start: [
        { zone: 'a', instance: 'a2' },
        { zone: 'b', instance: 'b1' },
      ],
      stop: [],
    });
  });
  it('keeps the oldest copy, stops extras, waits for zones with a launch in flight, skips unusable instances', () => {
    const p = planZones(
      [inst('a1', 'a'), inst('b1', 'b'), inst('c1', 'c', { status: 'DRAINING' })],
      [
        task('t2', 'a1', { createdAt: '2' }),
        task('t1', 'a1', { createdAt: '1' }),
        task('t3', 'a1', { desiredStatus: 'STOPPED' }),
      ],
      'g',
      new Set(['b']),
    );
    assert.deepEqual(p, { start: [], stop: ['t2'] });
  });
});

/** The example against the local ECS emulator; cluster state comes from the emulator's change feed through the in-memory source. */
describe('zone scheduler end to end', () => {
  let aws: LocalAws;
  let ecs: ReturnType<typeof createEcsClient>;
  let scheduler: ZoneScheduler | undefined;
  const state = new MemoryClusterState();

  before(async () => {
    aws = await startLocalAws({
      port: 0,
      seed: 3,
      logger: silentLogger,
      taskStartDelayMs: 50,
      taskStopDelayMs: 50,
    });
    ecs = createEcsClient({
      endpoint: aws.endpoint,
      region: aws.region,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    aws.ecs.onChange((c) => {
      const detail = c.detail as Record<string, unknown> & { clusterArn: string };
      const base = {
        account: aws.account,
        region: aws.region,
        cluster: detail.clusterArn.split('/').pop()!,
        source: 'event' as const,
        observedAt: c.time,
      };
      if (c.kind === 'task') state.put({ ...base, kind: 'task', detail } as unknown as StoredTask);
      else state.put({ ...base, kind: 'instance', detail } as unknown as StoredInstance);
    });
  });
  after(async () => {
    await scheduler?.stop();
    ecs.destroy();
    await aws.close();
  });

  const perZone = (group: string) => {
    const zones = new Map<string, number>();
    const live = aws.ecs.callSync('ListTasks', { cluster: 'zones' }) as { taskArns: string[] };
    if (live.taskArns.length === 0) return zones;
    const described = aws.ecs.callSync('DescribeTasks', { cluster: 'zones', tasks: live.taskArns }) as {
      tasks: Array<{ group: string; lastStatus: string; availabilityZone?: string }>;
    };
    for (const t of described.tasks)
      if (t.group === group && t.lastStatus === 'RUNNING')
        zones.set(t.availabilityZone ?? '?', (zones.get(t.availabilityZone ?? '?') ?? 0) + 1);
    return zones;
  };

  it('runs exactly one task per zone as instances come and go, and replaces a crashed one', async () => {
    const cluster = (await ecs.send(new CreateClusterCommand({ clusterName: 'zones' }))).cluster!.clusterArn!;
    const td = (
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family: 'proxy',
          containerDefinitions: [{ name: 'p', image: 'nginx', memory: 64 }],
        }),
      )
    ).taskDefinition!.taskDefinitionArn!;
    aws.ecs.fleet.scale('zones', 2, { availabilityZones: ['us-east-1a', 'us-east-1b'] });
    const zs = new ZoneScheduler({ source: state, ecs, cluster, taskDefinition: td });
    scheduler = zs;
    await zs.start();
    const exactlyOneIn = (zones: string[]) => () => {
      const z = perZone(zs.group);
      return z.size === zones.length && zones.every((name) => z.get(name) === 1);
    };
    await waitFor('one task in a and b', exactlyOneIn(['us-east-1a', 'us-east-1b']), { timeoutMs: 15_000 });
    aws.ecs.fleet.scale('zones', 6, { availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] });
    const all = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
    await waitFor('one task in a, b and c', exactlyOneIn(all), { timeoutMs: 15_000 });
    const [crashed] = aws.ecs.fleet.crashTasks({ cluster: 'zones', group: zs.group, count: 1 });
    assert.ok(crashed);
    const stopped = () =>
      (
        aws.ecs.callSync('DescribeTasks', { cluster: 'zones', tasks: [crashed] }) as {
          tasks: Array<{ lastStatus: string }>;
        }
      ).tasks[0]?.lastStatus === 'STOPPED';
    await waitFor('crashed task replaced', () => stopped() && exactlyOneIn(all)(), { timeoutMs: 15_000 });
  });
});
