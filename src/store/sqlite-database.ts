import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/** The one database file of the sqlite store, inside `store.data_dir`. */
export const DATABASE_FILE = 'switchboard.db';

/** Bumped when the tables change shape; a file from a newer version is refused, not guessed at. */
const SCHEMA_VERSION = 1;

/**
 * Expiry times are absolute (ms since epoch), so time spent stopped counts
 * against them. Every table that expires has a partial index on it, so the
 * sweep reads only what can expire.
 */
const SCHEMA = `
  CREATE TABLE records (
    collection TEXT NOT NULL,
    id TEXT NOT NULL,
    json TEXT NOT NULL,
    version INTEGER NOT NULL,
    expires_at INTEGER,
    PRIMARY KEY (collection, id)
  ) WITHOUT ROWID;
  CREATE INDEX records_expiry ON records (expires_at) WHERE expires_at IS NOT NULL;

  CREATE TABLE listings (
    list TEXT NOT NULL,
    member TEXT NOT NULL,
    score REAL NOT NULL,
    PRIMARY KEY (list, member)
  ) WITHOUT ROWID;
  CREATE INDEX listings_order ON listings (list, score, member);

  CREATE TABLE logs (
    id TEXT PRIMARY KEY,
    epoch TEXT NOT NULL,
    next INTEGER NOT NULL,
    closed INTEGER NOT NULL DEFAULT 0,
    expires_at INTEGER
  ) WITHOUT ROWID;
  CREATE INDEX logs_expiry ON logs (expires_at) WHERE expires_at IS NOT NULL;

  CREATE TABLE events (
    log TEXT NOT NULL,
    offset INTEGER NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (log, offset)
  ) WITHOUT ROWID;

  CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;
`;

/** SQLITE_BUSY and SQLITE_LOCKED: another connection holds the file. */
const LOCKED_CODES = new Set([5, 6]);

/**
 * Opens (creating when needed) the store's database in `dataDir`, locked for
 * this process alone.
 *
 * - `locking_mode=EXCLUSIVE`, set before WAL is entered: the first write takes
 *   an OS lock on the file that is held until `close()` (or the process dies,
 *   which frees it: no stale lock file to clean up after a kill -9). A second
 *   gateway, or a second open in this process, fails at once instead of
 *   waiting (`timeout: 0`). It also keeps the WAL index in this process's
 *   memory, as no other process may read the file anyway.
 * - `synchronous=NORMAL` in WAL: a commit is in the WAL file (the OS page
 *   cache) before the call returns, so every acknowledged write survives the
 *   process being killed; only an OS crash or power loss can lose the latest
 *   commits (the file stays consistent). FULL would add an fsync to every
 *   call, blocking the event loop on the disk once per streamed event.
 */
export function openDatabase(dataDir: string): DatabaseSync {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, DATABASE_FILE);
  const db = new DatabaseSync(file, { timeout: 0 });
  try {
    db.exec('PRAGMA locking_mode = EXCLUSIVE');
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    migrate(db, file);
    // A write now takes the exclusive lock at start, not at the first request.
    db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('opened', ?)").run(
      JSON.stringify({ pid: process.pid, at: new Date().toISOString() }),
    );
  } catch (error) {
    db.close();
    if (LOCKED_CODES.has((error as { errcode?: number }).errcode ?? -1)) {
      throw new Error(
        `sqlite store ${file} is in use by another process: the sqlite store serves one gateway instance only ` +
          '(stop the other one, give this one its own store.data_dir, or use store.kind redis for several instances)',
        { cause: error },
      );
    }
    throw error;
  }
  return db;
}

function migrate(db: DatabaseSync, file: string): void {
  const { user_version: version } = db.prepare('PRAGMA user_version').get() as { user_version: number };
  if (version === SCHEMA_VERSION) return;
  if (version !== 0) {
    throw new Error(`sqlite store ${file} has schema version ${version}; this version of switchboard reads ${SCHEMA_VERSION}`);
  }
  transaction(db, () => {
    db.exec(SCHEMA);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
  });
}

/** Runs `fn` in one transaction: all of its writes land, or none. */
export function transaction<T>(db: DatabaseSync, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
