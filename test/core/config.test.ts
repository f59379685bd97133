import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { defineSettings, loadConfig, parseAddress, parseDuration } from '../../src/core/config/index.js';
import { ConfigError } from '../../src/core/errors.js';
import { tempDir } from '../support/env.js';

const specs = defineSettings([
  {
    key: 'bind',
    flag: 'bind',
    env: 'T_BIND',
    type: 'address',
    default: '0.0.0.0:3000',
    description: 'listen address',
  },
  {
    key: 'pollers',
    flag: 'pollers',
    env: 'T_POLLERS',
    type: 'int',
    min: 1,
    max: 64,
    default: 4,
    description: 'pollers',
  },
  {
    key: 'interval',
    flag: 'interval',
    env: 'T_INTERVAL',
    type: 'duration',
    default: 300_000,
    description: 'interval',
  },
  {
    key: 'endpoints',
    flag: 'etcd-endpoint',
    env: 'T_ENDPOINTS',
    type: 'list',
    default: [],
    description: 'etcd',
  },
  {
    key: 'store',
    flag: 'store',
    env: 'T_STORE',
    type: 'enum',
    choices: ['sqlite', 'etcd'],
    default: 'sqlite',
    description: 'backend',
  },
  { key: 'verbose', flag: 'verbose', type: 'boolean', default: false, description: 'verbose' },
  { key: 'queue', flag: 'queue', env: 'T_QUEUE', type: 'string', description: 'queue' },
] as const);

describe('config loader', () => {
  it('uses defaults when nothing is given', () => {
    const { config, sources } = loadConfig(specs, { env: {} });
    assert.equal(config.bind, '0.0.0.0:3000');
    assert.equal(config.pollers, 4);
    assert.deepEqual(config.endpoints, []);
    assert.equal(config.queue, undefined);
    assert.equal(sources.bind, 'default');
  });

  it('ranks flags over env over file over defaults', async () => {
    const dir = await tempDir();
    try {
      const file = join(dir.path, 'blox.yaml');
      await writeFile(file, 'pollers: 8\ninterval: 20s\nqueue: from-file\nstore: etcd\n');
      const { config, sources } = loadConfig(specs, {
        flags: { pollers: '16' },
        env: { T_POLLERS: '12', T_QUEUE: 'from-env' },
        file,
      });
      assert.equal(config.pollers, 16);
      assert.equal(sources.pollers, 'flag');
      assert.equal(config.queue, 'from-env');
      assert.equal(config.interval, 20_000);
      assert.equal(config.store, 'etcd');
      assert.equal(sources.store, 'file');
    } finally {
      await dir.cleanup();
    }
  });

  it('names the setting, the source and what is expected', () => {
    assert.throws(
      () => loadConfig(specs, { env: { T_POLLERS: 'many' } }),
      (err: unknown) =>
        err instanceof ConfigError &&
        /invalid value "many" for T_POLLERS: expected an integer between 1 and 64/.test(err.message),
    );
    assert.throws(
      () => loadConfig(specs, { flags: { store: 'redis' } }),
      (err: unknown) =>
        err instanceof ConfigError && /--store: expected one of sqlite, etcd/.test(err.message),
    );
  });

  it('reports every problem at once', () => {
    assert.throws(
      () => loadConfig(specs, { env: { T_POLLERS: '0', T_BIND: 'nowhere' } }),
      (err: unknown) =>
        err instanceof ConfigError &&
        /2 configuration problems/.test(err.message) &&
        /T_BIND/.test(err.message),
    );
  });

  it('rejects unknown keys and unreadable files', async () => {
    const dir = await tempDir();
    try {
      const file = join(dir.path, 'blox.yaml');
      await writeFile(file, 'polers: 8\n');
      assert.throws(() => loadConfig(specs, { env: {}, file }), /unknown setting "polers"/);
      assert.throws(
        () => loadConfig(specs, { env: {}, file: join(dir.path, 'missing.yaml') }),
        /cannot read config file/,
      );
      await writeFile(file, '- a\n- b\n');
      assert.throws(() => loadConfig(specs, { env: {}, file }), /must hold a mapping/);
    } finally {
      await dir.cleanup();
    }
  });

  it('parses lists, durations and addresses', () => {
    const { config } = loadConfig(specs, {
      flags: { endpoints: ['a:2379', 'b:2379'] },
      env: { T_INTERVAL: '1.5m' },
    });
    assert.deepEqual(config.endpoints, ['a:2379', 'b:2379']);
    assert.equal(config.interval, 90_000);
    assert.deepEqual(loadConfig(specs, { env: { T_ENDPOINTS: 'x:1, y:2' } }).config.endpoints, [
      'x:1',
      'y:2',
    ]);
    assert.equal(parseDuration('250'), 250);
    assert.equal(parseDuration('2h'), 7_200_000);
    assert.equal(parseDuration('soon'), undefined);
    assert.deepEqual(parseAddress(':3000'), { host: '0.0.0.0', port: 3000 });
    assert.deepEqual(parseAddress('127.0.0.1:2000'), { host: '127.0.0.1', port: 2000 });
    assert.deepEqual(parseAddress('[::1]:80'), { host: '::1', port: 80 });
    assert.equal(parseAddress('host:99999'), undefined);
  });
});

describe('defaults', () => {
  it('are parsed like any other value: a duration default written "10s" loads as 10000 ms', () => {
    const s = defineSettings([
      { key: 'every', flag: 'every', type: 'duration', default: '10s', description: 'a period' },
    ] as const);
    assert.equal(loadConfig(s, { env: {} }).config.every, 10_000);
  });

  it("every command's defaults load as their type (a duration is a number of ms)", async () => {
    const modules = await Promise.all([
      import('../../src/scheduler/settings.js'),
      import('../../src/state/settings.js'),
      import('../../src/cli/up-settings.js'),
      import('../../src/cli/commands/local-aws-settings.js'),
      import('../../src/cli/client/settings.js'),
      import('../../src/cli/client/deploy-settings.js'),
      import('../../src/cli/commands/env.js'),
    ]);
    let checked = 0;
    for (const m of modules)
      for (const list of Object.values(m))
        if (Array.isArray(list))
          for (const spec of list as Array<{ key: string; type: string; default?: unknown }>) {
            if (spec.default === undefined) continue;
            // One setting at a time, so required ones of the same command do not get in the way.
            const value = loadConfig([spec] as never, { env: {} }).config[spec.key as never] as unknown;
            if (spec.type === 'duration') assert.equal(typeof value, 'number', `${spec.key} default`);
            checked++;
          }
    assert.ok(checked > 30, `${checked} defaults checked`);
  });
});
