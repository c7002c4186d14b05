// Opening the node's database: the writer connection's settings, the internal schema brought up to
// date, the node id and value format checked, and the log counters recovered from _chorus_tx.

import Database from 'better-sqlite3';
import { ConfigError } from '../../errors.js';
import { applyStorageMemory, type StorageMemory } from '../memory-settings.js';
import { writeTableText } from '../tables/table-rebuild.js';
import { databaseOpenError } from './data-dir.js';
import { internalSchemaVersion, valueFormatVersion } from './internal-schema.js';
import { lamportOf } from './write-state.js';

export type SynchronousMode = 'off' | 'normal' | 'full' | 'extra';

/** Open the writer connection on `path` (WAL, the configured durability, no automatic checkpoints). */
export function openWriterConnection(
  path: string,
  dataDir: string,
  fileName: string,
  synchronous: SynchronousMode,
  memory: StorageMemory | undefined,
): Database.Database {
  let writer: Database.Database;
  try {
    writer = new Database(path);
    writer.pragma('journal_mode = WAL');
  } catch (e) {
    throw databaseOpenError(e, dataDir, fileName);
  }
  writer.pragma(`synchronous = ${synchronous.toUpperCase()}`);
  writer.pragma('foreign_keys = ON');
  applyStorageMemory(writer, memory);
  // Checkpoints are run deliberately by a background reader, never inside a client's commit.
  writer.pragma('wal_autocheckpoint = 0');
  writer.defaultSafeIntegers(true);
  return writer;
}

/** The node id stored in the data directory (checked against the configured one), or a new one stored. */
export function resolveNodeId(
  db: Database.Database,
  dataDir: string,
  configured: string | undefined,
  generateNodeId: () => string,
): string {
  const row = db.prepare("SELECT value FROM _chorus_meta WHERE key = 'node_id'").get() as
    | { value: string }
    | undefined;
  const setMeta = db.prepare('INSERT OR REPLACE INTO _chorus_meta (key, value) VALUES (?, ?)');
  if (row) {
    if (configured && configured !== row.value) {
      throw new ConfigError(`data directory ${dataDir} belongs to node "${row.value}", not "${configured}"`, {
        hint: 'A node keeps its id for life; use a new data directory for a new node.',
      });
    }
    checkValueFormat(db, dataDir, setMeta);
    return row.value;
  }
  const id = configured ?? generateNodeId();
  db.transaction(() => {
    setMeta.run('node_id', id);
    setMeta.run('schema_version', String(internalSchemaVersion));
    setMeta.run('value_format', String(valueFormatVersion));
    setMeta.run('created_at_ms', String(Date.now()));
  })();
  return id;
}

/**
 * Values are stored in the PostgreSQL front end's formats (sql/DESIGN.md) since value format 2.
 * A data directory from before holds tables whose values SQLite typed: it is refused with the
 * way out, never read with the wrong types. One without user tables is simply marked.
 */
function checkValueFormat(db: Database.Database, dataDir: string, setMeta: Database.Statement): void {
  const v = db.prepare("SELECT value FROM _chorus_meta WHERE key = 'value_format'").get() as
    | { value: string }
    | undefined;
  if (v && Number(v.value) === valueFormatVersion) return;
  if (v && Number(v.value) > valueFormatVersion) {
    throw new ConfigError(
      `data directory ${dataDir} uses value format ${v.value}, newer than this version reads (${valueFormatVersion})`,
    );
  }
  const tables = db
    .prepare(
      "SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_chorus\\_%' ESCAPE '\\'",
    )
    .get() as { n: number | bigint };
  if (Number(tables.n) > 0) {
    throw new ConfigError(
      `data directory ${dataDir} was written by ChorusDB 0.1, which stored values as SQLite typed them; this version stores PostgreSQL's types exactly and cannot read those tables`,
      {
        hint: 'Export each table with COPY ... TO STDOUT using ChorusDB 0.1, then create the tables and COPY the data into a new data directory.',
      },
    );
  }
  setMeta.run('value_format', String(valueFormatVersion));
}

/** Bring a data directory created by an earlier version up to the current internal schema. */
export function migrateInternalSchema(db: Database.Database): void {
  const cols = (
    db.prepare("SELECT name FROM pragma_table_info('_chorus_tx')").all() as { name: string }[]
  ).map((c) => c.name);
  if (!cols.includes('deps')) db.exec("ALTER TABLE _chorus_tx ADD COLUMN deps TEXT NOT NULL DEFAULT '{}'");
  if (!cols.includes('order_key'))
    db.exec("ALTER TABLE _chorus_tx ADD COLUMN order_key TEXT NOT NULL DEFAULT ''");
  const metaCols = (
    db.prepare("SELECT name FROM pragma_table_info('_chorus_rowmeta')").all() as { name: string }[]
  ).map((c) => c.name);
  if (!metaCols.includes('cols'))
    db.exec("ALTER TABLE _chorus_rowmeta ADD COLUMN cols TEXT NOT NULL DEFAULT '{}'");
  upgradeLogOpCheck(db);
}

/** How data directories before 2026-12-08 spelled the log's operation check. */
const logOpCheckIn = "CHECK (op IN ('INSERT', 'UPDATE', 'DELETE', 'DDL'))";
/** The same check as comparisons (internal-schema.ts). */
const logOpCheckOr = "CHECK (op = 'INSERT' OR op = 'UPDATE' OR op = 'DELETE' OR op = 'DDL')";

/**
 * The log's CHECK on `op` written as `IN (...)` compiles to a temporary index of the list
 * (OpenEphemeral and four IdxInserts: 36 VDBE instructions for the insert against 20) built each time
 * a capture trigger's insert runs, once per captured row: bench:copy measured 11.8 against 10.0 µs
 * of server CPU per row. The same rule as comparisons builds nothing; the table's text is changed in
 * place (a CHECK is no part of the stored format, so no row moves).
 */
function upgradeLogOpCheck(db: Database.Database): void {
  const sql = db
    .prepare("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = '_chorus_log'")
    .pluck()
    .get() as string | undefined;
  if (!sql?.includes(logOpCheckIn)) return;
  db.transaction(() => writeTableText(db, '_chorus_log', sql.replace(logOpCheckIn, logOpCheckOr)))();
}

/**
 * The log counters as the last run left them: the last txid, this node's last origin sequence and
 * the Lamport counter; fills `applied` with each origin's highest sequence.
 */
export function recoverLogCounters(
  db: Database.Database,
  nodeId: string,
  applied: Map<string, number>,
): { lastTxid: number; lastLocalSeq: number; lamport: number } {
  const txState = db
    .prepare(
      'SELECT coalesce(max(txid), 0) AS txid, coalesce(max(CASE WHEN origin = ? THEN origin_seq END), 0) AS seq FROM _chorus_tx',
    )
    .get(nodeId) as { txid: bigint; seq: bigint };
  const vec = db.prepare('SELECT origin, max(origin_seq) AS seq FROM _chorus_tx GROUP BY origin').all() as {
    origin: string;
    seq: bigint;
  }[];
  for (const r of vec) applied.set(r.origin, Number(r.seq));
  const maxKey = db.prepare('SELECT max(order_key) AS k FROM _chorus_tx').get() as {
    k: string | null;
  };
  return { lastTxid: Number(txState.txid), lastLocalSeq: Number(txState.seq), lamport: lamportOf(maxKey.k) };
}
