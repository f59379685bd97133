import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StoredEntity } from '../../../src/core/ecs/entities.js';
import { isExpired, isTerminal, terminalSince } from '../../../src/core/ecs/retention.js';
import { readVector } from './vectors.js';

function stored(
  file: string,
  patch: Record<string, unknown> = {},
  observedAt = '2025-03-10T12:00:00Z',
): StoredEntity {
  const env = readVector<{ detail: Record<string, unknown> }>(file);
  return {
    kind: file.includes('instance') ? 'instance' : 'task',
    account: '123456789012',
    region: 'us-east-1',
    cluster: 'default',
    detail: { ...env.detail, ...patch } as never,
    source: 'event',
    observedAt,
  };
}
const HOUR = 3_600_000;

describe('retention decisions', () => {
  it('only STOPPED tasks and INACTIVE instances are terminal', () => {
    assert.equal(isTerminal(stored('events/task-running.json')), false);
    assert.equal(isTerminal(stored('events/task-stopping.json')), false);
    assert.equal(isTerminal(stored('events/task-stopped.json')), true);
    assert.equal(isTerminal(stored('events/instance-draining.json')), false);
    assert.equal(isTerminal(stored('events/instance-deregistered.json')), true);
  });

  it('measures a task from stoppedAt, then updatedAt, then observedAt', () => {
    const t = stored('events/task-stopped.json');
    assert.equal(terminalSince(t), Date.parse('2025-03-10T10:42:08.46Z'));
    assert.equal(
      terminalSince(
        stored('events/task-stopped.json', { stoppedAt: undefined, executionStoppedAt: undefined }),
      ),
      Date.parse(t.detail.updatedAt as string),
    );
    assert.equal(
      terminalSince(
        stored('events/task-stopped.json', {
          stoppedAt: 'garbage',
          executionStoppedAt: undefined,
          updatedAt: undefined,
        }),
      ),
      Date.parse('2025-03-10T12:00:00Z'),
    );
    assert.equal(terminalSince(stored('events/task-running.json')), undefined);
  });

  it('measures an instance from updatedAt, then observedAt', () => {
    assert.equal(
      terminalSince(stored('events/instance-deregistered.json')),
      Date.parse('2025-03-10T11:05:12.602Z'),
    );
    assert.equal(
      terminalSince(stored('events/instance-deregistered.json', { updatedAt: undefined })),
      Date.parse('2025-03-10T12:00:00Z'),
    );
  });

  it('expires a terminal entity once the retention has passed, never a live one', () => {
    const t = stored('events/task-stopped.json');
    const since = terminalSince(t)!;
    assert.equal(isExpired(t, since + HOUR - 1, HOUR), false);
    assert.equal(isExpired(t, since + HOUR, HOUR), true);
    assert.equal(isExpired(stored('events/task-running.json'), since + 100 * HOUR, HOUR), false);
    assert.equal(isExpired(stored('events/instance-draining.json'), since + 100 * HOUR, HOUR), false);
    // a stop time in the future (clock skew) does not expire it
    assert.equal(isExpired(t, since - 1, 0), false);
  });
});
