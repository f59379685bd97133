import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { blox, spawnBlox } from '../support/blox-process.js';
import { tempDir } from '../support/env.js';

describe('blox local-aws (server process and subcommands)', () => {
  let child: ReturnType<typeof spawnBlox>;
  let endpoint: string;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let exited: Promise<number | null>;

  before(async () => {
    dir = await tempDir('blox-local-aws-cli-');
    child = spawnBlox(
      [
        'local-aws',
        '--port',
        '0',
        '--seed',
        '7',
        '--demo-instances',
        '2',
        '--drop-rate',
        '0',
        '--log-format',
        'json',
        '--snapshot-file',
        `${dir.path}/snap.json`,
      ],
      { BLOX_LOCAL_AWS_ENDPOINT: '' },
    );
    exited = child.exited;
    const lines = createInterface({ input: child.stdout! });
    endpoint = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('blox local-aws did not log its endpoint within 20 s')),
        20_000,
      );
      lines.on('line', (line) => {
        try {
          const record = JSON.parse(line) as { endpoint?: string };
          if (record.endpoint) {
            clearTimeout(timer);
            resolve(record.endpoint);
          }
        } catch {
          // not a log line
        }
      });
      child.once('exit', (code) => reject(new Error(`blox local-aws exited early with ${code}`)));
    });
  });

  after(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await dir.cleanup();
  });

  it('reports status with the demo cluster and the seed', async () => {
    const { code, out } = await blox('local-aws', 'status', '--endpoint', endpoint);
    assert.equal(code, 0);
    const status = JSON.parse(out) as { ecs: { containerInstances: number }; events: { seed: number } };
    assert.equal(status.ecs.containerInstances, 2);
    assert.equal(status.events.seed, 7);
  });

  it('scales, disconnects, reconnects, kills and removes instances', async () => {
    const scaled = await blox(
      'local-aws',
      'scale',
      'cli',
      '3',
      '--endpoint',
      endpoint,
      '--instance-type',
      't3.small',
      '--attribute',
      'stack=prod',
      '--az',
      'us-east-1c',
    );
    assert.equal(scaled.code, 0, scaled.err);
    const added = (JSON.parse(scaled.out) as { added: string[] }).added;
    assert.equal(added.length, 3);
    assert.equal((await blox('local-aws', 'disconnect', added[0]!, '--endpoint', endpoint)).code, 0);
    const listed = JSON.parse((await blox('local-aws', 'instances', 'cli', '--endpoint', endpoint)).out) as {
      instances: Array<{ containerInstanceArn: string; agentConnected: boolean; instanceType: string }>;
    };
    assert.equal(listed.instances.find((i) => i.containerInstanceArn === added[0])?.agentConnected, false);
    assert.ok(listed.instances.every((i) => i.instanceType === 't3.small'));
    assert.equal((await blox('local-aws', 'reconnect', added[0]!, '--endpoint', endpoint)).code, 0);
    assert.equal((await blox('local-aws', 'kill-instance', added[1]!, '--endpoint', endpoint)).code, 0);
    const removed = await blox('local-aws', 'remove-instances', 'cli', '1', '--endpoint', endpoint);
    assert.equal((JSON.parse(removed.out) as { removed: string[] }).removed.length, 1);
    assert.equal((await blox('local-aws', 'crash-tasks', 'cli', '--endpoint', endpoint)).code, 0);
  });

  it('sets fault knobs and throttling, and resets', async () => {
    const faults = await blox(
      'local-aws',
      'faults',
      '--duplicate-rate',
      '0.5',
      '--reorder-window',
      '4',
      '--event-delay',
      '50ms',
      '--seed',
      '3',
      '--endpoint',
      endpoint,
    );
    assert.equal(faults.code, 0, faults.err);
    assert.deepEqual(JSON.parse(faults.out), {
      faults: { duplicateRate: 0.5, dropRate: 0, reorderWindow: 4, delayMs: 50 },
      seed: 3,
    });
    const shown = await blox('local-aws', 'faults', '--endpoint', endpoint);
    assert.equal((JSON.parse(shown.out) as { seed: number }).seed, 3);
    assert.equal((await blox('local-aws', 'throttling', 'on', '--endpoint', endpoint)).code, 0);
    assert.equal((await blox('local-aws', 'throttling', 'off', '--endpoint', endpoint)).code, 0);
    assert.equal((await blox('local-aws', 'reset', '--endpoint', endpoint)).code, 0);
    const status = JSON.parse((await blox('local-aws', 'status', '--endpoint', endpoint)).out) as {
      ecs: { clusters: number };
    };
    assert.equal(status.ecs.clusters, 0);
  });

  it('bad input gets one clear error and a non-zero exit', async () => {
    const unknown = await blox('local-aws', 'fly', '--endpoint', endpoint);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /unknown subcommand "fly"; use one of: status/);
    const badCount = await blox('local-aws', 'scale', 'c', 'many', '--endpoint', endpoint);
    assert.match(badCount.err, /<count> must be a whole number/);
    const badRate = await blox('local-aws', 'faults', '--drop-rate', '3', '--endpoint', endpoint);
    assert.notEqual(badRate.code, 0);
    assert.match(badRate.err, /--drop-rate/);
    const throttling = await blox('local-aws', 'throttling', 'maybe', '--endpoint', endpoint);
    assert.match(throttling.err, /usage: blox local-aws throttling on\|off/);
    const down = await blox('local-aws', 'status', '--endpoint', 'http://127.0.0.1:1');
    assert.notEqual(down.code, 0);
    assert.match(down.err, /cannot reach the local AWS emulator at http:\/\/127.0.0.1:1/);
  });

  it('stops on SIGTERM, saving the snapshot', async () => {
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.ok(existsSync(`${dir.path}/snap.json`));
    assert.equal(
      (JSON.parse(readFileSync(`${dir.path}/snap.json`, 'utf8')) as { format: string }).format,
      'blox-local-aws/1',
    );
  });
});
