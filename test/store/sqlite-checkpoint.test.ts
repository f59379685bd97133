/**
 * WAL checkpoints run in the store's worker thread: committed pages reach the database file while
 * the store is open and well below the main connection's own autocheckpoint limit (10,000 pages),
 * and the worker reports what it did when the store closes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { InvalidArgumentError, SqliteStore } from '../../src/store/index.js';
import { tempDir, waitFor } from '../support/env.js';
import { capturingLogger } from '../support/log.js';

describe('sqlite store: checkpoints off the main thread', () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const c of cleanups) await c();
  });

  /** A store in a fresh directory (removed after the suite) whose debug log the test reads. */
  async function openLogged() {
    const dir = await tempDir('blox-ckpt-');
    cleanups.push(dir.cleanup);
    const { logger, lines } = capturingLogger();
    const store = new SqliteStore({ dataDir: dir.path, compaction: { intervalMs: 0 }, logger });
    return { store, lines, dbFile: join(dir.path, 'blox.db') };
  }

  it('copies committed pages into the database file while the store is open', async () => {
    const { store, lines, dbFile } = await openLogged();
    try {
      const before = statSync(dbFile).size;
      // ~1,000 values of 2 KB, in kv and history: ~1,000+ WAL pages, a tenth of the autocheckpoint limit.
      const value = 'v'.repeat(2000);
      for (let t = 0; t < 50; t++) {
        await store.txn({
          success: Array.from({ length: 20 }, (_, i) => ({
            type: 'put' as const,
            key: `k/${t}/${i}`,
            value,
          })),
        });
        await yieldToLoop();
      }
      await waitFor(
        'the worker to copy the WAL into the database file',
        () => statSync(dbFile).size > before + 2_000_000,
        { timeoutMs: 5_000 },
      );
      assert.equal((await store.range({ prefix: 'k/', countOnly: true })).count, 1000);
    } finally {
      await store.close();
    }
    const closed = lines.find((l) => l.msg === 'sqlite store closed');
    const stats = closed?.checkpoints as { checkpoints: number; pages: number } | undefined;
    assert.ok(stats && stats.checkpoints > 0 && stats.pages > 500, JSON.stringify(closed));
    // The last connection out checkpoints the rest and removes the WAL.
    assert.throws(() => statSync(`${dbFile}-wal`), /ENOENT/);
  });

  it('leaves a short WAL alone while writes go on, and copies it back once they stop', async () => {
    const { store, lines, dbFile } = await openLogged();
    try {
      const before = statSync(dbFile).size;
      for (let i = 0; i < 10; i++) await store.put(`small/${i}`, 'v'.repeat(1000));
      const lastWrite = Date.now();
      // About 30 WAL pages, far below the worker's 1,000: copied back only after ~1 s without commits.
      await waitFor('the idle checkpoint', () => statSync(dbFile).size > before, { timeoutMs: 5_000 });
      // A lower bound only (a slow machine makes it longer, never shorter): not on the next tick.
      assert.ok(
        Date.now() - lastWrite >= 800,
        `checkpointed ${Date.now() - lastWrite} ms after the last write`,
      );
    } finally {
      await store.close();
    }
    const stats = lines.find((l) => l.msg === 'sqlite store closed')?.checkpoints as
      { checkpoints: number; pages: number } | undefined;
    // One checkpoint: the worker reads the WAL's length right, neither always "too short" (none)
    // nor always "unknown" (one every tick).
    assert.equal(stats?.checkpoints, 1, JSON.stringify(stats));
    assert.ok(stats.pages > 0 && stats.pages < 200, JSON.stringify(stats));
  });

  it('rejects a checkpoint interval that is not a whole number of milliseconds', async () => {
    const dir = await tempDir('blox-ckpt-');
    cleanups.push(dir.cleanup);
    for (const bad of [0, -5, 2.5, Number.NaN]) {
      assert.throws(
        () => new SqliteStore({ dataDir: dir.path, checkpointIntervalMs: bad }),
        (err: unknown) =>
          err instanceof InvalidArgumentError && /checkpointIntervalMs must be/.test(err.message),
      );
    }
    // Nothing was left locked by the refused opens.
    const store = new SqliteStore({ dataDir: dir.path, checkpointIntervalMs: 5 });
    await store.close();
  });

  for (const flags of [['--input-type=module'], ['--max-semi-space-size=16', '--input-type=module']])
    it(`runs its worker in a process started with ${flags.join(' ')} (\`node -e\` of ESM)`, async () => {
      const dir = await tempDir('blox-ckpt-');
      cleanups.push(dir.cleanup);
      // The worker's source is CommonJS; --input-type must not reach it (it did, and the worker
      // failed), and V8 flags made the Worker constructor throw (the process could not open a store).
      const source = `
      import { SqliteStore } from './src/store/index.ts';
      import { createLogger } from './src/core/logger.ts';
      const store = new SqliteStore({ dataDir: ${JSON.stringify(dir.path)}, logger: createLogger({ level: 'debug' }) });
      await store.put('k', 'v');
      await store.close();`;
      const child = spawnSync(process.execPath, ['--import', 'tsx', ...flags, '-e', source], {
        cwd: new URL('../../', import.meta.url).pathname,
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(child.status, 0, child.stderr);
      const lines = child.stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { level: number; msg: string; checkpoints?: unknown });
      assert.deepEqual(
        lines.filter((l) => l.level >= 40).map((l) => l.msg),
        [],
        'no warning (the worker started)',
      );
      const closed = lines.find((l) => l.msg === 'sqlite store closed');
      assert.ok(closed?.checkpoints, `the worker reported its checkpoints: ${child.stdout}`);
    });
});
