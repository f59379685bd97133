/**
 * One owner per data directory. The store's own connection runs in NORMAL locking mode (so that
 * the checkpoint worker can open a second connection), so ownership is a separate SQLite file,
 * `<database>.lock`, held in EXCLUSIVE locking mode with a write lock taken at open and never
 * released until close. The OS drops the lock when the owner dies (kill -9 included), so a crashed
 * process never blocks a restart; a second process, or a second open in the same process, fails.
 */
import Database from 'better-sqlite3';
import { StoreUnavailableError } from '../errors.js';

/** Takes the data directory's lock or throws StoreUnavailableError; close the result to release it. */
export function lockDataDir(dataDir: string, dbPath: string): Database.Database {
  const lockPath = `${dbPath}.lock`;
  let lock: Database.Database;
  try {
    lock = new Database(lockPath, { timeout: 0 });
  } catch (err) {
    throw new StoreUnavailableError(`cannot open the store lock file ${lockPath}: ${String(err)}`, err);
  }
  try {
    lock.pragma('locking_mode = EXCLUSIVE');
    // No journal file beside the lock: its contents never matter, only the lock does.
    lock.pragma('journal_mode = MEMORY');
    lock.exec('BEGIN EXCLUSIVE; COMMIT;');
  } catch (err) {
    lock.close();
    if (isLockedError(err)) throw inUseError(dataDir, dbPath, err);
    throw new StoreUnavailableError(`cannot lock the store lock file ${lockPath}: ${String(err)}`, err);
  }
  return lock;
}

export function isLockedError(err: unknown): boolean {
  return /locked|busy/i.test(String(err));
}

/** The one error for "someone else owns this data directory". */
export function inUseError(dataDir: string, dbPath: string, cause: unknown): StoreUnavailableError {
  return new StoreUnavailableError(
    `the data directory ${dataDir} is in use by another process (${dbPath} is locked); ` +
      'only one Blox process may own an embedded store: stop the other one or use another --data-dir',
    cause,
  );
}
