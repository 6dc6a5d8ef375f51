import type { DatabaseSync, StatementSync } from 'node:sqlite';

/**
 * Every statement the sqlite store runs, prepared once at open. "Live" means
 * not expired at `now`, the last parameter of the statements that check it:
 * expired rows read as absent until the sweep deletes them.
 */
export function prepareStatements(db: DatabaseSync) {
  const sql = (text: string): StatementSync => db.prepare(text);
  const live = (table: string): string => `(${table}.expires_at IS NULL OR ${table}.expires_at > ?)`;
  return {
    // ---- records
    getRecord: sql(`SELECT json, version FROM records WHERE collection = ? AND id = ? AND ${live('records')}`),
    putRecord: sql(
      `INSERT INTO records (collection, id, json, version, expires_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (collection, id) DO UPDATE SET json = excluded.json, version = excluded.version, expires_at = excluded.expires_at`,
    ),
    deleteRecord: sql('DELETE FROM records WHERE collection = ? AND id = ?'),
    expireRecord: sql(`UPDATE records SET expires_at = ? WHERE collection = ? AND id = ? AND ${live('records')}`),

    // ---- listings: BINARY collation compares UTF-8 bytes, the member order Redis uses
    indexAdd: sql(
      'INSERT INTO listings (list, member, score) VALUES (?, ?, ?) ON CONFLICT (list, member) DO UPDATE SET score = excluded.score',
    ),
    indexRemove: sql('DELETE FROM listings WHERE list = ? AND member = ?'),
    indexAscending: sql('SELECT member FROM listings WHERE list = ? ORDER BY score, member LIMIT ? OFFSET ?'),
    indexDescending: sql('SELECT member FROM listings WHERE list = ? ORDER BY score DESC, member DESC LIMIT ? OFFSET ?'),
    indexCount: sql('SELECT COUNT(*) AS total FROM listings WHERE list = ?'),
    indexUpTo: sql('SELECT member FROM listings WHERE list = ? AND score <= ? ORDER BY score, member LIMIT ?'),

    // ---- event logs
    getLog: sql(
      `SELECT epoch, next, closed, (SELECT MIN(offset) FROM events WHERE log = logs.id) AS first
       FROM logs WHERE id = ? AND ${live('logs')}`,
    ),
    insertLog: sql('INSERT INTO logs (id, epoch, next) VALUES (?, ?, 0)'),
    deleteLog: sql('DELETE FROM logs WHERE id = ?'),
    deleteLogEvents: sql('DELETE FROM events WHERE log = ?'),
    insertEvent: sql('INSERT INTO events (log, offset, json) VALUES (?, ?, ?)'),
    setNext: sql('UPDATE logs SET next = ? WHERE id = ?'),
    closeLog: sql('UPDATE logs SET closed = 1 WHERE id = ?'),
    trimEvents: sql('DELETE FROM events WHERE log = ? AND offset < ?'),
    readEvents: sql(
      `SELECT events.json FROM events JOIN logs ON logs.id = events.log
       WHERE events.log = ? AND events.offset >= ? AND ${live('logs')} ORDER BY events.offset LIMIT ?`,
    ),
    expireLog: sql(`UPDATE logs SET expires_at = ? WHERE id = ? AND ${live('logs')}`),

    // ---- leases: one statement each, so taking a lease is a single atomic step
    acquire: sql(
      `INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
       WHERE leases.owner = excluded.owner OR leases.expires_at <= ?`,
    ),
    renew: sql('UPDATE leases SET expires_at = ? WHERE name = ? AND owner = ? AND expires_at > ?'),
    release: sql('DELETE FROM leases WHERE name = ? AND owner = ?'),
    holder: sql('SELECT owner FROM leases WHERE name = ? AND expires_at > ?'),

    ping: sql('SELECT 1'),
    // The data epoch lives in the file itself: a new or replaced file gets a new one.
    keepEpoch: sql("INSERT OR IGNORE INTO meta (key, value) VALUES ('epoch', ?)"),
    epoch: sql("SELECT value FROM meta WHERE key = 'epoch'"),

    // ---- the sweep
    sweepRecords: sql('DELETE FROM records WHERE expires_at <= ?'),
    sweepEvents: sql('DELETE FROM events WHERE log IN (SELECT id FROM logs WHERE expires_at <= ?)'),
    sweepLogs: sql('DELETE FROM logs WHERE expires_at <= ?'),
    sweepLeases: sql('DELETE FROM leases WHERE expires_at <= ?'),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
