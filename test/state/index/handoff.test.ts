import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeMessage } from '../../../src/core/ecs/events.js';
import { SerializedEntities, serializeStoredEntity, toStoredEntity } from '../../../src/core/ecs/stored.js';
import type { StoredEntity } from '../../../src/core/ecs/entities.js';
import type { EntityUpdate } from '../../../src/core/ecs/validate.js';
import { releaseEntry, toIndexEntry, InvalidStoredValue } from '../../../src/state/index/entry.js';
import { startIndexFeed } from '../../../src/state/index/feed.js';
import { StateIndex } from '../../../src/state/index/state-index.js';
import { writeEntityUpdates } from '../../../src/state/writer/entity-writer.js';
import { waitFor } from '../../support/env.js';
import { CI1_KEY, TASK_KEY, vectorBody } from '../../core/ecs/vectors.js';
import { BACKENDS, type Backend } from '../writer/backends.js';

/**
 * The handoff of just-serialized entities from the ingest's writer to the index of the same
 * process: the index must take the very object for the very value it was serialized as, and
 * parse everything else (another writer's value, a write that never committed) as before.
 */

function update(file: string): EntityUpdate {
  const r = decodeMessage(vectorBody(file));
  if (r.type !== 'entity') throw new Error(`${file} did not decode`);
  return r.update;
}

function entityOf(file: string, observedAt = '2024-01-01T00:00:00.000Z'): StoredEntity {
  return toStoredEntity(update(file), 'event', new Date(observedAt));
}

describe('SerializedEntities', () => {
  it('serializes as serializeStoredEntity and hands the object back once, for the equal value only', () => {
    const h = new SerializedEntities();
    const e = entityOf('events/instance-registered.json');
    const value = h.serialize(CI1_KEY, e);
    assert.equal(value, serializeStoredEntity(e));
    assert.equal(h.take(CI1_KEY, value.replace('ACTIVE', 'DRAINING')), undefined, 'another value');
    assert.equal(h.take(TASK_KEY, value), undefined, 'another key');
    // An equal string that is not the same instance (as etcd's watch delivers it) still matches.
    assert.equal(h.take(CI1_KEY, `${value} `.trimEnd()), e);
    assert.equal(h.take(CI1_KEY, value), undefined, 'taken once');
    assert.equal(h.size, 0);
  });

  it('keeps the latest serialization per key and forgets the oldest keys beyond its bound', () => {
    const h = new SerializedEntities(3);
    const first = entityOf('events/instance-registered.json', '2024-01-01T00:00:00.000Z');
    const second = entityOf('events/instance-registered.json', '2024-01-01T00:00:01.000Z');
    const v1 = h.serialize('k0', first);
    const v2 = h.serialize('k0', second);
    assert.equal(h.take('k0', v1), undefined, 'replaced by the later serialization');
    for (const k of ['k1', 'k2', 'k3']) h.serialize(k, first);
    assert.equal(h.size, 3);
    assert.equal(h.take('k0', v2), undefined, 'the oldest key was evicted');
    assert.equal(h.take('k3', v1), first);
  });
});

describe('toIndexEntry with the parsed entity at hand', () => {
  it('builds the entry it builds from the JSON, keeping the given object', () => {
    for (const file of ['events/instance-registered.json', 'events/task-running.json']) {
      const e = entityOf(file);
      const key = file.includes('instance') ? CI1_KEY : TASK_KEY;
      const raw = serializeStoredEntity(e);
      const parsed = toIndexEntry(key, raw, 7);
      const handed = toIndexEntry(key, raw, 7, e);
      assert.deepEqual(handed.fields, parsed.fields);
      assert.deepEqual(handed.entity, parsed.entity);
      assert.equal(handed.raw, raw);
      if (e.kind === 'instance') assert.equal(handed.entity, e);
    }
  });

  it('a held task entry hands out its parsed object until released, then parses its JSON again', () => {
    const e = entityOf('events/task-running.json');
    const raw = serializeStoredEntity(e);
    const plain = toIndexEntry(TASK_KEY, raw, 7, e);
    assert.notEqual(plain.entity, e, 'not held: parsed on each access');
    const held = toIndexEntry(TASK_KEY, raw, 7, e, true);
    assert.equal(held.entity, e);
    assert.equal(held.entity, e, 'the same object on every access while held');
    releaseEntry(held);
    assert.notEqual(held.entity, e);
    assert.deepEqual(held.entity, JSON.parse(raw));
  });

  it('the index releases a held entry once it has published it (and when it is stale)', () => {
    const index = new StateIndex();
    index.replaceAll([], 0);
    const e = entityOf('events/task-running.json');
    const raw = serializeStoredEntity(e);
    const seen: unknown[] = [];
    index.subscribe({}, { onChange: (c) => seen.push(c.entry.entity, c.entry.entity) });
    const entry = toIndexEntry(TASK_KEY, raw, 7, e, true);
    index.put(entry);
    assert.deepEqual(seen, [e, e], 'subscribers read the held object, without parsing');
    assert.notEqual(index.get(TASK_KEY)!.entity, e, 'released after publishing');
    const stale = toIndexEntry(TASK_KEY, raw, 5, e, true);
    index.put(stale);
    assert.equal(seen.length, 2, 'a stale revision is not published');
    assert.notEqual(stale.entity, e, 'and released');
    const listed = toIndexEntry(TASK_KEY, raw, 9, e, true);
    const fresh = new StateIndex();
    fresh.replaceAll([listed], 9);
    assert.notEqual(listed.entity, e, 'a loaded list keeps no parsed task');
  });

  it('still checks the given object against the key', () => {
    const e = entityOf('events/task-running.json');
    assert.throws(
      () => toIndexEntry(CI1_KEY, serializeStoredEntity(e), 3, e),
      (err: Error) => err instanceof InvalidStoredValue && /is a task, expected a instance/.test(err.message),
    );
  });
});

for (const makeBackend of BACKENDS) {
  const name = makeBackend.name.replace('Backend', '');
  describe(`index feed with a handoff (${name})`, () => {
    let backend: Backend;
    before(async () => {
      backend = await makeBackend();
    });
    after(async () => {
      await backend.close();
    });

    it('takes the written object for its own writes and parses anyone else’s', async () => {
      const store = await backend.open();
      const handoff = new SerializedEntities();
      const index = new StateIndex();
      const feed = startIndexFeed({ store, index, handoff, retryDelayMs: 20 });
      try {
        await feed.ready;
        const registered = update('events/instance-registered.json');
        const res = await writeEntityUpdates(store, [registered], { source: 'event', handoff });
        assert.equal(res.outcomes[0]!.result, 'applied');
        await waitFor('the instance in the index', () => index.get(CI1_KEY) !== undefined);
        const own = index.get(CI1_KEY)!;
        assert.equal(handoff.size, 0, 'taken by the feed');
        assert.deepEqual(own.entity, JSON.parse(own.raw));
        assert.equal(own.entity.detail, registered.detail, 'the object the writer serialized, not a parse');

        // A remembered serialization that never committed, then another writer's value: parsed.
        const draining = update('events/instance-draining.json');
        handoff.serialize(CI1_KEY, toStoredEntity(draining, 'event', new Date()));
        const other = await writeEntityUpdates(store, [draining], { source: 'reconcile' });
        assert.equal(other.outcomes[0]!.result, 'applied');
        await waitFor('the draining instance in the index', () => {
          const e = index.get(CI1_KEY);
          return e !== undefined && e.revision > own.revision;
        });
        const theirs = index.get(CI1_KEY)!;
        assert.equal(theirs.entity.source, 'reconcile');
        assert.deepEqual(theirs.entity, JSON.parse(theirs.raw));
        assert.notEqual(theirs.entity.detail, draining.detail, 'parsed from the stored JSON');
        assert.equal(handoff.size, 1, 'the uncommitted serialization stays until replaced or evicted');
      } finally {
        await feed.stop();
      }
    });
  });
}
