import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StoredEntity } from '../../../src/core/ecs/entities.js';
import { removalDecision } from '../../../src/state/reconcile/removal.js';
import { resolveReconcileOptions } from '../../../src/state/reconcile/options.js';
import { backoffDelay, isThrottlingError, withBackoff } from '../../../src/aws/backoff.js';
import { TokenBucket } from '../../../src/aws/rate-limiter.js';
import { createEcsClient } from '../../../src/aws/clients.js';

function entity(kind: 'task' | 'instance', status: string): StoredEntity {
  return {
    kind,
    account: '123456789012',
    region: 'us-east-1',
    cluster: 'c',
    detail: (kind === 'task' ? { lastStatus: status, version: 1 } : { status, version: 1 }) as never,
    source: 'event',
    observedAt: '2025-01-01T00:00:00Z',
  };
}

describe('removalDecision (what reconcile may delete)', () => {
  const listed = new Set(['known']);
  const cases: Array<[string, Parameters<typeof removalDecision>[0], boolean, string?]> = [
    [
      'listed by ECS',
      { key: 'k', id: 'known', entity: entity('task', 'RUNNING'), modRevision: 5 },
      false,
      'listed',
    ],
    ['unlisted RUNNING task', { key: 'k', id: 'x', entity: entity('task', 'RUNNING'), modRevision: 5 }, true],
    [
      'unlisted ACTIVE instance',
      { key: 'k', id: 'x', entity: entity('instance', 'ACTIVE'), modRevision: 5 },
      true,
    ],
    [
      'unlisted but written after the pass started',
      { key: 'k', id: 'x', entity: entity('task', 'RUNNING'), modRevision: 11 },
      false,
      'changed-during-pass',
    ],
    [
      'unlisted STOPPED task (retention decides)',
      { key: 'k', id: 'x', entity: entity('task', 'STOPPED'), modRevision: 5 },
      false,
      'terminal',
    ],
    [
      'unlisted INACTIVE instance (retention decides)',
      { key: 'k', id: 'x', entity: entity('instance', 'INACTIVE'), modRevision: 5 },
      false,
      'terminal',
    ],
    ['unlisted unreadable value', { key: 'k', id: 'x', entity: undefined, modRevision: 5 }, true],
    [
      'written exactly at the start revision',
      { key: 'k', id: 'x', entity: entity('task', 'PENDING'), modRevision: 10 },
      true,
    ],
    [
      'stored within the grace period before the pass (ECS lists are eventually consistent)',
      {
        key: 'k',
        id: 'x',
        entity: { ...entity('task', 'RUNNING'), observedAt: '2025-01-01T00:09:30Z' },
        modRevision: 5,
      },
      false,
      'recent',
    ],
    [
      'stored just before the grace period',
      {
        key: 'k',
        id: 'x',
        entity: { ...entity('task', 'RUNNING'), observedAt: '2025-01-01T00:08:59Z' },
        modRevision: 5,
      },
      true,
    ],
  ];
  for (const [name, candidate, remove, reason] of cases) {
    it(`${name} → ${remove ? 'remove' : `keep (${reason})`}`, () => {
      const d = removalDecision(candidate, listed, {
        revision: 10,
        timeMs: Date.parse('2025-01-01T00:10:00Z'),
        graceMs: 60_000,
      });
      assert.equal(d.remove, remove);
      if (!d.remove) assert.equal(d.reason, reason);
    });
  }
});

describe('reconcile options', () => {
  it('defaults: every 5 minutes, all clusters, paced at 20/s', () => {
    const o = resolveReconcileOptions();
    assert.equal(o.intervalMs, 300_000);
    assert.equal(o.clusters, undefined);
    assert.equal(o.callsPerSecond, 20);
  });
  it('rejects bad values with a message naming the option', () => {
    assert.throws(() => resolveReconcileOptions({ intervalMs: -1 }), /intervalMs/);
    assert.throws(
      () => resolveReconcileOptions({ pageSize: 101 }),
      /pageSize must be a whole number from 1 to 100/,
    );
    assert.throws(() => resolveReconcileOptions({ clusters: [''] }), /clusters/);
  });
});

describe('AWS pacing helpers', () => {
  it('full-jitter backoff stays within the exponential cap', () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const cap = Math.min(20_000, 100 * 2 ** (attempt - 1));
      assert.equal(
        backoffDelay(attempt, {}, () => 0),
        0,
      );
      assert.equal(
        backoffDelay(attempt, {}, () => 0.999999),
        Math.floor(0.999999 * cap),
      );
    }
  });
  it('recognises throttling errors', () => {
    assert.ok(isThrottlingError({ name: 'ThrottlingException' }));
    assert.ok(isThrottlingError({ $metadata: { httpStatusCode: 429 } }));
    assert.ok(!isThrottlingError({ name: 'ClusterNotFoundException' }));
    assert.ok(!isThrottlingError(undefined));
  });
  it('retries throttled calls and gives up on other errors at once', async () => {
    let calls = 0;
    const out = await withBackoff(
      async () => {
        if (++calls < 3) throw Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
        return 'ok';
      },
      { baseMs: 1, maxMs: 2 },
    );
    assert.equal(out, 'ok');
    assert.equal(calls, 3);
    let other = 0;
    await assert.rejects(
      withBackoff(async () => {
        other++;
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(other, 1);
  });
  it('a token bucket allows the burst, then paces at the rate', () => {
    let t = 0;
    const b = new TokenBucket(10, 3, () => t);
    assert.ok(b.tryTake() && b.tryTake() && b.tryTake());
    assert.ok(!b.tryTake());
    assert.equal(b.waitMs(), 100);
    t += 100;
    assert.ok(b.tryTake());
    assert.ok(!b.tryTake());
    t += 10_000;
    assert.equal(b.available(), 3, 'refilled to the burst, no more');
    assert.equal([b.tryTake(), b.tryTake(), b.tryTake(), b.tryTake()].filter(Boolean).length, 3);
    t += 150;
    assert.equal(b.available(), 1, 'whole tokens only (1.5 refilled)');
  });
  it('client options are validated with a clear message', () => {
    assert.throws(() => createEcsClient({ endpoint: 'localhost:4566' }), /not an http\(s\) URL/);
    assert.throws(
      () => createEcsClient({ requestTimeoutMs: 0 }),
      /requestTimeoutMs must be a positive number/,
    );
  });
});
