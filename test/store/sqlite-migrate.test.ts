/**
 * A data directory written by the previous release (store layout 1: WITHOUT ROWID tables) opens
 * with the current SqliteStore, migrated once, with every read exactly as before.
 *
 * The old file is written with raw better-sqlite3 the way the old store wrote it (same schema,
 * same rows per put/delete/txn/compaction); the same operations go through a fresh store, and the
 * two must answer every read alike.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { KeyValue, Store, WatchEvent } from '../../src/store/index.js';
import { CompactedError, SqliteStore, StoreUnavailableError } from '../../src/store/index.js';
import { tempDir, waitFor } from '../support/env.js';
import { capturingLogger } from '../support/log.js';

/** Fixture: the pre-migration layout (layout 1), verbatim from the release that wrote it. */
const OLD_SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS kv (
  key TEXT PRIMARY KEY, value TEXT NOT NULL, create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL,
  version INTEGER NOT NULL, lease INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS kv_lease ON kv(lease) WHERE lease IS NOT NULL;
CREATE TABLE IF NOT EXISTS history (
  rev INTEGER NOT NULL, sub INTEGER NOT NULL, key TEXT NOT NULL, type INTEGER NOT NULL, value TEXT,
  create_rev INTEGER NOT NULL, version INTEGER NOT NULL, prev_value TEXT, lease INTEGER, ts INTEGER NOT NULL,
  PRIMARY KEY (rev, sub)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS history_key ON history(key, rev);
CREATE TABLE IF NOT EXISTS leases (id INTEGER PRIMARY KEY AUTOINCREMENT, ttl INTEGER NOT NULL, expires_at INTEGER NOT NULL);
`;

interface Row {
  key: string;
  value: string;
  create_rev: number;
  version: number;
}

/** Writes layout-1 rows exactly as the old store's doPut / doDelete / compactSteps did. */
class OldLayoutWriter {
  rev = 1;
  private readonly get;
  constructor(readonly db: Database.Database) {
    db.exec(OLD_SCHEMA);
    this.get = db.prepare<[string], Row>('SELECT key, value, create_rev, version FROM kv WHERE key = ?');
  }
  private putAt(rev: number, sub: number, key: string, value: string, lease: number | null): void {
    const prev = this.get.get(key);
    const create = prev ? prev.create_rev : rev;
    const version = prev ? prev.version + 1 : 1;
    this.db
      .prepare(
        'INSERT INTO kv (key, value, create_rev, mod_rev, version, lease) VALUES (?, ?, ?, ?, ?, ?) ' +
          'ON CONFLICT(key) DO UPDATE SET value = excluded.value, mod_rev = excluded.mod_rev, ' +
          'version = excluded.version, lease = excluded.lease',
      )
      .run(key, value, create, rev, version, lease);
    this.db
      .prepare('INSERT INTO history VALUES (?, ?, ?, 0, ?, ?, ?, NULL, ?, ?)')
      .run(rev, sub, key, value, create, version, lease, Date.now());
  }
  put(key: string, value: string, lease: number | null = null): void {
    this.putAt(++this.rev, 0, key, value, lease);
  }
  txnPuts(pairs: Array<[string, string]>): void {
    const rev = ++this.rev;
    pairs.forEach(([k, v], sub) => this.putAt(rev, sub, k, v, null));
  }
  delete(key: string): void {
    const prev = this.get.get(key)!;
    const rev = ++this.rev;
    this.db.prepare('DELETE FROM kv WHERE key = ?').run(key);
    this.db
      .prepare('INSERT INTO history VALUES (?, 0, ?, 1, NULL, 0, 0, ?, NULL, ?)')
      .run(rev, key, prev.value, Date.now());
  }
  grantLease(ttl: number): number {
    return Number(
      this.db.prepare('INSERT INTO leases (ttl, expires_at) VALUES (?, ?)').run(ttl, Date.now() + ttl * 1000)
        .lastInsertRowid,
    );
  }
  compact(to: number): void {
    this.db
      .prepare(
        `DELETE FROM history WHERE key IN (SELECT key FROM history WHERE rev >= ? AND rev <= ?) AND rev < ? AND
         (type = 1 OR EXISTS (SELECT 1 FROM history h2 WHERE h2.key = history.key AND h2.rev > history.rev AND h2.rev <= ?))`,
      )
      .run(0, to, to, to);
    this.db.prepare("INSERT OR REPLACE INTO meta (name, value) VALUES ('compacted', ?)").run(to);
  }
}

const COMPACTED = 5;
const LAST = 11;

/** The same history through both: revisions 2..11, compacted at 5, one lease (id 1) with a key. */
async function writeHistory(
  w: { put(k: string, v: string, lease?: number): unknown },
  ops: {
    txnPuts(p: Array<[string, string]>): unknown;
    delete(k: string): unknown;
    lease(): Promise<number> | number;
    compact(r: number): unknown;
  },
): Promise<void> {
  await w.put('a/1', 'v1'); // 2
  await w.put('a/2', 'v1'); // 3
  await w.put('a/1', 'v2'); // 4
  await w.put('b/1', 'x'); // 5
  await ops.delete('a/2'); // 6
  await ops.txnPuts([
    ['a/3', 't1'],
    ['a/4', 't1'],
    ['a/0', 't1'],
  ]); // 7
  const lease = await ops.lease();
  await w.put('l/1', 'leased', lease); // 8
  await w.put('a/1', 'v3'); // 9
  await ops.compact(COMPACTED);
  await w.put('a/4', 't2'); // 10
  await ops.delete('b/1'); // 11
}

async function replayAll(store: Store, from: number, until: number): Promise<WatchEvent[]> {
  const events: WatchEvent[] = [];
  const errors: Error[] = [];
  const w = await store.watch(
    '',
    { fromRevision: from },
    { onEvents: (e) => events.push(...e), onError: (e) => errors.push(e) },
  );
  try {
    await waitFor('the replay', () => errors.length > 0 || events.some((e) => e.revision >= until));
    assert.deepEqual(errors, []);
    return events;
  } finally {
    await w.close();
  }
}

/** Every read the two stores can answer, at every revision from the compaction mark on. */
async function snapshot(store: Store): Promise<unknown> {
  const out: Record<string, unknown> = { revision: await store.revision() };
  const status = await store.status();
  out.compacted = status.compactedRevision;
  out.keys = status.keys;
  for (let r = COMPACTED; r <= LAST; r++) {
    out[`range@${r}`] = await store.range({ prefix: '', revision: r });
    out[`range a/ page@${r}`] = await store.range({ prefix: 'a/', revision: r, limit: 2 });
    out[`count a/@${r}`] = await store.range({ prefix: 'a/', revision: r, countOnly: true });
    for (const k of ['a/0', 'a/1', 'a/2', 'a/3', 'a/4', 'b/1', 'l/1'])
      out[`get ${k}@${r}`] = (await store.get(k, { revision: r })) ?? null;
  }
  out.now = await store.range({ prefix: '' });
  out.replay = await replayAll(store, COMPACTED, LAST);
  return out;
}

describe('sqlite store: migration from layout 1 (WITHOUT ROWID tables)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const c of cleanups) await c();
  });
  const dir = async () => {
    const d = await tempDir('blox-migrate-');
    cleanups.push(d.cleanup);
    return d.path;
  };

  async function writeOldFile(path: string): Promise<void> {
    const db = new Database(`${path}/blox.db`);
    db.pragma('journal_mode = WAL');
    const old = new OldLayoutWriter(db);
    await writeHistory(
      { put: (k, v, lease) => old.put(k, v, lease ?? null) },
      {
        txnPuts: (p) => old.txnPuts(p),
        delete: (k) => old.delete(k),
        lease: () => old.grantLease(600),
        compact: (r) => old.compact(r),
      },
    );
    assert.equal(old.rev, LAST);
    db.close();
  }

  it('opens an old file with every read exactly as a store that wrote the same history, once', async () => {
    const oldPath = await dir();
    await writeOldFile(oldPath);

    const reference = new SqliteStore({ dataDir: await dir(), compaction: { intervalMs: 0 } });
    let expected: unknown;
    try {
      await writeHistory(
        { put: (k, v, lease) => reference.put(k, v, lease === undefined ? {} : { lease: String(lease) }) },
        {
          txnPuts: (p) => reference.txn({ success: p.map(([key, value]) => ({ type: 'put', key, value })) }),
          delete: (k) => reference.delete(k),
          lease: async () => Number((await reference.grantLease(600, { keepAlive: false })).id),
          compact: (r) => reference.compact(r),
        },
      );
      expected = await snapshot(reference);
    } finally {
      await reference.close();
    }

    const first = capturingLogger();
    const migrated = new SqliteStore({
      dataDir: oldPath,
      compaction: { intervalMs: 0 },
      logger: first.logger,
    });
    try {
      const migrations = first.lines.filter((l) => l.level === 30 && /migrated/.test(String(l.msg)));
      assert.equal(migrations.length, 1, JSON.stringify(first.lines));
      assert.equal(migrations[0]!.keys, 5);
      assert.equal(migrations[0]!.leases, 1);
      assert.equal(typeof migrations[0]!.ms, 'number');

      assert.deepEqual(await snapshot(migrated), expected);
      // Spot checks against plain facts, not only against the reference store.
      assert.equal(await migrated.revision(), LAST);
      assert.deepEqual(await migrated.get('a/1'), {
        key: 'a/1',
        value: 'v3',
        createRevision: 2,
        modRevision: 9,
        version: 3,
      } satisfies KeyValue);
      assert.equal((await migrated.get('a/1', { revision: 5 }))?.value, 'v2');
      assert.equal(await migrated.get('b/1'), undefined);
      assert.equal((await migrated.get('b/1', { revision: 10 }))?.value, 'x');
      assert.equal((await migrated.range({ prefix: 'a/' })).count, 4);
      await assert.rejects(migrated.get('a/1', { revision: COMPACTED - 1 }), CompactedError);
      await assert.rejects(
        migrated.watch('', { fromRevision: COMPACTED - 1 }, { onEvents() {}, onError() {} }),
        CompactedError,
      );
      // The lease came along: its key names it, and it still takes puts.
      assert.equal((await migrated.get('l/1'))?.lease, '1');
      assert.equal((await migrated.put('l/2', 'x', { lease: '1' })).revision, LAST + 1);
      // New writes land after the migrated history, in order.
      await migrated.txn({
        success: [
          { type: 'put', key: 'n/1', value: '1' },
          { type: 'put', key: 'n/2', value: '2' },
        ],
      });
      const tail = await replayAll(migrated, LAST, LAST + 2);
      assert.deepEqual(
        tail.map((e) => [e.revision, e.type, e.key]),
        [
          [LAST, 'delete', 'b/1'],
          [LAST + 1, 'put', 'l/2'],
          [LAST + 2, 'put', 'n/1'],
          [LAST + 2, 'put', 'n/2'],
        ],
      );
    } finally {
      await migrated.close();
    }

    const second = capturingLogger();
    const reopened = new SqliteStore({
      dataDir: oldPath,
      compaction: { intervalMs: 0 },
      logger: second.logger,
    });
    try {
      assert.deepEqual(
        second.lines.filter((l) => /migrat/.test(String(l.msg))),
        [],
        'a second open does not migrate again',
      );
      assert.equal(await reopened.revision(), LAST + 2);
      assert.equal((await reopened.get('n/2'))?.modRevision, LAST + 2);
    } finally {
      await reopened.close();
    }
  });

  it('a migration that fails leaves the old layout whole, and a clear error', async () => {
    const path = await dir();
    await writeOldFile(path);
    // An object of the user's that refers to the old table makes the final rename fail, after the
    // old tables were dropped inside the transaction.
    const raw = new Database(`${path}/blox.db`);
    raw.exec('CREATE VIEW my_history AS SELECT rev, sub, key FROM history');
    const before = raw.prepare('SELECT * FROM history ORDER BY rev, sub').all();
    raw.close();

    assert.throws(
      () => new SqliteStore({ dataDir: path }),
      (err: unknown) => {
        assert.ok(err instanceof StoreUnavailableError);
        assert.match(err.message, /migrating .*blox\.db to store layout 2 failed, the file is unchanged/);
        assert.match(err.message, /my_history/);
        return true;
      },
    );

    const check = new Database(`${path}/blox.db`);
    try {
      assert.deepEqual(check.prepare('SELECT * FROM history ORDER BY rev, sub').all(), before);
      assert.equal((check.prepare('SELECT COUNT(*) AS n FROM kv').get() as { n: number }).n, 5);
      check.exec('DROP VIEW my_history');
    } finally {
      check.close();
    }
    const store = new SqliteStore({ dataDir: path });
    try {
      assert.equal(await store.revision(), LAST);
      assert.equal((await store.get('a/4'))?.value, 't2');
    } finally {
      await store.close();
    }
  });

  it('a file of an unknown layout is refused with a clear error and left alone', async () => {
    const path = await dir();
    const raw = new Database(`${path}/blox.db`);
    raw.exec(OLD_SCHEMA);
    raw.exec("INSERT INTO meta (name, value) VALUES ('schema', 99)");
    raw.close();
    assert.throws(
      () => new SqliteStore({ dataDir: path }),
      /has store layout 99, which this release does not know/,
    );
    const other = await dir();
    const foreign = new Database(`${other}/blox.db`);
    foreign.exec('CREATE TABLE kv (k TEXT)');
    foreign.close();
    assert.throws(() => new SqliteStore({ dataDir: other }), /is not a Blox store \(tables kv\)/);
  });
});
