// Pure placement decisions, without the emulator around them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCql } from '../../../src/core/cql/index.js';
import {
  placeTasks,
  refusal,
  type PlacementCandidate,
  type PlacementRequest,
} from '../../../src/local/ecs/placement.js';

function candidate(arn: string, over: Partial<PlacementCandidate> = {}): PlacementCandidate {
  const attributes = { 'ecs.availability-zone': 'us-east-1a', ...(over.attributes ?? {}) };
  return {
    arn,
    agentConnected: true,
    remainingCpu: 1024,
    remainingMemory: 2048,
    busyTcp: new Set(['22']),
    busyUdp: new Set(),
    groups: new Map(),
    ...over,
    attributes,
    view: () => ({
      agentConnected: over.agentConnected ?? true,
      registeredAt: 0,
      runningTasksCount: 0,
      attributes,
      taskGroups: [...(over.groups ?? new Map()).keys()],
    }),
  };
}

const request = (over: Partial<PlacementRequest> = {}): PlacementRequest => ({
  count: 1,
  group: 'family:x',
  cpu: 256,
  memory: 512,
  tcp: [],
  udp: [],
  constraints: [],
  strategies: [],
  random: () => 0,
  ...over,
});

describe('placement', () => {
  it('refuses in ECS order: AGENT, ATTRIBUTE, CPU, MEMORY, PORTS, PORTS_UDP', () => {
    const r = request({ tcp: ['22'], udp: ['53'], cpu: 4096, memory: 4096 });
    assert.equal(refusal(candidate('a', { agentConnected: false }), r), 'AGENT');
    assert.equal(
      refusal(candidate('a'), {
        ...r,
        constraints: [{ type: 'memberOf', expression: parseCql('attribute:x exists') }],
      }),
      'ATTRIBUTE',
    );
    assert.equal(refusal(candidate('a'), r), 'RESOURCE:CPU');
    assert.equal(refusal(candidate('a'), { ...r, cpu: 1 }), 'RESOURCE:MEMORY');
    assert.equal(refusal(candidate('a'), { ...r, cpu: 1, memory: 1 }), 'RESOURCE:PORTS');
    assert.equal(
      refusal(candidate('a', { busyUdp: new Set(['53']) }), { ...r, cpu: 1, memory: 1, tcp: [] }),
      'RESOURCE:PORTS_UDP',
    );
    assert.equal(refusal(candidate('a'), { ...r, cpu: 1, memory: 1, tcp: ['80', '80'] }), 'RESOURCE:PORTS');
    assert.equal(refusal(candidate('a'), request()), undefined);
  });

  it('accounts resources across the tasks of one call', () => {
    const result = placeTasks(
      [candidate('a'), candidate('b')],
      request({ count: 10, cpu: 512, strategies: [{ type: 'binpack', field: 'cpu' }] }),
    );
    assert.deepEqual(result.placements, [0, 0, 1, 1]);
    assert.deepEqual(result.failures, [
      { arn: 'a', reason: 'RESOURCE:CPU' },
      { arn: 'b', reason: 'RESOURCE:CPU' },
    ]);
  });

  it('spread by instance balances; spread by attribute balances values; chained strategies narrow in order', () => {
    const cs = () => [
      candidate('a'),
      candidate('b', { attributes: { 'ecs.availability-zone': 'us-east-1b' } }),
      candidate('c', { attributes: { 'ecs.availability-zone': 'us-east-1b' } }),
    ];
    const byHost = placeTasks(
      cs(),
      request({ count: 6, strategies: [{ type: 'spread', field: 'instanceId' }] }),
    );
    assert.deepEqual(byHost.placements, [0, 1, 2, 0, 1, 2]);
    const byAz = placeTasks(
      cs(),
      request({
        count: 4,
        strategies: [
          { type: 'spread', field: 'attribute:ecs.availability-zone' },
          { type: 'binpack', field: 'memory' },
        ],
      }),
    );
    // a (1a), then 1b (b), then 1a again (a), then 1b: b has less memory left → b.
    assert.deepEqual(byAz.placements, [0, 1, 0, 1]);
  });

  it('existing tasks of the group count for spread and distinctInstance', () => {
    const cs = [candidate('a', { groups: new Map([['family:x', 2]]) }), candidate('b')];
    assert.deepEqual(
      placeTasks(cs, request({ strategies: [{ type: 'spread', field: 'host' }] })).placements,
      [1],
    );
    const distinct = placeTasks(
      [candidate('a', { groups: new Map([['family:x', 1]]) }), candidate('b')],
      request({ count: 2, constraints: [{ type: 'distinctInstance' }] }),
    );
    assert.deepEqual(distinct.placements, [1]);
    assert.deepEqual(distinct.failures, [
      { arn: 'a', reason: 'ATTRIBUTE' },
      { arn: 'b', reason: 'ATTRIBUTE' },
    ]);
  });

  it('random (and no strategy) picks with the given random source', () => {
    const cs = () => [candidate('a'), candidate('b'), candidate('c')];
    assert.deepEqual(placeTasks(cs(), request({ random: () => 0.99 })).placements, [2]);
    assert.deepEqual(
      placeTasks(cs(), request({ random: () => 0.4, strategies: [{ type: 'random' }] })).placements,
      [1],
    );
  });

  it('memberOf sees the groups placed earlier in the same call', () => {
    const result = placeTasks(
      [candidate('a'), candidate('b')],
      request({
        count: 2,
        group: 'family:x',
        constraints: [{ type: 'memberOf', expression: parseCql('not(task:group == family:x)') }],
      }),
    );
    assert.deepEqual(result.placements, [0, 1]);
  });
});
