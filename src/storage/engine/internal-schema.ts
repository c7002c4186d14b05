// The internal tables every node keeps next to user data, in the same SQLite file so that data and
// replication log commit in one transaction. All are prefixed _chorus_ and hidden from users.

export const internalSchemaVersion = 1;
/** How user values are stored: 2 = the PostgreSQL front end's storage formats (sql/DESIGN.md). */
export const valueFormatVersion = 2;

export const internalSchemaSql = `
CREATE TABLE IF NOT EXISTS _chorus_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

-- One row per committed transaction that changed replicated data: who made it, its place in the
-- origin's sequence, and its hybrid logical clock timestamp.
CREATE TABLE IF NOT EXISTS _chorus_tx (
  txid        INTEGER PRIMARY KEY,
  origin      TEXT    NOT NULL,
  origin_seq  INTEGER NOT NULL,
  hlc_wall    INTEGER NOT NULL,
  hlc_logical INTEGER NOT NULL,
  committed_at_ms INTEGER NOT NULL,
  -- The origin's applied vector when it committed (JSON {origin: seq}): what this transaction
  -- causally depends on. A replica applies it only after applying all of these.
  deps TEXT NOT NULL DEFAULT '{}',
  -- What last-write-wins orders by (replication.timestamp_source): the HLC text, a Lamport counter
  -- with the origin, or a client-supplied timestamp with the HLC. Fixed-width, compared as text.
  order_key TEXT NOT NULL DEFAULT '',
  UNIQUE (origin, origin_seq)
);

-- The replication log: one entry per row change or DDL statement, in commit order (lsn).
-- pk: JSON array of the primary key values (the old key for UPDATE and DELETE).
-- cols: JSON object of changed columns and their new values (INSERT: all columns; DELETE: null;
-- DDL: {"sql": statement text}). BLOB values are encoded as {"$b": "<hex>"}.
CREATE TABLE IF NOT EXISTS _chorus_log (
  lsn   INTEGER PRIMARY KEY AUTOINCREMENT,
  txid  INTEGER NOT NULL,
  tbl   TEXT    NOT NULL,
  op    TEXT    NOT NULL CHECK (op = 'INSERT' OR op = 'UPDATE' OR op = 'DELETE' OR op = 'DDL'),
  pk    TEXT,
  cols  TEXT
);
CREATE INDEX IF NOT EXISTS _chorus_log_txid ON _chorus_log (txid);

-- Version metadata of replicated rows (multi-primary): the row's version vector (origin -> seq of
-- the last transaction from that origin that changed it), the deletes it has seen, whether it is a
-- tombstone, and for each column its last write as [order key, origin, seq]. pk is the JSON array
-- text of the primary key, as in the log.
CREATE TABLE IF NOT EXISTS _chorus_rowmeta (
  tbl     TEXT NOT NULL,
  pk      TEXT NOT NULL,
  vv      TEXT NOT NULL,
  dels    TEXT NOT NULL DEFAULT '{}',
  deleted INTEGER NOT NULL DEFAULT 0,
  cols    TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY (tbl, pk)
) WITHOUT ROWID;

-- Where the rows of a replicated table without a primary key came from: rowid ranges [lo, hi] (node-
-- local: rowids differ per node), each holding the rows one transaction (origin, seq) inserted, not
-- overlapping. A replicated TRUNCATE removes the rows whose transaction its vector covers and keeps
-- rows inserted concurrently (storage/tables/keyless-rows.ts). Rows in no range (written before this table
-- existed) count as preceding every TRUNCATE.
CREATE TABLE IF NOT EXISTS _chorus_keyless_ranges (
  tbl    TEXT NOT NULL,
  lo     INTEGER NOT NULL,
  hi     INTEGER NOT NULL,
  origin TEXT NOT NULL,
  seq    INTEGER NOT NULL,
  PRIMARY KEY (tbl, lo)
) WITHOUT ROWID;

-- CRDT column states (multi-primary): the full delta-state CRDT of each CRDT column of each row;
-- the user column holds its value (a number, JSON array or JSON object).
CREATE TABLE IF NOT EXISTS _chorus_crdt (
  tbl   TEXT NOT NULL,
  pk    TEXT NOT NULL,
  col   TEXT NOT NULL,
  state TEXT NOT NULL,
  PRIMARY KEY (tbl, pk, col)
) WITHOUT ROWID;

-- Merges of replicated CRDT changes (replicate.crdt_operations), bounded by retention.
CREATE TABLE IF NOT EXISTS _chorus_crdt_ops (
  op_id INTEGER PRIMARY KEY AUTOINCREMENT,
  operation_type TEXT NOT NULL,
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  row_id TEXT NOT NULL,
  origin TEXT NOT NULL,
  origin_seq INTEGER NOT NULL,
  element_count INTEGER NOT NULL,
  merge_latency_ms REAL NOT NULL,
  merged_at TEXT NOT NULL
);

-- Rows replicate.sync_from_canonical_partition dropped: this node's value of every row its
-- partition wrote during a split brain that the canonical partition never saw, with the
-- canonical value that replaced it (replicate.split_brain_dropped_rows). Never deleted by the node.
CREATE TABLE IF NOT EXISTS _chorus_split_brain_dropped (
  drop_id INTEGER PRIMARY KEY AUTOINCREMENT,
  table_name TEXT NOT NULL,
  row_id TEXT NOT NULL,
  dropped_value TEXT,
  canonical_value TEXT,
  origin TEXT NOT NULL,
  origin_seq INTEGER NOT NULL,
  operation TEXT NOT NULL,
  partition_id TEXT NOT NULL,
  canonical_master TEXT NOT NULL,
  dropped_at TEXT NOT NULL
);

-- Failovers this node saw or made (replicate.failover_history): a master unreachable for
-- failover_timeout_sec, a replica promoted (automatically, manually or forced), with RPO/RTO.
CREATE TABLE IF NOT EXISTS _chorus_failover_history (
  failover_id INTEGER PRIMARY KEY AUTOINCREMENT,
  failover_time TEXT NOT NULL,
  failed_master TEXT,
  promoted_master TEXT,
  failover_type TEXT NOT NULL,
  detection_ms INTEGER,
  rto_ms INTEGER,
  rpo_transactions INTEGER,
  acknowledged_writes_safe INTEGER NOT NULL,
  status TEXT NOT NULL,
  recovered_at TEXT,
  detail TEXT NOT NULL
);

-- Peers this node ships to, with the vector each last acknowledged (log retention keeps what any
-- of them still lacks) and whether it fell behind the retained log and needs a snapshot.
CREATE TABLE IF NOT EXISTS _chorus_peers (
  peer_id        TEXT PRIMARY KEY,
  acked          TEXT NOT NULL,
  updated_at_ms  INTEGER NOT NULL,
  needs_snapshot INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Every conflict this node detected while applying replicated changes (replicate.conflicts).
CREATE TABLE IF NOT EXISTS _chorus_conflicts (
  conflict_id INTEGER PRIMARY KEY AUTOINCREMENT,
  table_name TEXT NOT NULL,
  row_id TEXT NOT NULL,
  master_1_id TEXT NOT NULL,
  master_2_id TEXT NOT NULL,
  conflict_type TEXT NOT NULL,
  master_1_value TEXT,
  master_2_value TEXT,
  resolved_value TEXT,
  resolution_strategy TEXT NOT NULL,
  detected_at TEXT NOT NULL,
  resolution_latency_ms REAL NOT NULL,
  origin_seq INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'resolved',
  -- order keys of the two versions (for re-resolution), and who settled a pending/overridden one
  local_order_key TEXT,
  remote_order_key TEXT,
  error TEXT,
  resolved_by TEXT,
  resolved_at TEXT,
  resolution_reason TEXT
);

-- Conflict resolvers registered with replicate.register_resolver (replicated through the log) and
-- the resolver bound to each table (ALTER TABLE ... SET REPLICATION CONFLICT_RESOLVER = 'name').
CREATE TABLE IF NOT EXISTS _chorus_resolvers (
  name TEXT PRIMARY KEY,
  language TEXT NOT NULL,
  definition TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _chorus_table_resolvers (
  tbl TEXT PRIMARY KEY,
  resolver TEXT NOT NULL
) WITHOUT ROWID;
-- Rows a replicated change removed for a cause concurrent with their own writes (a unique value
-- another master's write won, a parent another master deleted), with their column clocks: a later
-- update from a master that had not heard of the cause brings the row back and settles it again
-- (replication/apply/conflicts/parked-rows.ts). row: every column as JSON (log form); cols: the clocks.
CREATE TABLE IF NOT EXISTS _chorus_parked (
  id   INTEGER PRIMARY KEY AUTOINCREMENT,
  tbl  TEXT NOT NULL,
  pk   TEXT NOT NULL,
  row  TEXT NOT NULL,
  cols TEXT NOT NULL,
  UNIQUE (tbl, pk)
);
-- delta columns (ALTER TABLE t ALTER COLUMN c SET REPLICATION CONFLICT_RESOLVER = 'delta'):
-- concurrent changes add up (replication/apply/columns/delta-columns.ts).
CREATE TABLE IF NOT EXISTS _chorus_delta_columns (
  tbl TEXT NOT NULL,
  col TEXT NOT NULL,
  PRIMARY KEY (tbl, col)
) WITHOUT ROWID;

-- Changes of a table's shape that a row change written before them must go through when it arrives
-- later (storage/tables/shape-changes.ts): renames of the table or a column, value conversions of ALTER
-- COLUMN TYPE. tbl is the table's name after the change; (origin, seq) the DDL's transaction.
CREATE TABLE IF NOT EXISTS _chorus_shape_changes (
  id     INTEGER PRIMARY KEY AUTOINCREMENT,
  tbl    TEXT NOT NULL,
  origin TEXT NOT NULL,
  seq    INTEGER NOT NULL,
  change TEXT NOT NULL
);

-- User tables known to the node: replicated (captured) or local-only (CREATE UNLOGGED TABLE).
CREATE TABLE IF NOT EXISTS _chorus_tables (
  name       TEXT PRIMARY KEY,
  local_only INTEGER NOT NULL DEFAULT 0,
  created_at_ms INTEGER NOT NULL
) WITHOUT ROWID;

-- Extensions created with CREATE EXTENSION (session/ddl/extensions.ts), replicated as DDL entries.
CREATE TABLE IF NOT EXISTS _chorus_extensions (
  name    TEXT PRIMARY KEY,
  version TEXT NOT NULL
) WITHOUT ROWID;

-- PostgreSQL schemas other than public (CREATE SCHEMA, replicated as DDL entries). An object of
-- schema s is the SQLite object named "s.<name>" (sql/namespaces.ts).
CREATE TABLE IF NOT EXISTS _chorus_schemas (
  name TEXT PRIMARY KEY,
  oid  INTEGER NOT NULL
) WITHOUT ROWID;

-- Sequences (CREATE SEQUENCE, serial and identity columns), replicated as DDL entries: the
-- definition, the column that owns it, and the last setval / RESTART (reset_*), ordered by
-- (reset_epoch, reset_node) so every node keeps the same one. Each node hands out values from its
-- own slot (storage/sequences/sequences.ts); its progress is node-local (_chorus_meta 'sequence_progress').
CREATE TABLE IF NOT EXISTS _chorus_sequences (
  name         TEXT PRIMARY KEY,
  oid          INTEGER NOT NULL,
  type_oid     INTEGER NOT NULL,
  start_value  INTEGER NOT NULL,
  increment    INTEGER NOT NULL,
  min_value    INTEGER NOT NULL,
  max_value    INTEGER NOT NULL,
  cache        INTEGER NOT NULL,
  cycle        INTEGER NOT NULL,
  owner_table  TEXT,
  owner_column TEXT,
  -- 'serial', 'a' (GENERATED ALWAYS AS IDENTITY), 'd' (BY DEFAULT), or NULL
  identity     TEXT,
  reset_value  INTEGER NOT NULL,
  reset_called INTEGER NOT NULL,
  reset_epoch  INTEGER NOT NULL DEFAULT 0,
  reset_node   TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;

-- Enum types: one row per label; sort orders the labels as PostgreSQL's enumsortorder does.
CREATE TABLE IF NOT EXISTS _chorus_enums (
  type      TEXT NOT NULL,
  oid       INTEGER NOT NULL,
  array_oid INTEGER NOT NULL,
  label     TEXT NOT NULL,
  sort      REAL NOT NULL,
  PRIMARY KEY (type, label)
) WITHOUT ROWID;
`;

/** The log joined with its transaction headers: what replicate.log shows. */
export const logViewSql = `SELECT l.lsn AS lsn, t.origin AS origin, t.origin_seq AS origin_seq, l.txid AS txid,
  t.hlc_wall AS hlc_wall, t.hlc_logical AS hlc_logical, l.tbl AS table_name, l.pk AS primary_key,
  l.op AS operation, l.cols AS columns
FROM _chorus_log l JOIN _chorus_tx t ON t.txid = l.txid`;
