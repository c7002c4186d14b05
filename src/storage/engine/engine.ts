// The node's SQLite database: opens it (WAL, configured durability), keeps the internal schema, owns
// the single writer connection and coordinates its write paths (local commits: local-commit.ts,
// replicated ones: apply-transaction.ts, schema bookkeeping: schema-sync.ts), so every captured
// change lands in the replication log in the same transaction.

import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { type PhysicalClock, systemClock } from '../../clock/clock.js';
import type { HybridLogicalClock } from '../../clock/hlc.js';
import { ChorusError, InternalError, KeylessTableWriteError } from '../../errors.js';
import type { ReplTx } from '../../log/records.js';
import { captureTxidFunction, keylessGuardFunction, keylessRowFunction } from '../capture/capture.js';
import type { StorageMemory } from '../memory-settings.js';
import { type SequenceSlots, singleWriterSlots } from '../sequences/sequence-math.js';
import { SequenceStore } from '../sequences/sequences.js';
import { registerSqlFunctions } from '../sql-functions.js';
import { KeylessNotes } from '../tables/keyless-rows.js';
import type { TableOp } from '../tables/table-ops.js';
import {
  beginApplyTransaction,
  commitApplyTransaction,
  logRemoteEntries,
  logRemoteTransaction,
} from './apply-transaction.js';
import { prepareDataDir } from './data-dir.js';
import { ensureHistoryId } from './history-id.js';
import { internalSchemaSql } from './internal-schema.js';
import {
  beginLocalWrite,
  type CommitInfo,
  commitLocalWrite,
  type LocalCommitHook,
  logAdminEntry,
  logDdlEntry,
  logTableOpEntry,
} from './local-commit.js';
import {
  migrateInternalSchema,
  openWriterConnection,
  recoverLogCounters,
  resolveNodeId,
  type SynchronousMode,
} from './open-database.js';
import { isLocalOnly, replicatedTables, syncSchemaRows } from './schema-sync.js';
import {
  type LogWriteStats,
  prepareLogStatements,
  requireOpen,
  type TimestampSource,
  type WriteState,
} from './write-state.js';

export const databaseFileName = 'chorus.db';

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
   * Which values of each sequence this node hands out (storage/sequences/sequence-math.ts); 'unconfigured':
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

export class StorageEngine {
  readonly writer: Database.Database;
  readonly logWrites: LogWriteStats = { writes: 0, bytes: 0, lastWriteMs: null };
  readonly path: string;
  readonly nodeId: string;
  /** The open transaction, the counters and the log statements (write-state.ts). */
  private readonly s: WriteState;
  /** For each origin, the highest origin sequence applied here (contiguous: applied in order). */
  readonly applied = new Map<string, number>();
  /** Set by the replication layer in replicated modes to keep row/column versions. */
  localCommitHook: LocalCommitHook | null = null;
  /** Called before a transaction with replicated changes commits; throwing rolls it back (fencing). */
  commitGuard: (() => void) | null = null;
  /** Sequences: nextval / setval state of this node (see sequences/sequences.ts). */
  readonly sequences: SequenceStore;
  private flushingSequences = false;

  constructor(private readonly opts: EngineOptions) {
    prepareDataDir(opts.dataDir);
    this.path = join(opts.dataDir, databaseFileName);
    this.writer = openWriterConnection(
      this.path,
      opts.dataDir,
      databaseFileName,
      opts.synchronous,
      opts.memory,
    );
    const keylessNotes = new KeylessNotes();
    this.writer.function(captureTxidFunction, { deterministic: false, directOnly: false }, () => {
      const open = this.s.open;
      if (!open) throw new InternalError('a replicated table was written outside a node write transaction');
      if (open.applying) return null;
      open.captured = true;
      return BigInt(open.txid);
    });
    this.writer.function(keylessRowFunction, { deterministic: false, directOnly: false }, (table, rowid) => {
      keylessNotes.note(String(table), BigInt(rowid as bigint));
      return null;
    });
    this.writer.function(keylessGuardFunction, { deterministic: false, directOnly: false }, (table, op) => {
      if (this.s.open?.applying) return null;
      throw new KeylessTableWriteError(String(table), op === 'update' ? 'update' : 'delete');
    });
    registerSqlFunctions(this.writer, {
      inWriter: true,
      crdtMarkers: opts.guardPrimaryKeyUpdates ?? false,
      catalogFunctions: opts.catalogFunctions,
    });
    this.writer.exec(internalSchemaSql);
    migrateInternalSchema(this.writer);
    this.nodeId = resolveNodeId(this.writer, opts.dataDir, opts.nodeId, opts.generateNodeId);
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
    const stmts = prepareLogStatements(this.writer);
    const counters = recoverLogCounters(this.writer, this.nodeId, this.applied);
    this.s = {
      writer: this.writer,
      nodeId: this.nodeId,
      stmts,
      applied: this.applied,
      keylessNotes,
      logWrites: this.logWrites,
      timestampSource: opts.timestampSource ?? 'server_timestamp',
      logEntryBytesMax: opts.logEntryBytesMax,
      open: null,
      lastTxid: counters.lastTxid,
      lastLocalSeq: counters.lastLocalSeq,
      lamport: counters.lamport,
      clock: null,
      physical: systemClock,
    };
  }

  /** The applied vector as a plain object (what a local commit depends on). */
  appliedVector(): Record<string, number> {
    return Object.fromEntries(this.applied);
  }

  /** The clock is attached after construction because it needs the resolved node id. */
  attachClock(clock: HybridLogicalClock, physical: PhysicalClock): void {
    this.s.clock = clock;
    this.s.physical = physical;
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

  get inWriteTransaction(): boolean {
    return this.s.open !== null;
  }

  /** Start the write transaction on the writer connection (the caller holds the writer lock). */
  beginWrite(): void {
    beginLocalWrite(this.s);
  }

  /** The number of the open write transaction (unique on this node), null when none is open. */
  get openTxid(): number | null {
    return this.s.open ? this.s.open.txid : null;
  }

  /** Start a transaction that applies replicated transactions (the caller holds the writer lock). */
  beginApply(): void {
    beginApplyTransaction(this.s);
  }

  /**
   * While an apply transaction is open: the last committed txid. The log rows that transaction wrote
   * are visible on the writer connection before its COMMIT (it yields to the event loop between
   * slices), so a log reader on that connection reads no further than this; null otherwise.
   */
  get logReadBound(): number | null {
    return this.s.open?.applying ? this.s.lastTxid : null;
  }

  /** Log entries [from, to) of the replicated transaction being recorded (recordRemote ends it). */
  recordRemoteEntries(tx: ReplTx, from: number, to: number): void {
    logRemoteEntries(this.s, tx, from, to);
  }

  /**
   * Log a replicated transaction verbatim, with its original origin, seq, HLC and dependencies;
   * entries before `entriesFrom` were already logged by recordRemoteEntries.
   */
  recordRemote(tx: ReplTx, entriesFrom = 0): number {
    return logRemoteTransaction(this.s, tx, entriesFrom);
  }

  /** Commit an apply transaction; the applied vector moves only once COMMIT succeeded. */
  commitApply(settleForeignKeys?: () => void): void {
    commitApplyTransaction(this.s, this, settleForeignKeys);
  }

  /** Record DDL text in the log, in the open write transaction. */
  logDdl(table: string, sql: string): void {
    logDdlEntry(this.s, table, sql);
  }

  /** Record a cluster-wide admin command (applied by every replica) in the open write transaction. */
  logAdmin(table: string, sql: string, admin: object): void {
    logAdminEntry(this.s, table, sql, admin);
  }

  /** Record a table operation (TRUNCATE, ADD PRIMARY KEY) that every replica runs on its own copy. */
  logTableOp(table: string, op: TableOp): void {
    logTableOpEntry(this.s, table, op);
  }

  /** The origin sequence number the open write transaction takes if it commits with entries. */
  nextLocalSeq(): number {
    return this.s.lastLocalSeq + 1;
  }

  registerTable(name: string, localOnly: boolean): void {
    requireOpen(this.s);
    this.s.stmts.registerTable.run(name, localOnly ? 1n : 0n, BigInt(Date.now()));
  }

  /** Names of user tables that are replicated (not local-only). */
  replicatedTables(): string[] {
    return replicatedTables(this.writer);
  }

  /** Whether other masters write too (multi-primary mode). */
  get multiPrimary(): boolean {
    return this.opts.multiPrimary ?? false;
  }

  isLocalOnly(table: string): boolean {
    return isLocalOnly(this.writer, table);
  }

  /** Drop registry rows of tables that no longer exist and re-generate capture triggers. */
  syncSchema(): void {
    requireOpen(this.s);
    syncSchemaRows(this.writer, this.opts.guardPrimaryKeyUpdates ?? false, this.sequences);
  }

  /** A keyless table was emptied in the open transaction: rows it inserted before are gone. */
  keylessTruncated(table: string): void {
    this.s.keylessNotes.forget(table);
  }

  /** Run fn with capture triggers silent (writing a merged CRDT value is not a new change). */
  suppressCapture<T>(fn: () => T): T {
    const open = requireOpen(this.s);
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
    if (this.s.open) throw new InternalError('runInternal while a write transaction is open');
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
      this.s.open = null;
    }
  }

  /** Commit the open write transaction; returns what was logged, or null if nothing was captured. */
  commitWrite(clientTsMs: number | null = null): CommitInfo | null {
    return commitLocalWrite(this.s, this, clientTsMs);
  }

  rollbackWrite(): void {
    this.s.open = null;
    this.s.keylessNotes.clear();
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
    return Number((this.s.stmts.maxLsn.get() as { lsn: bigint }).lsn);
  }

  close(): void {
    if (this.s.open) this.rollbackWrite();
    try {
      this.writer.pragma('wal_checkpoint(TRUNCATE)');
    } catch (e) {
      this.opts.logger.warn({ err: e }, 'final checkpoint failed');
    }
    this.writer.close();
  }
}
