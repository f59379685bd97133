import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  buildEnvelope,
  createPrng,
  EventPipeline,
  parseFaults,
  prngUuid,
  shuffle,
  type EcsEventEnvelope,
  type EventFaults,
} from '../../../src/local/events/index.js';
import { waitFor } from '../../support/env.js';

const SAMPLES = new URL('../../core/ecs/vectors/events', import.meta.url).pathname;
const sample = (name: string) =>
  JSON.parse(readFileSync(`${SAMPLES}/${name}.json`, 'utf8')) as EcsEventEnvelope;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function envelope(version: number): EcsEventEnvelope {
  return buildEnvelope(
    {
      kind: 'task',
      detail: { taskArn: `arn:aws:ecs:us-east-1:123456789012:task/default/t${version}`, version },
      time: '2025-03-10T10:15:39.731Z',
    },
    { id: `id-${version}`, account: '123456789012', region: 'us-east-1' },
  );
}

/** Runs `count` events through a pipeline and returns what came out, in order. */
function run(faults: Partial<EventFaults>, seed: number, count = 200): EcsEventEnvelope[] {
  const out: EcsEventEnvelope[] = [];
  const ids = createPrng(seed + 1);
  const pipeline = new EventPipeline({
    faults,
    seed,
    deliver: (e) => out.push(e),
    newId: () => prngUuid(ids),
  });
  for (let v = 1; v <= count; v++) pipeline.push(envelope(v));
  pipeline.flush();
  return out;
}

describe('ECS event envelopes', () => {
  for (const name of [
    'task-pending',
    'task-running',
    'task-stopped',
    'instance-registered',
    'instance-draining',
  ]) {
    it(`rebuilds the sample ${name}.json from its detail`, () => {
      const expected = sample(name);
      const kind = expected['detail-type'] === 'ECS Task State Change' ? 'task' : 'container-instance';
      const built = buildEnvelope(
        { kind, detail: expected.detail, time: expected.detail.updatedAt as string },
        { id: expected.id, account: expected.account, region: expected.region },
      );
      assert.deepEqual(built, expected);
    });
  }

  it('draws UUID-shaped ids from the seed', () => {
    const a = createPrng(7);
    const b = createPrng(7);
    const ids = Array.from({ length: 50 }, () => prngUuid(a));
    assert.deepEqual(
      ids,
      Array.from({ length: 50 }, () => prngUuid(b)),
    );
    for (const id of ids) assert.match(id, UUID);
    assert.equal(new Set(ids).size, 50);
  });

  it('shuffles as a permutation, reproducibly', () => {
    const items = Array.from({ length: 20 }, (_, i) => i);
    const once = shuffle(items, createPrng(3));
    assert.deepEqual(
      [...once].sort((x, y) => x - y),
      items,
    );
    assert.deepEqual(shuffle(items, createPrng(3)), once);
    assert.notDeepEqual(once, items);
  });
});

describe('event fault knobs', () => {
  it('passes every event through in order with no faults', () => {
    const out = run({}, 1, 50);
    assert.deepEqual(
      out.map((e) => e.detail.version),
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
  });

  it('drops everything at rate 1 and about the rate in between', () => {
    assert.equal(run({ dropRate: 1 }, 1).length, 0);
    const kept = run({ dropRate: 0.25 }, 9, 2000).length;
    assert.ok(kept > 1350 && kept < 1650, `kept ${kept} of 2000 at drop rate 0.25`);
  });

  it('duplicates keep the detail (and its version) under a new envelope id', () => {
    const out = run({ duplicateRate: 1 }, 2, 30);
    assert.equal(out.length, 60);
    for (let i = 0; i < 60; i += 2) {
      const [a, b] = [out[i]!, out[i + 1]!];
      assert.deepEqual(a.detail, b.detail);
      assert.equal(a.detail.version, b.detail.version);
      assert.notEqual(a.id, b.id);
      assert.match(b.id, UUID);
    }
  });

  it('reorders within the window: each window of N comes out as a permutation of itself', () => {
    const out = run({ reorderWindow: 5 }, 4, 100);
    assert.equal(out.length, 100);
    const versions = out.map((e) => e.detail.version as number);
    for (let w = 0; w < 100; w += 5) {
      const window = versions.slice(w, w + 5).sort((x, y) => x - y);
      assert.deepEqual(window, [w + 1, w + 2, w + 3, w + 4, w + 5]);
    }
    assert.notDeepEqual(
      versions,
      [...versions].sort((x, y) => x - y),
      'something moved',
    );
  });

  it('is reproducible: one seed, one delivery sequence; another seed, another', () => {
    const faults = { duplicateRate: 0.3, dropRate: 0.2, reorderWindow: 4 };
    const key = (out: EcsEventEnvelope[]) => out.map((e) => `${e.detail.version}:${e.id}`);
    assert.deepEqual(key(run(faults, 42)), key(run(faults, 42)));
    assert.notDeepEqual(key(run(faults, 42)), key(run(faults, 43)));
  });

  it('releases a partly filled reorder window after the hold time', async () => {
    const out: EcsEventEnvelope[] = [];
    const pipeline = new EventPipeline({
      faults: { reorderWindow: 10 },
      seed: 1,
      reorderHoldMs: 20,
      deliver: (e) => out.push(e),
      newId: () => 'x',
    });
    pipeline.push(envelope(1));
    pipeline.push(envelope(2));
    assert.equal(out.length, 0);
    assert.equal(pipeline.stats().pending, 2);
    await waitFor('the held events', () => out.length === 2, { timeoutMs: 2000 });
  });

  it('delays every event by delayMs', async () => {
    const out: EcsEventEnvelope[] = [];
    const pipeline = new EventPipeline({
      faults: { delayMs: 60 },
      seed: 1,
      deliver: (e) => out.push(e),
      newId: () => 'x',
    });
    const started = Date.now();
    pipeline.push(envelope(1));
    assert.equal(out.length, 0);
    await waitFor('the delayed event', () => out.length === 1, { timeoutMs: 2000, intervalMs: 5 });
    assert.ok(Date.now() - started >= 55);
  });

  it('validates knobs with messages naming the bad one', () => {
    assert.deepEqual(parseFaults({ dropRate: '0.5', reorderWindow: 3, seed: 1 }), {
      dropRate: 0.5,
      reorderWindow: 3,
    });
    assert.throws(() => parseFaults({ dropRate: 2 }), /dropRate must be a probability from 0 to 1/);
    assert.throws(() => parseFaults({ reorderWindow: 1.5 }), /reorderWindow must be a whole number/);
    assert.throws(() => parseFaults({ bogus: 1 }), /unknown fault knob "bogus"/);
    assert.throws(() => parseFaults([]), /must be a JSON object/);
  });
});
