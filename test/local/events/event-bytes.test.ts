import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { EcsContext } from '../../../src/local/ecs/context.js';
import { EcsEmulator } from '../../../src/local/ecs/index.js';
import { isoTime } from '../../../src/local/ecs/iso-time.js';
import { AttributeMap } from '../../../src/local/ecs/attribute-map.js';
import { instanceEventJson } from '../../../src/local/ecs/instance-event-json.js';
import { instanceShape, taskShape } from '../../../src/local/ecs/shapes.js';
import type { EcsChange, InstanceRecord, TaskRecord } from '../../../src/local/ecs/types.js';
import {
  buildEnvelope,
  createPrng,
  EcsEventEmitter,
  prngUuid,
  type Prng,
} from '../../../src/local/events/index.js';
import { md5Hex } from '../../../src/local/sqs/md5.js';
import { bodyOf, messageJson } from '../../../src/local/sqs/message-json.js';
import { SqsEmulator } from '../../../src/local/sqs/sqs-emulator.js';

// The emulator writes event details, envelopes and SQS message bytes straight to text (see
// shapes.ts taskEventJson/instanceEventJson, envelope.ts eventMessage, message-json.ts); every
// byte must stay what the straightforward way makes: build the shape, stringify the envelope,
// createHash the body, stringify the receive fields. A seeded emulator makes thousands of events
// through placements, starts, stops, disconnects and attribute changes, and each one is held
// against a reference built here from the records at the moment of the change.

/** The regex isoTime had, as the reference for the digit-looking one. */
const referenceIsoTime = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace(/\.?0+Z$/, 'Z')
    .replace(/\.Z$/, 'Z');

function referenceMessageJson(id: string, md5: string, body: string): string {
  const json = JSON.stringify({ MessageId: id, ReceiptHandle: '', MD5OfBody: md5, Body: body });
  return json.slice(0, -1); // without the closing brace: the receive writes the rest
}

/** prngUuid as it was first written (array, join, slices), as the reference for its draws. */
function referenceUuid(prng: Prng): string {
  const hex: string[] = [];
  for (let i = 0; i < 32; i++) hex.push(prng.int(16).toString(16));
  hex[12] = '4';
  hex[16] = (8 + prng.int(4)).toString(16);
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

describe('event bytes', () => {
  it('prngUuid draws and writes the ids it always did', () => {
    for (const seed of [0, 1, 7, 0x5bd1e995, 2 ** 31 - 1]) {
      const a = createPrng(seed);
      const b = createPrng(seed);
      for (let i = 0; i < 2000; i++) assert.equal(prngUuid(a), referenceUuid(b));
    }
  });

  // instances keep their attributes in a change-counting AttributeMap; any other map is compared
  // entry by entry: both must notice every change
  for (const kind of ['counted', 'plain'] as const)
    it(`an instance event shows its attributes as they are now, whatever was written before (${kind} map)`, () => {
      const ecs = new EcsEmulator({ seed: 3 });
      ecs.callSync('CreateCluster', { clusterName: 'c' });
      ecs.fleet.scale('c', 1);
      const state = (ecs as unknown as { ctx: EcsContext }).ctx.state;
      const inst: InstanceRecord = [...state.instances.values()][0]!;
      assert.ok(inst.attributes instanceof AttributeMap);
      if (kind === 'plain') inst.attributes = new Map(inst.attributes);
      const check = () => assert.equal(instanceEventJson(inst), JSON.stringify(instanceShape(inst, 'event')));
      check();
      check(); // from the written cache
      inst.attributes.set('stack', 'blue');
      check();
      inst.attributes.set('stack', 'green');
      check();
      inst.attributes.set('stack', undefined);
      check();
      inst.attributes.delete('stack');
      check();
      const [first] = inst.attributes.keys();
      inst.attributes.delete(first!);
      inst.attributes.set(first!, undefined); // same entries, another order
      check();
      inst.attributes.clear();
      check();
      ecs.close();
    });

  it('an instance event shows its kept parts (ARNs, registration, ports, agent versions) as they are now', () => {
    const ecs = new EcsEmulator({ seed: 5 });
    ecs.callSync('CreateCluster', { clusterName: 'c' });
    ecs.fleet.scale('c', 1);
    const state = (ecs as unknown as { ctx: EcsContext }).ctx.state;
    const inst: InstanceRecord = [...state.instances.values()][0]!;
    const check = () => assert.equal(instanceEventJson(inst), JSON.stringify(instanceShape(inst, 'event')));
    check();
    inst.agentConnected = false;
    check();
    inst.versionInfo = { agentVersion: '1.2.3 "q"' };
    check();
    inst.versionInfo.dockerVersion = 'DockerVersion: 25';
    check();
    inst.ec2InstanceId = 'i-0ffffffffffffffff';
    check();
    inst.registeredAt += 1;
    check();
    inst.registered = { ...inst.registered, tcp: ['22', '8080'], udp: ['53'] };
    check();
    inst.usedTcp.push('8080', '9000');
    inst.usedUdp.push('53');
    check();
    inst.usedTcp.length = 0;
    inst.usedUdp.length = 0;
    check();
    ecs.close();
  });

  it('isoTime drops trailing fraction zeros exactly as the regex did', () => {
    const base = Date.parse('2026-11-24T13:22:40Z');
    for (let ms = 0; ms < 3000; ms++) assert.equal(isoTime(base + ms), referenceIsoTime(base + ms));
    for (const t of [
      0, 1, 10, 100, 999, 1000, -1, -1000, -62_198_755_200_000, 8.64e15, -8.64e15, 253_402_300_799_999,
    ])
      assert.equal(isoTime(t), referenceIsoTime(t), String(t));
    // jumping between seconds (the whole-second text is kept for the last second seen)
    const prng = createPrng(11);
    for (let i = 0; i < 5000; i++) {
      const t = Math.floor((prng.next() - 0.5) * 2e13);
      assert.equal(isoTime(t), referenceIsoTime(t), String(t));
      assert.equal(isoTime(t + 1), referenceIsoTime(t + 1), String(t + 1));
    }
    assert.equal(isoTime(1.5), referenceIsoTime(1.5));
    assert.throws(() => isoTime(Number.NaN), RangeError);
    assert.throws(() => isoTime(8.64e15 + 1), RangeError);
  });

  it('md5Hex and messageJson give the bytes of createHash and JSON.stringify', () => {
    const bodies = [
      '',
      'plain',
      'x'.repeat(5000),
      'ü日本🚀 "q" \\ \n\u2028 \ud800',
      '{"a":[1,"two"]}'.repeat(300),
    ];
    for (const body of bodies) {
      const md5 = md5Hex(body);
      assert.equal(md5, createHash('md5').update(body, 'utf8').digest('hex'));
      for (const id of ['6f1c3a52-0000-4000-8000-000000000000', 'ïd "quoted"']) {
        const { json, handleAt } = messageJson(id, md5, body);
        const ref = referenceMessageJson(id, md5, body);
        assert.equal(json.toString('utf8'), ref);
        assert.equal(handleAt, Buffer.byteLength(ref.slice(0, ref.indexOf('"ReceiptHandle":"') + 17)));
        // the queue keeps no other copy of the body: it must come back exactly
        assert.equal(bodyOf(messageJson(id, md5, body)), body);
      }
    }
  });

  it('2,000+ events of a seeded emulator are byte for byte the straightforward envelope, MD5 and receive JSON', () => {
    let t = Date.parse('2026-03-01T10:00:00.120Z');
    const now = () => t;
    const ecs = new EcsEmulator({ seed: 7, now, taskStartDelayMs: 1000, taskStopDelayMs: 150 });
    const sqs = new SqsEmulator({ now });
    // the records behind each change, read at the moment of the change (the test listener comes
    // first, so it sees the state the emitter writes)
    const state = (ecs as unknown as { ctx: EcsContext }).ctx.state;
    const expected: string[] = [];
    const details: { change: EcsChange; detail: string }[] = [];
    ecs.onChange((c) => {
      const d = JSON.parse((c as unknown as { json: string }).json) as Record<string, unknown>;
      const record =
        c.kind === 'task'
          ? state.tasks.get(d.taskArn as string)!
          : state.instances.get(d.containerInstanceArn as string)!;
      const shape =
        c.kind === 'task'
          ? taskShape(record as TaskRecord, 'event')
          : instanceShape(record as InstanceRecord, 'event');
      expected.push(
        JSON.stringify(
          buildEnvelope(
            { kind: c.kind, detail: shape, time: referenceIsoTime(record.updatedAt) },
            { id: 'ID', account: ecs.account, region: ecs.region },
          ),
        ),
      );
      details.push({ change: c, detail: JSON.stringify(shape) });
    });
    const emitter = new EcsEventEmitter({ sqs, account: ecs.account, region: ecs.region, seed: 7 });
    emitter.attach(ecs);
    const queue = sqs.getQueue('blox_queue')!;

    ecs.callSync('CreateCluster', { clusterName: 'golden' });
    ecs.callSync('RegisterTaskDefinition', {
      family: 'web',
      containerDefinitions: [
        {
          name: 'app',
          image: 'nginx:1.27',
          cpu: 128,
          memory: 64,
          essential: true,
          portMappings: [{ containerPort: 80 }],
        },
        { name: 'side_car', image: 'busy"box" ü', cpu: 0, memoryReservation: 16, essential: false },
      ],
    });
    ecs.fleet.scale('golden', 300);
    const arns = ecs.fleet.instances('golden').map((i) => i.containerInstanceArn);
    for (let k = 0; k < 300; k += 10) {
      t += 7;
      ecs.callSync('StartTask', {
        cluster: 'golden',
        taskDefinition: 'web',
        containerInstances: arns.slice(k, k + 10),
        startedBy: k % 20 === 0 ? 'blox-daemon' : undefined,
        group: k % 30 === 0 ? 'blox:env ü' : undefined,
        overrides:
          k % 40 === 0
            ? { containerOverrides: [{ name: 'app', environment: [{ name: 'A', value: '"x"\n' }] }] }
            : undefined,
        tags: [{ key: 'k', value: 'v' }],
      });
    }
    t += 1003;
    ecs.tick();
    const tasks = (
      ecs.callSync('ListTasks', { cluster: 'golden', maxResults: 100 }) as { taskArns: string[] }
    ).taskArns;
    for (const [i, arn] of tasks.entries()) {
      t += 1;
      ecs.callSync('StopTask', { cluster: 'golden', task: arn, reason: i % 2 ? 'because "reasons" ü' : '' });
    }
    t += 160;
    ecs.tick();
    ecs.callSync('PutAttributes', {
      cluster: 'golden',
      attributes: [{ name: 'stack', value: 'blue green', targetId: arns[0] }],
    });
    ecs.fleet.scale('golden', 250);

    const messages = queue.allMessages();
    assert.ok(messages.length >= 2000, `only ${messages.length} events`);
    assert.equal(messages.length, expected.length);
    for (const [i, m] of messages.entries()) {
      const id = (JSON.parse(m.body) as { id: string }).id;
      assert.equal(m.body, expected[i]!.replace('"id":"ID"', `"id":${JSON.stringify(id)}`), `event ${i}`);
      assert.equal(m.md5OfBody, createHash('md5').update(m.body, 'utf8').digest('hex'));
      assert.equal(m.json.json.toString('utf8'), referenceMessageJson(m.id, m.md5OfBody, m.body));
    }
    // listeners that read `detail` get the shape the emulator always gave them
    for (const { change, detail } of details) assert.equal(JSON.stringify(change.detail), detail);
    emitter.close();
    ecs.close();
  });
});
