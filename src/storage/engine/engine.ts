// The node's SQLite database: opens it (WAL, configured durability), keeps the internal schema, owns
// the single writer connection and the write-transaction bookkeeping (txid, origin sequence, HLC)
// that makes every captured change land in the replication log in the same transaction.

import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { type PhysicalClock, systemClock } from '../../clock/clock.js';
import { formatHlc, type HlcTimestamp, type HybridLogicalClock } from '../../clock/hlc.js';
import { ChorusError, ConfigError, InternalError, KeylessTableWriteError } from '../../errors.js';
import type { ReplTx } from '../../log/records.js';
import { internalPrefix } from '../../sql/namespaces.js';
import {
  captureTxidFunction,
  keylessGuardFunction,
  keylessRowFunction,
  syncCaptureTriggers,
} from '../capture/capture.js';
import { forgetStaleDeltaColumns } from '../capture/delta-registry.js';
import { applyStorageMemory, type StorageMemory } from '../memory-settings.js';
import { type SequenceSlots, singleWriterSlots } from '../sequences/sequence-math.js';
import { SequenceStore } from '../sequences/sequences.js';
import { registerSqlFunctions } from '../sql-functions.js';
import { forgetKeylessRows, KeylessNotes } from '../tables/keyless-rows.js';
import { type TableOp, tableOpSql } from '../tables/table-ops.js';
import { databaseOpenError, prepareDataDir } from './data-dir.js';
import { ensureHistoryId } from './history-id.js';
import { internalSchemaSql, internalSchemaVersion, valueFormatVersion } from './internal-schema.js';

export const databaseFileName = 'chorus.db';

export type SynchronousMode = 'off' | 'normal' | 'full' | 'extra';

export interface EngineOptions {
  dataDir: string;
  synchronous: SynchronousMode;
  /** Node id from config; when absent the id stored in the data dir (or a new one) is used. */
  nodeId: string | undefined;
  logger: Logger;
  generateNodeId: () => string;
  /** Multi-primary: refuse primary-key updates (peers identify rows by key). */
  guardPrimaryKeyUpdates?: boolean;
  /** Multi-primary: every master writes (what peers must be able to replay is restricted). */
  multiPrimary?: boolean;
  /** What last-write-wins orders by (replication.timestamp_source). */
  timestampSource?: TimestampSource;
  /**
   * Which values of each sequence this node hands out (storage/sequence-math.ts); 'unconfigured':
   * several writers and no slots configured, so nextval is refused rather than risk duplicates.
   */
  sequenceSlots?: (nodeId: string) => SequenceSlots | 'unconfigured';
  /** Page cache and memory map of the writer connection ([storage]; defaults when absent). */
  memory?: StorageMemory;
  /** The catalog functions psql's queries call, registered on the writer (registerSqlFunctions). */
  catalogFunctions?: (db: Database.Database) => void;
  /**
   * Replicated modes: the largest row change a peer link carries ([replication] max_batch_size_mb);
   * a commit with a larger one is refused (54000) rather than committed and never shipped.
   */
  logEntryBytesMax?: number;
}

interface OpenWrite {
  txid: number;
  captured: boolean;
  /** Applying replicated transactions: capture triggers stay silent, entries are logged verbatim. */
  applying: boolean;
  /** Remote transactions recorded in this SQLite transaction (apply mode). */
  recorded: { origin: string; seq: number; txid: number }[];
}

/** Called inside a local write transaction, before COMMIT, once its origin seq and HLC are known. */
export type LocalCommitHook = (txid: number, origin: string, seq: number, orderKey: string) => void;

export type TimestampSource = 'server_timestamp' | 'logical_clock' | 'client_timestamp';

/** Zero-padded decimal, so keys compare correctly as text. */
function pad(n: number, width: number): string {
  return String(Math.max(0, Math.floor(n))).padStart(width, '0');
}

export interface CommitInfo {
  txid: number;
  originSeq: number;
  hlc: HlcTimestamp;
}

/** The replication log this node wrote for its own commits, since it opened (pg_replication_metrics). */
export interface LogWriteStats {
  /** Local transactions that wrote log entries. */
  writes: number;
  /** Bytes of those entries (table, key and column JSON text). */
  bytes: number;
  lastWriteMs: number | null;
}

export class StorageEngine {
  readonly writer: Database.Database;
  readonly logWrites: LogWriteStats = { writes: 0, bytes: 0, lastWriteMs: null };
  readonly path: string;
  readonly nodeId: string;
  private clock: HybridLogicalClock | null = null;
  /** Wall clock for commit times (virtual in simulations). */
  private physical: PhysicalClock = systemClock;
  private open: OpenWrite | null = null;
  private lastTxid: number;
  private lastLocalSeq: number;
  private readonly stmts;
  /** For each origin, the highest origin sequence applied here (contiguous: applied in order). */
  readonly applied = new Map<string, number>();
  /** Lamport counter (timestamp_source = logical_clock): above every key seen. */
  private lamport = 0;
  /** Set by the replication layer in replicated modes to keep row/column versions. */
  localCommitHook: LocalCommitHook | null = null;
  /** Called before a transaction with replicated changes commits; throwing rolls it back (fencing). */
  commitGuard: (() => void) | null = null;
  /** Sequences: nextval / setval state of this node (see sequences.ts). */
  readonly sequences: SequenceStore;
  private flushingSequences = false;
  /** Rowids of keyless rows the open transaction inserted, written as ranges once it is logged. */
  private readonly keylessNotes = new KeylessNotes();

  constructor(private readonly opts: EngineOptions) {
    prepareDataDir(opts.dataDir);
    this.path = join(opts.dataDir, databaseFileName);
    try {
      this.writer = new Database(this.path);
      this.writer.pragma('journal_mode = WAL');
    } catch (e) {
      throw databaseOpenError(e, opts.dataDir, databaseFileName);
    }
    this.writer.pragma(`synchronous = ${opts.synchronous.toUpperCase()}`);
    this.writer.pragma('foreign_keys = ON');
    applyStorageMemory(this.writer, opts.memory);
    // Checkpoints are run deliberately by a background reader, never inside a client's commit.
    this.writer.pragma('wal_autocheckpoint = 0');
    this.writer.defaultSafeIntegers(true);
    this.writer.function(captureTxidFunction, { deterministic: false, directOnly: false }, () => {
      if (!this.open)
        throw new InternalError('a replicated table was written outside a node write transaction');
      if (this.open.applying) return null;
      this.open.captured = true;
      return BigInt(this.open.txid);
    });
    this.writer.function(keylessRowFunction, { deterministic: false, directOnly: false }, (table, rowid) => {
      this.keylessNotes.note(String(table), BigInt(rowid as bigint));
      return null;
    });
    this.writer.function(keylessGuardFunction, { deterministic: false, directOnly: false }, (table, op) => {
      if (this.open?.applying) return null;
      throw new KeylessTableWriteError(String(table), op === 'update' ? 'update' : 'delete');
    });
    registerSqlFunctions(this.writer, {
      inWriter: true,
      crdtMarkers: opts.guardPrimaryKeyUpdates ?? false,
      catalogFunctions: opts.catalogFunctions,
    });
    this.writer.exec(internalSchemaSql);
    migrateInternalSchema(this.writer);
    this.nodeId = this.resolveNodeId();
    ensureHistoryId(this.writer);
    this.sequences = new SequenceStore(this.writer, this.nodeId, () => {
      const slots = opts.sequenceSlots?.(this.nodeId) ?? singleWriterSlots;
      if (slots === 'unconfigured') {
        throw new ChorusError('55000', "nextval in multi-primary mode needs this node's sequence slot", {
          hint: 'Set replication.sequence_slot (0, 1, ...: distinct on every node) and replication.sequence_slots (the number of writing nodes, the same on all), or list every node in replication.masters.',
        });
      }
      return slots;
    });
    this.sequences.register(this.writer);
    this.stmts = {
      loggedBytes: this.writer.prepare(
        `SELECT coalesce(sum(n), 0) AS b, coalesce(max(n), 0) AS m
           FROM (SELECT length(CAST(tbl AS BLOB)) + coalesce(length(CAST(pk AS BLOB)), 0) + coalesce(length(CAST(cols AS BLOB)), 0) AS n
                   FROM _chorus_log WHERE txid = ?)`,
      ),
      insertTx: this.writer.prepare(
        'INSERT INTO _chorus_tx (txid, origin, origin_seq, hlc_wall, hlc_logical, committed_at_ms, deps, order_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      insertEntry: this.writer.prepare(
        'INSERT INTO _chorus_log (txid, tbl, op, pk, cols) VALUES (?, ?, ?, ?, ?)',
      ),
      insertDdl: this.writer.prepare(
        "INSERT INTO _chorus_log (txid, tbl, op, pk, cols) VALUES (?, ?, 'DDL', NULL, json_object('sql', ?))",
      ),
      maxLsn: this.writer.prepare(
        "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = '_chorus_log'), 0) AS lsn",
      ),
      registerTable: this.writer.prepare(
        'INSERT INTO _chorus_tables (name, local_only, created_at_ms) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET local_only = excluded.local_only',
      ),
    };
    const txState = this.writer
      .prepare(
        'SELECT coalesce(max(txid), 0) AS txid, coalesce(max(CASE WHEN origin = ? THEN origin_seq END), 0) AS seq FROM _chorus_tx',
      )
      .get(this.nodeId) as { txid: bigint; seq: bigint };
    this.lastTxid = Number(txState.txid);
    this.lastLocalSeq = Number(txState.seq);
    const vec = this.writer
      .prepare('SELECT origin, max(origin_seq) AS seq FROM _chorus_tx GROUP BY origin')
      .all() as {
      origin: string;
      seq: bigint;
    }[];
    for (const r of vec) this.applied.set(r.origin, Number(r.seq));
    const maxKey = this.writer.prepare('SELECT max(order_key) AS k FROM _chorus_tx').get() as {
      k: string | null;
    };
    this.lamport = lamportOf(maxKey.k);
  }

  /** The order key of a transaction committed now by this node. */
  private orderKey(hlc: HlcTimestamp, clientTsMs: number | null): string {
    switch (this.opts.timestampSource ?? 'server_timestamp') {
      case 'logical_clock':
        this.lamport += 1;
        return `${pad(this.lamport, 16)}.${this.nodeId}`;
      case 'client_timestamp':
        return `${pad(clientTsMs ?? hlc.wallMs, 13)}.${formatHlc(hlc)}`;
      default:
        return formatHlc(hlc);
    }
  }

  /** The applied vector as a plain object (what a local commit depends on). */
  appliedVector(): Record<string, number> {
    return Object.fromEntries(this.applied);
  }

  /** The clock is attached after construction because it needs the resolved node id. */
  attachClock(clock: HybridLogicalClock, physical: PhysicalClock): void {
    this.clock = clock;
    this.physical = physical;
    const last = this.writer
      .prepare(
        'SELECT hlc_wall, hlc_logical FROM _chorus_tx ORDER BY hlc_wall DESC, hlc_logical DESC LIMIT 1',
      )
      .get() as { hlc_wall: bigint; hlc_logical: bigint } | undefined;
    if (last)
      clock.observe({
        wallMs: Number(last.hlc_wall),
        logical: Number(last.hlc_logical),
        nodeId: this.nodeId,
      });
  }

  private resolveNodeId(): string {
    const row = this.writer.prepare("SELECT value FROM _chorus_meta WHERE key = 'node_id'").get() as
      | { value: string }
      | undefined;
    const setMeta = this.writer.prepare('INSERT OR REPLACE INTO _chorus_meta (key, value) VALUES (?, ?)');
    if (row) {
      if (this.opts.nodeId && this.opts.nodeId !== row.value) {
        throw new ConfigError(
          `data directory ${this.opts.dataDir} belongs to node "${row.value}", not "${this.opts.nodeId}"`,
          { hint: 'A node keeps its id for life; use a new data directory for a new node.' },
        );
      }
      this.checkValueFormat(setMeta);
      return row.value;
    }
    const id = this.opts.nodeId ?? this.opts.generateNodeId();
    this.writer.transaction(() => {
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
  private checkValueFormat(setMeta: Database.Statement): void {
    const v = this.writer.prepare("SELECT value FROM _chorus_meta WHERE key = 'value_format'").get() as
      | { value: string }
      | undefined;
    if (v && Number(v.value) === valueFormatVersion) return;
    if (v && Number(v.value) > valueFormatVersion) {
      throw new ConfigError(
        `data directory ${this.opts.dataDir} uses value format ${v.value}, newer than this version reads (${valueFormatVersion})`,
      );
    }
    const tables = this.writer
      .prepare(
        "SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_chorus\\_%' ESCAPE '\\'",
      )
      .get() as { n: number | bigint };
    if (Number(tables.n) > 0) {
      throw new ConfigError(
        `data directory ${this.opts.dataDir} was written by ChorusDB 0.1, which stored values as SQLite typed them; this version stores PostgreSQL's types exactly and cannot read those tables`,
        {
          hint: 'Export each table with COPY ... TO STDOUT using ChorusDB 0.1, then create the tables and COPY the data into a new data directory.',
        },
      );
    }
    setMeta.run('value_format', String(valueFormatVersion));
  }

  get inWriteTransaction(): boolean {
    return this.open !== null;
  }

  /** Start the write transaction on the writer connection (the caller holds the writer lock). */
  beginWrite(): void {
    if (this.open) throw new InternalError('beginWrite while a write transaction is open');
    this.writer.exec('BEGIN IMMEDIATE');
    this.open = { txid: this.lastTxid + 1, captured: false, applying: false, recorded: [] };
  }

  /** The number of the open write transaction (unique on this node), null when none is open. */
  get openTxid(): number | null {
    return this.open ? this.open.txid : null;
  }

  /** Start a transaction that applies replicated transactions (the caller holds the writer lock). */
  beginApply(): void {
    if (this.open) throw new InternalError('beginApply while a write transaction is open');
    this.writer.exec('BEGIN IMMEDIATE');
    // Foreign keys are checked when the transaction commits, not per statement: a child written on
    // one master while its parent was deleted on another is settled after its transaction
    // (replication/apply/fk-orphans.ts), the same way whichever arrives first. Reset by COMMIT.
    this.writer.pragma('defer_foreign_keys = ON');
    this.open = { txid: this.lastTxid, captured: false, applying: true, recorded: [] };
  }

  /**
   * While an apply transaction is open: the last committed txid. The log rows that transaction wrote
   * are visible on the writer connection before its COMMIT (it yields to the event loop between
   * slices), so a log reader on that connection reads no further than this; null otherwise.
   */
  get logReadBound(): number | null {
    return this.open?.applying ? this.lastTxid : null;
  }

  /** Log entries [from, to) of the replicated transaction being recorded (recordRemote ends it). */
  recordRemoteEntries(tx: ReplTx, from: number, to: number): void {
    const open = this.requireOpen();
    if (!open.applying) throw new InternalError('recordRemoteEntries outside an apply transaction');
    const txid = BigInt(open.txid + 1);
    for (let i = from; i < to; i++) {
      const e = tx.entries[i]!;
      this.stmts.insertEntry.run(txid, e.tbl, e.op, e.pk, e.cols);
    }
  }

  /**
   * Log a replicated transaction verbatim, with its original origin, seq, HLC and dependencies;
   * entries before `entriesFrom` were already logged by recordRemoteEntries.
   */
  recordRemote(tx: ReplTx, entriesFrom = 0): number {
    const open = this.requireOpen();
    if (!open.applying) throw new InternalError('recordRemote outside an apply transaction');
    const txid = open.txid + 1;
    this.recordRemoteEntries(tx, entriesFrom, tx.entries.length);
    this.stmts.insertTx.run(
      BigInt(txid),
      tx.origin,
      BigInt(tx.seq),
      BigInt(tx.hlcWall),
      BigInt(tx.hlcLogical),
      BigInt(this.physical.nowMs()),
      JSON.stringify(tx.deps),
      tx.orderKey,
    );
    this.lamport = Math.max(this.lamport, lamportOf(tx.orderKey));
    this.keylessNotes.flush(this.writer, tx.origin, tx.seq);
    open.txid = txid;
    open.recorded.push({ origin: tx.origin, seq: tx.seq, txid });
    return txid;
  }

  /** Commit an apply transaction; the applied vector moves only once COMMIT succeeded. */
  commitApply(settleForeignKeys?: () => void): void {
    const open = this.requireOpen();
    this.keylessNotes.clear();
    try {
      try {
        this.writer.exec('COMMIT');
      } catch (e) {
        // A foreign key still broken (an orphan the per-transaction check did not reach): the
        // transaction stays open; settle every orphan and commit once more.
        if ((e as { code?: string }).code !== 'SQLITE_CONSTRAINT_FOREIGNKEY' || !settleForeignKeys) throw e;
        if (!this.writer.inTransaction) throw e;
        settleForeignKeys();
        this.writer.exec('COMMIT');
      }
    } catch (e) {
      this.rollbackWrite();
      throw e;
    }
    this.open = null;
    for (const r of open.recorded) {
      if ((this.applied.get(r.origin) ?? 0) < r.seq) this.applied.set(r.origin, r.seq);
      this.lastTxid = Math.max(this.lastTxid, r.txid);
    }
  }

  /** Record DDL text in the log, in the open write transaction. */
  logDdl(table: string, sql: string): void {
    const open = this.requireOpen();
    open.captured = true;
    this.stmts.insertDdl.run(BigInt(open.txid), table, sql);
  }

  /** Record a cluster-wide admin command (applied by every replica) in the open write transaction. */
  logAdmin(table: string, sql: string, admin: object): void {
    const open = this.requireOpen();
    open.captured = true;
    this.writer
      .prepare(
        "INSERT INTO _chorus_log (txid, tbl, op, pk, cols) VALUES (?, ?, 'DDL', NULL, json_object('sql', ?, 'admin', json(?)))",
      )
      .run(BigInt(open.txid), table, sql, JSON.stringify(admin));
  }

  /** Record a table operation (TRUNCATE, ADD PRIMARY KEY) that every replica runs on its own copy. */
  logTableOp(table: string, op: TableOp): void {
    const open = this.requireOpen();
    open.captured = true;
    this.writer
      .prepare(
        "INSERT INTO _chorus_log (txid, tbl, op, pk, cols) VALUES (?, ?, 'DDL', NULL, json_object('sql', ?, 'tableOp', json(?)))",
      )
      .run(BigInt(open.txid), table, tableOpSql(table, op), JSON.stringify(op));
  }

  /** The origin sequence number the open write transaction takes if it commits with entries. */
  nextLocalSeq(): number {
    return this.lastLocalSeq + 1;
  }

  registerTable(name: string, localOnly: boolean): void {
    this.requireOpen();
    this.stmts.registerTable.run(name, localOnly ? 1n : 0n, BigInt(Date.now()));
  }

  /** Names of user tables that are replicated (not local-only). */
  replicatedTables(): string[] {
    const rows = this.writer
      .prepare(
        `SELECT s.name AS name FROM sqlite_schema s
         LEFT JOIN _chorus_tables t ON t.name = s.name
         WHERE s.type = 'table' AND s.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
           AND s.name NOT LIKE '${internalPrefix.replaceAll('_', '\\_')}%' ESCAPE '\\'
           AND coalesce(t.local_only, 0) = 0`,
      )
      .all() as { name: string }[];
    return rows.map((r) => r.name);
  }

  /** Whether other masters write too (multi-primary mode). */
  get multiPrimary(): boolean {
    return this.opts.multiPrimary ?? false;
  }

  isLocalOnly(table: string): boolean {
    const row = this.writer.prepare('SELECT local_only FROM _chorus_tables WHERE name = ?').get(table) as
      | { local_only: bigint }
      | undefined;
    return row !== undefined && row.local_only === 1n;
  }

  /** Drop registry rows of tables that no longer exist and re-generate capture triggers. */
  syncSchema(): void {
    this.requireOpen();
    const dropped = this.writer
      .prepare(
        `DELETE FROM _chorus_tables WHERE name NOT IN (SELECT name FROM sqlite_schema WHERE type = 'table') RETURNING name`,
      )
      .pluck()
      .all() as string[];
    syncCaptureTriggers(this.writer, this.replicatedTables(), this.opts.guardPrimaryKeyUpdates ?? false);
    forgetKeylessRows(this.writer);
    forgetStaleDeltaColumns(this.writer, dropped);
    if (dropped.length > 0) {
      // Rows parked for a dropped table must never come back into a new table of that name.
      const forgetParked = this.writer.prepare('DELETE FROM _chorus_parked WHERE tbl = ?');
      for (const t of dropped) forgetParked.run(t);
    }
    this.sequences.load();
  }

  /** A keyless table was emptied in the open transaction: rows it inserted before are gone. */
  keylessTruncated(table: string): void {
    this.keylessNotes.forget(table);
  }

  /** Run fn with capture triggers silent (writing a merged CRDT value is not a new change). */
  suppressCapture<T>(fn: () => T): T {
    const open = this.requireOpen();
    const prev = open.applying;
    open.applying = true;
    try {
      return fn();
    } finally {
      open.applying = prev;
    }
  }

  /** Run internal bookkeeping (no user tables) in its own transaction; the caller holds the writer. */
  runInternal<T>(fn: () => T): T {
    if (this.open) throw new InternalError('runInternal while a write transaction is open');
    this.writer.exec('BEGIN IMMEDIATE');
    try {
      const out = fn();
      this.writer.exec('COMMIT');
      return out;
    } catch (e) {
      if (this.writer.inTransaction) this.writer.exec('ROLLBACK');
      throw e;
    }
  }

  /** Bring capture triggers in line with the current mode (e.g. PK guards) in their own transaction. */
  syncSchemaNow(): void {
    this.beginWrite();
    try {
      this.syncSchema();
      this.writer.exec('COMMIT');
    } catch (e) {
      this.rollbackWrite();
      throw e;
    } finally {
      this.open = null;
    }
  }

  /** Commit the open write transaction; returns what was logged, or null if nothing was captured. */
  commitWrite(clientTsMs: number | null = null): CommitInfo | null {
    const open = this.requireOpen();
    let info: CommitInfo | null = null;
    try {
      if (this.sequences.dirty) this.sequences.flush((table, sql) => this.logDdl(table, sql));
      if (open.captured) {
        this.commitGuard?.();
        if (!this.clock) throw new InternalError('no clock attached to the storage engine');
        const hlc = this.clock.now();
        const originSeq = this.lastLocalSeq + 1;
        const key = this.orderKey(hlc, clientTsMs);
        this.stmts.insertTx.run(
          BigInt(open.txid),
          this.nodeId,
          BigInt(originSeq),
          BigInt(hlc.wallMs),
          BigInt(hlc.logical),
          BigInt(this.physical.nowMs()),
          JSON.stringify(this.appliedVector()),
          key,
        );
        this.keylessNotes.flush(this.writer, this.nodeId, originSeq);
        this.localCommitHook?.(open.txid, this.nodeId, originSeq, key);
        info = { txid: open.txid, originSeq, hlc };
        const logged = this.stmts.loggedBytes.get(BigInt(open.txid)) as {
          b: number | bigint;
          m: number | bigint;
        };
        const entryMax = this.opts.logEntryBytesMax;
        if (entryMax !== undefined && Number(logged.m) > entryMax)
          throw new ChorusError(
            '54000',
            `a row change of ${Number(logged.m)} bytes exceeds the ${entryMax} bytes a replication batch may carry: the transaction is rolled back`,
            {
              hint: 'Raise [replication] max_batch_size_mb on every node, or store the value in smaller rows.',
            },
          );
        this.logWrites.writes++;
        this.logWrites.bytes += Number(logged.b);
        this.logWrites.lastWriteMs = this.physical.nowMs();
      }
      this.keylessNotes.clear();
      this.writer.exec('COMMIT');
    } catch (e) {
      this.rollbackWrite();
      throw e;
    }
    this.open = null;
    if (info) {
      this.lastTxid = info.txid;
      this.lastLocalSeq = info.originSeq;
      this.applied.set(this.nodeId, info.originSeq);
    }
    return info;
  }

  rollbackWrite(): void {
    this.open = null;
    this.keylessNotes.clear();
    if (this.writer.inTransaction) this.writer.exec('ROLLBACK');
    this.sequences.load();
    // Sequences are not transactional: what nextval / setval did is kept.
    if (this.sequences.dirty && !this.flushingSequences) this.flushSequencesAlone();
  }

  private flushSequencesAlone(): void {
    this.flushingSequences = true;
    try {
      this.beginWrite();
      this.commitWrite();
    } catch (e) {
      this.opts.logger.warn({ err: e }, 'sequence state not written after a rollback');
    } finally {
      this.flushingSequences = false;
    }
  }

  /** Bytes the replication log takes in the database (its tables' pages). */
  logBytes(): number {
    const row = this.writer
      .prepare(
        "SELECT coalesce(sum(pgsize), 0) AS bytes FROM dbstat('main', 1) WHERE name IN ('_chorus_log', '_chorus_tx')",
      )
      .get() as { bytes: bigint } | undefined;
    return Number(row?.bytes ?? 0);
  }

  currentLsn(): number {
    return Number((this.stmts.maxLsn.get() as { lsn: bigint }).lsn);
  }

  private requireOpen(): OpenWrite {
    if (!this.open) throw new InternalError('no write transaction is open');
    return this.open;
  }

  close(): void {
    if (this.open) this.rollbackWrite();
    try {
      this.writer.pragma('wal_checkpoint(TRUNCATE)');
    } catch (e) {
      this.opts.logger.warn({ err: e }, 'final checkpoint failed');
    }
    this.writer.close();
  }
}

/** The Lamport counter in a logical_clock order key ('0000000000000042.node'); 0 for other keys. */
function lamportOf(key: string | null): number {
  if (!key) return 0;
  const dot = key.indexOf('.');
  if (dot !== 16) return 0;
  const n = Number(key.slice(0, dot));
  return Number.isSafeInteger(n) ? n : 0;
}

/** Bring a data directory created by an earlier version up to the current internal schema. */
function migrateInternalSchema(db: Database.Database): void {
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
}
