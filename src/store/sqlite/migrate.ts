/**
 * Brings an opened database to the current layout (schema.ts): creates it in an empty file, or
 * migrates a file written by an older release.
 *
 * Schema 1 (releases up to 0.4.0; no `schema` row in `meta`) kept `kv` and `history` as WITHOUT
 * ROWID tables, history keyed by (rev, sub). Migration is one SQLite transaction: new tables are
 * filled from the old ones, the old ones dropped and the new ones renamed into place, so a crash
 * (or an error) at any point leaves either the whole old layout or the whole new one. Leases and
 * meta (the `compacted` revision) are kept as they are.
 */
import type Database from 'better-sqlite3';
import type { Logger } from '../../core/logger.js';
import { StoreUnavailableError } from '../errors.js';
import { SCHEMA, SCHEMA_VERSION, SUB_BITS, SUB_SPAN } from './schema.js';

export type Layout = 'empty' | 'schema1' | 'current';

/** Which layout a database file holds. Throws on a layout this release cannot read. */
export function detectLayout(db: Database.Database, path: string): Layout {
  const tables = new Set(
    (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map(
      (t) => t.name,
    ),
  );
  if (!tables.has('history') && !tables.has('kv')) return 'empty';
  const version = tables.has('meta')
    ? (db.prepare("SELECT value FROM meta WHERE name = 'schema'").get() as { value: number } | undefined)
        ?.value
    : undefined;
  if (version === SCHEMA_VERSION) return 'current';
  if (version !== undefined) {
    throw new StoreUnavailableError(
      `${path} has store layout ${version}, which this release does not know (it reads layouts 1 and ` +
        `${SCHEMA_VERSION}): open it with the Blox release that wrote it, or use another --data-dir`,
    );
  }
  const columns = new Set(
    (db.prepare('PRAGMA table_info(history)').all() as Array<{ name: string }>).map((c) => c.name),
  );
  if (tables.has('kv') && columns.has('rev') && columns.has('sub')) return 'schema1';
  throw new StoreUnavailableError(
    `${path} is not a Blox store (tables ${[...tables].sort().join(', ')}): use another --data-dir`,
  );
}

export interface MigrationReport {
  keys: number;
  historyRows: number;
  leases: number;
  ms: number;
}

/** Schema 1 → current, in one transaction. */
export function migrateSchema1(db: Database.Database): MigrationReport {
  const started = process.hrtime.bigint();
  const count = (table: string) =>
    (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  let report: Omit<MigrationReport, 'ms'> = { keys: 0, historyRows: 0, leases: 0 };
  db.transaction(() => {
    const maxSub = (db.prepare('SELECT MAX(sub) AS s FROM history').get() as { s: number | null }).s ?? 0;
    if (maxSub >= SUB_SPAN) {
      throw new StoreUnavailableError(
        `cannot migrate: a revision in history holds ${maxSub + 1} changes, more than ${SUB_SPAN}; ` +
          'compact past it with the release that wrote the file first',
      );
    }
    // Same columns as SCHEMA's kv and history, under temporary names (index names are global, so
    // the indexes are created after the old tables and theirs are gone).
    db.exec(`
      CREATE TABLE kv_v2 (
        key TEXT PRIMARY KEY, value TEXT NOT NULL, create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL,
        version INTEGER NOT NULL, lease INTEGER
      );
      INSERT INTO kv_v2 (key, value, create_rev, mod_rev, version, lease)
        SELECT key, value, create_rev, mod_rev, version, lease FROM kv ORDER BY key;
      CREATE TABLE history_v2 (
        id INTEGER PRIMARY KEY, key TEXT NOT NULL, type INTEGER NOT NULL, value TEXT,
        create_rev INTEGER NOT NULL, version INTEGER NOT NULL, prev_value TEXT, lease INTEGER, ts INTEGER NOT NULL
      );
      INSERT INTO history_v2 (id, key, type, value, create_rev, version, prev_value, lease, ts)
        SELECT (rev << ${SUB_BITS}) + sub, key, type, value, create_rev, version, prev_value, lease, ts
        FROM history ORDER BY rev, sub;
      DROP TABLE kv;
      DROP TABLE history;
      ALTER TABLE kv_v2 RENAME TO kv;
      ALTER TABLE history_v2 RENAME TO history;
    `);
    db.exec(SCHEMA);
    db.prepare("INSERT OR REPLACE INTO meta (name, value) VALUES ('schema', ?)").run(SCHEMA_VERSION);
    report = { keys: count('kv'), historyRows: count('history'), leases: count('leases') };
  }).immediate();
  return { ...report, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

/** Creates or migrates the layout of an opened database (held exclusively by this process). */
export function prepareLayout(db: Database.Database, path: string, logger: Logger): void {
  const layout = detectLayout(db, path);
  if (layout === 'current') return;
  if (layout === 'empty') {
    db.transaction(() => {
      db.exec(SCHEMA);
      db.prepare("INSERT OR REPLACE INTO meta (name, value) VALUES ('schema', ?)").run(SCHEMA_VERSION);
    }).immediate();
    return;
  }
  logger.debug({ path }, 'sqlite store: migrating to store layout 2 (rowid tables); this runs once');
  let report: MigrationReport;
  try {
    report = migrateSchema1(db);
  } catch (err) {
    if (err instanceof StoreUnavailableError) throw err;
    // The transaction rolled back: the file still holds layout 1, whole.
    throw new StoreUnavailableError(
      `migrating ${path} to store layout ${SCHEMA_VERSION} failed, the file is unchanged (still layout 1): ` +
        `${String(err)}; remove whatever the error names (tables and views of your own) or open it with the previous release`,
      err,
    );
  }
  // The migration went through the WAL (the whole store, once): copy it back and shrink the WAL file
  // to nothing rather than keep a WAL the size of the store on disk until close.
  db.pragma('wal_checkpoint(TRUNCATE)');
  logger.info(
    { path, ...report, ms: Math.round(report.ms) },
    `sqlite store migrated to layout ${SCHEMA_VERSION}: ${report.keys} keys, ${report.historyRows} history rows, ${report.leases} leases in ${Math.round(report.ms)} ms`,
  );
}
