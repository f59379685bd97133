// The direct task serialiser must give exactly the bytes of JSON.stringify(taskShape(task, 'api')):
// checked over many generated task records, every optional member present or absent, values that
// need escaping, several containers, overrides in any key order, tags shown or hidden.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { taskShape } from '../../../src/local/ecs/shapes.js';
import { taskApiJson } from '../../../src/local/ecs/task-json.js';
import type { TaskContainer, TaskRecord } from '../../../src/local/ecs/types.js';

/** A small deterministic PRNG (tests must be repeatable). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const AWKWARD = ['plain', 'quote " and \\ backslash', 'new\nline\ttab', 'unicode é ✓ 🚀', '\u0000\u001f', ''];

function generate(random: () => number): TaskRecord {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const maybe = <T>(value: T): T | undefined => (random() < 0.5 ? value : undefined);
  const time = () => 1_700_000_000_000 + Math.floor(random() * 1e9) + pick([0, 0.5, 123]);
  const id = Math.floor(random() * 1e12)
    .toString(16)
    .padStart(32, '0');
  const cluster = pick(['default', 'bench', 'a-b_c']);
  const arn = `arn:aws:ecs:us-east-1:123456789012:task/${cluster}/${id}`;
  const containers: TaskContainer[] = Array.from({ length: pick([0, 1, 1, 2, 3]) }, (_, i) => {
    const c: TaskContainer = {
      id: `c${i}-${id}`,
      name: pick(['app', 'side car', AWKWARD[i % AWKWARD.length]!]),
      image: pick(['nginx:1', 'repo/img@sha256:abc']),
      cpu: pick([0, 1, 256]),
      lastStatus: pick(['PENDING', 'RUNNING', 'STOPPED'] as const),
      bindings: Array.from({ length: pick([0, 1, 2]) }, (_, j) => ({
        containerPort: 80 + j,
        hostPort: 32768 + j,
        protocol: pick(['tcp', 'udp'] as const),
      })),
    };
    const memory = maybe(512);
    if (memory !== undefined) c.memory = memory;
    const reservation = maybe(128);
    if (reservation !== undefined) c.memoryReservation = reservation;
    const runtimeId = maybe(`rt-${i}`);
    if (runtimeId !== undefined) c.runtimeId = runtimeId;
    const digest = maybe('sha256:0123');
    if (digest !== undefined) c.imageDigest = digest;
    const exitCode = maybe(pick([0, 1, 137]));
    if (exitCode !== undefined) c.exitCode = exitCode;
    const reason = maybe(pick(AWKWARD));
    if (reason !== undefined) c.reason = reason;
    return c;
  });
  const overrides = pick<Record<string, unknown>>([
    {},
    { containerOverrides: [{ name: 'app' }] },
    { inferenceAcceleratorOverrides: [{ deviceName: 'x' }], containerOverrides: [] },
    { containerOverrides: [{ name: 'app', environment: [{ name: 'K', value: pick(AWKWARD) }] }], cpu: '256' },
    { skipped: undefined, taskRoleArn: 'arn:aws:iam::123456789012:role/r' },
  ]);
  const task: TaskRecord = {
    id,
    arn,
    cluster,
    clusterArn: `arn:aws:ecs:us-east-1:123456789012:cluster/${cluster}`,
    instanceArn: `arn:aws:ecs:us-east-1:123456789012:container-instance/${cluster}/${id.slice(0, 8)}`,
    taskDefinitionArn: `arn:aws:ecs:us-east-1:123456789012:task-definition/${pick(['web', 'x'])}:${pick([1, 12])}`,
    family: 'web',
    group: pick(['family:web', `service:${pick(AWKWARD)}`]),
    lastStatus: pick(['PENDING', 'RUNNING', 'STOPPED'] as const),
    desiredStatus: pick(['RUNNING', 'STOPPED'] as const),
    version: pick([1, 2, 17]),
    createdAt: time(),
    updatedAt: time(),
    cpu: pick([1, 256, 4096]),
    memory: pick([4, 512]),
    containers,
    overrides,
    tags: pick([
      [],
      [{ key: 'team', value: 'blue' }],
      [
        { key: 'k"1', value: pick(AWKWARD) },
        { key: 'b', value: '' },
      ],
    ]),
    tcpPorts: [],
    udpPorts: [],
  };
  const optional: Array<[keyof TaskRecord, () => unknown]> = [
    ['availabilityZone', () => pick(['us-east-1a', 'us-east-1b'])],
    ['cpuArchitecture', () => pick(['x86_64', 'arm64', ''])],
    ['startedBy', () => pick(['blox', 'ecs-svc/1', AWKWARD[1]!])],
    ['pullStartedAt', time],
    ['pullStoppedAt', time],
    ['startedAt', time],
    ['stoppingAt', time],
    ['executionStoppedAt', time],
    ['stoppedAt', time],
    ['stoppedReason', () => pick(AWKWARD)],
    ['stopCode', () => pick(['UserInitiated', 'EssentialContainerExited'])],
  ];
  for (const [key, value] of optional)
    if (random() < 0.5) (task as unknown as Record<string, unknown>)[key] = value();
  return task;
}

describe('taskApiJson', () => {
  it('is byte for byte JSON.stringify(taskShape(task, "api")) over 5,000 generated tasks', () => {
    const random = prng(20261124);
    for (let i = 0; i < 5000; i++) {
      const task = generate(random);
      const shape = taskShape(task, 'api');
      assert.equal(taskApiJson(task), JSON.stringify(shape), `task ${i}`);
      assert.equal(
        taskApiJson(task, false),
        JSON.stringify({ ...shape, tags: [] }),
        `task ${i} without tags`,
      );
    }
  });

  it('keeps null members as JSON.stringify does (records restored from hand-edited snapshots)', () => {
    const task = generate(prng(1));
    const loose = task as unknown as Record<string, unknown>;
    loose.startedBy = null;
    loose.stoppedAt = null;
    loose.overrides = null;
    assert.equal(taskApiJson(task), JSON.stringify(taskShape(task, 'api')));
  });

  it('answers valid JSON that parses back to the shape', () => {
    const task = generate(prng(7));
    assert.deepEqual(JSON.parse(taskApiJson(task)), JSON.parse(JSON.stringify(taskShape(task, 'api'))));
  });
});
