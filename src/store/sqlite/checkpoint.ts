/**
 * WAL checkpoints off the main thread.
 *
 * SQLite copies WAL frames back into the database file in a "checkpoint". Run by the committing
 * connection (wal_autocheckpoint), a checkpoint of a big WAL stalls that commit, and with it the
 * whole Node main thread, for ~100 ms. Here a worker thread owns a second connection and runs
 * `PRAGMA wal_checkpoint(PASSIVE)` whenever the main connection has committed since its last look
 * (checked every `intervalMs` through `PRAGMA data_version`). A PASSIVE checkpoint never takes the
 * writer's lock, so commits go on meanwhile; the main connection's own autocheckpoint stays as the
 * safety net, and finds little left to copy when the worker keeps up.
 *
 * Durability is unchanged: a commit is in the WAL before it returns, whoever checkpoints later.
 *
 * The worker is plain JavaScript evaluated from a string (no file to resolve under tsx or in dist);
 * it loads the same better-sqlite3 as the main thread, by absolute path.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../core/logger.js';

export interface CheckpointStats {
  /** Checkpoints run. */
  checkpoints: number;
  /** Time spent in them, total and the longest (ms). */
  totalMs: number;
  maxMs: number;
  /** Pages copied into the database file. */
  pages: number;
  /** The longest the WAL was (pages) when a checkpoint began. */
  maxWalPages: number;
}

export interface Checkpointer {
  /** Stops the worker and closes its connection; resolves with what it did. */
  stop(): Promise<CheckpointStats | undefined>;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { timeout: 0 });
const stats = { checkpoints: 0, totalMs: 0, maxMs: 0, pages: 0, maxWalPages: 0 };
let seen = -1;
let backfilled = 0;
function tick() {
  try {
    const version = db.pragma('data_version', { simple: true });
    if (version === seen) return;
    const t0 = performance.now();
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    const ms = performance.now() - t0;
    stats.checkpoints++;
    stats.totalMs += ms;
    if (ms > stats.maxMs) stats.maxMs = ms;
    if (r.log > stats.maxWalPages) stats.maxWalPages = r.log;
    // Frames it could not copy yet (a reader still needs them) are retried on the next tick.
    seen = r.checkpointed >= r.log ? version : -1;
    // The WAL restarts from frame 0 once wholly copied: count from there.
    stats.pages += r.checkpointed >= backfilled ? r.checkpointed - backfilled : r.checkpointed;
    backfilled = r.checkpointed;
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
  }
}
const timer = setInterval(tick, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  try { db.close(); } catch {}
  parentPort.postMessage({ stopped: stats });
  parentPort.close();
});
`;

/** Starts the checkpoint worker for the WAL database at `path`. */
export function startCheckpointer(path: string, intervalMs: number, logger: Logger): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, driver, intervalMs } });
  // Never what keeps the process alive; the store stops it on close.
  worker.unref();
  let stats: CheckpointStats | undefined;
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  worker.on('message', (m: { error?: string; stopped?: CheckpointStats }) => {
    if (m.error !== undefined)
      logger.warn(
        { err: m.error, path },
        'sqlite checkpoint worker: checkpoint failed (commits checkpoint instead)',
      );
    if (m.stopped) stats = m.stopped;
  });
  worker.on('error', (err) =>
    logger.warn({ err, path }, 'sqlite checkpoint worker failed; commits checkpoint instead'),
  );
  return {
    async stop() {
      if (!exited) {
        // Held by the caller's await: the process must not exit before the worker closed its connection.
        worker.ref();
        worker.postMessage('stop');
      }
      await exit;
      return stats;
    },
  };
}
