import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { environmentInput, countOrPercent, parseAttribute } from '../../src/cli/client/env-input.js';
import {
  compactFilter,
  familyOf,
  instanceMatchesLocally,
  taskMatches,
} from '../../src/cli/client/entity-filter.js';
import { ApiError, CommandFailure, reportError, UnreachableError } from '../../src/cli/client/errors.js';
import { EXIT } from '../../src/cli/client/exit-codes.js';
import { ConfigError } from '../../src/core/errors.js';
import { StateApiError, StreamGoneError } from '../../src/sdk/index.js';
import type { StoredInstance, StoredTask } from '../../src/core/ecs/entities.js';

const task = (detail: Partial<StoredTask['detail']> = {}): StoredTask => ({
  kind: 'task',
  account: '123456789012',
  region: 'us-east-1',
  cluster: 'default',
  source: 'event',
  observedAt: '2026-01-01T00:00:00Z',
  detail: {
    taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/default/t1',
    clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/default',
    containerInstanceArn: 'arn:aws:ecs:us-east-1:123456789012:container-instance/default/ci1',
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web-app:3',
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    version: 2,
    startedBy: 'blox',
    ...detail,
  },
});

const instance = (
  attributes: Array<{ name: string; value?: string }>,
  status = 'ACTIVE',
): StoredInstance => ({
  kind: 'instance',
  account: '123456789012',
  region: 'us-east-1',
  cluster: 'default',
  source: 'event',
  observedAt: '2026-01-01T00:00:00Z',
  detail: {
    containerInstanceArn: 'arn:aws:ecs:us-east-1:123456789012:container-instance/default/ci1',
    clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/default',
    status,
    agentConnected: true,
    version: 1,
    attributes,
  },
});

describe('watch filters (client side, same rules as the API)', () => {
  it('matches tasks by every filter, statuses in any case', () => {
    assert.equal(familyOf('arn:aws:ecs:us-east-1:1:task-definition/web-app:3'), 'web-app');
    assert.equal(familyOf('web-app'), 'web-app');
    const t = task();
    assert.ok(taskMatches(t, {}));
    assert.ok(
      taskMatches(t, { status: 'running', desiredStatus: 'RUNNING', family: 'web-app', startedBy: 'blox' }),
    );
    assert.ok(taskMatches(t, { cluster: 'arn:aws:ecs:us-east-1:123456789012:cluster/default' }));
    assert.ok(taskMatches(t, { containerInstance: 'ci1' }));
    assert.ok(
      taskMatches(t, {
        containerInstance: 'arn:aws:ecs:us-east-1:123456789012:container-instance/default/ci1',
      }),
    );
    assert.ok(!taskMatches(t, { cluster: 'other' }));
    assert.ok(!taskMatches(t, { status: 'STOPPED' }));
    assert.ok(!taskMatches(t, { desiredStatus: 'STOPPED' }));
    assert.ok(!taskMatches(t, { startedBy: 'Blox' }), 'startedBy is case-sensitive');
    assert.ok(!taskMatches(t, { family: 'web' }));
    assert.ok(!taskMatches(t, { containerInstance: 'ci2' }));
    assert.ok(!taskMatches(task({ containerInstanceArn: undefined }), { containerInstance: 'ci1' }));
  });

  it('matches instances by status and attributes (name, or name=value)', () => {
    const i = instance([{ name: 'stack', value: 'prod' }, { name: 'gpu' }]);
    assert.ok(instanceMatchesLocally(i, { status: 'active', attribute: ['stack=prod', 'gpu'] }));
    assert.ok(!instanceMatchesLocally(i, { attribute: ['stack=dev'] }));
    assert.ok(!instanceMatchesLocally(i, { attribute: ['zone'] }));
    assert.ok(!instanceMatchesLocally(i, { status: 'DRAINING' }));
    assert.ok(!instanceMatchesLocally(i, { cluster: 'other' }));
  });

  it('drops unset filters', () => {
    assert.deepEqual(compactFilter({ cluster: 'a', status: undefined, family: '', attribute: [] }), {
      cluster: 'a',
    });
  });
});

describe('environment flags → request body', () => {
  it('sends only what was given', () => {
    assert.deepEqual(environmentInput({}), {});
    assert.deepEqual(environmentInput({ cluster: 'default', taskDefinition: 'web:1' }, 'demo'), {
      name: 'demo',
      taskDefinition: 'web:1',
      instanceGroup: { cluster: 'default' },
    });
    assert.deepEqual(
      environmentInput({
        attribute: ['stack=prod', 'gpu'],
        query: 'attribute:stack == prod',
        maxUnavailable: '25%',
        failureThreshold: '2',
        autoRollback: false,
        foreignTasks: 'adopt',
      }),
      {
        instanceGroup: {
          attributes: [{ name: 'stack', value: 'prod' }, { name: 'gpu' }],
          query: 'attribute:stack == prod',
        },
        deploymentConfiguration: { maxUnavailable: '25%', failureThreshold: 2, autoRollback: false },
        foreignTasks: 'adopt',
      },
    );
  });

  it('rejects bad counts and attributes with a usage error', () => {
    assert.equal(countOrPercent('3', 'x'), 3);
    assert.equal(countOrPercent('12.5%', 'x'), '12.5%');
    assert.throws(
      () => countOrPercent('many', 'max-unavailable'),
      (e: Error) => e instanceof ConfigError && /--max-unavailable/.test(e.message),
    );
    assert.throws(() => parseAttribute('=x'), ConfigError);
    assert.deepEqual(parseAttribute('a=b=c'), { name: 'a', value: 'b=c' });
  });
});

describe('errors → one line, a hint and the exit code', () => {
  it('says how to reach the API when it cannot be reached (exit 4)', () => {
    const r = reportError(new UnreachableError('http://127.0.0.1:2000', 'state', new Error('x')));
    assert.equal(r.exitCode, EXIT.unreachable);
    assert.equal(
      r.message,
      'cannot reach the Blox API at http://127.0.0.1:2000 — is `blox up` running? (set --endpoint or BLOX_ENDPOINT)',
    );
    const split = reportError(new UnreachableError('http://s:1', 'scheduler', new Error('x')), {
      scheduler: true,
    });
    assert.match(split.message, /--scheduler-endpoint or BLOX_SCHEDULER_ENDPOINT/);
    const sdk = reportError(
      new StateApiError(0, 'Unreachable', 'cannot reach the state service at http://h:3000: fetch failed'),
    );
    assert.equal(sdk.exitCode, EXIT.unreachable);
    assert.match(sdk.message, /at http:\/\/h:3000 —/);
  });

  it('maps not found to 3, a missing route to 3 with the endpoint setting, other API errors to 1', () => {
    const nf = reportError(
      new ApiError(
        404,
        'EnvironmentNotFound',
        "Environment with name 'x' does not exist",
        'http://h',
        'scheduler',
      ),
    );
    assert.deepEqual(nf, { message: "Environment with name 'x' does not exist", exitCode: EXIT.notFound });
    const route = reportError(
      new ApiError(404, 'NotFound', 'no route GET /v1/environments', 'http://h', 'scheduler'),
    );
    assert.equal(route.exitCode, EXIT.notFound);
    assert.match(route.hint!, /--scheduler-endpoint/);
    const bad = reportError(
      new ApiError(
        400,
        'ValidationError',
        'validation failure list:\nname in body is required',
        'http://h',
        'scheduler',
      ),
    );
    assert.equal(bad.exitCode, EXIT.failure);
    assert.equal(bad.message, 'validation failure list:; name in body is required (400 ValidationError)');
    assert.match(reportError(new ApiError(500, 'InternalError', 'x', 'http://h', 'state')).hint!, /log/);
  });

  it('maps usage errors to 2, command failures to their code, anything else to 1', () => {
    assert.equal(reportError(new ConfigError('bad')).exitCode, EXIT.usage);
    assert.deepEqual(reportError(new CommandFailure('deployment failed', EXIT.failure, 'see x')), {
      message: 'deployment failed',
      hint: 'see x',
      exitCode: EXIT.failure,
    });
    assert.equal(reportError(new StreamGoneError('gone')).exitCode, EXIT.failure);
    assert.equal(reportError(new Error('boom')).exitCode, EXIT.failure);
    const foreign = reportError(
      new ApiError(404, 'HttpError', '404 File not found', 'http://h:8000', 'state'),
    );
    assert.deepEqual(
      [foreign.exitCode, foreign.message],
      [EXIT.failure, 'http://h:8000 answered 404 File not found, not as a Blox API does'],
    );
    assert.equal(reportError(new StateApiError(404, 'HttpError', '404 Not Found')).exitCode, EXIT.failure);
    const notJson = reportError(new SyntaxError('Unexpected token <'));
    assert.equal(notJson.exitCode, EXIT.failure);
    assert.match(notJson.hint!, /is --endpoint/);
  });
});
