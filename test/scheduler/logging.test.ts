import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../support/env.js';
import { capturingLogger, duplicateKeys } from '../support/log.js';
import { createCluster, registerTaskDefinition } from './support/harness.js';
import { startStack, type Stack } from './support/stack.js';

describe('duplicateKeys (the check below)', () => {
  it('finds a key written twice in one object, at any depth, and nothing else', () => {
    assert.deepEqual(duplicateKeys('{"a":1,"b":2,"a":3}'), ['a']);
    assert.deepEqual(duplicateKeys('{"a":{"x":1,"x":2},"b":[{"y":1},{"y":2}]}'), ['x']);
    assert.deepEqual(duplicateKeys('{"a":"{\\"a\\":1,","b":["a","a"],"c":{"a":1}}'), []);
    assert.deepEqual(duplicateKeys('{"component":"scheduler","component":"leader","msg":"m"}'), [
      'component',
    ]);
  });
});

describe('scheduler log lines', () => {
  let stack: Stack;
  const log = capturingLogger();

  before(async () => {
    stack = await startStack({ backend: 'sqlite' }, { scheduler: { logger: log.logger } });
  });
  after(async () => {
    await stack?.close();
  });

  it('name their part once: no key is written twice in a line', async () => {
    await createCluster(stack.ecs, 'logs');
    const td = await registerTaskDefinition(stack.ecs, 'agent');
    stack.aws.ecs.fleet.scale('logs', 2);
    const env = (
      await stack.call('POST', '/v1/environments', {
        name: 'logs',
        instanceGroup: { cluster: 'logs' },
        taskDefinition: td,
      })
    ).body;
    const id = (
      await stack.call('POST', `/v1/environments/logs/deployments?deploymentToken=${env.deploymentToken}`)
    ).body.id as string;
    await waitFor(
      'the deployment completes',
      async () =>
        (await stack.call('GET', `/v1/environments/logs/deployments/${id}`)).body.status === 'completed',
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    await stack.scheduler.stop();

    const components = new Set(log.lines.map((l) => l.component));
    for (const part of ['scheduler', 'leader', 'informer', 'daemon-controller'])
      assert.ok(components.has(part), `a line of component "${part}" among ${[...components].join(', ')}`);
    const repeated = log.raw.filter((l) => duplicateKeys(l).length > 0);
    assert.deepEqual(repeated, [], 'lines with a key written twice');
  });
});
