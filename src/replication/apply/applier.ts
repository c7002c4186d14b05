// Applies replicated transactions to the local database and keeps row/column versions for local
// ones. Concurrency is decided from each transaction's dependency vector: a local write the origin
// had not seen when it committed is concurrent with it. Columns resolve by last-write-wins on the
// HLC (node id breaks ties); deletes win over concurrent writes and leave tombstones. The outcome
// depends only on the set of transactions, never on their arrival order. This file walks a
// transaction's entries (in slices) and logs them; row-change.ts applies each row change.

import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { formatHlc } from '../../clock/hlc.js';
import { applyTwiceOneInTxs, dropOneInInserts, failpoints } from '../../config/failpoints.js';
import type { LogEntry, ReplTx, Vector } from '../../log/records.js';
import { tableShape } from '../../storage/capture/capture.js';
import type { StorageEngine } from '../../storage/engine/engine.js';
import type { CrdtColumns } from './columns/crdt-columns.js';
import type { Resolvers } from './columns/resolvers.js';
import { ConflictLog, type ConflictSettled } from './conflicts/conflict-log.js';
import type { ConflictHost } from './conflicts/conflict-rules.js';
import type { TouchedRow } from './conflicts/fk-orphans.js';
import { RowSettlement, type SettlementHost } from './conflicts/row-settlement.js';
import type { MembershipSink } from './ddl/admin-commands.js';
import { applyDdlEntry, applyKeylessInsert } from './ddl/apply-ddl.js';
import { recordConversions } from './ddl/ddl-rows.js';
import { ShapeUpgrader } from './ddl/shape-upgrade.js';
import { RowChanges } from './row-change.js';
import type { ColClock, ConflictType, RowMeta } from './rows/row-meta.js';
import { type ApplierStatements, pkWhere, prepareApplierStatements, RowSql } from './rows/row-sql.js';

export interface ApplyStats {
  txs: number;
  rowChanges: number;
  conflicts: number;
  skipped: number;
  /** Rows left pointing at a parent deleted concurrently, removed or changed (fk-orphans.ts). */
  orphansSettled: number;
  /** Parked rows brought back by a later update from their origin (parked-rows.ts). */
  resurrected: number;
}

/** Log entries written between two pause checks while a large transaction is logged. */
export const logSliceEntries = 1_024;

/** A replicated transaction being applied in slices (Applier.begin / step). */
export interface TxProgress {
  readonly tx: ReplTx;
  /** What the origin had seen when it committed tx (its dependencies and tx itself). */
  readonly seen: Vector;
  /** tx's order key, compared by last-write-wins. */
  readonly hlc: string;
  /** Entries applied so far, then entries logged so far. */
  applied: number;
  logged: number;
  /** A DDL entry of tx was applied. */
  schemaChanged: boolean;
  /** Row changes of tables with foreign keys, checked for orphans once tx's entries are applied. */
  touched: TouchedRow[];
  orphansSettled: boolean;
  /** Rows tx itself deletes or updates (`tbl\0pk`), made when a delete sets off ON DELETE actions. */
  ownRows: Set<string> | null;
}

export class Applier implements ConflictHost, SettlementHost {
  private readonly db: Database.Database;
  private readonly settlement: RowSettlement;
  /** Row changes of keyed tables (row-change.ts). */
  private readonly changes: RowChanges;
  private readonly conflicts: ConflictLog;
  /** applyRow brought a parked row back (the orphan check then treats the change as an insert). */
  private resurrected = false;
  private readonly stmts: ApplierStatements;
  /** Cached per-table row statements (cleared after DDL). */
  private readonly rows: RowSql;
  private readonly upgrader: ShapeUpgrader;
  private readonly shapes = new Map<string, { columns: Set<string>; primaryKey: string[] } | null>();
  /** DDL was applied in the open apply transaction (caches are invalidated after COMMIT). */
  private schemaChangedInBatch = false;
  /** Membership commands (remove_master, set_read_only) arriving in the log; set by the node. */
  membership: MembershipSink | null = null;
  /** A DDL transaction was applied (the cluster DDL lock counts it); set by the node. */
  onDdlApplied: ((origin: string, seq: number) => void) | null = null;
  /** Counters of the planted bugs (src/config/failpoints.ts); unused unless one is on. */
  private failpointChanges = 0;
  private failpointTxs = 0;

  /** After the apply transaction committed: tell the node if the schema changed. */
  afterCommit(): void {
    if (this.schemaChangedInBatch) {
      this.schemaChangedInBatch = false;
      this.onSchemaChange();
    }
  }

  readonly stats: ApplyStats = {
    txs: 0,
    rowChanges: 0,
    conflicts: 0,
    skipped: 0,
    orphansSettled: 0,
    resurrected: 0,
  };

  /** @internal (conflict-rules.ts) the writer connection. */
  get internalDb(): Database.Database {
    return this.db;
  }

  get nodeId(): string {
    return this.engine.nodeId;
  }

  /** @internal (conflict-rules.ts) */
  warn(obj: object, msg: string): void {
    this.logger.warn(obj, msg);
  }

  /** @internal (conflict-rules.ts) the per-row savepoint around one replicated change. */
  rowSavepoint(step: 'begin' | 'release' | 'rollback'): void {
    if (step === 'begin') this.stmts.savepoint.run();
    else if (step === 'release') this.stmts.release.run();
    else this.stmts.rollbackTo.run();
  }

  constructor(
    private readonly engine: StorageEngine,
    private readonly logger: Logger,
    private readonly onSchemaChange: () => void,
    nowMs: () => number = Date.now,
    /** CRDT columns: joined on apply instead of last-write-wins. */
    readonly crdt: CrdtColumns | null = null,
    /** Custom conflict resolvers (per table, or the configured default). */
    readonly resolvers: Resolvers | null = null,
  ) {
    this.db = engine.writer;
    this.stmts = prepareApplierStatements(this.db);
    this.rows = new RowSql(this.db);
    this.upgrader = new ShapeUpgrader(this.db);
    this.settlement = new RowSettlement(this.db, this);
    this.changes = new RowChanges(this, this.settlement, this.rows, this.stats);
    this.conflicts = new ConflictLog(this.stmts.insertConflict, nowMs, this.stats);
  }

  /**
   * Settle every orphan in the database (the apply transaction's COMMIT found a foreign key broken
   * that the per-transaction check did not reach); `tx` is named in the conflict records.
   */
  settleAllOrphans(tx: ReplTx): void {
    const n = this.settlement.settleAll(tx);
    this.stats.orphansSettled += n;
    this.logger.warn(
      { rows: n, origin: tx.origin, seq: tx.seq },
      'foreign keys broken at commit: orphans settled',
    );
  }

  /** @internal (row-settlement.ts) */
  hasMergedColumns(tbl: string): boolean {
    return (this.crdt?.kindsOf(tbl).size ?? 0) > 0;
  }

  /** @internal (row-settlement.ts) */
  shapeOf(tbl: string): { columns: Set<string>; primaryKey: string[] } | null {
    return this.shape(tbl);
  }

  /** @internal (conflict-rules.ts) */
  rowRemoved(tbl: string, pk: string, row: string | null): void {
    this.settlement.rowRemoved(tbl, pk, row);
  }

  /** @internal (conflict-rules.ts, fk-orphans.ts) */
  parkRow(tbl: string, pk: string, row: string, cols: RowMeta['cols']): void {
    this.settlement.park(tbl, pk, row, cols);
  }

  /** Forget cached table shapes and statements (after DDL). */
  invalidate(): void {
    this.rows.clear();
    this.shapes.clear();
    this.upgrader.invalidate();
    this.crdt?.invalidate();
    this.settlement.invalidate();
  }

  private shape(tbl: string): { columns: Set<string>; primaryKey: string[] } | null {
    if (!this.shapes.has(tbl)) {
      const exists = this.db
        .prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?")
        .get(tbl);
      if (!exists || this.engine.isLocalOnly(tbl)) this.shapes.set(tbl, null);
      else {
        const s = tableShape(this.db, tbl);
        this.shapes.set(tbl, { columns: new Set(s.columns), primaryKey: s.primaryKey });
      }
    }
    return this.shapes.get(tbl) ?? null;
  }

  /** @internal (conflict-rules.ts) */
  stmt(key: string, build: () => string): Database.Statement {
    return this.rows.stmt(key, build);
  }

  /** @internal (conflict-rules.ts) */
  pkWhere(pkCols: string[]): string {
    return pkWhere(pkCols);
  }

  /** @internal (conflict-rules.ts) */
  loadMeta(tbl: string, pk: string): RowMeta {
    const r = this.stmts.getMeta.get(tbl, pk) as
      | { vv: string; dels: string; deleted: number; cols: string }
      | undefined;
    return r
      ? {
          vv: JSON.parse(r.vv) as Vector,
          dels: JSON.parse(r.dels) as Vector,
          deleted: r.deleted === 1,
          cols: JSON.parse(r.cols) as Record<string, ColClock>,
          known: true,
        }
      : { vv: {}, dels: {}, deleted: false, cols: {}, known: false };
  }

  /** @internal (conflict-rules.ts) */
  saveMeta(tbl: string, pk: string, m: RowMeta): void {
    this.stmts.putMeta.run(
      tbl,
      pk,
      JSON.stringify(m.vv),
      JSON.stringify(m.dels),
      m.deleted ? 1 : 0,
      JSON.stringify(m.cols),
    );
  }

  /** Keep versions for a local transaction (called inside it, before COMMIT). */
  recordLocal(txid: number, origin: string, seq: number, orderKey: string): void {
    this.stmts.recordLocal.run({ txid, origin, seq, key: orderKey, path: `$."${origin}"` });
  }

  /** Apply one replicated transaction inside the engine's open apply transaction, then log it. */
  apply(tx: ReplTx): void {
    this.step(this.begin(tx), () => false);
  }

  /** Start applying tx in slices (step); nothing is written yet. */
  begin(tx: ReplTx): TxProgress {
    if (failpoints.foreignKeysPerStatement) this.db.pragma('defer_foreign_keys = OFF');
    const seen: Vector = { ...tx.deps, [tx.origin]: tx.seq };
    // Last-write-wins compares order keys (HLC text by default; see timestamp_source).
    const hlc = tx.orderKey || formatHlc({ wallMs: tx.hlcWall, logical: tx.hlcLogical, nodeId: tx.origin });
    return {
      tx,
      seen,
      hlc,
      applied: 0,
      logged: 0,
      schemaChanged: false,
      touched: [],
      orphansSettled: false,
      ownRows: null,
    };
  }

  /**
   * Whether the open apply transaction may pause (yield to the event loop) now: not once it changed
   * the schema, which sessions planning meanwhile on the writer connection would see uncommitted.
   */
  canPause(p: TxProgress | null): boolean {
    return !this.schemaChangedInBatch && !(p?.schemaChanged ?? false);
  }

  /**
   * Apply tx's entries, then log them, from where p stands; `pause()` is asked after each entry (and
   * each logged slice) and stops the step where the transaction may pause. True once tx is applied
   * and logged; false when paused (call step again, in the same apply transaction).
   */
  step(p: TxProgress, pause: () => boolean): boolean {
    const { tx } = p;
    const n = tx.entries.length;
    this.settlement.begin(p);
    while (p.applied < n) {
      if (this.applyEntry(p, tx.entries[p.applied]!)) p.schemaChanged = true;
      p.applied++;
      if (p.applied < n && pause() && this.canPause(p)) return false;
    }
    this.stats.orphansSettled += this.settlement.afterEntries(p);
    if (
      p.logged === 0 &&
      p.applied === n &&
      failpoints.applyRemoteTwice &&
      ++this.failpointTxs % applyTwiceOneInTxs === 0
    ) {
      for (const e of tx.entries) if (this.applyEntry(p, e)) p.schemaChanged = true;
    }
    while (n - p.logged > logSliceEntries && this.canPause(p)) {
      this.engine.recordRemoteEntries(tx, p.logged, p.logged + logSliceEntries);
      p.logged += logSliceEntries;
      if (pause()) return false;
    }
    this.engine.recordRemote(tx, p.logged);
    p.logged = n;
    this.stats.txs++;
    if (p.schemaChanged) {
      this.invalidate();
      this.schemaChangedInBatch = true;
    }
    return true;
  }

  /** One row change or DDL entry of p's transaction; true when it changed the schema. */
  private applyEntry(p: TxProgress, entry: LogEntry): boolean {
    const { tx, seen, hlc } = p;
    if (entry.op === 'DDL') {
      const changed = this.applyDdl(entry, tx);
      this.onDdlApplied?.(tx.origin, tx.seq);
      return changed;
    }
    // Written before an ALTER TABLE it had not seen: renamed and converted as the table now is.
    const up = this.upgrader.upgrade(entry, seen);
    const e = up.entry;
    if (e.pk === null) return false;
    recordConversions(this, e.tbl, e.pk, tx, up.nulled);
    const shape = this.shape(e.tbl);
    if (!shape) {
      this.stats.skipped++;
      return false;
    }
    this.stats.rowChanges++;
    if (
      failpoints.dropReplicatedChange &&
      e.op === 'INSERT' &&
      ++this.failpointChanges % dropOneInInserts === 0
    )
      return false;
    const keyless = shape.primaryKey.length === 0;
    this.resurrected = false;
    this.stmts.savepoint.run();
    try {
      const lost = e.op !== 'INSERT' && !keyless ? this.settlement.beforeChange(p, e) : null;
      const rowid = keyless ? this.applyKeylessInsert(e, shape) : null;
      if (!keyless) this.applyRow(e, shape, tx, seen, hlc);
      this.stmts.release.run();
      if (lost) this.settlement.afterChange(p, e, lost);
      if (this.settlement.involves(e.tbl))
        p.touched.push({
          tbl: e.tbl,
          op: this.resurrected ? 'INSERT' : e.op,
          pk: keyless ? null : e.pk,
          rowid,
          cols: e.cols,
          removeOnly: up.constrained,
        });
    } catch (err) {
      this.stmts.rollbackTo.run();
      this.stmts.release.run();
      this.changes.refused(err, e, e.pk, shape, keyless, up.constrained, tx, seen, hlc);
    }
    return false;
  }

  /** A row of a table without a primary key (see ddl/apply-ddl.ts). */
  private applyKeylessInsert(e: LogEntry, shape: { columns: Set<string> }): bigint | null {
    const rowid = applyKeylessInsert(this.rows, e, shape);
    if (rowid === null) this.stats.skipped++;
    return rowid;
  }

  private applyDdl(e: LogEntry, tx: ReplTx): boolean {
    const changed = applyDdlEntry(
      {
        db: this.db,
        engine: this.engine,
        logger: this.logger,
        resolvers: this.resolvers,
        crdt: this.crdt,
        membership: this.membership,
        rows: this,
      },
      e,
      tx,
    );
    this.invalidate();
    return changed;
  }

  /** @internal (conflict-rules.ts) One row change of a keyed table (row-change.ts). */
  applyRow(
    e: LogEntry,
    shape: { columns: Set<string>; primaryKey: string[] },
    tx: ReplTx,
    seen: Vector,
    hlc: string,
  ): void {
    if (this.changes.apply(e, shape, tx, seen, hlc)) this.resurrected = true;
  }

  /** SHA-256 of a row's current content ('absent' when it does not exist): for divergence checks. */
  rowDigest(tbl: string, pk: string): string {
    const shape = this.shape(tbl);
    const text = shape ? (this.rowJson(tbl, shape, pk) ?? 'absent') : 'absent';
    return createHash('sha256').update(text).digest('hex').slice(0, 32);
  }

  /** JSON text of a row's columns (all, or the named ones), BLOBs as {"$b": hex}. */
  /** @internal (conflict-rules.ts) */
  rowJson(
    tbl: string,
    shape: { columns: Set<string>; primaryKey: string[] },
    pk: string,
    only?: string[],
  ): string | null {
    return this.rows.rowJson(tbl, shape, pk, only);
  }

  /** @internal (conflict-rules.ts) Record a conflict (conflicts/conflict-log.ts). */
  recordConflict(
    tbl: string,
    pk: string,
    localOrigin: string,
    tx: ReplTx,
    type: ConflictType,
    localValue: string | null,
    remoteValue: string | null,
    resolved: string | null,
    latencyMs: number,
    extra: ConflictSettled = {},
  ): void {
    this.conflicts.record(
      tbl,
      pk,
      localOrigin,
      tx,
      type,
      localValue,
      remoteValue,
      resolved,
      latencyMs,
      extra,
    );
  }
}
