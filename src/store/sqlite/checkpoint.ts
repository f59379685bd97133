/**
 * WAL checkpoints off the main thread.
 *
 * SQLite copies WAL frames back into the database file in a "checkpoint". Run by the committing
 * connection (wal_autocheckpoint), a checkpoint of a big WAL stalls that commit, and with it the
 * whole Node main thread, for ~100 ms. Here a worker thread owns a second connection and runs
 * `PRAGMA wal_checkpoint(PASSIVE)` once MIN_WAL_BYTES of frames wait in the WAL, or any do and the writer
 * has been quiet for IDLE_MS (looked at every `intervalMs`). A PASSIVE checkpoint never takes the
 * writer's lock, so commits go on meanwhile; the main connection's own autocheckpoint stays as the
 * safety net, and finds little left to copy when the worker keeps up. Not checkpointing every few
 * commits matters: a checkpoint fsyncs the WAL and the database file, and checkpoints after each
 * trickle commit measurably slowed the next commits (ingest lag p50 +0.3 ms).
 *
 * Durability is unchanged: a commit is in the WAL before it returns, whoever checkpoints later.
 *
 * The worker is plain JavaScript evaluated from a string (no file to resolve under tsx or in dist);
 * it loads the same better-sqlite3 as the main thread, by absolute path.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../core/logger.js';

/** A WAL shorter than this (4 MB) is left for later… */
const MIN_WAL_BYTES = 4 * 1024 * 1024;
/** …unless no commit came for this long. */
const IDLE_MS = 1000;

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
const fs = require('node:fs');
const os = require('node:os');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { timeout: 0 });
const stats = { checkpoints: 0, totalMs: 0, maxMs: 0, pages: 0, maxWalPages: 0 };
const header = Buffer.alloc(100);
const le = os.endianness() === 'LE';
let shm = -1;
let lastHeader = '';
let lastChange = Date.now();
let backfilled = 0;
// The wal-index header at the start of the -shm file (sqlite.org/walformat.html): mxFrame (frames
// in the WAL, offset 16) and iChange (bumped by every commit, offset 8); the checkpoint record
// follows the header's two copies, with nBackfill (frames copied back, offset 96). All native-endian
// u32s, read here without a lock: a stale value only moves a checkpoint by one tick. Reading them
// instead of asking SQLite matters: a read transaction under a busy writer can spin in sleeps.
function readHeader() {
  try {
    if (shm < 0) shm = fs.openSync(workerData.path + '-shm', 'r');
    return fs.readSync(shm, header, 0, 100, 0) === 100;
  } catch {
    return false;
  }
}
function u32(offset) {
  return le ? header.readUInt32LE(offset) : header.readUInt32BE(offset);
}
function tick() {
  try {
    const now = Date.now();
    let pending = Infinity;
    if (readHeader()) {
      const mark = u32(8) + ':' + u32(16);
      if (mark !== lastHeader) {
        lastHeader = mark;
        lastChange = now;
      }
      pending = Math.max(0, u32(16) - u32(96));
    }
    // Small WALs wait for minPages (a checkpoint costs two fsyncs, which slow the writer's next
    // commits) unless the writer has gone quiet.
    if (pending === 0) return;
    if (pending < workerData.minPages && now - lastChange < workerData.idleMs) return;
    const t0 = performance.now();
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    const ms = performance.now() - t0;
    stats.checkpoints++;
    stats.totalMs += ms;
    if (ms > stats.maxMs) stats.maxMs = ms;
    if (r.log > stats.maxWalPages) stats.maxWalPages = r.log;
    // -1: nothing to report (no WAL open yet). The WAL restarts from frame 0 once wholly copied.
    if (r.checkpointed >= 0) {
      stats.pages += r.checkpointed >= backfilled ? r.checkpointed - backfilled : r.checkpointed;
      backfilled = r.checkpointed;
    }
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
  }
}
const timer = setInterval(tick, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  try { db.close(); } catch {}
  if (shm >= 0) try { fs.closeSync(shm); } catch {}
  parentPort.postMessage({ stopped: stats });
  parentPort.close();
});
`;

/** Starts the checkpoint worker for the WAL database at `path`. */
export function startCheckpointer(
  path: string,
  intervalMs: number,
  logger: Logger,
  pageSize: number,
): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    // None of the process's flags: the source is self-contained CommonJS (the driver by absolute
    // path), and inherited ones break it — --input-type=module fails its `require`, and V8 flags
    // such as --max-semi-space-size make the Worker constructor throw.
    execArgv: [],
    workerData: { path, driver, intervalMs, minPages: Math.ceil(MIN_WAL_BYTES / pageSize), idleMs: IDLE_MS },
  });
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
