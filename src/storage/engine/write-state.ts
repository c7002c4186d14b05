// The write-transaction bookkeeping the engine's paths share: the open transaction, the counters
// (txid, origin sequence, Lamport) and the prepared statements on the log tables. One per engine.

import type Database from 'better-sqlite3';
import type { PhysicalClock } from '../../clock/clock.js';
import type { HybridLogicalClock } from '../../clock/hlc.js';
import { InternalError } from '../../errors.js';
import type { KeylessNotes } from '../tables/keyless-rows.js';

/** The write transaction open on the writer connection. */
export interface OpenWrite {
  txid: number;
  captured: boolean;
  /** Applying replicated transactions: capture triggers stay silent, entries are logged verbatim. */
  applying: boolean;
  /** Remote transactions recorded in this SQLite transaction (apply mode). */
  recorded: { origin: string; seq: number; txid: number }[];
}

/** The replication log this node wrote for its own commits, since it opened (pg_replication_metrics). */
export interface LogWriteStats {
  /** Local transactions that wrote log entries. */
  writes: number;
  /** Bytes of those entries (table, key and column JSON text). */
  bytes: number;
  lastWriteMs: number | null;
}

export type TimestampSource = 'server_timestamp' | 'logical_clock' | 'client_timestamp';

/** Statements on the log tables, prepared once on the writer connection. */
export interface LogStatements {
  loggedBytes: Database.Statement;
  insertTx: Database.Statement;
  insertEntry: Database.Statement;
  insertDdl: Database.Statement;
  maxLsn: Database.Statement;
  registerTable: Database.Statement;
}

/** The state of the engine's write paths (StorageEngine holds the only one; its paths mutate it). */
export interface WriteState {
  readonly writer: Database.Database;
  readonly nodeId: string;
  readonly stmts: LogStatements;
  /** For each origin, the highest origin sequence applied here (the engine's `applied`). */
  readonly applied: Map<string, number>;
  /** Rowids of keyless rows the open transaction inserted, written as ranges once it is logged. */
  readonly keylessNotes: KeylessNotes;
  /** The engine's `logWrites`. */
  readonly logWrites: LogWriteStats;
  /** What last-write-wins orders by (replication.timestamp_source). */
  readonly timestampSource: TimestampSource;
  /** The largest row change a commit may log (bytes), or undefined: no limit (standalone). */
  readonly logEntryBytesMax: number | undefined;
  open: OpenWrite | null;
  lastTxid: number;
  lastLocalSeq: number;
  /** Lamport counter (timestamp_source = logical_clock): above every key seen. */
  lamport: number;
  clock: HybridLogicalClock | null;
  /** Wall clock for commit times (virtual in simulations). */
  physical: PhysicalClock;
}

export function prepareLogStatements(db: Database.Database): LogStatements {
  return {
    loggedBytes: db.prepare(
      `SELECT coalesce(sum(n), 0) AS b, coalesce(max(n), 0) AS m
           FROM (SELECT length(CAST(tbl AS BLOB)) + coalesce(length(CAST(pk AS BLOB)), 0) + coalesce(length(CAST(cols AS BLOB)), 0) AS n
                   FROM _chorus_log WHERE txid = ?)`,
    ),
    insertTx: db.prepare(
      'INSERT INTO _chorus_tx (txid, origin, origin_seq, hlc_wall, hlc_logical, committed_at_ms, deps, order_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    insertEntry: db.prepare('INSERT INTO _chorus_log (txid, tbl, op, pk, cols) VALUES (?, ?, ?, ?, ?)'),
    insertDdl: db.prepare(
      "INSERT INTO _chorus_log (txid, tbl, op, pk, cols) VALUES (?, ?, 'DDL', NULL, json_object('sql', ?))",
    ),
    maxLsn: db.prepare(
      // main's: a TEMP table with AUTOINCREMENT (a session's serial temp table, writeTableText's check)
      // gives the connection a temp.sqlite_sequence, which an unqualified name would read instead.
      "SELECT coalesce((SELECT seq FROM main.sqlite_sequence WHERE name = '_chorus_log'), 0) AS lsn",
    ),
    registerTable: db.prepare(
      'INSERT INTO _chorus_tables (name, local_only, created_at_ms) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET local_only = excluded.local_only',
    ),
  };
}

export function requireOpen(s: WriteState): OpenWrite {
  if (!s.open) throw new InternalError('no write transaction is open');
  return s.open;
}

/** The Lamport counter in a logical_clock order key ('0000000000000042.node'); 0 for other keys. */
export function lamportOf(key: string | null): number {
  if (!key) return 0;
  const dot = key.indexOf('.');
  if (dot !== 16) return 0;
  const n = Number(key.slice(0, dot));
  return Number.isSafeInteger(n) ? n : 0;
}
