import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyEvent, storedVersion } from '../../../src/core/ecs/apply.js';
import type { StoredEntity, TaskDetail } from '../../../src/core/ecs/entities.js';
import { parseStoredEntity, serializeStoredEntity, toStoredEntity } from '../../../src/core/ecs/stored.js';
import { validateTaskDetail } from '../../../src/core/ecs/validate.js';
import { readVector } from './vectors.js';

function storedAt(version: unknown): StoredEntity {
  const env = readVector<{ detail: TaskDetail }>('events/task-running.json');
  return {
    kind: 'task',
    account: '123456789012',
    region: 'us-east-1',
    cluster: 'default',
    detail: { ...env.detail, version: version as number },
    source: 'event',
    observedAt: '2025-03-10T10:15:40Z',
  };
}

describe('applyEvent', () => {
  it('writes when nothing is stored, whatever the version', () => {
    for (const v of [0, 1, 2, 14801, Number.MAX_SAFE_INTEGER])
      assert.deepEqual(applyEvent(undefined, v), { action: 'write' });
  });

  // every ordering of stored vs incoming over a small range
  for (const stored of [0, 1, 2, 3, 10]) {
    for (const incoming of [0, 1, 2, 3, 4, 10, 11]) {
      const expected =
        incoming > stored
          ? { action: 'write' }
          : incoming === stored
            ? { action: 'skip', reason: 'duplicate' }
            : { action: 'skip', reason: 'stale' };
      it(`stored v${stored}, incoming v${incoming} → ${JSON.stringify(expected)}`, () => {
        assert.deepEqual(applyEvent(storedAt(stored), incoming), expected);
      });
    }
  }

  it('repairs a stored copy whose version is missing or unusable', () => {
    for (const bad of [undefined, null, '3', Number.NaN, Number.POSITIVE_INFINITY, {}]) {
      assert.equal(storedVersion(storedAt(bad)), undefined);
      assert.deepEqual(applyEvent(storedAt(bad), 1), { action: 'write' });
    }
  });

  it('handles versions with gaps (never expects +1 steps)', () => {
    assert.deepEqual(applyEvent(storedAt(2), 4), { action: 'write' });
    assert.deepEqual(applyEvent(storedAt(4), 3), { action: 'skip', reason: 'stale' });
  });
});

describe('stored entity round trip', () => {
  it('serializes and parses what toStoredEntity builds', () => {
    const env = readVector<{ detail: unknown }>('events/task-running.json');
    const u = validateTaskDetail(env.detail);
    const s = toStoredEntity(u, 'event', new Date('2025-03-10T10:15:40.000Z'));
    assert.equal(s.observedAt, '2025-03-10T10:15:40.000Z');
    assert.equal(s.cluster, 'default');
    assert.deepEqual(parseStoredEntity(serializeStoredEntity(s)), s);
  });

  it('treats unreadable stored values as absent', () => {
    for (const v of [
      undefined,
      '',
      'not json',
      'null',
      '[]',
      '{"kind":"pod","detail":{}}',
      '{"kind":"task"}',
    ])
      assert.equal(parseStoredEntity(v), undefined, String(v));
  });
});
